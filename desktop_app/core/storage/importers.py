"""Conversations into Hearth: its own JSON export, and a ChatGPT data export.

Both readers trust nothing in the file: every field is checked for its type
before use, and anything unexpected raises :class:`ImportProblem` with a
sentence for the user. A file is read completely into
:class:`~desktop_app.core.storage.chat_store.ConversationRecord` objects
before anything is written, and the store adds them in one transaction, so a
bad file imports nothing rather than part of itself.

ChatGPT's ``conversations.json`` (in the zip from "Export data") is a list
of conversations, each a tree of ``mapping`` nodes: ``{id, message, parent,
children}``. ``message`` may be null (the root), a system or tool message, a
call to a tool (``recipient`` other than ``all``), or one hidden from the chat
(``metadata.is_visually_hidden_from_conversation``); those are left out and
their children hang on the nearest message that is kept. A regenerated reply
is a second child of the same node, so it becomes a
sibling in Hearth, as if regenerated here. ``content.parts`` holds strings
and, for pictures and files, objects: the strings are kept. Custom
instructions (a hidden ``user_editable_context`` message, or a visible system
message) become the conversation's system prompt.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from desktop_app.core.engine.api import ReplyStats, Role, SamplingParams
from desktop_app.core.settings import sampling_params_from_json
from desktop_app.core.storage.chat_store import (
    ChatStore,
    ConversationRecord,
    MessageRecord,
    MessageState,
    stats_from_json,
)
from desktop_app.core.storage.export import FORMAT_NAME, FORMAT_VERSION
from desktop_app.core.user_text import QT_TRANSLATE_NOOP, UserFacingError, user_text

MAX_FILE_BYTES = 2 * 1024 ** 3
"""Larger files are refused before reading (a ChatGPT export of years is ~100s of MB)."""


class ImportProblem(UserFacingError):
    """The file can't be imported; nothing was. ``str()`` is the English message."""


def _malformed(path: Path, detail: str) -> ImportProblem:
    return ImportProblem(user_text("import.malformed", QT_TRANSLATE_NOOP(
        "core", "{path} could not be imported, nothing was: {detail}"),
        path=str(path), detail=detail))


def import_file(store: ChatStore, path: Path) -> list[int]:
    """Import a Hearth JSON export or a ChatGPT export (``conversations.json`` or its zip).

    Returns the new conversations' ids. Raises :class:`ImportProblem` for a
    file that is unreadable, of another kind or malformed (nothing imported
    then), StorageError when the history can't be written.
    """
    records = read_file(path)
    try:
        return store.import_conversations(records)
    except ValueError as exc:  # a parent that comes after its child, say
        raise _malformed(path, str(exc)) from exc


def read_file(path: Path) -> list[ConversationRecord]:
    """The conversations in the file at ``path``, checked; see :func:`import_file`."""
    path = Path(path)
    document = _load_json(path)
    if isinstance(document, dict) and document.get("format") == FORMAT_NAME:
        return read_hearth(document, path)
    if isinstance(document, list) and all(isinstance(c, dict) and "mapping" in c
                                          for c in document):
        return read_chatgpt(document, path)
    raise ImportProblem(user_text("import.unknown", QT_TRANSLATE_NOOP(
        "core", "{path} is neither a Hearth export nor a ChatGPT export (conversations.json); "
        "nothing was imported."), path=str(path)))


def _load_json(path: Path) -> Any:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise _malformed(path, "the file is larger than 2 GB")
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                names = [n for n in archive.namelist()
                         if n.rsplit("/", 1)[-1] == "conversations.json"]
                if not names:
                    raise _malformed(path, "the zip file holds no conversations.json")
                raw = archive.read(names[0])
        else:
            raw = path.read_bytes()
    except (OSError, zipfile.BadZipFile) as exc:
        raise ImportProblem(user_text("import.unreadable", QT_TRANSLATE_NOOP(
            "core", "{path} could not be read: {reason}"),
            path=str(path), reason=getattr(exc, "strerror", None) or str(exc))) from exc
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise _malformed(path, f"it is not valid JSON ({exc})") from exc


# ---- checked access -----------------------------------------------------------


def _get(data: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str,
         *, optional: bool = False, default: Any = None) -> Any:
    value = data.get(key, default)
    if value is None and optional:
        return default
    if isinstance(value, bool) and kind in (int, float, (int, float)):
        raise ValueError(f"{where}: '{key}' should be a number")
    if not isinstance(value, kind):
        raise ValueError(f"{where}: '{key}' is missing or of the wrong type")
    return value


# ---- Hearth JSON ---------------------------------------------------------------


def read_hearth(document: dict[str, Any], path: Path) -> list[ConversationRecord]:
    """Records from a Hearth JSON export (see :mod:`~desktop_app.core.storage.export`)."""
    version = document.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise _malformed(path, "it has no format version")
    if version > FORMAT_VERSION:
        raise ImportProblem(user_text("import.newer", QT_TRANSLATE_NOOP(
            "core", "{path} was exported by a newer Hearth (format {version}); update Hearth "
            "to import it. Nothing was imported."), path=str(path), version=version))
    try:
        conversations = _get(document, "conversations", list, "the file")
        return [_hearth_conversation(c, n) for n, c in enumerate(conversations, 1)]
    except ValueError as exc:
        raise _malformed(path, str(exc)) from exc


def _hearth_conversation(data: Any, number: int) -> ConversationRecord:
    where = f"conversation {number}"
    if not isinstance(data, dict):
        raise ValueError(f"{where} is not an object")
    messages = []
    for n, item in enumerate(_get(data, "messages", list, where), 1):
        mwhere = f"{where}, message {n}"
        if not isinstance(item, dict):
            raise ValueError(f"{mwhere} is not an object")
        stats_data = item.get("stats")
        stats: ReplyStats | None = None
        if stats_data is not None:
            if not isinstance(stats_data, dict):
                raise ValueError(f"{mwhere}: 'stats' should be an object")
            stats = stats_from_json(json.dumps(stats_data))
        tool_calls = _get(item, "tool_calls", list, mwhere, optional=True, default=[])
        parent = item.get("parent_id")
        if parent is not None and (not isinstance(parent, int) or isinstance(parent, bool)):
            raise ValueError(f"{mwhere}: 'parent_id' should be a number")
        messages.append(MessageRecord(
            key=str(_get(item, "id", int, mwhere)),
            parent_key=None if parent is None else str(parent),
            role=Role(_get(item, "role", str, mwhere)),
            content=_get(item, "content", str, mwhere),
            created_at=float(_get(item, "created_at", (int, float), mwhere)),
            state=MessageState(_get(item, "state", str, mwhere)),
            thinking=_get(item, "thinking", str, mwhere, optional=True, default=""),
            stats=stats,
            error=_get(item, "error", str, mwhere, optional=True, default=""),
            # Kept as data; the chat reads each card defensively (a bad one is left out).
            tool_calls=json.dumps(tool_calls, ensure_ascii=False) if tool_calls else "",
        ))
    current = data.get("current_message_id")
    return ConversationRecord(
        title=_get(data, "title", str, where),
        model_id=_get(data, "model_id", str, where, optional=True),
        system_prompt=_get(data, "system_prompt", str, where, optional=True, default=""),
        params=sampling_params_from_json(_get(data, "params", dict, where)),
        created_at=float(_get(data, "created_at", (int, float), where)),
        updated_at=float(_get(data, "updated_at", (int, float), where)),
        messages=tuple(messages),
        current_key=None if current is None else str(current),
        pinned=bool(_get(data, "pinned", bool, where, optional=True, default=False)),
        folder=_get(data, "folder", str, where, optional=True, default=""),
    )


# ---- ChatGPT --------------------------------------------------------------------

_CHATGPT_ROLES = {"user": Role.USER, "assistant": Role.ASSISTANT}


def read_chatgpt(document: list[Any], path: Path) -> list[ConversationRecord]:
    """Records from ChatGPT's ``conversations.json`` (see the module docstring)."""
    try:
        return [_chatgpt_conversation(c, n) for n, c in enumerate(document, 1)]
    except ValueError as exc:
        raise _malformed(path, str(exc)) from exc


def _chatgpt_conversation(data: dict[str, Any], number: int) -> ConversationRecord:
    where = f"conversation {number}"
    mapping = _get(data, "mapping", dict, where)
    created = float(_get(data, "create_time", (int, float), where, optional=True, default=0.0))
    updated = float(_get(data, "update_time", (int, float), where, optional=True,
                         default=created))
    nodes: dict[str, dict[str, Any]] = {}
    for key, node in mapping.items():
        if not isinstance(node, dict):
            raise ValueError(f"{where}: node {key} is not an object")
        parent = node.get("parent")
        if parent is not None and (not isinstance(parent, str) or parent not in mapping):
            raise ValueError(f"{where}: node {key} has an unknown parent")
        nodes[key] = node
    system_prompt = ""
    kept: dict[str, str | None] = {}  # node id -> key of the nearest kept node at or above it
    records: list[MessageRecord] = []
    for key in _parents_first(nodes, where):
        node = nodes[key]
        parent = node.get("parent")
        above = kept.get(parent) if isinstance(parent, str) else None
        message = _chatgpt_message(node.get("message"), f"{where}, node {key}")
        if message is None:
            kept[key] = above
            continue
        role, text, when = message
        if role == Role.SYSTEM:
            if not system_prompt:
                system_prompt = text
            kept[key] = above
            continue
        records.append(MessageRecord(key=key, parent_key=above, role=role, content=text,
                                     created_at=when or created))
        kept[key] = key
    current = data.get("current_node")
    title = data.get("title")
    return ConversationRecord(
        title=title.strip() if isinstance(title, str) else "",
        model_id=None, system_prompt=system_prompt, params=SamplingParams(),
        created_at=created, updated_at=updated, messages=tuple(records),
        current_key=kept.get(current) if isinstance(current, str) else None)


def _parents_first(nodes: dict[str, dict[str, Any]], where: str) -> Iterator[str]:
    """Node ids so that each comes after its parent; ValueError on a cycle."""
    children: dict[str | None, list[str]] = {}
    for key, node in nodes.items():
        parent = node.get("parent")
        children.setdefault(parent if isinstance(parent, str) else None, []).append(key)
    stack = list(reversed(children.get(None, [])))
    seen = 0
    while stack:
        key = stack.pop()
        seen += 1
        yield key
        stack.extend(reversed(children.get(key, [])))
    if seen != len(nodes):
        raise ValueError(f"{where}: its messages do not form a tree")


def _chatgpt_message(message: Any, where: str) -> tuple[Role, str, float] | None:
    """(role, text, time) of a node's message; None for what Hearth leaves out."""
    if message is None:
        return None
    if not isinstance(message, dict):
        raise ValueError(f"{where}: 'message' is not an object")
    author = _get(message, "author", dict, where)
    role_name = _get(author, "role", str, where)
    content = _get(message, "content", dict, where)
    if content.get("content_type") == "user_editable_context":
        # Custom instructions ("about me", "how to answer"): hidden, but the system prompt.
        fields = (content.get("user_profile"), content.get("user_instructions"))
        text = "\n\n".join(f.strip() for f in fields if isinstance(f, str) and f.strip())
        return (Role.SYSTEM, text, 0.0) if text else None
    metadata = message.get("metadata")
    if isinstance(metadata, dict) and metadata.get("is_visually_hidden_from_conversation"):
        return None
    recipient = message.get("recipient")
    if recipient not in (None, "all"):
        return None  # a call to a tool (browsing, code), not text for the user
    content_type = content.get("content_type")
    if content_type in ("text", "multimodal_text"):
        parts = _get(content, "parts", list, where)
        text = "\n".join(p for p in parts if isinstance(p, str)).strip()
    elif content_type == "code" and isinstance(content.get("text"), str):
        text = f"```\n{content['text']}\n```"
    else:
        return None  # tool output, browsing quotes, reasoning summaries and the like
    if role_name == "system":
        return (Role.SYSTEM, text, 0.0) if text else None
    role = _CHATGPT_ROLES.get(role_name)
    if role is None or not text:
        return None
    when = message.get("create_time")
    return role, text, float(when) if isinstance(when, (int, float)) else 0.0
