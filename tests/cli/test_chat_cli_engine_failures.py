"""``hearth chat`` ends with one line, not a traceback or a hang, when the engine fails."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_app.cli.main import main
from desktop_app.core.models.library import ModelLibrary
from desktop_app.core.paths import AppPaths
from tests.conftest import _with_chat_template

pytestmark = pytest.mark.slow

OVERFLOW_TEMPLATE = "{% for i in range(10**7) %}{{ i }}{% endfor %}"


def test_failing_template_is_one_line_and_builtin_format_answers(
        app_paths: AppPaths, demo_model_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _with_chat_template(demo_model_path, OVERFLOW_TEMPLATE, "hostile-range-over-limit")
    model = ModelLibrary(app_paths.models_dir).import_file(path, mode="in_place")
    code = main(["chat", "--model", model.id, "--max-tokens", "4", "--ctx", "512", "Hi"])
    captured = capsys.readouterr()
    assert code == 1
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert lines[-1].startswith("hearth: This model's chat template failed: OverflowError")
    assert "Traceback" not in captured.err
    assert len(lines) <= 2  # the model line, then the error

    code = main(["chat", "--model", model.id, "--max-tokens", "4", "--ctx", "512",
                 "--builtin-format", "--seed", "1", "Hi"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "built-in; chosen instead of the model's chat template" in captured.err
