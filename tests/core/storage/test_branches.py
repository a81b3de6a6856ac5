"""Message trees: editing branches, Regenerate adds siblings, switching, deleting with undo."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app.core.engine.api import Role, SamplingParams
from desktop_app.core.storage.chat_store import ChatStore, Conversation


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ChatStore]:
    chat_store = ChatStore.open(tmp_path / "hearth.sqlite3")
    yield chat_store
    chat_store.close()


def _chat(store: ChatStore, *texts: str) -> tuple[Conversation, list[int]]:
    """A conversation of alternating user and assistant messages."""
    conversation = store.create_conversation(model_id=None, system_prompt="",
                                             params=SamplingParams())
    ids = [store.add_message(conversation.id, Role.USER if i % 2 == 0 else Role.ASSISTANT,
                             text).id for i, text in enumerate(texts)]
    return conversation, ids


def _shown(store: ChatStore, conversation: Conversation) -> list[str]:
    return [m.content for m in store.messages(conversation.id)]


def test_messages_chain_under_the_shown_tip(store: ChatStore) -> None:
    conversation, ids = _chat(store, "q1", "a1", "q2", "a2")
    stored = store.messages(conversation.id)
    assert [m.parent_id for m in stored] == [None, *ids[:-1]]
    assert store.get_conversation(conversation.id).current_message_id == ids[-1]


def test_editing_an_earlier_message_branches_and_keeps_the_old_path(store: ChatStore) -> None:
    conversation, ids = _chat(store, "q1", "a1", "q2", "a2")
    edited = store.add_message(conversation.id, Role.USER, "q2 edited", parent_id=ids[1])
    store.begin_reply(conversation.id)
    assert _shown(store, conversation) == ["q1", "a1", "q2 edited", ""]
    assert store.siblings(edited.id) == [ids[2], edited.id]
    assert store.show_branch(ids[2]) == ids[3]  # back to the old branch, its tip included
    assert _shown(store, conversation) == ["q1", "a1", "q2", "a2"]
    assert store.message_count(conversation.id) == 6  # nothing was overwritten


def test_editing_the_first_message_makes_a_second_root(store: ChatStore) -> None:
    conversation, ids = _chat(store, "q1", "a1")
    root = store.add_message(conversation.id, Role.USER, "q1 again", parent_id=None)
    assert _shown(store, conversation) == ["q1 again"]
    assert store.siblings(ids[0]) == [ids[0], root.id]


def test_regenerate_adds_a_sibling_reply(store: ChatStore) -> None:
    conversation, ids = _chat(store, "q1", "a1")
    second = store.begin_reply(conversation.id, parent_id=ids[0])
    third = store.begin_reply(conversation.id, parent_id=ids[0])
    assert store.siblings(ids[1]) == [ids[1], second.id, third.id]
    assert [m.id for m in store.messages(conversation.id)] == [ids[0], third.id]
    store.show_branch(second.id)
    assert [m.id for m in store.messages(conversation.id)] == [ids[0], second.id]


def test_switching_shows_the_most_recent_descendant(store: ChatStore) -> None:
    conversation, ids = _chat(store, "q1", "a1", "q2", "a2")
    other = store.begin_reply(conversation.id, parent_id=ids[0])
    store.add_message(conversation.id, Role.USER, "q2b")
    late = store.add_message(conversation.id, Role.USER, "q2c", parent_id=other.id)
    store.show_branch(ids[1])
    assert _shown(store, conversation) == ["q1", "a1", "q2", "a2"]
    assert store.show_branch(other.id) == late.id


def test_delete_a_branch_and_undo(store: ChatStore) -> None:
    conversation, ids = _chat(store, "q1", "a1", "q2", "a2")
    other = store.begin_reply(conversation.id, parent_id=ids[0])
    store.finish_reply(other.id, "a1 bis", thinking="", state=store.get_message(other.id).state,
                       stats=None)
    store.add_message(conversation.id, Role.USER, "q2 bis")
    before = [(m.id, m.parent_id, m.content) for m in store.all_messages(conversation.id)]

    snapshot = store.delete_branch(other.id)
    assert snapshot is not None
    # The shown branch was deleted: the chat shows the remaining sibling's.
    assert _shown(store, conversation) == ["q1", "a1", "q2", "a2"]
    assert store.message_count(conversation.id) == 4
    assert store.delete_branch(other.id) is None

    store.restore(snapshot)
    assert [(m.id, m.parent_id, m.content)
            for m in store.all_messages(conversation.id)] == before
    assert _shown(store, conversation) == ["q1", "a1 bis", "q2 bis"]


def test_deleting_the_only_branch_shows_the_parent(store: ChatStore) -> None:
    conversation, ids = _chat(store, "q1", "a1", "q2", "a2")
    store.delete_branch(ids[2])
    assert _shown(store, conversation) == ["q1", "a1"]
    store.delete_branch(ids[0])
    assert _shown(store, conversation) == []


def test_a_deep_conversation_deletes_without_hitting_the_trigger_depth(
        store: ChatStore) -> None:
    # ON DELETE CASCADE recurses once per level and SQLite stops at 1,000 levels.
    conversation, ids = _chat(store, *(f"m{i}" for i in range(1200)))
    snapshot = store.delete_branch(ids[0])
    assert snapshot is not None
    assert store.message_count(conversation.id) == 0
    store.restore(snapshot)
    assert len(store.messages(conversation.id)) == 1200
    assert store.delete_conversation(conversation.id) is not None


def test_delete_a_conversation_and_undo(store: ChatStore) -> None:
    conversation, ids = _chat(store, "q1", "a1")
    store.begin_reply(conversation.id, parent_id=ids[0])
    store.set_pinned(conversation.id, True)
    before = store.get_conversation(conversation.id)
    messages = store.all_messages(conversation.id)
    snapshot = store.delete_conversation(conversation.id)
    assert snapshot is not None
    assert store.list_conversations() == []
    assert store.search("q1") == []
    store.restore(snapshot)
    assert store.get_conversation(conversation.id) == before
    assert store.all_messages(conversation.id) == messages
    assert [h.message_id for h in store.search("q1")] == [None, ids[0]]  # title, message


def test_duplicate_copies_every_branch(store: ChatStore) -> None:
    conversation, ids = _chat(store, "q1", "a1", "q2", "a2")
    store.add_message(conversation.id, Role.USER, "q2 bis", parent_id=ids[1])
    copy = store.duplicate_conversation(conversation.id, "Copy")
    assert copy.id != conversation.id
    assert copy.title == "Copy"
    assert _shown(store, copy) == _shown(store, conversation) == ["q1", "a1", "q2 bis"]
    assert store.message_count(copy.id) == 5
    originals = {m.id for m in store.all_messages(conversation.id)}
    assert not originals & {m.id for m in store.all_messages(copy.id)}
    store.delete_conversation(conversation.id)
    assert _shown(store, copy) == ["q1", "a1", "q2 bis"]


def test_pin_and_folder(store: ChatStore) -> None:
    conversation, _ = _chat(store, "q1")
    store.set_pinned(conversation.id, True)
    store.set_folder(conversation.id, " Work ")
    stored = store.get_conversation(conversation.id)
    assert (stored.pinned, stored.folder) == (True, "Work")
    assert store.folders() == ["Work"]
    with pytest.raises(KeyError):
        store.set_pinned(999, True)


def test_a_parent_from_another_conversation_is_refused(store: ChatStore) -> None:
    _, ids = _chat(store, "q1")
    second, _ = _chat(store, "other")
    with pytest.raises(KeyError):
        store.add_message(second.id, Role.USER, "x", parent_id=ids[0])
    assert store.message_count(second.id) == 1
