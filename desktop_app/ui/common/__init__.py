"""Shared by every feature: the engine worker thread, background jobs, the look,
the table-model base."""
