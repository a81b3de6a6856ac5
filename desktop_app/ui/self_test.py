"""``hearth --self-test``: an installation proves, end to end, that it can chat.

What an installer check needs to know is whether *this* installation works:
that it carries Qt, its resources, the starter model and llama.cpp's
libraries, that the engine's child process starts (the "spawn" trap of frozen
executables: the child re-runs the entry point), and that a conversation
survives a restart. So the test takes no shortcut. It builds the window with
:func:`~desktop_app.ui.app.build_app`, lets the model controller assemble and
load the starter model as on a first start, types a message into the composer
and presses Enter, waits for the engine process to stream the reply, asks
the same model once more through the OpenAI-compatible API server (on a free
loopback port, with a throwaway key), closes everything as at exit and
reopens the database to read the conversation back.

It runs on a fresh temporary ``HEARTH_HOME``, removed afterwards, so it never
touches the user's chats, settings or models, nor the single-instance lock of
a Hearth that is running; and on Qt's offscreen platform unless
``QT_QPA_PLATFORM`` says otherwise, so it works over SSH and in CI with no
display server (``QT_QPA_PLATFORM=xcb xvfb-run hearth --self-test`` checks
the X11 plugin too).

Each step prints ``ok: <step> in <seconds> s``; a failure prints one line,
``hearth: self-test failed: <reason>``, and the exit code is 1. One deadline
covers the whole run, so a hung engine cannot hang an installer script.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import secrets
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

import httpx
from PySide6.QtCore import (
    QCoreApplication,
    QEvent,
    QEventLoop,
    Qt,
    QTimer,
    QTranslator,
    qInstallMessageHandler,
)
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication

from desktop_app.core.engine.api import Role, SamplingParams
from desktop_app.core.models.library import ModelLibrary
from desktop_app.core.paths import HOME_ENV, AppPaths, resources_dir
from desktop_app.core.serve.config import ApiServerSettings
from desktop_app.core.serve.server import ApiServer, ServeError
from desktop_app.core.settings import SettingsStore
from desktop_app.core.storage.chat_store import ChatStore, MessageState
from desktop_app.core.storage.database import StorageError
from desktop_app.ui.app import HearthApp, build_app
from desktop_app.ui.chat.chat_model import ChatModel
from desktop_app.ui.common.look import Look
from desktop_app.ui.models.model_controller import ModelState

PROMPT = "What is the capital of France?"
MAX_TOKENS = 12
"""Enough to see text stream in several batches, short enough to stay quick."""
DEFAULT_TIMEOUT = 120.0


class SelfTestError(Exception):
    """A step failed; the message is the one-line reason printed for the user."""


def _elapsed(since: float) -> str:
    return f"{time.monotonic() - since:.1f} s"


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


class _SelfTest:
    """The steps, in order, against one temporary ``HEARTH_HOME``."""

    def __init__(self, paths: AppPaths, model: Path | None, timeout: float, out: TextIO) -> None:
        self._paths = paths
        self._model = model
        self._timeout = timeout
        self._deadline = time.monotonic() + timeout
        self._out = out
        self._hearth: HearthApp | None = None
        self._errors: list[str] = []

    def run(self) -> None:
        self._check_resources()
        if self._model is not None:
            self._use_model_file(self._model)
        hearth = self._build_window()
        self._wait_for_model(hearth)
        conversation_id, reply = self._chat(hearth)
        self._api_server(hearth)
        self._close(hearth)
        self._read_back(conversation_id, reply)

    def close(self) -> None:
        """Shut the window and the engine down if a step failed half way."""
        hearth, self._hearth = self._hearth, None
        if hearth is not None:
            hearth.window.close()
            hearth.shutdown()

    # ---- steps -------------------------------------------------------------

    def _check_resources(self) -> None:
        started = time.monotonic()
        resources = resources_dir()
        for name in ("style.qss", "icons/hearth.svg", "recommended_models.json"):
            if not (resources / name).is_file():
                raise SelfTestError(f"{resources / name} is missing: the installation is "
                                    "incomplete")
        translation = resources / "translations" / "hearth_zh_CN.qm"
        if not QTranslator().load(str(translation)):
            raise SelfTestError(f"the Chinese translation {translation} cannot be loaded")
        self._ok("resources found", started, str(resources))

    def _use_model_file(self, model: Path) -> None:
        """Make ``model`` (used where it is) the model the window loads, not the starter."""
        started = time.monotonic()
        try:
            local = ModelLibrary(self._paths.models_dir).import_file(model, mode="in_place")
            store = SettingsStore(self._paths.settings_path)
            settings, _ = store.load()
            settings.last_model_id = local.id
            store.save(settings)
        except (OSError, ValueError, StorageError) as exc:  # GGUFError is a ValueError
            raise SelfTestError(f"the model file {model} is not usable: {exc}") from exc
        self._ok("model file checked", started, str(model))

    def _build_window(self) -> HearthApp:
        started = time.monotonic()
        try:
            hearth = build_app(self._paths)
        except StorageError as exc:
            raise SelfTestError(str(exc)) from exc
        self._hearth = hearth
        if hearth.warnings:  # on a fresh home, any warning is a broken installation
            raise SelfTestError(hearth.warnings[0])
        hearth.chat.error_occurred.connect(self._errors.append)
        hearth.window.show()
        hearth.start()
        platform = QApplication.platformName()
        self._ok("window built", started, f"{platform} platform")
        return hearth

    def _wait_for_model(self, hearth: HearthApp) -> None:
        models = hearth.models
        started = time.monotonic()
        if models.state == ModelState.PREPARING:
            self._wait(lambda: models.state != ModelState.PREPARING, "the starter model to be "
                       "prepared", models.state_changed)
            self._fail_if_model_failed(hearth)
            self._ok("starter model prepared", started)
            started = time.monotonic()
        self._wait(lambda: models.state in (ModelState.READY, ModelState.FAILED),
                   "the model to load", models.state_changed)
        self._fail_if_model_failed(hearth)
        loaded, selected = models.loaded, models.selected
        if loaded is None or selected is None:  # READY implies both
            raise SelfTestError(f"the model controller is {models.state} with no model")
        kernels = f", CPU kernels: {loaded.cpu_variant}" if loaded.cpu_variant else ""
        self._ok("model loaded", started,
                 f"{selected.display_name} on {loaded.backend}{kernels}")

    def _fail_if_model_failed(self, hearth: HearthApp) -> None:
        if hearth.models.state == ModelState.FAILED:
            raise SelfTestError(hearth.window.model_status.text())

    def _chat(self, hearth: HearthApp) -> tuple[int, str]:
        """Send :data:`PROMPT` by pressing Enter in the composer and wait for the whole reply."""
        started = time.monotonic()
        # The default system prompt and greedy decoding: the starter answers sensibly.
        hearth.chat.update_conversation_settings(
            hearth.chat.default_system_prompt,
            SamplingParams(temperature=0.0, repeat_penalty=1.0, max_tokens=MAX_TOKENS, seed=1))
        first_chunk: list[float] = []
        batches: list[str] = []

        def on_chunks(_request_id: int, text: str, _thinking: str) -> None:
            if not first_chunk:
                first_chunk.append(time.monotonic() - started)
            batches.append(text)

        worker = hearth.engine_thread.worker
        worker.chunks_received.connect(on_chunks)
        edit = hearth.window.composer.edit
        edit.setPlainText(PROMPT)
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QCoreApplication.sendEvent(edit, QKeyEvent(kind, Qt.Key.Key_Return,
                                                       Qt.KeyboardModifier.NoModifier))
        if not hearth.chat.busy:
            reason = self._errors[-1] if self._errors else "no reply was requested"
            raise SelfTestError(f"the message was not sent: {reason}")
        self._wait(lambda: not hearth.chat.busy, "the reply", hearth.chat.busy_changed)
        worker.chunks_received.disconnect(on_chunks)
        chat_model = hearth.window.chat_view.model()
        if not isinstance(chat_model, ChatModel):
            raise SelfTestError(f"the chat view shows a {type(chat_model).__name__}")
        reply = chat_model.item(chat_model.rowCount() - 1)
        if reply.role != Role.ASSISTANT or reply.state != MessageState.COMPLETE:
            reason = reply.error or (self._errors[-1] if self._errors else reply.state)
            raise SelfTestError(f"the reply did not complete: {reason}")
        stats = reply.stats
        if not reply.content.strip() or stats is None or stats.completion_tokens == 0:
            raise SelfTestError("the model replied with no text")
        conversation = hearth.chat.conversation
        if conversation is None:  # sending creates it
            raise SelfTestError("the reply belongs to no conversation")
        self._ok("reply streamed", started,
                 f"{stats.completion_tokens} tokens in {len(batches)} batches, first after "
                 f"{first_chunk[0]:.1f} s, {stats.tokens_per_second:.1f} tokens/s: "
                 f"{PROMPT!r} -> {_one_line(reply.content, 60)!r}")
        return conversation.id, reply.content

    def _api_server(self, hearth: HearthApp) -> None:
        """Serve the loaded model over the OpenAI API once, as Settings › API server would.

        This proves the installation carries the HTTP stack (uvicorn picks
        its modules at run time, which a frozen bundle can miss) and that a
        request without the key is refused, on a free port of the loopback
        address with a throwaway key.
        """
        started = time.monotonic()
        key = "self-test-" + secrets.token_urlsafe(16)
        server = ApiServer(hearth.broker.client("self-test", can_load=False),
                           ApiServerSettings(enabled=True, port=0), key)
        try:
            server.start()
        except ServeError as exc:
            raise SelfTestError(f"the API server did not start: {exc}") from exc
        try:
            body = {"messages": [{"role": "system", "content": "You are a helpful assistant."},
                                 {"role": "user", "content": PROMPT}], "max_tokens": 6,
                    "temperature": 0, "seed": 1}
            with httpx.Client(base_url=server.address, timeout=self._remaining()) as client:
                refused = client.get("/models").status_code
                if refused != 401:
                    raise SelfTestError(f"the API server answered {refused} to a request "
                                        "without its key, not 401")
                reply = client.post("/chat/completions", json=body,
                                    headers={"Authorization": f"Bearer {key}"})
            if reply.status_code != 200:
                raise SelfTestError(f"the API server answered {reply.status_code}: "
                                    f"{_one_line(reply.text)}")
            text = reply.json()["choices"][0]["message"]["content"]
        except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError) as exc:
            raise SelfTestError(f"the API server's reply was not usable: {exc}") from exc
        finally:
            server.stop()
        if not isinstance(text, str) or not text.strip():
            raise SelfTestError("the API server replied with no text")
        self._ok("API server answered", started, f"{server.address}: {_one_line(text, 40)!r}")

    def _remaining(self) -> float:
        return max(1.0, self._deadline - time.monotonic())

    def _close(self, hearth: HearthApp) -> None:
        started = time.monotonic()
        self._hearth = None
        hearth.window.close()
        hearth.shutdown()
        # The engine is this process's only multiprocessing child.
        left = multiprocessing.active_children()
        if left:
            raise SelfTestError(f"the process {left[0].name} ({left[0].pid}) is still running "
                                "after exit")
        self._ok("window closed and engine stopped", started)

    def _read_back(self, conversation_id: int, reply: str) -> None:
        started = time.monotonic()
        try:
            store = ChatStore.open(self._paths.database_path)
            try:
                messages = store.messages(conversation_id)
            finally:
                store.close()
        except (KeyError, StorageError) as exc:
            raise SelfTestError(f"the conversation could not be read back: {exc}") from exc
        found = [(m.role, m.content, m.state) for m in messages]
        expected = [(Role.USER, PROMPT, MessageState.COMPLETE),
                    (Role.ASSISTANT, reply, MessageState.COMPLETE)]
        if found != expected:
            raise SelfTestError(f"the conversation read back differs from the one shown: "
                                f"{found!r}")
        self._ok("conversation read back", started, f"{len(messages)} messages")

    # ---- helpers -----------------------------------------------------------

    def _ok(self, step: str, since: float, detail: str = "") -> None:
        line = f"ok: {step} in {_elapsed(since)}" + (f" ({detail})" if detail else "")
        print(line, file=self._out, flush=True)

    def _wait(self, done: Callable[[], bool], what: str, signal: Any) -> None:
        """Run the event loop until ``done()``, re-checked whenever ``signal`` fires.

        Waiting in an event loop (not sleeping) is what lets the worker's queued
        signals reach the controllers, exactly as in the running app.
        """
        if done():
            return
        remaining = self._deadline - time.monotonic()
        loop = QEventLoop()

        def check(*_args: object) -> None:
            if done():
                loop.quit()

        timer = QTimer()
        timer.setSingleShot(True)
        timer.timeout.connect(loop.quit)
        signal.connect(check)
        if remaining > 0:
            timer.start(int(remaining * 1000))
            loop.exec()
        timer.stop()
        signal.disconnect(check)
        if not done():
            raise SelfTestError(f"timed out after {self._timeout:.0f} s waiting for {what}")


def _quiet_offscreen(mode: Any, context: Any, message: str) -> None:
    """Qt's messages, minus the offscreen platform's note that it has no window manager."""
    if "does not support propagateSizeHints" not in message:
        print(message, file=sys.stderr)


def run_self_test(model: Path | None = None, *, timeout: float = DEFAULT_TIMEOUT,
                  out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run the self-test in this process and return its exit code (0 passed, 1 failed).

    ``model`` is a GGUF file to test instead of the bundled starter model.
    """
    out = out or sys.stdout
    err = err or sys.stderr
    started = time.monotonic()
    # Before the QApplication exists: Qt picks its platform plugin once.
    if not os.environ.get("QT_QPA_PLATFORM"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    qInstallMessageHandler(_quiet_offscreen)
    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "hearth"])
    if isinstance(app, QApplication):  # not a QCoreApplication made by someone else
        Look(app)
    home = Path(tempfile.mkdtemp(prefix="hearth-self-test-"))
    previous_home = os.environ.get(HOME_ENV)
    # Also in the environment, for anything that reads it (the engine child inherits it).
    os.environ[HOME_ENV] = str(home)
    test = _SelfTest(AppPaths.from_environment().ensure(), model, timeout, out)
    code = 1
    try:
        test.run()
        code = 0
    except SelfTestError as exc:
        print(f"hearth: self-test failed: {_one_line(str(exc))}", file=err, flush=True)
    except Exception as exc:  # a bug or a broken bundle: the traceback, then the one line
        traceback.print_exc(file=err)
        print(f"hearth: self-test failed: {_one_line(f'{type(exc).__name__}: {exc}')}",
              file=err, flush=True)
    finally:
        try:
            test.close()
        finally:
            if previous_home is None:
                os.environ.pop(HOME_ENV, None)
            else:
                os.environ[HOME_ENV] = previous_home
            shutil.rmtree(home, ignore_errors=True)
            qInstallMessageHandler(None)
    if code == 0:
        print(f"ok: self-test passed in {_elapsed(started)}", file=out, flush=True)
    return code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hearth-gui --self-test",
        description="Check that this installation can chat: a reply from the starter model "
                    "through the real window, offscreen, on a temporary data folder.")
    parser.add_argument("--self-test", action="store_true", required=True)
    parser.add_argument("--self-test-model", metavar="GGUF", type=Path,
                        help="test this model file instead of the bundled starter model")
    parser.add_argument("--self-test-timeout", metavar="SECONDS", type=float,
                        default=DEFAULT_TIMEOUT, help="give up after this long (default 120)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """``hearth-gui --self-test [--self-test-model GGUF] [--self-test-timeout SECONDS]``."""
    args = build_parser().parse_args(argv)
    return run_self_test(args.self_test_model, timeout=args.self_test_timeout)
