"""Full-text search over titles and every branch: English, Chinese (1-3 characters), mixed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app.core.engine.api import Role, SamplingParams
from desktop_app.core.storage import search_text
from desktop_app.core.storage.chat_store import ChatStore

TEXTS = {
    "wall": "我们去年夏天参观了长城，风景很美。",
    "panda": "成都的大熊猫基地值得一去",
    "tax": "个税怎么算？年终奖要不要单独计税",
    "mixed": "用SQLite数据库保存聊天记录, with WAL mode",
    "bread": "How do I bake sourdough Bread at home?",
    "café": "The Café in Zürich serves great coffee",
}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ChatStore]:
    chat_store = ChatStore.open(tmp_path / "hearth.sqlite3")
    yield chat_store
    chat_store.close()


@pytest.fixture
def messages(store: ChatStore) -> dict[str, int]:
    ids = {}
    for key, text in TEXTS.items():
        conversation = store.create_conversation(model_id=None, system_prompt="",
                                                 params=SamplingParams())
        store.rename_conversation(conversation.id, f"chat {key}")
        ids[key] = store.add_message(conversation.id, Role.USER, text).id
    return ids


def _found(store: ChatStore, query: str) -> set[int]:
    return {hit.message_id for hit in store.search(query) if hit.message_id is not None}


@pytest.mark.parametrize(("query", "expected"), [
    # Chinese: two-character words (what trigram never finds), one and three characters.
    ("长城", {"wall"}), ("熊猫", {"panda"}), ("个税", {"tax"}), ("数据", {"mixed"}),
    ("城", {"wall"}), ("税", {"tax"}), ("美", {"wall"}),  # 美 ends its run
    ("大熊猫", {"panda"}), ("数据库", {"mixed"}), ("参观了长城", {"wall"}),
    ("的", {"panda"}), ("长城 风景", {"wall"}), ("熊猫 长城", set()),
    ("城长", set()), ("熊大", set()),  # the characters, but not in this order
    # English: case-insensitive, prefixes while typing, every word must match.
    ("bread", {"bread"}), ("BREAD", {"bread"}), ("sourd", {"bread"}),
    ("bake bread", {"bread"}), ("bake coffee", set()), ("read", set()),
    ("cafe", {"café"}), ("zurich", {"café"}),  # accents folded
    # Mixed Chinese and English in one text and one query.
    ("SQLite", {"mixed"}), ("sqlite数据库", {"mixed"}), ("WAL 聊天", {"mixed"}),
])
def test_search_finds_words(store: ChatStore, messages: dict[str, int], query: str,
                            expected: set[str]) -> None:
    assert _found(store, query) == {messages[key] for key in expected}


def test_titles_match_and_come_first(store: ChatStore, messages: dict[str, int]) -> None:
    hits = store.search("panda 熊猫")
    assert hits == []  # "panda" is in no text; all terms must match
    store.rename_conversation(store.get_message(messages["panda"]).conversation_id, "熊猫 trip")
    hits = store.search("熊猫")
    assert [h.message_id for h in hits] == [None, messages["panda"]]
    assert hits[0].title == "熊猫 trip"


def test_every_branch_is_searched_and_edits_reindex(store: ChatStore) -> None:
    conversation = store.create_conversation(model_id=None, system_prompt="",
                                             params=SamplingParams())
    question = store.add_message(conversation.id, Role.USER, "question")
    first = store.begin_reply(conversation.id)
    store.finish_reply(first.id, "alpha answer", thinking="", state=first.state, stats=None)
    second = store.begin_reply(conversation.id, parent_id=question.id)
    store.checkpoint_reply(second.id, "beta answer", "")  # streaming text is searchable
    assert _found(store, "alpha") == {first.id}  # not on the shown path, still found
    assert _found(store, "beta") == {second.id}
    store.finish_reply(second.id, "gamma answer", thinking="", state=second.state, stats=None)
    assert _found(store, "beta") == set()
    assert _found(store, "answer") == {first.id, second.id}
    store.delete_branch(first.id)
    assert _found(store, "alpha") == set()
    assert _found(store, "answer") == {second.id}
    store.database.execute(
        "INSERT INTO message_search (message_search) VALUES ('integrity-check')")


def test_search_conversations_filters_the_list(store: ChatStore,
                                               messages: dict[str, int]) -> None:
    found = store.search_conversations("长城")
    assert [c.id for c in found] == [store.get_message(messages["wall"]).conversation_id]
    assert len(store.search_conversations("chat")) == len(TEXTS)  # titles
    assert len(store.search_conversations("   ")) == len(TEXTS)


def test_index_text_splits_cjk_into_bigrams() -> None:
    assert search_text.index_text("万里长城") == " 万里 里长 长城 城 "
    assert search_text.index_text("SQLite数据库!").split() == ["SQLite", "数据", "据库", "库", "!"]
    assert search_text.index_text("") == ""


def test_match_expression_quotes_every_term() -> None:
    assert search_text.match_expression('长 长城 万里长 a"b') == (
        '"长"* AND "长城" AND "万里 里长" AND "a"* AND "b"*')
    assert search_text.match_expression('"*()') is None


def test_snippet_marks_the_matches_in_plain_text() -> None:
    text = ("x " * 100) + "我们参观了长城 and the <b>Great</b> Wall" + (" y" * 100)
    piece = search_text.snippet(text, "长城 great", width=60)
    assert piece.text.startswith("…")
    assert piece.text.endswith("…")
    marked = [piece.text[s:e] for s, e in piece.highlights]
    assert marked == ["长城", "Great"]
    assert "<b>Great</b>" in piece.text  # left as text: the UI escapes it
    short = search_text.snippet("Café time", "cafe")
    assert [short.text[s:e] for s, e in short.highlights] == ["Café"]


def test_snippet_of_a_match_deep_in_a_long_text() -> None:
    text = "Ünïcode filler text. " * 5000 + "Here is the Great Wall, 长城." + " tail" * 100
    piece = search_text.snippet(text, "wall 长城")
    assert [piece.text[s:e] for s, e in piece.highlights] == ["Wall", "长城"]
    assert len(piece.text) <= 122


def test_messages_come_newest_first_after_titles(store: ChatStore) -> None:
    conversation = store.create_conversation(model_id=None, system_prompt="",
                                             params=SamplingParams())
    ids = [store.add_message(conversation.id, Role.USER, f"kettle note {n}").id
           for n in range(5)]
    store.rename_conversation(conversation.id, "Kettle")
    hits = store.search("kettle", limit=4)
    assert [h.message_id for h in hits] == [None, ids[4], ids[3], ids[2]]
