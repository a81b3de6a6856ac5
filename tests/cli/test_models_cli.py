"""``hearth models ...`` run in-process against the fake Hub, and the progress printer."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from desktop_app.cli import models_cmd
from desktop_app.cli.main import main
from desktop_app.cli.progress import ProgressPrinter, format_duration
from desktop_app.core.formatting import format_size
from desktop_app.core.hardware import MemoryInfo
from desktop_app.core.models.download import DownloadProgress
from desktop_app.core.paths import AppPaths
from desktop_app.core.settings import Settings, SettingsStore
from tests.core.models.fake_hub import FakeHub, make_gguf

REPO = "tester/Tiny-GGUF"
FILE = "Tiny-Q8_0.gguf"
GIB = 1024**3


@pytest.fixture
def model_bytes(tmp_path: Path) -> bytes:
    return make_gguf(tmp_path / "built.gguf", n_floats=64 * 1024)


@pytest.fixture
def hub(fake_hub: FakeHub, model_bytes: bytes,
        monkeypatch: pytest.MonkeyPatch) -> FakeHub:
    fake_hub.add_repo(REPO, {
        FILE: model_bytes, "README.md": b"# Tiny",
        "Tiny-Q4_K_M.gguf": b"q" * 1000,
        "Tiny-F16-00001-of-00002.gguf": b"a" * 300, "Tiny-F16-00002-of-00002.gguf": b"b" * 300,
    }, gguf={"total": 1_000_000, "architecture": "llama", "context_length": 2048},
        downloads=7)
    monkeypatch.setattr(models_cmd.hardware, "memory", lambda: MemoryInfo(16 * GIB, 8 * GIB))
    monkeypatch.setattr(models_cmd.hardware, "gpu_devices", lambda: [])
    return fake_hub


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def assert_one_error_line(code: int, out: str, err: str, fragment: str) -> None:
    assert code == 1
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("hearth: ")
    assert fragment in lines[0]


# ---- search and files ------------------------------------------------------------------


def test_search_json(hub: FakeHub, capsys: pytest.CaptureFixture[str]) -> None:
    hub.add_repo("x/other-GGUF", {"o-Q4_0.gguf": b"o"}, downloads=99)
    found = run_json(capsys, "models", "search", "tiny")
    assert [r["repo_id"] for r in found] == [REPO]
    assert found[0]["downloads"] == 7
    assert [r["repo_id"] for r in run_json(capsys, "models", "search", "--limit", "1")] == [
        "x/other-GGUF"]


def test_search_text(hub: FakeHub, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = run(capsys, "models", "search", "tiny")
    assert code == 0
    assert out.startswith(REPO)
    assert "7 downloads" in out


def test_files_json_groups_quants_and_split_parts(hub: FakeHub,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    data = run_json(capsys, "models", "files", REPO)
    assert data["architecture"] == "llama"
    assert data["parameters"] == 1_000_000
    assert data["license"] == "apache-2.0"
    assert [(m["quant"], m["file"]) for m in data["models"]] == [
        ("Q4_K_M", "Tiny-Q4_K_M.gguf"), ("Q8_0", FILE), ("F16", "Tiny-F16-00001-of-00002.gguf")]
    f16 = data["models"][2]
    assert f16["split"] is True
    assert f16["size"] == 600
    assert [p["path"] for p in f16["parts"]] == ["Tiny-F16-00001-of-00002.gguf",
                                                 "Tiny-F16-00002-of-00002.gguf"]
    assert {m["fit"] for m in data["models"]} == {"fits"}
    # The largest quantized file that fits is recommended; F16 never is.
    assert [m["file"] for m in data["models"] if m["recommended"]] == [FILE]


def test_files_text(hub: FakeHub, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = run(capsys, "models", "files", REPO)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith(f"{REPO} (llama")
    assert "<- recommended" in next(line for line in lines if FILE in line)
    assert "(2 parts)" in lines[-1]


def test_files_of_a_missing_repo(hub: FakeHub, capsys: pytest.CaptureFixture[str]) -> None:
    assert_one_error_line(*run(capsys, "models", "files", "nobody/nothing"), "not found")


# ---- download and the library ---------------------------------------------------------------


def test_download_then_list_and_remove(hub: FakeHub, app_paths: AppPaths, model_bytes: bytes,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "models", "download", REPO, FILE)
    assert code == 0, err
    assert out.startswith("Downloaded Tiny Test")
    assert out.endswith(f" as {REPO}/{FILE}\n")
    assert "\r" not in err  # not a terminal: plain lines
    progress = err.splitlines()
    assert progress[0].startswith(f"{FILE}: 0% (")
    assert progress[-1].startswith(f"{FILE}: 100% (")
    path = app_paths.models_dir / REPO / FILE
    assert path.read_bytes() == model_bytes

    (listed,) = run_json(capsys, "models", "list")
    assert listed["id"] == f"{REPO}/{FILE}"
    assert listed["source"] == "huggingface"
    assert listed["repo"] == REPO
    assert listed["size_bytes"] == len(model_bytes)
    assert listed["architecture"] == "llama"

    removed = run_json(capsys, "models", "rm", listed["id"])
    assert removed == {"removed": listed["id"], "files_deleted": True}
    assert not path.exists()
    assert run_json(capsys, "models", "list") == []


def test_download_json_prints_the_model(hub: FakeHub, capsys: pytest.CaptureFixture[str]) -> None:
    model = run_json(capsys, "models", "download", REPO, FILE)
    assert model["id"] == f"{REPO}/{FILE}"
    assert model["quantization"] == "F32"


def test_download_a_recommended_model_by_id(fake_hub: FakeHub, model_bytes: bytes,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    fake_hub.add_repo("Qwen/Qwen3-0.6B-GGUF", {"Qwen3-0.6B-Q8_0.gguf": model_bytes})
    model = run_json(capsys, "models", "download", "qwen3-0.6b")
    assert model["id"] == "Qwen/Qwen3-0.6B-GGUF/Qwen3-0.6B-Q8_0.gguf"
    (entry,) = [e for e in run_json(capsys, "models", "recommended") if e["id"] == "qwen3-0.6b"]
    assert entry["downloaded"] is True


def test_download_needs_a_file(hub: FakeHub, capsys: pytest.CaptureFixture[str]) -> None:
    assert_one_error_line(*run(capsys, "models", "download", REPO), "name the file")
    assert hub.requests == []


def test_download_errors_are_one_line(fake_hub: FakeHub, model_bytes: bytes,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    fake_hub.add_repo(REPO, {FILE: model_bytes}, gated=True)
    assert_one_error_line(*run(capsys, "models", "download", REPO, FILE), "accept the licence")
    assert_one_error_line(*run(capsys, "models", "download", REPO, "absent.gguf"), "not found")
    assert_one_error_line(*run(capsys, "models", "download", REPO, "../x.gguf"), "Refusing")
    fake_hub.knobs.api_status = 429
    fake_hub.knobs.retry_after = 9
    assert_one_error_line(*run(capsys, "models", "download", REPO, FILE), "in 9 seconds")


def test_import_and_remove(app_paths: AppPaths, tmp_path: Path,
                           capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "mine.gguf"
    make_gguf(source, name="My Model")
    model = run_json(capsys, "models", "import", str(source))
    assert model["id"] == "local/mine.gguf"
    assert model["source"] == "import"
    assert source.exists()  # copied, not moved
    code, out, _err = run(capsys, "models", "list")
    assert code == 0
    assert "local/mine.gguf" in out
    assert "My Model" in out
    code, out, _err = run(capsys, "models", "rm", "local/mine.gguf")
    assert (code, out) == (0, "Removed local/mine.gguf\n")
    assert not (app_paths.models_dir / "local" / "mine.gguf").exists()


def test_import_errors(app_paths: AppPaths, tmp_path: Path,
                       capsys: pytest.CaptureFixture[str]) -> None:
    assert_one_error_line(*run(capsys, "models", "import", str(tmp_path / "absent.gguf")),
                          "absent.gguf")
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"definitely not gguf")
    code, out, err = run(capsys, "models", "import", str(junk))
    assert_one_error_line(code, out, err, "GGUF")
    assert list((app_paths.models_dir).rglob("*.gguf")) == []


def test_rm_unknown_id(app_paths: AppPaths, capsys: pytest.CaptureFixture[str]) -> None:
    assert_one_error_line(*run(capsys, "models", "rm", "no/such.gguf"), "no model with id")


# ---- offline ------------------------------------------------------------------------------


def test_offline_flag_makes_no_request(hub: FakeHub, capsys: pytest.CaptureFixture[str]) -> None:
    assert_one_error_line(*run(capsys, "models", "search", "tiny", "--offline"), "offline")
    assert_one_error_line(*run(capsys, "models", "download", REPO, FILE, "--offline"),
                          "offline")
    assert hub.requests == []


def test_offline_setting_makes_no_request(hub: FakeHub, app_paths: AppPaths,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    SettingsStore(app_paths.settings_path).save(Settings(offline=True))
    assert_one_error_line(*run(capsys, "models", "files", REPO), "offline")
    assert hub.requests == []
    assert run_json(capsys, "models", "list") == []  # the library still works offline


def test_hf_hub_offline_env_makes_no_request(hub: FakeHub, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert_one_error_line(*run(capsys, "models", "search", "tiny"), "offline")
    assert hub.requests == []


# ---- the entry point ------------------------------------------------------------------------


def test_main_without_a_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run(capsys)
    assert code == 2
    assert "models" in err
    assert "chat" in err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run(capsys, "models", "search", "--sort", "stars")
    assert code == 2
    assert "invalid choice" in err
    assert run(capsys, "--help")[0] == 0


# ---- progress ---------------------------------------------------------------------------------


def progress(done: int, total: int = 1000, speed: float = 0.0,
             eta: float | None = None) -> DownloadProgress:
    return DownloadProgress("o/r", "f.gguf", done, total, speed, eta)


def test_plain_progress_prints_a_line_per_ten_percent() -> None:
    stream = io.StringIO()
    printer = ProgressPrinter("f.gguf", stream, is_tty=False)
    for done in range(0, 1001, 25):
        printer.update(progress(done, speed=2e6, eta=3.0))
    printer.finish()
    lines = stream.getvalue().splitlines()
    assert [line.split(":")[1].split("%")[0].strip() for line in lines] == [
        str(p) for p in range(0, 101, 10)]
    assert lines[5] == "f.gguf: 50% (500 B of 1.0 kB, 2.0 MB/s, ETA 0:03)"


def test_tty_progress_redraws_one_line() -> None:
    stream = io.StringIO()
    now = [0.0]
    printer = ProgressPrinter("f.gguf", stream, is_tty=True, clock=lambda: now[0])
    printer.update(progress(0))
    printer.update(progress(300))  # too soon to redraw
    now[0] = 1.0
    printer.update(progress(500, speed=100.0, eta=5.0))
    printer.finish()
    text = stream.getvalue()
    assert text.count("\r") == 3  # first draw, the later one, and the final redraw
    assert text.endswith("\n")
    assert "[##############--------------]  50%" in text
    assert " 30%" not in text


def test_formatting() -> None:
    assert format_size(999) == "999 B"
    assert format_size(1_500) == "1.5 kB"
    assert format_size(4_372_812_000) == "4.37 GB"
    assert format_duration(None) == "--:--"
    assert format_duration(65) == "1:05"
    assert format_duration(7384) == "2:03:04"
