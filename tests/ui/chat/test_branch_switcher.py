"""The "‹ 2/3 ›" version switcher in the chat: painted in each row, buttons in the live bar,
Alt+Left/Right, refused while a reply streams, the switched message kept in view."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from desktop_app.core.engine.api import Role
from desktop_app.ui.app import HearthApp
from desktop_app.ui.chat.chat_view import ChatView
from desktop_app.ui.models.model_controller import ModelState
from tests.ui.chat_driver import reply_to
from tests.ui.conftest import AppFactory
from tests.ui.fake_engine import FakeEngine

pytestmark = pytest.mark.usefixtures("registered_demo")


@pytest.fixture
def engine() -> FakeEngine:
    return FakeEngine(reply_tokens=["first"])


@pytest.fixture
def hearth(qtbot: QtBot, make_app: AppFactory, engine: FakeEngine) -> HearthApp:
    """A chat with a question and a reply regenerated once: the reply has two versions."""
    app = make_app(lambda: engine)
    qtbot.waitUntil(lambda: app.models.state == ModelState.READY, timeout=10_000)
    reply_to(qtbot, app, lambda: app.chat.send("Question"))
    engine.reply_tokens = ["second"]
    reply_to(qtbot, app, app.chat.regenerate)
    qtbot.wait(20)  # the batched layout
    return app


def _view(hearth: HearthApp) -> ChatView:
    return hearth.window.chat_view


def _shown(hearth: HearthApp) -> list[str]:
    return [item.content for item in _view(hearth).chat_model().items()]


def _painted_switcher(view: ChatView, row: int) -> tuple[str, QRect]:
    """The switcher text and where it is painted for the row (empty when it has none)."""
    item = view.chat_model().item(row)
    delegate = view.message_delegate()
    parts = delegate.geometry(item, view.visualRect(view.model().index(row, 0)), view.font())
    return delegate.switcher_text(item), parts.switcher


def _ink(view: ChatView, rect: QRect) -> int:
    """How many pixels in ``rect`` of the painted viewport differ from its background."""
    view.viewport().repaint()
    image = view.viewport().grab(rect).toImage().convertToFormat(QImage.Format.Format_RGB32)
    background = view.viewport().grab(QRect(0, 0, 1, 1)).toImage().pixel(0, 0)
    return sum(1 for y in range(image.height()) for x in range(image.width())
               if image.pixel(x, y) != background)


def test_a_regenerated_reply_shows_and_switches_its_versions(hearth: HearthApp,
                                                             qtbot: QtBot) -> None:
    view = _view(hearth)
    view.close_editor()
    text, rect = _painted_switcher(view, 1)
    assert text == "‹ 2/2 ›"
    assert _ink(view, rect) > 0  # painted, visible without hovering
    assert _painted_switcher(view, 0) == ("", QRect())  # the question has one version

    view.open_editor(1)
    bar = view.actions_bar
    assert bar.branch_label.isVisible()
    assert bar.branch_label.text() == "2/2"
    assert bar.previous_button.accessibleName() == "Previous version"
    assert bar.next_button.accessibleName() == "Next version"
    assert bar.previous_button.toolTip().startswith("Previous version")
    assert bar.previous_button.isEnabled()
    assert not bar.next_button.isEnabled()

    with qtbot.waitSignal(hearth.chat.path_changed, timeout=1000):
        qtbot.mouseClick(bar.previous_button, Qt.MouseButton.LeftButton)
    assert _shown(hearth) == ["Question", "first"]
    # The switched reply keeps its live bar, now at its first version.
    assert view.editor_row() == 1
    assert bar.isVisible()
    assert bar.branch_label.text() == "1/2"
    assert not bar.previous_button.isEnabled()
    assert bar.next_button.isEnabled()
    assert view.browser.toPlainText().strip() == "first"

    with qtbot.waitSignal(hearth.chat.path_changed, timeout=1000):
        qtbot.mouseClick(bar.next_button, Qt.MouseButton.LeftButton)
    assert _shown(hearth) == ["Question", "second"]
    assert bar.branch_label.text() == "2/2"


def test_an_edited_question_shows_its_versions(hearth: HearthApp, qtbot: QtBot) -> None:
    window = hearth.window
    window.edit_message(0)
    window.composer.set_text("Better question")
    reply_to(qtbot, hearth, lambda: qtbot.mouseClick(window.composer.button,
                                                      Qt.MouseButton.LeftButton))
    assert _shown(hearth)[0] == "Better question"
    view = _view(hearth)
    qtbot.wait(20)
    view.close_editor()
    text, rect = _painted_switcher(view, 0)
    assert text == "‹ 2/2 ›"
    assert _ink(view, rect) > 0
    # The user's bubble is on the right, and so is its switcher, under it.
    bubble = view.message_delegate().geometry(
        view.chat_model().item(0), view.visualRect(view.model().index(0, 0)), view.font()).bubble
    assert rect.right() == bubble.right()
    assert rect.top() > bubble.bottom()
    view.open_editor(0)
    assert view.actions_bar.branch_label.text() == "2/2"
    # Its buttons end the right-aligned bar, on the spot of the painted switcher.
    assert view.actions_bar.buttons()[-1] is view.actions_bar.next_button
    assert view.actions_bar.geometry().right() == rect.right()

    with qtbot.waitSignal(hearth.chat.path_changed, timeout=1000):
        qtbot.mouseClick(view.actions_bar.previous_button, Qt.MouseButton.LeftButton)
    assert _shown(hearth) == ["Question", "second"]
    assert _painted_switcher(view, 0)[0] == "‹ 1/2 ›"


def test_alt_left_and_alt_right_switch_the_current_message(hearth: HearthApp,
                                                           qtbot: QtBot) -> None:
    view = _view(hearth)
    view.setFocus()
    view.setCurrentIndex(view.model().index(1, 0))
    with qtbot.waitSignal(hearth.chat.path_changed, timeout=1000):
        qtbot.keyClick(view, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
    assert _shown(hearth) == ["Question", "first"]
    assert view.currentIndex().row() == 1  # still current: Alt+Right goes back
    with qtbot.waitSignal(hearth.chat.path_changed, timeout=1000):
        qtbot.keyClick(view, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    assert _shown(hearth) == ["Question", "second"]
    # At the last version Alt+Right asks for nothing.
    with qtbot.assertNotEmitted(view.branch_switch_requested):
        qtbot.keyClick(view, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    # In the live text too (not QTextBrowser's Back).
    view.open_editor(1)
    with qtbot.waitSignal(hearth.chat.path_changed, timeout=1000):
        qtbot.keyClick(view.browser, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
    assert _shown(hearth) == ["Question", "first"]


def test_switching_is_disabled_and_refused_while_a_reply_streams(
        hearth: HearthApp, qtbot: QtBot, engine: FakeEngine) -> None:
    view = _view(hearth)
    # An earlier exchange with two versions, then a new question streams its reply.
    engine.reply_tokens = [f"w{i} " for i in range(300)]
    engine.token_interval = 0.01
    with qtbot.waitSignal(hearth.chat.busy_changed, timeout=5000):
        hearth.chat.send("Another")
    view.open_editor(1)
    bar = view.actions_bar
    assert bar.branch_label.text() == "2/2"
    assert not bar.previous_button.isEnabled()
    assert not bar.next_button.isEnabled()
    view.setFocus()
    view.setCurrentIndex(view.model().index(1, 0))
    with qtbot.waitSignal(hearth.chat.error_occurred, timeout=1000):
        qtbot.keyClick(view, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
    assert _shown(hearth)[1] == "second"
    reply_to(qtbot, hearth, hearth.chat.stop)
    view.open_editor(1)
    assert bar.previous_button.isEnabled()


def test_the_switcher_line_is_inside_the_row_and_costs_no_extra_height(
        hearth: HearthApp, qtbot: QtBot) -> None:
    view = _view(hearth)
    delegate = view.message_delegate()
    model = view.chat_model()
    reply = model.item(1)
    width, font = view.viewport().width(), view.font()
    rect = view.visualRect(model.index(1, 0))
    parts = delegate.geometry(reply, rect, font)
    # Under the text, in the actions line every row keeps, inside the row's height.
    assert parts.switcher.top() > parts.text.bottom()
    assert rect.contains(parts.switcher)
    assert parts.actions.top() <= parts.switcher.top()
    assert parts.switcher.bottom() <= parts.actions.bottom()
    assert rect.height() == delegate.exact_height(reply, width, font)
    # The same reply without other versions is exactly as tall: no height jumps on switching.
    delegate.branch_info = lambda _id: (0, 1)
    assert delegate.geometry(reply, rect, font).switcher.isEmpty()
    alone = delegate.geometry(reply, rect, font)
    assert alone.actions == parts.actions
    assert alone.text == parts.text


def test_the_switched_message_stays_where_it_was_on_screen(
        qtbot: QtBot, make_app: AppFactory, engine: FakeEngine) -> None:
    hearth = make_app(lambda: engine)
    qtbot.waitUntil(lambda: hearth.models.state == ModelState.READY, timeout=10_000)
    engine.reply_tokens = [f"line {i}\n\n" for i in range(30)]
    for n in range(3):
        reply_to(qtbot, hearth, lambda n=n: hearth.chat.send(f"Question {n}"))
    # The middle question gets another version... then the chat scrolls to it.
    view = _view(hearth)
    reply_to(qtbot, hearth, lambda: hearth.chat.edit_message(
        view.chat_model().item(2).message_id, "Question 1, again"))
    reply_to(qtbot, hearth, lambda: hearth.chat.send("Question 2"))
    qtbot.wait(20)
    index = view.model().index(2, 0)
    view.scrollTo(index, ChatView.ScrollHint.PositionAtCenter)
    qtbot.wait(20)
    top = view.visualRect(index).top()
    assert top > 0
    assert view.verticalScrollBar().value() < view.verticalScrollBar().maximum()
    assert view.chat_model().item(2).role == Role.USER
    view.open_editor(2)
    with qtbot.waitSignal(hearth.chat.path_changed, timeout=1000):
        qtbot.mouseClick(view.actions_bar.previous_button, Qt.MouseButton.LeftButton)
    assert view.chat_model().item(2).content == "Question 1"
    qtbot.wait(20)
    assert view.visualRect(view.model().index(2, 0)).top() == top  # not thrown to the end
    assert not view.is_following()
