"""``hearth chat``: one streamed reply from the real demo model, and clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desktop_app.cli.main import main
from desktop_app.core.models.library import ModelLibrary
from desktop_app.core.paths import AppPaths


@pytest.mark.slow
def test_chat_streams_a_reply_as_json(app_paths: AppPaths, demo_model_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    model = ModelLibrary(app_paths.models_dir).import_file(demo_model_path, mode="in_place")
    code = main(["chat", "--model", model.id, "--max-tokens", "8", "--seed", "1", "--json",
                 "The capital of France is"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    result = json.loads(captured.out)
    assert result["text"].strip()
    assert result["seed"] == 1
    assert 0 < result["completion_tokens"] <= 8
    assert result["stop_reason"] in ("end", "length")
    # llama.cpp's own messages went to the engine log, not into the reply.
    assert (app_paths.log_dir / "engine.log").exists()


def test_unknown_model_is_a_one_line_error(app_paths: AppPaths,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["chat", "--model", "nope/missing.gguf", "Hi"])
    captured = capsys.readouterr()
    assert code == 1
    assert captured.err.strip() == ("hearth: No model with id 'nope/missing.gguf'. "
                                    "See 'hearth models list'.")


def test_bad_sampling_value_is_a_one_line_error(app_paths: AppPaths, demo_model_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    model = ModelLibrary(app_paths.models_dir).import_file(demo_model_path, mode="in_place")
    code = main(["chat", "--model", model.id, "--max-tokens", "0", "Hi"])
    assert code == 1
    assert "Max tokens must be at least 1" in capsys.readouterr().err
