"""ChatStore on real SQLite files: conversations, messages, replies, crash recovery."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app.core.engine.api import ReplyStats, Role, SamplingParams, StopReason
from desktop_app.core.storage.chat_store import (
    ChatStore,
    Conversation,
    MessageState,
    escape_like,
    title_from_text,
)

REPO_ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "hearth.sqlite3"


@pytest.fixture
def store(db_path: Path) -> Iterator[ChatStore]:
    chat_store = ChatStore.open(db_path)
    yield chat_store
    chat_store.close()


def _new(store: ChatStore, params: SamplingParams | None = None) -> Conversation:
    return store.create_conversation(model_id="gemma", system_prompt="You are kind.",
                                     params=params or SamplingParams())


# ---- conversations ------------------------------------------------------------


def test_create_and_get_conversation(store: ChatStore) -> None:
    params = SamplingParams(temperature=0.25, top_k=0, seed=None, stop=("</s>", "User:"))
    before = time.time()
    conversation = store.create_conversation(model_id=None, system_prompt="系统提示",
                                             params=params)
    assert conversation.title == ""
    assert conversation.model_id is None
    assert before <= conversation.created_at == conversation.updated_at <= time.time()
    assert store.get_conversation(conversation.id) == conversation
    assert store.get_conversation(conversation.id).params == params
    assert isinstance(store.get_conversation(conversation.id).params.stop, tuple)


def test_get_missing_conversation_raises_key_error(store: ChatStore) -> None:
    with pytest.raises(KeyError):
        store.get_conversation(999)
    with pytest.raises(KeyError):
        store.rename_conversation(999, "x")
    with pytest.raises(KeyError):
        store.add_message(999, Role.USER, "orphan")
    with pytest.raises(KeyError):
        store.begin_reply(999)


def test_list_is_most_recently_updated_first(store: ChatStore) -> None:
    first, second, third = _new(store), _new(store), _new(store)
    assert [c.id for c in store.list_conversations()] == [third.id, second.id, first.id]
    store.add_message(first.id, Role.USER, "bump")
    assert [c.id for c in store.list_conversations()] == [first.id, third.id, second.id]
    store.rename_conversation(second.id, "Renamed")
    assert store.list_conversations()[0].id == second.id


def test_rename_and_update_settings(store: ChatStore) -> None:
    conversation = _new(store)
    store.rename_conversation(conversation.id, "Trip to 北京")
    new_params = SamplingParams(temperature=1.5, seed=42, stop=("###",))
    updated = store.update_conversation_settings(conversation.id, system_prompt="Be terse.",
                                                 params=new_params)
    assert updated == store.get_conversation(conversation.id)
    assert (updated.title, updated.system_prompt, updated.params) == (
        "Trip to 北京", "Be terse.", new_params)
    assert updated.updated_at >= conversation.updated_at


def test_ids_are_never_reused(store: ChatStore) -> None:
    conversation = _new(store)
    reply = store.begin_reply(conversation.id)
    store.delete_branch(reply.id)
    assert store.begin_reply(conversation.id).id > reply.id
    store.delete_conversation(conversation.id)
    assert _new(store).id > conversation.id


# ---- titles ---------------------------------------------------------------------


def test_first_user_message_sets_the_title(store: ChatStore) -> None:
    conversation = _new(store)
    store.add_message(conversation.id, Role.USER, "\n  How do   I bake\tbread?  \nDetails follow")
    assert store.get_conversation(conversation.id).title == "How do I bake bread?"
    store.add_message(conversation.id, Role.USER, "A later message")
    assert store.get_conversation(conversation.id).title == "How do I bake bread?"


def test_chinese_title(store: ChatStore) -> None:
    conversation = _new(store)
    text = "请帮我写一首关于秋天的诗" * 10  # 120 characters, no spaces
    store.add_message(conversation.id, Role.USER, text)
    title = store.get_conversation(conversation.id).title
    assert title.endswith("…")
    assert len(title) == 60
    assert title[:-1] == text[:59]


def test_assistant_message_does_not_set_title(store: ChatStore) -> None:
    conversation = _new(store)
    store.add_message(conversation.id, Role.ASSISTANT, "Hello, how can I help?")
    assert store.get_conversation(conversation.id).title == ""


def test_renamed_conversation_keeps_its_title(store: ChatStore) -> None:
    conversation = _new(store)
    store.rename_conversation(conversation.id, "Mine")
    store.add_message(conversation.id, Role.USER, "first message")
    assert store.get_conversation(conversation.id).title == "Mine"


@pytest.mark.parametrize(("text", "expected"), [
    ("short", "short"),
    ("  spaced   out  ", "spaced out"),
    ("\n\n\nthird line first", "third line first"),
    ("word " * 30, "word word word word word word word word word word word…"),
    ("x" * 60, "x" * 60),
    ("x" * 61, "x" * 59 + "…"),
    ("a " + "x" * 80, "a " + "x" * 57 + "…"),  # no word boundary near the end: cut mid-word
    ("", ""),
])
def test_title_from_text(text: str, expected: str) -> None:
    assert title_from_text(text) == expected
    assert len(title_from_text(text)) <= 60


# ---- search ------------------------------------------------------------------------


def test_search_matches_titles_and_messages_case_insensitively(store: ChatStore) -> None:
    bread, other = _new(store), _new(store)
    store.rename_conversation(bread.id, "Sourdough Bread")
    store.add_message(other.id, Role.USER, "Tell me about the Moon")
    store.add_message(other.id, Role.ASSISTANT, "The MOON orbits the Earth.")
    assert [c.id for c in store.search_conversations("BREAD")] == [bread.id]
    assert [c.id for c in store.search_conversations("earth")] == [other.id]
    assert [c.id for c in store.search_conversations("moon")] == [other.id]  # listed once
    assert store.search_conversations("nothing like this") == []
    assert [c.id for c in store.search_conversations("月")] == []


def test_search_input_is_never_fts_syntax(store: ChatStore) -> None:
    quoted, plain = _new(store), _new(store)
    store.add_message(quoted.id, Role.USER, 'he said "NEAR" AND left* (50% off)')
    store.add_message(plain.id, Role.USER, "nothing here")
    for query in ('"NEAR"', "AND", "left*", "(50%", 'NEAR(" a', "off)"):
        assert [c.id for c in store.search_conversations(query)] == [quoted.id], query
    # Punctuation alone searches for nothing, so the list is unfiltered.
    assert len(store.search_conversations('%"*')) == 2


def test_escape_like() -> None:
    assert escape_like(r"50%_off\now") == r"50\%\_off\\now"


# ---- deleting ------------------------------------------------------------------------


def test_delete_conversation_cascades_to_messages(store: ChatStore) -> None:
    doomed, kept = _new(store), _new(store)
    for i in range(3):
        store.add_message(doomed.id, Role.USER, f"doomed {i}")
    store.add_message(kept.id, Role.USER, "kept")
    store.delete_conversation(doomed.id)
    with pytest.raises(KeyError):
        store.get_conversation(doomed.id)
    assert store.messages(doomed.id) == []
    assert store._db.query("SELECT count(*) FROM messages")[0][0] == 1
    assert [m.content for m in store.messages(kept.id)] == ["kept"]
    store.delete_conversation(doomed.id)  # already gone: no error


def test_positions_number_each_conversation_from_zero(store: ChatStore) -> None:
    one, two = _new(store), _new(store)
    store.add_message(one.id, Role.USER, "1a")
    store.add_message(two.id, Role.USER, "2a")
    store.begin_reply(one.id)
    rows = store._db.query("SELECT conversation_id, position FROM messages ORDER BY id")
    assert [tuple(r) for r in rows] == [(one.id, 0), (two.id, 0), (one.id, 1)]


# ---- replies ---------------------------------------------------------------------------


def test_reply_life_cycle_with_stats(store: ChatStore) -> None:
    conversation = _new(store)
    store.add_message(conversation.id, Role.USER, "Hi")
    reply = store.begin_reply(conversation.id)
    assert (reply.role, reply.content, reply.state, reply.stats) == (
        Role.ASSISTANT, "", MessageState.STREAMING, None)
    store.checkpoint_reply(reply.id, "Hel", "thinking…")
    stats = ReplyStats(prompt_tokens=120, prompt_eval_tokens=20, completion_tokens=64,
                       time_to_first_token=0.125, tokens_per_second=31.75,
                       stop_reason=StopReason.LENGTH, seed=4_294_967_295)
    store.finish_reply(reply.id, "Hello there", thinking="thinking… done",
                       state=MessageState.COMPLETE, stats=stats)
    stored = store.messages(conversation.id)[-1]
    assert stored.id == reply.id
    assert (stored.content, stored.thinking, stored.state, stored.error) == (
        "Hello there", "thinking… done", MessageState.COMPLETE, "")
    assert stored.stats == stats
    assert isinstance(stored.stats.stop_reason, StopReason)


def test_failed_reply_keeps_its_error(store: ChatStore) -> None:
    conversation = _new(store)
    reply = store.begin_reply(conversation.id)
    store.finish_reply(reply.id, "partial", thinking="", state=MessageState.ERROR, stats=None,
                       error="Out of memory while decoding.")
    stored = store.messages(conversation.id)[0]
    assert (stored.state, stored.error, stored.stats) == (
        MessageState.ERROR, "Out of memory while decoding.", None)


def test_checkpoint_survives_reopen(db_path: Path) -> None:
    store = ChatStore.open(db_path)
    conversation = _new(store)
    reply = store.begin_reply(conversation.id)
    store.checkpoint_reply(reply.id, "Once upon a time", "plotting")
    store.close()
    reopened = ChatStore.open(db_path)
    try:
        stored = reopened.messages(conversation.id)[0]
        assert (stored.content, stored.thinking) == ("Once upon a time", "plotting")
    finally:
        reopened.close()


# Run in a child process that dies without closing anything, as a killed Hearth would.
_CRASHING_WRITER = """
import os, sys
from pathlib import Path
from desktop_app.core.engine.api import Role, SamplingParams
from desktop_app.core.storage.chat_store import ChatStore, MessageState
store = ChatStore.open(Path(sys.argv[1]))
c = store.create_conversation(model_id="gemma", system_prompt="", params=SamplingParams())
store.add_message(c.id, Role.USER, "Tell me a story")
done = store.begin_reply(c.id)
store.finish_reply(done.id, "Done.", thinking="", state=MessageState.COMPLETE, stats=None)
store.add_message(c.id, Role.USER, "Another")
reply = store.begin_reply(c.id)
store.checkpoint_reply(reply.id, "It was a dark", "hmm")
os._exit(9)
"""


def test_streaming_reply_left_by_a_crash_becomes_interrupted(db_path: Path) -> None:
    result = subprocess.run([sys.executable, "-c", _CRASHING_WRITER, str(db_path)],
                            cwd=REPO_ROOT, capture_output=True, text=True, timeout=60,
                            check=False)
    assert result.returncode == 9, result.stderr
    assert db_path.with_name(db_path.name + "-wal").exists()  # the data is still in the WAL

    reopened = ChatStore.open(db_path)
    try:
        [conversation] = reopened.list_conversations()
        assert reopened.messages(conversation.id)[-1].state == MessageState.STREAMING
        assert reopened.mark_interrupted_replies() == 1
        states = [(m.content, m.state) for m in reopened.messages(conversation.id)]
        assert states == [
            ("Tell me a story", MessageState.COMPLETE),
            ("Done.", MessageState.COMPLETE),
            ("Another", MessageState.COMPLETE),
            ("It was a dark", MessageState.INTERRUPTED),
        ]
        assert reopened.messages(conversation.id)[-1].thinking == "hmm"
        assert reopened.mark_interrupted_replies() == 0
    finally:
        reopened.close()


def test_checkpoint_of_a_continued_reply_marks_it_streaming(store: ChatStore) -> None:
    conversation = _new(store)
    reply = store.begin_reply(conversation.id)
    store.finish_reply(reply.id, "Part one", thinking="", state=MessageState.STOPPED,
                       stats=None)
    store.checkpoint_reply(reply.id, "Part one, part two", "")
    assert store.mark_interrupted_replies() == 1
    stored = store.messages(conversation.id)[0]
    assert (stored.content, stored.state) == ("Part one, part two", MessageState.INTERRUPTED)


def test_writes_bump_updated_at(store: ChatStore) -> None:
    conversation = _new(store)

    def updated() -> float:
        return store.get_conversation(conversation.id).updated_at

    stamps = [updated()]
    time.sleep(0.01)
    store.add_message(conversation.id, Role.USER, "Hi")
    stamps.append(updated())
    time.sleep(0.01)
    reply = store.begin_reply(conversation.id)
    stamps.append(updated())
    time.sleep(0.01)
    store.finish_reply(reply.id, "Yo", thinking="", state=MessageState.COMPLETE, stats=None)
    stamps.append(updated())
    time.sleep(0.01)
    store.delete_branch(reply.id)
    stamps.append(updated())
    assert stamps == sorted(stamps)
    assert len(set(stamps)) == len(stamps)


def test_writes_are_committed_immediately(store: ChatStore, db_path: Path) -> None:
    """Another connection sees the user's message at once: it is durable before a reply."""
    conversation = _new(store)
    store.add_message(conversation.id, Role.USER, "durable")
    reply = store.begin_reply(conversation.id)
    store.checkpoint_reply(reply.id, "partial", "")
    assert not store._db.connection.in_transaction
    other = sqlite3.connect(db_path)
    try:
        rows = other.execute("SELECT content, state FROM messages ORDER BY id").fetchall()
    finally:
        other.close()
    assert rows == [("durable", "complete"), ("partial", "streaming")]


def test_a_thousand_messages_round_trip_in_order(store: ChatStore) -> None:
    # How fast is measured by bench/bench_chat_view.py (opening a 1,000-message chat).
    conversation = _new(store)
    expected = []
    for i in range(1000):
        role = Role.USER if i % 2 == 0 else Role.ASSISTANT
        text = f"message {i}: " + "lorem ipsum " * (i % 7) + "，中文"
        store.add_message(conversation.id, role, text)
        expected.append((role, text))
    other = _new(store)
    store.add_message(other.id, Role.USER, "not part of it")
    messages = store.messages(conversation.id)
    assert [(m.role, m.content) for m in messages] == expected
    assert [m.id for m in messages] == sorted(m.id for m in messages)
    assert store.message_count(conversation.id) == 1000
