"""The remote servers the user added: what Hearth remembers of each, and the presets.

A server's API key is not here: it lives in the operating system's keyring
(:mod:`desktop_app.core.keychain`), keyed by :attr:`ServerConfig.id`, so the
settings file and the logs never hold it.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from desktop_app.core.user_text import QT_TRANSLATE_NOOP, UserFacingError, user_text


@dataclass(frozen=True)
class Preset:
    """A kind of server and its usual address. ``local``: it runs on the user's own network.

    ``name`` is English, marked for translation where it is not a brand name;
    the GUI shows it through :func:`desktop_app.ui.common.user_text.translated_name`.
    """

    id: str
    name: str
    base_url: str
    needs_key: bool
    local: bool


PRESETS: tuple[Preset, ...] = (
    Preset("vllm", "vLLM", "http://127.0.0.1:8000/v1", needs_key=False, local=True),
    Preset("sglang", "SGLang", "http://127.0.0.1:30000/v1", needs_key=False, local=True),
    Preset("llama-cpp", QT_TRANSLATE_NOOP("core", "llama.cpp server"),
           "http://127.0.0.1:8080/v1", needs_key=False, local=True),
    Preset("ollama", "Ollama", "http://127.0.0.1:11434/v1", needs_key=False, local=True),
    Preset("lm-studio", "LM Studio", "http://127.0.0.1:1234/v1", needs_key=False, local=True),
    Preset("openai", "OpenAI", "https://api.openai.com/v1", needs_key=True, local=False),
    Preset("deepseek", "DeepSeek", "https://api.deepseek.com/v1", needs_key=True, local=False),
    Preset("dashscope", QT_TRANSLATE_NOOP("core", "Alibaba DashScope (Qwen)"),
           "https://dashscope.aliyuncs.com/compatible-mode/v1", needs_key=True, local=False),
    Preset("moonshot", QT_TRANSLATE_NOOP("core", "Moonshot (Kimi)"),
           "https://api.moonshot.cn/v1", needs_key=True, local=False),
    Preset("zhipu", QT_TRANSLATE_NOOP("core", "Zhipu (GLM)"),
           "https://open.bigmodel.cn/api/paas/v4", needs_key=True, local=False),
    Preset("custom", QT_TRANSLATE_NOOP("core", "Other OpenAI-compatible server"),
           "http://127.0.0.1:8000/v1", needs_key=False, local=True),
)
PRESETS_BY_ID = {p.id: p for p in PRESETS}


class ServerConfigError(UserFacingError):
    """A server's settings are not usable; the message says which and why."""


@dataclass(frozen=True)
class ServerConfig:
    """One remote server. ``base_url`` ends before ``/chat/completions`` (usually ``…/v1``).

    ``ca_file``: a PEM file of extra certificate authorities to trust (a company
    CA); empty for the system's. ``proxy``: an HTTP(S) proxy URL; empty for none.
    """

    id: str
    name: str
    base_url: str
    preset: str = "custom"
    ca_file: str = ""
    proxy: str = ""
    enabled: bool = True

    @staticmethod
    def new_id() -> str:
        return "srv-" + secrets.token_hex(6)

    def validate(self) -> ServerConfig:
        """Return self, or raise :class:`ServerConfigError` naming what is wrong."""
        if not self.name.strip():
            raise ServerConfigError(user_text("server.no_name", QT_TRANSLATE_NOOP(
                "core", "Give the server a name.")))
        check_url(self.base_url, "server.bad_url")
        if self.proxy:
            check_url(self.proxy, "server.bad_proxy")
        if self.preset not in PRESETS_BY_ID:
            raise ServerConfigError(user_text("server.bad_preset", QT_TRANSLATE_NOOP(
                "core", "Unknown server kind “{preset}”."), preset=self.preset))
        return self


def check_url(url: str, code: str) -> None:
    """Raise :class:`ServerConfigError` unless ``url`` is an absolute http(s) URL with a host."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ServerConfigError(user_text(code, QT_TRANSLATE_NOOP(
            "core", "“{url}” is not an http:// or https:// address."), url=url))


def server_to_json(server: ServerConfig) -> dict[str, Any]:
    return {"id": server.id, "name": server.name, "base_url": server.base_url,
            "preset": server.preset, "ca_file": server.ca_file, "proxy": server.proxy,
            "enabled": server.enabled}


def server_from_json(data: object) -> ServerConfig:
    """Raise ``ValueError`` for anything that is not a server entry as written by Hearth."""
    if not isinstance(data, Mapping):
        raise ValueError(f"expected an object, got {data!r}")
    texts = {}
    for key in ("id", "name", "base_url", "preset", "ca_file", "proxy"):
        value = data.get(key, "" if key in ("ca_file", "proxy") else None)
        if not isinstance(value, str):
            raise ValueError(f"“{key}” must be text, got {value!r}")
        texts[key] = value
    enabled = data.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ValueError(f"“enabled” must be true or false, got {enabled!r}")
    server = ServerConfig(enabled=enabled, **texts)
    try:
        return server.validate()
    except ServerConfigError as exc:
        raise ValueError(str(exc)) from exc
