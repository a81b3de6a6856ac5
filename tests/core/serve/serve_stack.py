"""Build the API server as the window does: engine, broker, GUI client, API client."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from desktop_app.core.engine.api import Engine, LoadOptions, ModelLoaded
from desktop_app.core.engine.broker import BrokerClient, EngineBroker
from desktop_app.core.serve.config import ApiServerSettings
from desktop_app.core.serve.server import ApiServer

KEY = "hearth-test-key-0123456789"


@dataclass
class Stack:
    broker: EngineBroker
    gui: BrokerClient
    server: ApiServer
    loaded: ModelLoaded

    @property
    def base(self) -> str:
        return self.server.address.removesuffix("/v1")

    @property
    def host(self) -> str:
        return self.base.removeprefix("http://")


def wait_loaded(client: BrokerClient, timeout: float = 120.0) -> ModelLoaded:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for event in client.poll_events(0.2):
            if isinstance(event, ModelLoaded):
                return event
            raise AssertionError(f"unexpected event while loading: {event!r}")
    raise AssertionError("the model did not load")


@contextmanager
def serve_stack(engine: Engine, model_path: str, settings: ApiServerSettings | None = None,
                n_ctx: int = 0) -> Iterator[Stack]:
    broker = EngineBroker(engine)
    try:
        gui = broker.client("gui")
        gui.load(LoadOptions(model_path=model_path, n_ctx=n_ctx))
        loaded = wait_loaded(gui)
        server = ApiServer(broker.client("api", can_load=False),
                           settings or ApiServerSettings(port=0), KEY)
        server.start()
        try:
            yield Stack(broker, gui, server, loaded)
        finally:
            server.stop()
    finally:
        broker.shutdown()
