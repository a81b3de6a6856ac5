"""``hearth serve``, run as a real process: the openai client gets answers, Ctrl-C ends it all."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import openai
import pytest

from desktop_app.cli.main import main
from desktop_app.core.models.starter_model import starter_path

REPO_ROOT = Path(__file__).resolve().parents[2]


def _children(pid: int) -> list[int]:
    """The live child processes of ``pid`` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_serve_answers_the_openai_client_and_stops_cleanly_on_ctrl_c(
        tmp_path: Path, isolated_home: Path) -> None:
    key_file = tmp_path / "secrets" / "api-key"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "HEARTH_HOME": str(isolated_home)}
    process = subprocess.Popen(
        [sys.executable, "-m", "desktop_app.cli.main", "serve", "--port", "0",
         "--key-file", str(key_file), "--model", str(starter_path()), "--ctx", "1024"],
        cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        # Ctrl-C as in a terminal: a suite started as a background job (`cmd &`) runs with
        # SIGINT ignored, which its children inherit, and Python then never turns it into
        # KeyboardInterrupt.
        preexec_fn=_default_sigint)
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("Serving SmolLM2-135M-Instruct.Q4_1 at http://127.0.0.1:"), (
            first + process.stderr.read() if process.stderr else first)
        address = first.rsplit(" at ", 1)[1].strip()
        assert f"in the file {key_file}" in process.stdout.readline()
        key = key_file.read_text().strip()
        assert key.startswith("hearth-")
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        with openai.OpenAI(base_url=address, api_key=key, max_retries=0, timeout=60) as client:
            reply = client.chat.completions.create(
                model="SmolLM2-135M-Instruct.Q4_1", temperature=0, seed=1, max_tokens=16,
                messages=[{"role": "system", "content": "You are a helpful assistant."},
                          {"role": "user", "content": "What is the capital of France?"}])
            assert "Paris" in (reply.choices[0].message.content or "")
            with pytest.raises(openai.AuthenticationError):
                openai.OpenAI(base_url=address, api_key="wrong", max_retries=0).models.list()
        engines = _children(process.pid)
        assert engines, "the engine child process was not found"
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for pipe in (process.stdout, process.stderr):
            if pipe is not None:
                pipe.close()  # not left for the garbage collector to warn about in a later test
    assert process.returncode == 0, err
    assert "stopping" in err
    # The kernel ends the engine when its parent goes (PR_SET_PDEATHSIG): soon, not at once.
    deadline = time.monotonic() + 30
    while any(_alive(pid) for pid in engines) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in engines)
    # Requests are logged on stderr without their content or the key.
    assert "POST '/v1/chat/completions' 200" in err
    assert "GET '/v1/models' 401" in err
    assert "capital" not in err
    assert key not in err + out


def test_serve_without_a_keyring_says_to_use_a_key_file(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from keyring.backends.fail import Keyring as NoKeyring

    monkeypatch.setattr("keyring.core._keyring_backend", NoKeyring())
    assert main(["serve", "--model", str(starter_path())]) == 1
    err = capsys.readouterr().err
    assert "keyring is not available" in err
    assert "--key-file" in err


def test_serve_refuses_a_key_file_others_can_read(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    key_file = tmp_path / "api-key"
    key_file.write_text("hearth-abc\n")
    key_file.chmod(0o644)
    assert main(["serve", "--model", str(starter_path()), "--key-file", str(key_file)]) == 1
    assert "chmod 600" in capsys.readouterr().err


def test_serve_refuses_a_missing_model_file(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--model", str(tmp_path / "nope.gguf"),
                 "--key-file", str(tmp_path / "k")]) == 1
    assert "No model file" in capsys.readouterr().err
