"""The bundled starter model really chats: coherent English answers through the real engine."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from desktop_app.core.engine.api import LoadFailed, LoadOptions, ModelLoaded, StopReason
from desktop_app.core.engine.process import LocalEngine
from desktop_app.core.models.starter_model import starter_path
from tests.core.engine.engine_driver import collect, finished, request, text_of

pytestmark = pytest.mark.slow


@pytest.fixture
def engine() -> Iterator[LocalEngine]:
    eng = LocalEngine()
    eng.load(LoadOptions(model_path=str(starter_path()), n_ctx=2048))
    loaded = collect(eng, lambda e: isinstance(e, ModelLoaded | LoadFailed))[-1]
    assert isinstance(loaded, ModelLoaded), loaded
    assert loaded.chat_format == "Template from the model"  # its own ChatML template
    yield eng
    eng.shutdown()


def _answer(engine: LocalEngine, rid: int, question: str) -> str:
    # Hearth's default system prompt; greedy so the check is stable.
    engine.generate(request(rid, question, max_tokens=80, temperature=0.0, repeat_penalty=1.0,
                            system="You are a helpful assistant."))
    events = collect(engine, finished(rid))
    assert events[-1].stats.stop_reason in (StopReason.END, StopReason.LENGTH)  # type: ignore[union-attr]
    return text_of(events, rid)


def test_it_answers_simple_questions(engine: LocalEngine) -> None:
    assert "Paris" in _answer(engine, 1, "What is the capital of France?")
    answer = _answer(engine, 2, "Write a Python function that reverses a string.")
    assert "```python\ndef " in answer
    assert "[::-1]" in answer or "reversed(" in answer
