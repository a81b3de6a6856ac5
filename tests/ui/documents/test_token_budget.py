"""The sources' token budget, estimated in the GUI without the engine's tokenizer."""

from __future__ import annotations

from desktop_app.ui.documents.token_budget import MAX_SHARE, estimate_tokens, sources_budget


def test_estimates_count_cjk_characters_one_each_and_latin_text_by_threes() -> None:
    assert estimate_tokens("") == 0
    assert estimate_tokens("长城很长") == 4
    assert estimate_tokens("abcdef") == 2
    assert estimate_tokens("长城 is long") == 2 + 3  # " is long" is 8 characters


def test_the_budget_leaves_room_for_the_history_and_the_reply() -> None:
    empty = sources_budget(4096, [""], 512)
    assert empty == int(4096 * MAX_SHARE)  # capped: the reply and history need room too
    long_history = ["word " * 1500]  # about 2,500 tokens
    shorter = sources_budget(4096, long_history, 512)
    assert 0 < shorter < empty
    assert sources_budget(4096, long_history * 3, 512) == 0  # no room: no sources, never < 0
    # The reply's room is capped at a quarter of the context.
    assert sources_budget(2048, long_history, 100_000) == sources_budget(2048, long_history, 512)
