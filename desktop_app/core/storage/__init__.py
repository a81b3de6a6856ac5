"""The chat history on disk.

``database`` holds the SQLite connection (pragmas, schema migrations, and the
mapping of environment errors to :class:`~desktop_app.core.storage.database.StorageError`);
``chat_store`` holds conversations and their message trees; ``search_text``
is how the full-text index finds Chinese words; ``export`` and ``importers``
move conversations to and from files (Markdown, Hearth JSON, ChatGPT
exports); ``instance_lock`` is the lock that makes one process at a time the
writer of a data folder. Import from those modules:
this package re-exports nothing, because ``core.settings`` imports
``storage.database`` while ``storage.chat_store`` imports ``core.settings``.
"""
