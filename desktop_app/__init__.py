"""Hearth: a private, offline desktop chat for local large language models."""

__version__ = "0.1.0"
APP_NAME = "Hearth"
