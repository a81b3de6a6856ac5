"""Replies are untrusted: images and links they name are never loaded or followed.

Each test feeds the hostile strings of ``tests/data/hostile_strings.py`` to
the chat view and checks with tripwires (a FIFO, a listening port, the
document's resource hook) that nothing was opened.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, QPoint, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from pytestqt.qtbot import QtBot

from desktop_app.core.engine.api import Role, SamplingParams
from desktop_app.core.paths import AppPaths
from desktop_app.core.settings import SettingsStore
from desktop_app.core.storage.chat_store import ChatStore, MessageState
from desktop_app.ui.chat.chat_model import ChatItem, ChatModel
from desktop_app.ui.chat.chat_view import ChatView
from desktop_app.ui.chat.message_delegate import MessageDelegate
from tests.data import hostile_strings as hostile
from tests.ui.conftest import AppFactory
from tests.ui.tripwires import ResourceRecorder, Tripwires


@pytest.fixture
def wires(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Tripwires]:
    with Tripwires(tmp_path, monkeypatch) as wires:
        yield wires


def _view(qtbot: QtBot, items: list[ChatItem]) -> tuple[ChatView, ChatModel]:
    model = ChatModel()
    model.set_items(items)
    view = ChatView()
    view.setModel(model)
    view.resize(700, 500)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    return view, model


def _paint_every_row(view: ChatView, model: ChatModel) -> None:
    for row in range(model.rowCount()):
        view.scrollTo(model.index(row, 0))
        view.grab()
        view.open_editor(row)  # the live, selectable text of a row renders it too
        view.grab()


def _delegate(view: ChatView) -> MessageDelegate:
    delegate = view.itemDelegate()
    assert isinstance(delegate, MessageDelegate)
    return delegate


@pytest.mark.parametrize("role", [Role.ASSISTANT, Role.USER])
def test_images_in_messages_are_never_loaded(qtbot: QtBot, wires: Tripwires, role: Role) -> None:
    texts = hostile.markdown_images(wires.fifo.path, wires.port.port)
    items = [ChatItem(i + 1, role, f"Look: {text} done") for i, text in enumerate(texts)]
    items.append(ChatItem(100, role, "\n\n".join(texts)))
    started = time.monotonic()
    view, model = _view(qtbot, items)
    _paint_every_row(view, model)
    assert time.monotonic() - started < 30  # a read of /dev/zero or a FIFO never returns
    qtbot.wait(50)  # give the FIFO watcher a few more looks
    assert wires.close() == (0, 0)
    assert wires.resources.all_denied()
    if role == Role.ASSISTANT:
        # Replies' images never become images at all: nothing reaches even the hook.
        assert wires.resources.names() == set()
        shown = _delegate(view).document(items[-1], 600, view.font()).toPlainText()
        assert "[q]" in shown
        assert "[h]" in shown
        # HTML in a reply is shown as its characters.
        html = next(item for item in items if hostile.HTML_IMAGE in item.content)
        doc = _delegate(view).document(html, 600, view.font())
        assert "<img" in doc.toPlainText()


def test_dev_zero_image_rendered_fifty_times_keeps_memory_flat(
        qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    resources = ResourceRecorder(monkeypatch)
    view, model = _view(qtbot, [])
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    for i in range(50):
        model.append(ChatItem(i + 1, Role.ASSISTANT, f"{hostile.ZERO_IMAGE} reply {i}"))
        view.scrollToBottom()
        view.grab()
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    # Reading /dev/zero as an image grew the process by gigabytes in seconds.
    assert grown_mib < 200
    assert resources.names() == set()  # the renderer shows images as their alt text
    assert resources.all_denied()


class _UrlRecorder(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[QUrl] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url)


def test_links_in_a_reply_are_not_followed_on_click(qtbot: QtBot) -> None:
    recorder = _UrlRecorder()
    for scheme in ("http", "https", "file"):
        QDesktopServices.setUrlHandler(scheme, recorder, "open")
    try:
        view, model = _view(qtbot, [ChatItem(1, Role.ASSISTANT, hostile.LINK_REPLY)])
        rect = view.visualRect(model.index(0, 0))
        for x in range(rect.left() + 20, min(rect.right(), 400), 15):
            point = QPoint(x, rect.top() + 12)
            qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point)
            qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point)
        qtbot.wait(50)
        assert recorder.urls == []
    finally:
        for scheme in ("http", "https", "file"):
            QDesktopServices.unsetUrlHandler(scheme)


def _click_along_first_line(qtbot: QtBot, view: ChatView) -> None:
    browser = view.browser
    for x in range(2, min(browser.width(), 500), 6):
        qtbot.mouseClick(browser.viewport(), Qt.MouseButton.LeftButton,
                         pos=QPoint(x, browser.fontMetrics().height() // 2))


def test_a_clicked_link_opens_only_after_the_user_confirms_its_address(qtbot: QtBot) -> None:
    recorder = _UrlRecorder()
    for scheme in ("http", "https", "file"):
        QDesktopServices.setUrlHandler(scheme, recorder, "open")
    try:
        view, _model = _view(qtbot, [ChatItem(1, Role.ASSISTANT, hostile.LINK_REPLY)])
        asked: list[str] = []
        view.confirm_link = lambda _parent, url: asked.append(url) is not None  # says no
        view.open_editor(0)
        assert view.browser.isVisible()
        _click_along_first_line(qtbot, view)
        # The whole address was shown, nothing was opened, and file: was never a link.
        assert "http://127.0.0.1:9/x" in asked
        assert "http://127.0.0.1:9/y" in asked
        assert not any(url.startswith("file:") for url in asked)
        assert recorder.urls == []

        view.confirm_link = lambda _parent, url: True
        _click_along_first_line(qtbot, view)
        assert QUrl("http://127.0.0.1:9/x") in recorder.urls
        assert all(url.scheme() == "http" for url in recorder.urls)
    finally:
        for scheme in ("http", "https", "file"):
            QDesktopServices.unsetUrlHandler(scheme)


def test_a_hostile_last_chat_opens_at_start(qtbot: QtBot, make_app: AppFactory,
                                            app_paths: AppPaths, wires: Tripwires) -> None:
    reply = "\n\n".join(hostile.markdown_images(wires.fifo.path, wires.port.port))
    store = ChatStore.open(app_paths.database_path)
    try:
        conversation = store.create_conversation(model_id=None, system_prompt="",
                                                 params=SamplingParams())
        store.add_message(conversation.id, Role.USER, "Show me a picture.")
        message = store.begin_reply(conversation.id)
        store.finish_reply(message.id, reply, thinking="", state=MessageState.COMPLETE,
                           stats=None)
    finally:
        store.close()
    settings_store = SettingsStore(app_paths.settings_path)
    settings, _ = settings_store.load()
    settings.last_conversation_id = conversation.id
    settings_store.save(settings)

    hearth = make_app()
    qtbot.waitExposed(hearth.window)
    chat_view = hearth.window.chat_view
    qtbot.waitUntil(lambda: chat_view.model().rowCount() == 2, timeout=10_000)
    hearth.window.grab()
    _paint_every_row(chat_view, hearth.window.chat_view.model())
    assert wires.close() == (0, 0)
    assert wires.resources.names() == set()
