"""The real engine process with the real demo model: stream, cancel, crash, reuse, trim."""

from __future__ import annotations

import math
import os
import signal
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app.core.engine.api import (
    ContextTrimmed,
    EngineCrashed,
    GenerationFailed,
    LoadFailed,
    LoadOptions,
    ModelLoaded,
    ReplyFinished,
    StopReason,
    TokenChunk,
)
from desktop_app.core.engine.process import LocalEngine, describe_exit
from tests.core.engine.engine_driver import collect, finished, request, text_of

pytestmark = pytest.mark.slow


@pytest.fixture
def engine() -> Iterator[LocalEngine]:
    eng = LocalEngine()
    yield eng
    eng.shutdown()


def _load(engine: LocalEngine, path: Path, **options: object) -> ModelLoaded:
    engine.load(LoadOptions(model_path=str(path), **options))  # type: ignore[arg-type]
    events = collect(engine, lambda e: isinstance(e, ModelLoaded | LoadFailed))
    loaded = events[-1]
    assert isinstance(loaded, ModelLoaded), loaded
    return loaded


def _reply(engine: LocalEngine, rid: int, *turns: str,
           **kwargs: object) -> tuple[str, ReplyFinished]:
    engine.generate(request(rid, *turns, **kwargs))  # type: ignore[arg-type]
    events = collect(engine, finished(rid))
    end = events[-1]
    assert isinstance(end, ReplyFinished)
    return text_of(events, rid), end


def test_load_reports_format_backend_and_auto_cpu(engine: LocalEngine,
                                                  demo_model_path: Path) -> None:
    loaded = _load(engine, demo_model_path, n_ctx=2048)
    assert loaded.n_ctx == 2048
    assert loaded.chat_format.startswith("Gemma (built-in")
    assert loaded.backend == "CPU"
    assert loaded.n_gpu_layers == 0
    # This build has no GPU offload: Auto resolves to the CPU and says so.
    assert "CPU" in str(loaded.notice)


def test_stream_two_coherent_replies_with_stats(engine: LocalEngine,
                                                demo_model_path: Path) -> None:
    _load(engine, demo_model_path, n_ctx=2048)
    for rid, prompt in ((1, "The capital of France is"), (2, "Write a short poem about tea.")):
        engine.generate(request(rid, prompt, max_tokens=32, seed=None))
        events = collect(engine, finished(rid))
        chunks = [e for e in events if isinstance(e, TokenChunk)]
        assert len(chunks) >= 2
        end = events[-1]
        assert isinstance(end, ReplyFinished)
        stats = end.stats
        assert stats.completion_tokens >= len(chunks)
        assert stats.prompt_tokens > 5
        assert stats.time_to_first_token > 0
        assert stats.stop_reason in (StopReason.END, StopReason.LENGTH)
        text = text_of(events, rid)
        assert text.strip()
        # Not one token repeated (the <start_of_image> loop seen with the default seed).
        words = text.split()
        if len(words) >= 6:
            assert Counter(words).most_common(1)[0][1] < len(words) * 0.8, text
        assert "<start_of_image>" not in text


def test_fixed_seed_reproduces_the_reply(engine: LocalEngine, demo_model_path: Path) -> None:
    _load(engine, demo_model_path, n_ctx=1024)
    first, a = _reply(engine, 1, "Once upon a time", conversation_id=1, seed=7)
    second, b = _reply(engine, 2, "Once upon a time", conversation_id=2, seed=7)
    assert first == second
    assert a.stats.seed == b.stats.seed == 7


def test_cancel_stops_within_a_token(engine: LocalEngine, demo_model_path: Path) -> None:
    _load(engine, demo_model_path, n_ctx=1024)
    engine.generate(request(5, "Tell me a very long story about a dragon.", max_tokens=400))
    collect(engine, lambda e: isinstance(e, TokenChunk))
    engine.cancel(5)
    events = collect(engine, finished(5))
    end = events[-1]
    assert isinstance(end, ReplyFinished)
    assert end.stats.stop_reason == StopReason.CANCELLED
    assert end.stats.completion_tokens < 100
    late = [e for e in events if isinstance(e, TokenChunk)]
    # Only what was already in the pipe when the cancel arrived (a loaded machine can
    # delay the parent a few tokens), never the rest of the 400.
    assert len(late) <= 8


def test_a_cancel_waiting_in_the_pipe_stops_after_one_token(engine: LocalEngine,
                                                           demo_model_path: Path) -> None:
    """The child checks for a cancel after every token: one already queued ends it at once."""
    _load(engine, demo_model_path, n_ctx=1024)
    engine.generate(request(6, "Tell me a very long story about a dragon.", max_tokens=400))
    engine.cancel(6)
    events = collect(engine, finished(6))
    end = events[-1]
    assert isinstance(end, ReplyFinished)
    assert end.stats.stop_reason == StopReason.CANCELLED
    assert end.stats.completion_tokens == 1


def test_follow_up_evaluates_only_the_new_tokens(engine: LocalEngine,
                                                 demo_model_path: Path) -> None:
    _load(engine, demo_model_path, n_ctx=4096)
    history = ["Hello! Let us talk about the history of tea in China. " * 8]
    reply, first = _reply(engine, 1, *history, max_tokens=16)
    assert first.stats.prompt_eval_tokens == first.stats.prompt_tokens
    history += [reply, "And in Japan?"]
    _, second = _reply(engine, 2, *history, max_tokens=16)
    new_tokens = (second.stats.prompt_tokens - first.stats.prompt_tokens
                  - first.stats.completion_tokens)
    assert second.stats.prompt_tokens > first.stats.prompt_tokens + 10
    # Only the user's new turn (plus the end-of-turn marks around it) is evaluated.
    assert second.stats.prompt_eval_tokens <= new_tokens + 4, second.stats
    assert second.stats.prompt_eval_tokens < second.stats.prompt_tokens / 4


def test_switching_conversations_restores_their_cache(engine: LocalEngine,
                                                      demo_model_path: Path) -> None:
    _load(engine, demo_model_path, n_ctx=2048)
    a_hist = ["Conversation A is about gardening and roses. " * 6]
    b_hist = ["Conversation B is about trains and railways. " * 6]
    a_reply, _ = _reply(engine, 1, *a_hist, conversation_id=10, max_tokens=8)
    b_reply, _ = _reply(engine, 2, *b_hist, conversation_id=20, max_tokens=8)
    _, back_to_a = _reply(engine, 3, *a_hist, a_reply, "More please.", conversation_id=10,
                          max_tokens=8)
    assert back_to_a.stats.prompt_eval_tokens < back_to_a.stats.prompt_tokens / 3
    _, back_to_b = _reply(engine, 4, *b_hist, b_reply, "Go on.", conversation_id=20,
                          max_tokens=8)
    assert back_to_b.stats.prompt_eval_tokens < back_to_b.stats.prompt_tokens / 3


def test_overflowing_history_is_trimmed_and_reported(engine: LocalEngine,
                                                     demo_model_path: Path) -> None:
    _load(engine, demo_model_path, n_ctx=512)
    long_turn = "This sentence fills the context window quickly. " * 20
    turns = [long_turn, "ok", long_turn, "ok", long_turn, "ok", "What did I say?"]
    engine.generate(request(9, *turns, max_tokens=16))
    events = collect(engine, finished(9))
    trimmed = [e for e in events if isinstance(e, ContextTrimmed)]
    assert trimmed
    assert trimmed[0].dropped_messages >= 2
    end = events[-1]
    assert isinstance(end, ReplyFinished)
    assert end.stats.prompt_tokens + 16 <= 512


def test_a_single_message_too_long_fails_clearly(engine: LocalEngine,
                                                 demo_model_path: Path) -> None:
    _load(engine, demo_model_path, n_ctx=256)
    engine.generate(request(3, "word " * 600))
    events = collect(engine, lambda e: isinstance(e, GenerationFailed | ReplyFinished))
    assert isinstance(events[-1], GenerationFailed)
    assert "too long for the model's context window" in str(events[-1].message)


@pytest.mark.parametrize(("params", "message"), [
    ({"max_tokens": -5}, "Max tokens"),
    ({"temperature": math.nan}, "Temperature"),
    ({"top_p": 2.0}, "Top-p"),
])
def test_bad_parameters_are_rejected_with_a_message(engine: LocalEngine, demo_model_path: Path,
                                                    params: dict[str, object],
                                                    message: str) -> None:
    _load(engine, demo_model_path, n_ctx=512)
    engine.generate(request(4, "Hi", **params))  # type: ignore[arg-type]
    events = collect(engine, lambda e: isinstance(e, GenerationFailed | ReplyFinished))
    assert isinstance(events[-1], GenerationFailed)
    assert message in str(events[-1].message)


def test_context_longer_than_trained_is_refused(engine: LocalEngine,
                                                demo_model_path: Path) -> None:
    engine.load(LoadOptions(model_path=str(demo_model_path), n_ctx=10_000_000))
    events = collect(engine, lambda e: isinstance(e, ModelLoaded | LoadFailed))
    assert isinstance(events[-1], LoadFailed)
    assert "longer than" in str(events[-1].message)


def test_not_a_gguf_file_never_reaches_llama_cpp(engine: LocalEngine, tmp_path: Path) -> None:
    bogus = tmp_path / "model.gguf"
    bogus.write_bytes(b"PK\x03\x04 this is a zip file, not a model" * 10)
    engine.load(LoadOptions(model_path=str(bogus)))
    events = collect(engine, lambda e: isinstance(e, ModelLoaded | LoadFailed | EngineCrashed))
    assert isinstance(events[-1], LoadFailed)
    assert "not a GGUF file" in str(events[-1].message)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGSEGV, signal.SIGABRT])
def test_engine_killed_mid_stream_is_reported_and_recovers(engine: LocalEngine,
                                                           demo_model_path: Path,
                                                           sig: signal.Signals) -> None:
    _load(engine, demo_model_path, n_ctx=1024)
    engine.generate(request(1, "Tell me a long story.", max_tokens=400))
    collect(engine, lambda e: isinstance(e, TokenChunk))
    pid = engine.pid
    assert pid is not None
    assert pid != os.getpid()
    os.kill(pid, sig)
    events = collect(engine, lambda e: isinstance(e, EngineCrashed))
    crash = events[-1]
    assert isinstance(crash, EngineCrashed)
    assert crash.request_id == 1
    assert sig.name in str(crash.message)
    # The next request starts a new process, reloads the model and answers.
    engine.generate(request(2, "Hello again."))
    events = collect(engine, finished(2))
    assert any(isinstance(e, ModelLoaded) for e in events)
    assert engine.pid != pid


def test_describe_exit() -> None:
    assert "SIGSEGV" in str(describe_exit(-11))
    assert "memory" in str(describe_exit(-9))
    assert "code 3" in str(describe_exit(3))


def test_template_from_metadata_is_used(engine: LocalEngine, templated_model_path: Path) -> None:
    loaded = _load(engine, templated_model_path, n_ctx=1024)
    assert loaded.chat_format == "Template from the model"
    # The template rejects a system role; Hearth merges it into the first turn instead.
    _text, end = _reply(engine, 1, "Hello", system="Answer briefly.", max_tokens=12)
    assert end.stats.completion_tokens > 0


def test_sandbox_escaping_template_is_refused(engine: LocalEngine,
                                              evil_template_model_path: Path) -> None:
    marker = Path("/tmp/hearth-pwned")
    marker.unlink(missing_ok=True)
    _load(engine, evil_template_model_path, n_ctx=512)
    engine.generate(request(1, "Hi"))
    events = collect(engine, lambda e: isinstance(e, GenerationFailed | ReplyFinished))
    assert isinstance(events[-1], GenerationFailed)
    assert "unsafe" in str(events[-1].message)
    assert not marker.exists()


def test_chinese_conversation_streams_and_reuses_the_cache(engine: LocalEngine,
                                                           demo_model_path: Path) -> None:
    _load(engine, demo_model_path, n_ctx=2048)
    first_turn = "请用中文介绍一下长城的历史。" * 4
    reply, _ = _reply(engine, 1, first_turn, max_tokens=24, seed=3)
    assert "\ufffd" not in reply  # multi-byte characters never arrive split
    _, second = _reply(engine, 2, first_turn, reply, "谢谢！再说说故宫。", max_tokens=8)
    assert second.stats.prompt_eval_tokens < second.stats.prompt_tokens / 2
