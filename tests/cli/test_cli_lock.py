"""``hearth`` commands and the data folder's lock: writers refuse while the window owns it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app.cli.main import main
from desktop_app.core.models.library import ModelLibrary
from desktop_app.core.paths import AppPaths
from desktop_app.core.storage.instance_lock import DataFolderLock
from tests.core.models.fake_hub import make_gguf


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def window(app_paths: AppPaths) -> Iterator[DataFolderLock]:
    """The lock as the open Hearth window holds it (single_instance.WINDOW_OWNER)."""
    lock = DataFolderLock(app_paths.data_dir, "the Hearth window")
    lock.acquire()
    yield lock
    lock.release()


def test_writing_commands_refuse_while_the_window_is_open(
        app_paths: AppPaths, tmp_path: Path, window: DataFolderLock,
        capsys: pytest.CaptureFixture[str]) -> None:
    gguf = tmp_path / "Mine-Q8_0.gguf"
    make_gguf(gguf, n_floats=1024)
    for argv in (("models", "import", str(gguf)), ("models", "rm", "-y", "any/model.gguf"),
                 ("models", "download", "tester/Tiny-GGUF", "Tiny-Q8_0.gguf", "--offline")):
        code, out, err = _run(capsys, *argv)
        assert code == 1, argv
        assert out == ""
        assert err.startswith(f"hearth: Hearth's data folder {app_paths.data_dir} is in use by "
                              f"the Hearth window (process ")
        assert len(err.splitlines()) == 1
    assert ModelLibrary(app_paths.models_dir).models() == []  # nothing was imported


def test_reading_commands_run_alongside_the_window(
        app_paths: AppPaths, window: DataFolderLock,
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "models", "list")
    assert code == 0
    assert out.startswith("No models yet.")
    code, out, _ = _run(capsys, "models", "recommended")
    assert code == 0
    assert out


def test_a_writing_command_holds_the_lock_only_while_it_runs(
        app_paths: AppPaths, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    gguf = tmp_path / "Mine-Q8_0.gguf"
    make_gguf(gguf, n_floats=1024)
    seen: list[str] = []
    original = ModelLibrary.import_file

    def import_file(self: ModelLibrary, *args: object, **kwargs: object) -> object:
        seen.append((app_paths.data_dir / "hearth.lock").read_text())
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ModelLibrary, "import_file", import_file)
    code, _, err = _run(capsys, "models", "import", str(gguf))
    assert code == 0, err
    assert '"owner": "hearth models import"' in seen[0]
    with DataFolderLock(app_paths.data_dir, "next") as lock:  # released afterwards
        assert lock.held


def test_chat_needing_the_demo_while_the_window_prepares_it_says_what_to_do(
        app_paths: AppPaths, window: DataFolderLock,
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "chat", "Hi")
    assert code == 1
    assert out == ""
    assert "in use by the Hearth window" in err
    assert "--model" in err
    assert not any(app_paths.models_dir.rglob("*.gguf"))  # the demo was not assembled


def test_unwritable_data_folder_is_a_one_line_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "file").write_text("x")
    monkeypatch.setenv("HEARTH_HOME", str(tmp_path / "file" / "home"))
    for argv in (("models", "list"), ("chat", "Hi")):
        code, out, err = _run(capsys, *argv)
        assert code == 1, argv
        assert out == ""
        assert err.startswith("hearth: Hearth cannot write to the folder ")
        assert "HEARTH_HOME" in err
