"""llama-cpp-python's own OpenAI-compatible server with the starter model, as a subprocess.

Shared by the real-server tests and ``bench/bench_remote.py``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LlamaServer:
    """``python -m llama_cpp.server`` on 127.0.0.1; :meth:`stop` kills it."""

    def __init__(self, model: Path, log_path: Path, n_ctx: int = 2048,
                 threads: int | None = None) -> None:
        self.port = free_port()
        self.log_path = log_path
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        command = [sys.executable, "-m", "llama_cpp.server", "--model", str(model),
                   "--host", "127.0.0.1", "--port", str(self.port), "--n_ctx", str(n_ctx)]
        if threads:
            command += ["--n_threads", str(threads)]
        self._log = log_path.open("wb")
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.process = subprocess.Popen(command, stdout=self._log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, env=env)

    def wait_ready(self, timeout: float = 120.0) -> str:
        """Wait until ``/v1/models`` answers; return the model id it offers."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited ({self.process.returncode}):\n"
                                   + self.log_path.read_text(errors="replace")[-3000:])
            try:
                reply = httpx.get(f"{self.base_url}/models", timeout=2.0)
                if reply.status_code == 200:
                    return str(reply.json()["data"][0]["id"])
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError("llama_cpp.server did not start in time")

    def log_text(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self._log.close()
