"""The line under a reply says how many drafted tokens speculative decoding kept."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from desktop_app.core.engine.api import ReplyStats
from desktop_app.core.storage.chat_store import MessageState, stats_from_json, stats_to_json
from desktop_app.ui.chat.message_delegate import format_stats


def test_drafted_tokens_are_shown_only_when_there_were_some(qapp: QApplication) -> None:
    stats = ReplyStats(completion_tokens=60, tokens_per_second=80.0, drafted_tokens=60,
                       accepted_tokens=42)
    line = format_stats(stats, MessageState.COMPLETE)
    assert "42 of 60 drafted tokens accepted" in line
    assert "drafted" not in format_stats(ReplyStats(completion_tokens=60), MessageState.COMPLETE)


def test_the_counts_survive_the_chat_database() -> None:
    stats = ReplyStats(completion_tokens=60, drafted_tokens=60, accepted_tokens=42)
    assert stats_from_json(stats_to_json(stats)) == stats
    # A reply stored before these fields existed reads as "nothing drafted".
    old = '{"completion_tokens": 5, "stop_reason": "end"}'
    assert stats_from_json(old) == ReplyStats(completion_tokens=5)
