"""The last model's load starts before the window exists, and is never sent twice."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from desktop_app.core.engine.api import EngineEvent, LoadFailed, LoadOptions
from desktop_app.core.engine.early_load import EarlyLoadEngine, expected_load
from desktop_app.core.models.library import ModelLibrary
from desktop_app.core.settings import ModelSettings, Settings
from tests.core.models.fake_hub import make_gguf

A = LoadOptions(model_path="/models/a.gguf", n_ctx=2048)
B = LoadOptions(model_path="/models/b.gguf")
REMOTE_KEY = "remote:a1b2c3/llama3"  # the window's id of a model on a server (remote_key)


class Recording:
    """An engine that records its loads and hands out events it is given."""

    def __init__(self) -> None:
        self.loads: list[LoadOptions] = []
        self.unloads = 0
        self.events: list[EngineEvent] = []

    def load(self, options: LoadOptions) -> None:
        self.loads.append(options)

    def generate(self, request: object) -> None:
        raise AssertionError("not used here")

    def cancel(self, request_id: int) -> None:
        pass

    def unload(self) -> None:
        self.unloads += 1

    def poll_events(self, timeout: float) -> list[EngineEvent]:
        events, self.events = self.events, []
        return events

    def wakeup(self) -> None:
        pass

    def shutdown(self) -> None:
        pass


def test_the_windows_load_of_the_preloaded_model_is_not_sent_again() -> None:
    inner = Recording()
    engine = EarlyLoadEngine(inner)
    engine.preload(A)
    engine.load(LoadOptions(model_path="/models/a.gguf", n_ctx=2048))  # equal, not the same
    assert inner.loads == [A]


def test_only_the_first_matching_load_is_dropped() -> None:
    inner = Recording()
    engine = EarlyLoadEngine(inner)
    engine.preload(A)
    engine.load(A)
    engine.load(A)  # asked again later: a real reload
    assert inner.loads == [A, A]


def test_another_model_is_loaded_as_asked() -> None:
    inner = Recording()
    engine = EarlyLoadEngine(inner)
    engine.preload(A)
    engine.load(B)
    assert inner.loads == [A, B]


def test_an_unload_first_means_the_windows_load_is_sent() -> None:
    inner = Recording()
    engine = EarlyLoadEngine(inner)
    engine.preload(A)
    engine.unload()
    engine.load(A)
    assert inner.loads == [A, A]
    assert inner.unloads == 1


def test_a_failed_early_load_lets_the_windows_load_through() -> None:
    """The failure may reach the broker before the window's client exists: it must not be lost."""
    inner = Recording()
    engine = EarlyLoadEngine(inner)
    engine.preload(A)
    failed = LoadFailed(A.model_path, "no such file")
    inner.events.append(failed)
    assert engine.poll_events(0.0) == [failed]
    engine.load(A)
    assert inner.loads == [A, A]


def test_without_a_preload_every_load_goes_through() -> None:
    inner = Recording()
    engine = EarlyLoadEngine(inner)
    engine.load(A)
    engine.load(A)
    assert inner.loads == [A, A]


def test_the_expected_load_is_the_last_model_with_its_own_settings(tmp_path: Path) -> None:
    make_gguf(tmp_path / "tiny.gguf")
    library = ModelLibrary(tmp_path / "models")
    model = library.import_file(tmp_path / "tiny.gguf")
    settings = Settings(last_model_id=model.id,
                        model_settings={model.id: ModelSettings(n_ctx=1024, n_threads=1)})
    assert expected_load(settings, library) == replace(
        ModelSettings(n_ctx=1024, n_threads=1).load_options(str(model.path)),
        draft_candidates=(str(model.path),))  # every installed model, as the window sends


def test_nothing_is_expected_without_a_local_last_model(tmp_path: Path) -> None:
    library = ModelLibrary(tmp_path / "models")
    assert expected_load(Settings(), library) is None  # first run: the starter is set up first
    assert expected_load(Settings(last_model_id="gone/model.gguf"), library) is None
    remote = Settings(last_model_id=REMOTE_KEY)  # a model on a server: never a library id
    assert expected_load(remote, library) is None
