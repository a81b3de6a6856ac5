"""The Simplified Chinese translation: complete, safe for str.format, compiled, and used.

The code calls ``str.format`` on translated strings, so a translation that
drops or renames a ``{placeholder}`` raises KeyError at run time; these tests
catch that before a user does. The committed .qm is compared with the .ts by
message (not by mtime, which in a fresh clone is just the checkout time), and
the .ts with the code by running lupdate into a scratch copy.
"""

from __future__ import annotations

import re
import shutil
import string
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QTranslator
from PySide6.QtWidgets import QApplication, QMenuBar
from pytestqt.qtbot import QtBot

from desktop_app.core.engine.api import ReplyStats, StopReason
from desktop_app.core.paths import resources_dir
from desktop_app.core.storage.chat_store import MessageState
from desktop_app.ui.app import install_translators
from desktop_app.ui.chat.message_delegate import format_stats
from tests.ui.conftest import AppFactory

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = resources_dir() / "translations"
TS_PATH = TRANSLATIONS / "hearth_zh_CN.ts"
QM_PATH = TRANSLATIONS / "hearth_zh_CN.qm"
HAN = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class Message:
    context: str
    source: str
    translation: str
    kind: str  # the translation's type attribute: "" when finished


def read_ts(path: Path) -> list[Message]:
    root = ET.parse(path).getroot()
    messages = []
    for context in root.iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            translation = message.find("translation")
            assert translation is not None, f"no <translation> for {message.findtext('source')!r}"
            # A plural message ("%n results") keeps its text in <numerusform>s.
            text = translation.text or ""
            if not text.strip():
                text = translation.findtext("numerusform") or ""
            messages.append(Message(name, message.findtext("source") or "", text,
                                    translation.get("type", "")))
    return messages


def format_fields(text: str) -> list[tuple[str, str, str]]:
    """The ``{name!conv:spec}`` fields str.format would fill, in a comparable form."""
    return sorted((name, conversion or "", spec or "")
                  for _literal, name, spec, conversion in string.Formatter().parse(text)
                  if name is not None)


def accelerators(text: str) -> list[str]:
    """The keys after single ``&`` (``&&`` is a literal ampersand)."""
    return re.findall(r"(?<!&)&([^&\s])", text.replace("&&", ""))


@pytest.fixture(scope="module")
def messages() -> list[Message]:
    return read_ts(TS_PATH)


def test_ts_has_the_strings_of_every_ui_module(messages: list[Message]) -> None:
    contexts = {m.context for m in messages}
    assert {"MainWindow", "Composer", "SettingsDialog", "SamplingForm",
            "ModelSettingsForm", "ChatController"} <= contexts
    # QT_TRANSLATE_NOOP presets are collected too.
    assert {"Balanced", "Precise", "Creative"} <= {
        m.source for m in messages if m.context == "SamplingForm"}


def test_every_message_is_translated(messages: list[Message]) -> None:
    not_done = [(m.context, m.source, m.kind) for m in messages
                if m.kind or not m.translation.strip()]
    assert not not_done, "untranslated or obsolete; translate them in the .ts: " + repr(not_done)


def test_translations_are_chinese(messages: list[Message]) -> None:
    # Names and units may stay as they are (Top-k, tok/s), but nearly all text must change.
    untouched = [m.source for m in messages if not HAN.search(m.translation)]
    assert len(untouched) <= len(messages) // 10, untouched


def test_placeholders_match_the_source(messages: list[Message]) -> None:
    wrong = []
    for m in messages:
        try:
            if format_fields(m.translation) != format_fields(m.source):
                wrong.append((m.source, m.translation))
        except ValueError as exc:  # an unbalanced brace: str.format would raise too
            wrong.append((m.source, f"{m.translation} ({exc})"))
    assert not wrong, wrong


def test_placeholders_fill_without_errors(messages: list[Message]) -> None:
    """Format every translation the way the code does, with made-up values."""
    for m in messages:
        fields = {name for name, _conv, _spec in format_fields(m.source)}
        if not fields:
            continue
        values = {name: 1.5 for name in fields}
        assert m.translation.format(**values), m.source


def test_accelerators_are_kept(messages: list[Message]) -> None:
    wrong = [(m.source, m.translation) for m in messages
             if len(accelerators(m.translation)) != len(accelerators(m.source))]
    assert not wrong, wrong
    # Chinese menus show the key in brackets after the text: "文件(&F)".
    menu_keys = {m.source: m.translation for m in messages if m.context == "MainWindow"}
    assert menu_keys["&File"] == "文件(&F)"


def test_qm_matches_ts(qapp: QApplication, messages: list[Message]) -> None:
    """The committed .qm gives every translation the .ts has: scripts/update_translations.sh ran."""
    translator = QTranslator()
    assert translator.load(str(QM_PATH))
    stale = [(m.context, m.source) for m in messages
             if translator.translate(m.context, m.source, None, 1) != m.translation]
    assert not stale, "run scripts/update_translations.sh: " + repr(stale)
    assert translator.translate("MainWindow", "a string the code never had") == ""


def _lupdate() -> str | None:
    for candidate in (Path(sys.executable).parent / "pyside6-lupdate",
                      Path(sys.executable).parent / "lupdate"):
        if candidate.exists():
            return str(candidate)
    return shutil.which("pyside6-lupdate")


def test_ts_has_every_string_the_code_marks(tmp_path: Path, messages: list[Message]) -> None:
    lupdate = _lupdate()
    assert lupdate is not None, "PySide6's lupdate is missing: the install is broken"
    scratch = tmp_path / "hearth_zh_CN.ts"
    shutil.copy(TS_PATH, scratch)
    sources = sorted(str(p) for p in (ROOT / "desktop_app").rglob("*.py"))
    subprocess.run([lupdate, "-silent", "-no-obsolete", *sources, "-ts", str(scratch)],
                   check=True, capture_output=True, timeout=120)
    fresh = {(m.context, m.source) for m in read_ts(scratch)}
    committed = {(m.context, m.source) for m in messages}
    assert fresh == committed, (
        "run scripts/update_translations.sh and translate the new strings; "
        f"new: {sorted(fresh - committed)}, gone: {sorted(committed - fresh)}")


def _menu_titles(menu_bar: QMenuBar) -> list[str]:
    return [action.text() for action in menu_bar.actions()]


@pytest.mark.usefixtures("registered_demo")
def test_chinese_window(qapp: QApplication, installed: list[QTranslator],
                        make_app: AppFactory) -> None:
    installed += install_translators(qapp, "zh_CN")
    # English plurals (the base for every language), Hearth's Chinese and Qt's qtbase.
    assert [Path(t.filePath()).name for t in installed] == [
        "hearth_en.qm", "hearth_zh_CN.qm", "qtbase_zh_CN.qm"]
    window = make_app().window
    assert _menu_titles(window.menuBar()) == ["文件(&F)", "对话(&C)"]
    entries = [action.text() for menu in window.menuBar().actions()
               for action in menu.menu().actions() if not action.isSeparator()]
    assert {"新建对话(&N)", "设置(&S)…", "退出(&Q)", "停止(&S)"} <= set(entries)
    assert all(HAN.search(text) for text in entries), entries
    # Each menu's accelerators stay unique once translated.
    for menu in [window.menuBar(), *(a.menu() for a in window.menuBar().actions())]:
        keys = [accelerators(a.text())[0].lower() for a in menu.actions()
                if accelerators(a.text())]
        assert len(keys) == len(set(keys)), keys
    assert window.composer.button.text() == "发送"
    assert window.new_chat_button.text() == "新建对话"
    assert window.search_edit.placeholderText() == "搜索对话"


@pytest.mark.usefixtures("registered_demo")
def test_the_engines_gpu_notice_is_shown_in_chinese(qtbot: QtBot, qapp: QApplication,
                                                   installed: list[QTranslator],
                                                   make_app: AppFactory) -> None:
    from desktop_app.core.engine.api import ModelLoaded
    from desktop_app.core.engine.loader import AUTO, resolve_gpu_layers
    from desktop_app.ui.models.model_controller import ModelState

    installed += install_translators(qapp, "zh_CN")
    hearth = make_app()
    qtbot.waitUntil(lambda: hearth.models.state == ModelState.READY, timeout=10_000)
    assert hearth.models.selected is not None
    _layers, notice = resolve_gpu_layers(AUTO, True, 10 * 1024**3, 4 * 1024**3)
    hearth.models.model_ready.emit(ModelLoaded(
        model_path=str(hearth.models.selected.path), n_ctx=2048, chat_format="fake",
        backend="CPU", device="AMD EPYC", n_gpu_layers=0, load_seconds=0.1, notice=notice))
    assert "自动：模型约需 10.0 GB，但 GPU 只有 4.0 GB 可用，因此使用 CPU。" in \
        hearth.window.model_status.toolTip().splitlines()


@pytest.mark.usefixtures("registered_demo")
def test_chinese_settings_dialog(qtbot: QtBot, qapp: QApplication,
                                 installed: list[QTranslator], make_app: AppFactory) -> None:
    installed += install_translators(qapp, "zh_CN")
    dialog = make_app().window.settings_dialog()
    qtbot.addWidget(dialog)
    assert dialog.windowTitle() == "设置"
    assert [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())] == [
        "常规", "生成", "模型", "服务器", "API 服务器", "工具"]


def test_chinese_reply_stats(qapp: QApplication, installed: list[QTranslator]) -> None:
    installed += install_translators(qapp, "zh_CN")
    stats = ReplyStats(prompt_tokens=5, completion_tokens=12, tokens_per_second=3.0,
                       time_to_first_token=0.5, stop_reason=StopReason.LENGTH)
    assert "个 token" in format_stats(stats, MessageState.STOPPED)


@pytest.mark.parametrize("language", ["en", "xx_YY", "not a locale"])
@pytest.mark.usefixtures("registered_demo")
def test_english_and_unknown_languages_show_english(
        qapp: QApplication, installed: list[QTranslator], make_app: AppFactory,
        language: str) -> None:
    installed += install_translators(qapp, language)
    assert all(not t.filePath().endswith("hearth_zh_CN.qm") for t in installed)
    window = make_app().window
    assert _menu_titles(window.menuBar()) == ["&File", "&Chat"]
    assert window.composer.button.text() == "Send"


@pytest.mark.parametrize("language", ["en", "xx_YY", "zh_CN"])
def test_plurals_read_naturally(qapp: QApplication, installed: list[QTranslator],
                                language: str) -> None:
    installed += install_translators(qapp, language)
    one = QCoreApplication.translate("DocumentsPage", "%n document(s)", "", 1)
    four = QCoreApplication.translate("DocumentsPage", "%n document(s)", "", 4)
    expected = ("1 个文档", "4 个文档") if language == "zh_CN" else ("1 document", "4 documents")
    assert (one, four) == expected


def test_english_plurals_are_complete() -> None:
    """Every %n string has its English singular and plural (scripts/update_translations.sh)."""
    tree = ET.parse(TRANSLATIONS / "hearth_en.ts")
    for message in tree.getroot().iter("message"):
        translation = message.find("translation")
        assert translation is not None
        forms = [f.text for f in translation.iter("numerusform")]
        source = message.findtext("source")
        assert translation.get("type") != "unfinished", source
        assert len(forms) == 2, source
        assert all(forms), source
