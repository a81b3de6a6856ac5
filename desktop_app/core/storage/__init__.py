"""The chat history on disk.

``database`` holds the SQLite connection (pragmas, schema migrations, and the
mapping of environment errors to :class:`~desktop_app.core.storage.database.StorageError`);
``chat_store`` holds conversations and messages. Import from those modules:
this package re-exports nothing, because ``core.settings`` imports
``storage.database`` while ``storage.chat_store`` imports ``core.settings``.
"""
