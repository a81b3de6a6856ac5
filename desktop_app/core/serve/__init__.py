"""Hearth's OpenAI-compatible API over its local engine (``hearth serve``, the in-app server)."""
