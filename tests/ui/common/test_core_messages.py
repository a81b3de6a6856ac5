"""Messages produced in core show in the user's language (zh_CN here), translated at the UI edge."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QTranslator
from PySide6.QtWidgets import QApplication

from desktop_app.core.engine.api import NO_MODEL_LOADED, LoadOptions
from desktop_app.core.engine.loader import LoadError, load_model
from desktop_app.core.engine.process import describe_exit
from desktop_app.core.engine.prompt import _template_failed
from desktop_app.core.models.download import DiskFullError
from desktop_app.core.models.hub import GatedError, OfflineError, RateLimitError, error_for_status
from desktop_app.core.user_text import QT_TRANSLATE_NOOP, UserText, user_text
from desktop_app.ui.app import install_translators
from desktop_app.ui.common.user_text import translated


@pytest.fixture
def chinese(qapp: QApplication, installed: list[QTranslator]) -> None:
    installed += install_translators(qapp, "zh_CN")


def test_core_errors_stay_english_outside_the_gui() -> None:
    assert str(OfflineError()).startswith("Hearth is in offline mode")
    assert str(RateLimitError(30)) == (
        "Hugging Face is rate limiting requests; try again in 30 seconds.")


@pytest.mark.usefixtures("chinese")
def test_hub_and_download_errors_are_translated_with_their_arguments() -> None:
    assert translated(OfflineError()) == (
        "Hearth 处于离线模式（设置或 HF_HUB_OFFLINE=1）：未连接 Hugging Face。")
    assert translated(RateLimitError(30)) == "Hugging Face 正在限制请求频率；请在 30 秒后重试。"
    assert "org/gated" in translated(GatedError("org/gated"))
    assert "受限模型" in translated(GatedError("org/gated"))
    assert translated(error_for_status(503, "org/repo", "org/repo")) == (
        "Hugging Face 返回 503（服务器错误）；请稍后重试。")
    assert translated(error_for_status(404, "org/repo/m.gguf", "org/repo")) == (
        "在 Hugging Face 上找不到 org/repo/m.gguf。")
    disk_full = DiskFullError(user_text(
        "download.no_space", QT_TRANSLATE_NOOP(
            "core", "Not enough free disk space in {folder}: the download needs {needed} and "
            "{free} are free."), folder="/data", needed="4.37 GB", free="1.0 GB"))
    assert translated(disk_full) == "/data 的可用磁盘空间不足：下载需要 4.37 GB，可用 1.0 GB。"


@pytest.mark.usefixtures("chinese")
def test_plain_strings_and_other_exceptions_pass_through() -> None:
    assert translated("already a sentence") == "already a sentence"
    assert translated(ValueError("bug text")) == "bug text"


def test_a_broken_translation_falls_back_to_english() -> None:
    text = user_text("x", "{n} files", n=3)
    assert text.render(lambda _template: "{missing} 个文件") == "3 files"


def test_nested_messages_are_translated_too() -> None:
    inner = user_text("inner", "the cause")
    outer = UserText("outer", "It failed: {cause}", (("cause", inner),))
    assert outer.render(lambda s: s.upper().replace("{CAUSE}", "{cause}")) == (
        "IT FAILED: THE CAUSE")


@pytest.mark.usefixtures("chinese")
def test_engine_messages_are_translated(tmp_path: Path) -> None:
    with pytest.raises(LoadError) as missing:
        load_model(LoadOptions(model_path=str(tmp_path / "gone.gguf")))
    assert translated(missing.value) == f"模型文件 {tmp_path / 'gone.gguf'} 不存在。"
    assert translated(describe_exit(-9)) == "被 SIGKILL 终止——可能因内存不足被系统结束"
    failure = _template_failed(user_text("template.recursion", QT_TRANSLATE_NOOP(
        "core", "it called itself too deeply")), "Gemma 3")
    assert translated(failure) == (
        "这个模型的聊天模板出错：它的递归调用太深。如仍要使用 Gemma 3，请在模型设置中选择内置"
        "提示格式（提示格式）。")
    assert str(failure).startswith("This model's chat template failed: it called itself")
    assert translated(NO_MODEL_LOADED) == "尚未加载模型。请先选择一个模型。"
