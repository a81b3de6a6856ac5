"""The chat item model: Qt's model contract and one-row updates while streaming."""

from __future__ import annotations

from pytestqt.modeltest import ModelTester

from desktop_app.core.engine.api import Role
from desktop_app.core.storage.chat_store import MessageState
from desktop_app.ui.chat.chat_model import ChatItem, ChatModel, ChatRole


def _model() -> ChatModel:
    model = ChatModel()
    model.set_items([ChatItem(i, Role.USER if i % 2 else Role.ASSISTANT, f"m{i}")
                     for i in range(1, 6)])
    return model


def test_model_passes_qt_model_tester(qtmodeltester: ModelTester) -> None:
    model = _model()
    qtmodeltester.check(model)
    model.append(ChatItem(10, Role.ASSISTANT, "", state=MessageState.STREAMING))
    model.append_text(10, "hello")
    model.remove_from(3)
    qtmodeltester.check(model)


def test_append_text_changes_only_that_row() -> None:
    model = _model()
    changed: list[tuple[int, int]] = []
    model.dataChanged.connect(lambda tl, br, roles: changed.append((tl.row(), br.row())))
    before = model.data(model.index(4, 0), ChatRole.REVISION)
    model.append_text(5, " more", "")
    assert changed == [(4, 4)]
    assert model.data(model.index(4, 0)) == "m5 more"
    assert model.data(model.index(4, 0), ChatRole.REVISION) == before + 1


def test_notices_get_negative_ids_and_unknown_ids_are_ignored() -> None:
    model = _model()
    row = model.append_notice("older messages dropped")
    assert model.item(row).message_id < 0
    assert model.item(row).notice
    model.append_text(999, "lost")  # a message not shown (other conversation): ignored
    assert all("lost" not in item.content for item in model.items())
