"""Conversations out of Hearth: Markdown to read, JSON to keep.

Markdown holds what the chat shows (the current branch of each
conversation), for reading or pasting elsewhere. JSON is lossless: every
branch, the settings, statistics, states and the shown path, with a format
name and version so :mod:`~desktop_app.core.storage.importers` can read it
back exactly (and refuse a newer one instead of guessing).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from desktop_app.core.engine.api import Role
from desktop_app.core.settings import sampling_params_to_json
from desktop_app.core.storage.chat_store import (
    ChatStore,
    Conversation,
    StoredMessage,
    stats_to_json,
)

FORMAT_NAME = "hearth-conversations"
FORMAT_VERSION = 1
"""Version of the JSON layout; bumped when a field changes meaning or goes away."""

ExportFormat = Literal["md", "json"]

_ROLE_HEADINGS = {Role.USER: "You", Role.ASSISTANT: "Assistant", Role.SYSTEM: "System"}


def conversation_to_json(store: ChatStore, conversation: Conversation) -> dict[str, Any]:
    """One conversation as a JSON-ready dict: settings and every message of every branch."""
    return {
        "id": conversation.id,
        "title": conversation.title,
        "model_id": conversation.model_id,
        "system_prompt": conversation.system_prompt,
        "params": sampling_params_to_json(conversation.params),
        "created_at": conversation.created_at,
        "updated_at": conversation.updated_at,
        "pinned": conversation.pinned,
        "folder": conversation.folder,
        "current_message_id": conversation.current_message_id,
        "messages": [_message_to_json(m) for m in store.all_messages(conversation.id)],
    }


def _message_to_json(message: StoredMessage) -> dict[str, Any]:
    stats = stats_to_json(message.stats)
    return {
        "id": message.id,
        "parent_id": message.parent_id,
        "role": str(message.role),
        "content": message.content,
        "state": str(message.state),
        "thinking": message.thinking,
        "stats": json.loads(stats) if stats is not None else None,
        "error": message.error,
        "created_at": message.created_at,
        "tool_calls": _tool_calls(message.tool_calls),
    }


def _tool_calls(stored: str) -> list[Any]:
    """The reply's tool calls as JSON data (the column holds a JSON list, or nothing)."""
    if not stored:
        return []
    try:
        data = json.loads(stored)
    except ValueError:
        return []  # damaged in the database: the chat shows no cards for it either
    return data if isinstance(data, list) else []


def export_json(store: ChatStore, conversation_ids: Sequence[int]) -> str:
    """The conversations as a Hearth JSON document (KeyError for an unknown id)."""
    document = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "exported_at": time.time(),
        "conversations": [conversation_to_json(store, store.get_conversation(cid))
                          for cid in conversation_ids],
    }
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"


def conversation_to_markdown(store: ChatStore, conversation: Conversation) -> str:
    """The conversation's current branch as Markdown: a heading per message."""
    lines = [f"# {_one_line(conversation.title) or 'Untitled chat'}", ""]
    created = time.strftime("%Y-%m-%d %H:%M", time.localtime(conversation.created_at))
    details = [f"Started {created}"]
    if conversation.model_id:
        details.append(f"model `{conversation.model_id}`")
    lines += ["*" + ", ".join(details) + "*", ""]
    if conversation.system_prompt.strip():
        lines += ["## System prompt", "", conversation.system_prompt.strip(), ""]
    for message in store.messages(conversation.id):
        lines += [f"## {_ROLE_HEADINGS.get(message.role, str(message.role))}", ""]
        lines += [message.content.rstrip() or "*(empty)*", ""]
    return "\n".join(lines)


def export_markdown(store: ChatStore, conversation_ids: Sequence[int]) -> str:
    """The conversations' current branches as one Markdown document, separated by rules."""
    parts = [conversation_to_markdown(store, store.get_conversation(cid))
             for cid in conversation_ids]
    return "\n---\n\n".join(parts)


def export(store: ChatStore, conversation_ids: Sequence[int], fmt: ExportFormat) -> str:
    """The conversations in ``fmt`` ("md" or "json")."""
    if fmt == "json":
        return export_json(store, conversation_ids)
    return export_markdown(store, conversation_ids)


def write_text_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file, so a crash leaves no half file.

    Raises OSError; callers turn it into a message.
    """
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    try:
        with open(partial, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def _one_line(text: str) -> str:
    return " ".join(text.split())
