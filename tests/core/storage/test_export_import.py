"""Export to Markdown and JSON, import Hearth JSON losslessly, import a ChatGPT export."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from desktop_app.core.engine.api import ReplyStats, Role, SamplingParams, StopReason
from desktop_app.core.storage.chat_store import ChatStore, MessageState
from desktop_app.core.storage.export import FORMAT_VERSION, export_json, export_markdown
from desktop_app.core.storage.importers import ImportProblem, import_file

CHATGPT_SAMPLE = Path(__file__).parent / "data" / "chatgpt_conversations.json"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ChatStore]:
    chat_store = ChatStore.open(tmp_path / "hearth.sqlite3")
    yield chat_store
    chat_store.close()


@pytest.fixture
def other(tmp_path: Path) -> Iterator[ChatStore]:
    chat_store = ChatStore.open(tmp_path / "other.sqlite3")
    yield chat_store
    chat_store.close()


TOOL_CALLS = [{"name": "calculator", "arguments": {"expression": "21*2"}, "status": "done",
               "result": "42", "seconds": 0.01}]


def _branchy(store: ChatStore) -> int:
    """A conversation with an edit, a regenerated reply, stats, states and settings."""
    params = SamplingParams(temperature=0.2, seed=5, stop=("END",))
    conversation = store.create_conversation(model_id="qwen/3b", system_prompt="Be brief.",
                                             params=params)
    q1 = store.add_message(conversation.id, Role.USER, "What is 长城?")
    a1 = store.begin_reply(conversation.id)
    stats = ReplyStats(prompt_tokens=12, completion_tokens=7, tokens_per_second=33.5,
                       stop_reason=StopReason.LENGTH, seed=5)
    store.finish_reply(a1.id, "The Great Wall.", thinking="easy", state=MessageState.COMPLETE,
                       stats=stats, tool_calls=json.dumps(TOOL_CALLS))
    a2 = store.begin_reply(conversation.id, parent_id=q1.id)
    store.finish_reply(a2.id, "A wall", thinking="", state=MessageState.STOPPED, stats=None)
    store.add_message(conversation.id, Role.USER, "Longer?", parent_id=a1.id)
    store.show_branch(a2.id)
    store.set_pinned(conversation.id, True)
    store.set_folder(conversation.id, "Travel")
    return conversation.id


def _comparable(store: ChatStore, conversation_id: int) -> dict[str, Any]:
    """Everything about a conversation except its ids, with messages linked by order."""
    conversation = store.get_conversation(conversation_id)
    messages = store.all_messages(conversation_id)
    order = {m.id: n for n, m in enumerate(messages)}
    shown = [order[m.id] for m in store.messages(conversation_id)]
    return {
        "conversation": (conversation.title, conversation.model_id, conversation.system_prompt,
                         conversation.params, conversation.created_at, conversation.updated_at,
                         conversation.pinned, conversation.folder),
        "messages": [(order.get(m.parent_id) if m.parent_id else None, m.role, m.content,
                      m.state, m.thinking, m.stats, m.error, m.created_at,
                      json.loads(m.tool_calls) if m.tool_calls else None) for m in messages],
        "shown": shown,
    }


def test_json_round_trip_is_lossless(store: ChatStore, other: ChatStore,
                                     tmp_path: Path) -> None:
    first = _branchy(store)
    second = store.create_conversation(model_id=None, system_prompt="",
                                       params=SamplingParams()).id  # empty
    document = export_json(store, [first, second])
    data = json.loads(document)
    assert data["format"] == "hearth-conversations"
    assert data["version"] == FORMAT_VERSION
    assert len(data["conversations"][0]["messages"]) == 4  # every branch
    assert data["conversations"][0]["messages"][1]["tool_calls"] == TOOL_CALLS
    path = tmp_path / "export.json"
    path.write_text(document, encoding="utf-8")

    new_ids = import_file(other, path)
    assert len(new_ids) == 2
    assert _comparable(other, new_ids[0]) == _comparable(store, first)
    assert _comparable(other, new_ids[1]) == _comparable(store, second)
    # And back again: the second export equals the first apart from ids and the time.
    again = json.loads(export_json(other, new_ids))
    for before, after in zip(data["conversations"], again["conversations"], strict=True):
        for key in ("title", "params", "system_prompt", "pinned", "folder", "created_at"):
            assert before[key] == after[key]
    # Imported text is searchable like any other.
    assert any(h.message_id for h in other.search("长城"))


def test_markdown_shows_the_current_branch(store: ChatStore) -> None:
    conversation_id = _branchy(store)
    text = export_markdown(store, [conversation_id])
    assert text.startswith("# What is 长城?\n")
    assert "model `qwen/3b`" in text
    assert "## System prompt\n\nBe brief." in text
    assert "## You\n\nWhat is 长城?" in text
    assert "## Assistant\n\nA wall" in text  # the shown reply
    assert "The Great Wall." not in text  # the other branch is not


def test_chatgpt_export_imports_its_tree(store: ChatStore) -> None:
    ids = import_file(store, CHATGPT_SAMPLE)
    assert len(ids) == 4
    sourdough, wall, lists, empty = (store.get_conversation(i) for i in ids)

    # A regenerated reply became a sibling; the hidden system root was left out.
    assert sourdough.title == "Sourdough starter help"
    assert sourdough.created_at == pytest.approx(1714000000.123)
    shown = store.messages(sourdough.id)
    assert [(m.role, m.content) for m in shown] == [
        (Role.USER, "How often should I feed my sourdough starter?"),
        (Role.ASSISTANT, "Feed it every 12 hours if it is warm, \nor weekly in the fridge."),
        (Role.USER, "And with rye flour?"),
        (Role.ASSISTANT, "Rye ferments faster, so feed it a little more often."),
    ]
    assert shown[0].parent_id is None
    siblings = store.siblings(shown[1].id)
    assert [store.get_message(s).content for s in siblings] == [
        "Once a day at room temperature.", shown[1].content]

    # Custom instructions became the system prompt; the picture, the tool call and
    # the tool's output were left out and the reply hangs on the question.
    assert wall.title == "长城旅游建议"
    assert wall.system_prompt == "请用简体中文回答。"
    assert [m.content for m in store.messages(wall.id)] == [
        "这张照片是长城的哪一段？", "看起来是八达岭长城，这里游客最多。",
        "熊猫基地离北京远吗？", "成都的大熊猫基地离北京约 1,800 公里。"]

    # An edited question is a sibling; the current node (hidden) maps to its parent.
    # Custom instructions (a hidden context message) became the system prompt.
    assert lists.system_prompt.endswith("respond: Be concise.")
    assert "I teach Python." in lists.system_prompt
    shown = store.messages(lists.id)
    assert [m.content for m in shown][-2:] == ["And sort it in place?",
                                               "`items.sort()` sorts in place."]
    assert len(store.siblings(shown[2].id)) == 2
    assert store.message_count(lists.id) == 6

    assert (empty.title, store.message_count(empty.id)) == ("", 0)
    assert {h.conversation_id for h in store.search("熊猫")} == {wall.id}


def test_a_zipped_chatgpt_export_imports(store: ChatStore, tmp_path: Path) -> None:
    archive = tmp_path / "chatgpt-export.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("chat.html", "<html></html>")
        zipped.write(CHATGPT_SAMPLE, "conversations.json")
    assert len(import_file(store, archive)) == 4


def _broken_samples() -> list[tuple[str, str]]:
    good = json.loads(CHATGPT_SAMPLE.read_text(encoding="utf-8"))
    orphan = json.loads(json.dumps(good))
    orphan[2]["mapping"]["u-32"]["parent"] = "nowhere"
    bad_parts = json.loads(json.dumps(good))
    bad_parts[1]["mapping"]["u-22"]["message"]["content"]["parts"] = "not a list"
    cycle = json.loads(json.dumps(good))
    cycle[2]["mapping"]["r3"]["parent"] = "a-33"
    return [
        ("not json", "{ this is not json"),
        ("a list of numbers", "[1, 2, 3]"),
        ("another program's json", json.dumps({"messages": []})),
        ("orphan node", json.dumps(orphan)),
        ("parts not a list", json.dumps(bad_parts)),
        ("cycle", json.dumps(cycle)),
        ("newer hearth", json.dumps({"format": "hearth-conversations", "version": 99,
                                     "conversations": []})),
        ("hearth, bad role", json.dumps({"format": "hearth-conversations", "version": 1,
                                         "conversations": [{
                                             "title": "t", "params": {}, "created_at": 1,
                                             "updated_at": 1, "messages": [{
                                                 "id": 1, "role": "wizard", "content": "x",
                                                 "state": "complete", "created_at": 1}]}]})),
        ("hearth, tool calls not a list", json.dumps({
            "format": "hearth-conversations", "version": 1, "conversations": [{
                "title": "t", "params": {}, "created_at": 1, "updated_at": 1, "messages": [{
                    "id": 1, "role": "assistant", "content": "x", "state": "complete",
                    "created_at": 1, "tool_calls": "rm -rf /"}]}]})),
    ]


@pytest.mark.parametrize(("name", "text"), _broken_samples(), ids=[n for n, _ in _broken_samples()])
def test_a_bad_file_imports_nothing(store: ChatStore, tmp_path: Path, name: str,
                                    text: str) -> None:
    _branchy(store)
    before = [c.id for c in store.list_conversations()]
    path = tmp_path / "conversations.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ImportProblem) as info:
        import_file(store, path)
    assert str(path) in str(info.value)
    assert "nothing" in str(info.value).lower() or "could not" in str(info.value)
    assert [c.id for c in store.list_conversations()] == before


def test_a_bad_conversation_after_good_ones_imports_nothing(store: ChatStore,
                                                            tmp_path: Path) -> None:
    data = json.loads(CHATGPT_SAMPLE.read_text(encoding="utf-8"))
    data[3]["mapping"]["r4"] = "broken"
    path = tmp_path / "conversations.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ImportProblem, match="conversation 4"):
        import_file(store, path)
    assert store.list_conversations() == []


def test_a_missing_file_is_a_clear_problem(store: ChatStore, tmp_path: Path) -> None:
    with pytest.raises(ImportProblem, match="could not be read"):
        import_file(store, tmp_path / "nope.json")
