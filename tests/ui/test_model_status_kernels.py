"""The model status tooltip says which of ggml's CPU kernels the engine runs."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from desktop_app.core.engine.api import ModelLoaded
from desktop_app.core.engine.cpu_backend import BUILT_IN
from desktop_app.ui.models.model_controller import ModelState
from tests.ui.conftest import AppFactory

pytestmark = pytest.mark.usefixtures("registered_demo")


@pytest.mark.parametrize(("variant", "line"), [
    ("zen4", "CPU kernels: zen4 (chosen for this CPU at start)"),
    (BUILT_IN, "CPU kernels: built into llama.cpp"),
])
def test_tooltip_names_the_cpu_kernels(qtbot: QtBot, make_app: AppFactory, variant: str,
                                       line: str) -> None:
    hearth = make_app()
    qtbot.waitUntil(lambda: hearth.models.state == ModelState.READY, timeout=10_000)
    assert hearth.models.selected is not None
    hearth.models.model_ready.emit(ModelLoaded(
        model_path=str(hearth.models.selected.path), n_ctx=2048, chat_format="fake",
        backend="CPU", device="AMD EPYC", n_gpu_layers=0, load_seconds=0.1,
        cpu_variant=variant))
    assert line in hearth.window.model_status.toolTip().splitlines()


def test_an_event_without_a_variant_adds_no_kernels_line(qtbot: QtBot,
                                                         make_app: AppFactory) -> None:
    hearth = make_app()  # the fake engine's ModelLoaded says nothing about kernels
    qtbot.waitUntil(lambda: hearth.models.state == ModelState.READY, timeout=10_000)
    assert "Device: test CPU" in hearth.window.model_status.toolTip()
    assert "CPU kernels" not in hearth.window.model_status.toolTip()
