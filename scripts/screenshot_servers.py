"""Screenshots of issue 10: Settings › Servers, a chat with a remote model, Settings › API server.

Usage (headless)::

    xvfb-run -a -s "-screen 0 1280x900x24" .venv/bin/python scripts/screenshot_servers.py \
        [--out-dir docs] [--theme light|dark] [--lang en|zh_CN] [--suffix -dark]

It starts llama-cpp-python's own OpenAI-compatible server
(``python -m llama_cpp.server``) with the starter model on a free local port,
adds it in a throwaway ``HEARTH_HOME`` beside a cloud preset (DeepSeek, which
is listed but turned off, so nothing leaves the machine), chats with the
server's model (the privacy notice shows above the chat), tests the
connection on the Servers tab, and turns Hearth's own API server on and
calls it once with its key. Keys live in memory only: the real keyring is
never touched.
"""

from __future__ import annotations

import argparse
import functools
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MODEL = ROOT / "resources" / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_ALIAS = "SmolLM2-135M-Instruct"
QUESTION = "What is the capital of France? Answer in one sentence."


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_llama_server(port: int, log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(MODEL),
               "--model_alias", MODEL_ALIAS, "--host", "127.0.0.1", "--port", str(port),
               "--n_ctx", "2048"]
    return subprocess.Popen(command, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", default="docs")
    parser.add_argument("--theme", default="light", choices=("light", "dark"))
    parser.add_argument("--lang", default="en")
    parser.add_argument("--suffix", default="", help="added to each file name, e.g. -dark")
    args = parser.parse_args()
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="hearth-shot-"))
    os.environ["HEARTH_HOME"] = str(home)

    import httpx
    from PySide6.QtWidgets import QApplication, QWidget

    from desktop_app.core.engine.api import SamplingParams
    from desktop_app.core.keychain import MemoryKeyStore
    from desktop_app.core.paths import AppPaths
    from desktop_app.core.remote.servers import PRESETS_BY_ID, ServerConfig
    from desktop_app.core.serve.config import ApiServerSettings
    from desktop_app.core.settings import SettingsStore
    from desktop_app.ui.app import build_app, install_translators
    from desktop_app.ui.common.look import Look
    from desktop_app.ui.models.remote_models import remote_key
    from scripts.qt_waits import settle as settle_events
    from scripts.qt_waits import wait_until

    port = free_port()
    server = start_llama_server(port, home / "llama-server.log")
    app = QApplication(sys.argv[:1])

    wait = functools.partial(wait_until, app)
    settle = functools.partial(settle_events, app)

    def save(widget: QWidget, name: str) -> None:
        path = out / f"{name}{args.suffix}.png"
        widget.grab().save(str(path))
        print(path)

    try:
        def server_ready() -> bool:
            if server.poll() is not None:
                raise RuntimeError("llama_cpp.server exited; see " + str(home))
            try:
                return httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=1).is_success
            except httpx.HTTPError:
                return False

        wait(server_ready, 120)
        install_translators(app, args.lang)
        look = Look(app, args.theme)
        paths = AppPaths.from_environment().ensure()
        store = SettingsStore(paths.settings_path)
        settings, warnings = store.load()
        settings.theme = args.theme
        local = ServerConfig(ServerConfig.new_id(), "Lab llama.cpp",
                             f"http://127.0.0.1:{port}/v1", preset="llama-cpp")
        deepseek = PRESETS_BY_ID["deepseek"]
        cloud = ServerConfig(ServerConfig.new_id(), deepseek.name, deepseek.base_url,
                             preset=deepseek.id, enabled=False)
        settings.servers = [local, cloud]
        settings.last_model_id = remote_key(local.id, MODEL_ALIAS)
        keys = MemoryKeyStore()
        keys.set(cloud.id, "sk-not-a-real-key")
        hearth = build_app(paths, loaded_settings=(settings, warnings), look=look, keys=keys)
        window = hearth.window
        window.resize(1100, 720)
        window.show()
        hearth.start()
        wait(lambda: hearth.models.state.value in ("ready", "failed"), 120)
        if hearth.models.state.value != "ready":
            raise RuntimeError(window.model_status.text())

        # Hearth's own API server on, and called once with its key: the status bar counts it.
        api_settings = ApiServerSettings(enabled=True, port=free_port())
        settings = hearth.models.settings
        settings.api_server = api_settings
        hearth.models.apply_settings(settings)
        key = hearth.api_server.api_key()
        httpx.get(f"{hearth.api_server.address}/models",
                  headers={"Authorization": f"Bearer {key}"}, timeout=10)
        wait(lambda: hearth.api_server.request_count >= 1, 10)

        # 1. A chat with the remote model: the privacy notice above it.
        hearth.chat.update_conversation_settings(
            "", SamplingParams(temperature=0.0, repeat_penalty=1.0, max_tokens=60, seed=3))
        hearth.chat.send(QUESTION)
        wait(lambda: not hearth.chat.busy, 120)
        settle()
        save(window, "remote-chat")

        # 2. Settings › Servers with a successful connection test.
        dialog = window.settings_dialog()
        tab = dialog.servers_tab
        assert tab is not None
        dialog.tabs.setCurrentWidget(tab)
        dialog.resize(760, 480)
        dialog.show()
        tab.tree.topLevelItem(0).setSelected(True)
        tab.test_button.click()
        wait(lambda: tab.test_label.text()[:1] in ("✓", "✗"), 60)
        settle()
        save(dialog, "servers")
        dialog.close()

        # 3. Settings › API server, running, with its request count.
        dialog = window.settings_dialog()
        api_tab = dialog.api_server_tab
        assert api_tab is not None
        dialog.tabs.setCurrentWidget(api_tab)
        dialog.resize(760, 620)
        dialog.show()
        settle()
        save(dialog, "api-server")
        dialog.close()
        window.close()
        hearth.shutdown()
    finally:
        server.terminate()
        server.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
