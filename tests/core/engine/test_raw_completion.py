"""Raw completions (``GenerateRequest.prompt``): no chat template, same sampling and stats path."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from desktop_app.core.engine.api import (
    GenerateRequest,
    GenerationFailed,
    LoadFailed,
    LoadOptions,
    ModelLoaded,
    ReplyFinished,
    SamplingParams,
    StopReason,
)
from desktop_app.core.engine.process import LocalEngine
from desktop_app.core.models.starter_model import starter_path
from tests.core.engine.engine_driver import collect, finished, text_of

pytestmark = pytest.mark.slow

GREEDY = SamplingParams(temperature=0.0, repeat_penalty=1.0, max_tokens=12, seed=7)


@pytest.fixture
def engine() -> Iterator[LocalEngine]:
    eng = LocalEngine()
    eng.load(LoadOptions(model_path=str(starter_path()), n_ctx=512))
    loaded = collect(eng, lambda e: isinstance(e, ModelLoaded | LoadFailed))[-1]
    assert isinstance(loaded, ModelLoaded), loaded
    yield eng
    eng.shutdown()


def _raw(rid: int, prompt: str, params: SamplingParams = GREEDY) -> GenerateRequest:
    return GenerateRequest(request_id=rid, conversation_id=1, messages=(), params=params,
                           prompt=prompt)


def test_a_raw_prompt_is_continued_without_a_template(engine: LocalEngine) -> None:
    prompt = "The capital of France is"
    engine.generate(_raw(1, prompt))
    events = collect(engine, finished(1))
    stats = events[-1].stats  # type: ignore[union-attr]
    text = text_of(events, 1)
    assert "Paris" in text
    # Only the prompt's own tokens (plus a BOS if the model wants one): no ChatML turns.
    assert stats.prompt_tokens <= 7
    assert stats.completion_tokens == 12
    assert stats.stop_reason == StopReason.LENGTH
    # The same prompt greedily gives the same text again.
    engine.generate(_raw(2, prompt))
    assert text_of(collect(engine, finished(2)), 2) == text


def test_chatml_spelled_out_in_a_raw_prompt_reads_as_special_tokens(engine: LocalEngine) -> None:
    prompt = "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n"
    engine.generate(_raw(3, prompt, SamplingParams(temperature=0.0, repeat_penalty=1.0,
                                                   max_tokens=40, seed=1, stop=(".",))))
    events = collect(engine, finished(3))
    assert "Paris" in text_of(events, 3)
    stats = events[-1].stats  # type: ignore[union-attr]
    assert stats.prompt_tokens < 25  # special tokens, not their spelling in pieces
    assert stats.stop_reason == StopReason.END  # the stop string ended it


def test_a_raw_prompt_too_long_for_the_context_fails_clearly(engine: LocalEngine) -> None:
    engine.generate(_raw(4, "word " * 2000))
    event = collect(engine, lambda e: isinstance(e, ReplyFinished | GenerationFailed))[-1]
    assert isinstance(event, GenerationFailed)
    assert "too long" in str(event.message)


def test_thinking_tags_in_raw_output_are_passed_on_verbatim(engine: LocalEngine) -> None:
    # The raw text is the reply: a <think> the prompt opens is not split off as reasoning.
    engine.generate(_raw(5, "<think>", SamplingParams(temperature=0.0, max_tokens=8, seed=3)))
    events = collect(engine, finished(5))
    assert text_of(events, 5)
    assert not any(getattr(e, "thinking", False) for e in events)
