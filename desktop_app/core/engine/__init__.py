"""Inference engines: the interface the GUI talks to and the llama.cpp implementation."""
