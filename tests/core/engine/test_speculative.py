"""Speculative decoding gives the reply plain decoding gives, with the real starter model.

Each test runs the same request twice in one engine session, once with
``speculative=False`` (llama-cpp-python's own token loop) and once with it,
in different conversations so both start from the same cached prompt state.

Exactness depends on the arithmetic too: a verification batch must round as
one-row decoding does. llama.cpp's CPU backend sends products of two or more
rows through llamafile's tinyBLAS and single rows through its own dot
products, which round differently; the same goes for the repacked
(Q4_0, Q4_K, ...) weights' gemm and gemv, and for the tiled K-quant kernel
(Q4_K, Q6_K, ...) that batches of 8 rows or more take. Hearth builds llama.cpp
with all three kept for prompt batches of 32 rows or more
(``packaging/llama-cpp-patches/``); a draft batch is at most
``MAX_DRAFT + 1`` rows and takes the same dot products as plain decoding.
Without the patches the free-prose and code-edit replies below part ways
after 100-200 tokens.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from desktop_app.core.engine.api import (
    ChatMessage,
    EngineEvent,
    GenerateRequest,
    LoadOptions,
    ReplyFinished,
    ReplyStats,
    Role,
    SamplingParams,
    StopReason,
    TokenChunk,
)
from desktop_app.core.engine.loader import LoadedModel, load_model
from desktop_app.core.engine.session import Session
from desktop_app.core.engine.speculative.drafters import PromptLookup
from desktop_app.core.engine.speculative.governor import (
    FIRST_PAUSE,
    MAX_DRAFT,
    STRICT_MATCH,
    Governor,
)
from desktop_app.core.models.starter_model import starter_path

pytestmark = pytest.mark.slow

SYSTEM = "You are a helpful assistant."
GREEDY = SamplingParams(temperature=0.0, repeat_penalty=1.0, max_tokens=160, seed=1,
                        speculative=True)  # the default; these tests are about it

PASSAGE = (
    "The lighthouse at Point Amour was built in 1857. It is the tallest lighthouse in "
    "Atlantic Canada, standing 33 metres high, and its light can be seen from 30 "
    "kilometres away.\n\n"
    "The keeper's house next to the tower is now a museum. Visitors can climb the 132 "
    "steps to the top of the tower from June to September.")
QUOTE = f"{PASSAGE}\n\nQuote, word for word, the paragraph about the keeper's house."
PROSE = "Write a short story about a cat who learns to play the piano."


@pytest.fixture(scope="module")
def model() -> Iterator[LoadedModel]:
    loaded = load_model(LoadOptions(model_path=str(starter_path()), n_ctx=2048))
    yield loaded
    loaded.llama.close()


@pytest.fixture
def session(model: LoadedModel) -> Iterator[Session]:
    session = Session(model)
    # A clock that ticks once per reading: every step "takes" the same time, so drafting
    # always pays and which steps are drafted depends on the tokens only, never on how
    # busy the machine is (the real clock would make the batches, and so the rounding,
    # differ from run to run). The governor's own tests below use their own clocks.
    ticks = itertools.count()
    session.make_governor = lambda: Governor(clock=lambda: float(next(ticks)))
    yield session
    session.close()


_ids = itertools.count(1)


def _reply(session: Session, text: str | Sequence[str], params: SamplingParams,
           cancel_after: int | None = None) -> tuple[str, ReplyStats]:
    """One reply in a new conversation: its text and its statistics."""
    turns = (text,) if isinstance(text, str) else tuple(text)
    messages = tuple(ChatMessage(Role.USER if i % 2 == 0 else Role.ASSISTANT, t)
                     for i, t in enumerate(turns))
    return _send(session, GenerateRequest(next(_ids), next(_ids), messages, params,
                                          system_prompt=SYSTEM), cancel_after)


def _send(session: Session, request: GenerateRequest,
          cancel_after: int | None = None) -> tuple[str, ReplyStats]:
    events: list[EngineEvent] = []
    polls = itertools.count(1)

    def cancelled() -> bool:
        return cancel_after is not None and next(polls) >= cancel_after

    session.generate(request, events.append, cancelled)
    finished = events[-1]
    assert isinstance(finished, ReplyFinished)
    text = "".join(e.text for e in events if isinstance(e, TokenChunk) and not e.thinking)
    return text, finished.stats


def _both(session: Session, text: str | Sequence[str], params: SamplingParams = GREEDY,
          ) -> tuple[tuple[str, ReplyStats], tuple[str, ReplyStats]]:
    """The same request without and with drafting, each from an empty cache.

    From the same state, not one after the other: the second would find the
    prompt cached and evaluate only its last token again, alone, where the
    first evaluated it in a batch with the rest (module docstring: batches of
    32 rows or more round differently), and even plain decoding would then
    differ from itself.
    """
    session._llama.reset()
    plain = _reply(session, text, replace(params, speculative=False))
    session._llama.reset()
    fast = _reply(session, text, replace(params, speculative=True))
    return plain, fast


def test_a_quoting_reply_is_identical_and_mostly_drafted(session: Session) -> None:
    (plain, plain_stats), (fast, stats) = _both(session, QUOTE)
    assert "132 steps" in plain  # it really quotes
    assert fast == plain
    assert stats.completion_tokens == plain_stats.completion_tokens
    assert stats.stop_reason == plain_stats.stop_reason == StopReason.END
    assert plain_stats.drafted_tokens == 0
    assert stats.accepted_tokens > stats.completion_tokens // 2  # the quote came from drafts
    assert stats.accepted_tokens <= stats.drafted_tokens


def test_free_prose_is_identical(session: Session) -> None:
    (plain, plain_stats), (fast, stats) = _both(session, PROSE, replace(GREEDY, max_tokens=400))
    assert fast == plain
    assert stats.completion_tokens == plain_stats.completion_tokens == 400
    assert stats.accepted_tokens > 0


def test_a_code_edit_is_identical(session: Session) -> None:
    source = "\n".join(f"def update_{i}(record):\n    record['field_{i}'] += {i}\n"
                       "    return record\n" for i in range(12))
    task = f"{source}\nRename `record` to `entry` and output the whole file."
    (plain, _), (fast, stats) = _both(session, task, replace(GREEDY, max_tokens=400))
    assert fast == plain
    assert stats.accepted_tokens > 50  # it copies the file's lines


def test_the_patched_build_keeps_draft_batches_on_the_one_row_kernels() -> None:
    """Each patch's row limit is above the longest verification batch."""
    patches = Path(__file__).parents[3] / "packaging" / "llama-cpp-patches"
    text = "".join((patches / name).read_text() for name in (
        "sgemm-prompt-batches-only.patch", "repack-prompt-batches-only.patch",
        "tiled-prompt-batches-only.patch"))
    limits = [int(n) for n in re.findall(r"^\+.*\b(?:n|nrows|ne11|rows) (?:<|>=) (\d+)",
                                         text, re.MULTILINE)]
    # tinyBLAS, repack's gemm, repack's rows quantized in fours, the tiled K-quant kernel
    assert len(limits) == 4
    assert min(limits) > MAX_DRAFT + 1


def test_a_verification_batch_rounds_like_one_row_decoding(demo_model_path: Path) -> None:
    """The kernels themselves, on Gemma's mix of weights (Q8_0, Q5_0, Q4_K, Q6_K): each
    row of a batch of ``MAX_DRAFT + 1`` tokens has bit for bit the logits it has when
    the tokens are decoded one at a time. Unpatched, batches of 8 rows or more take
    the tiled K-quant kernel (and, for other types, tinyBLAS or the repacked gemm)."""
    import numpy as np
    from llama_cpp import llama_get_logits_ith

    gemma = load_model(LoadOptions(model_path=str(demo_model_path), n_ctx=1024))
    llama = gemma.llama
    try:
        tokens = llama.tokenize(PASSAGE.encode())
        rows = MAX_DRAFT + 1
        prompt, batch = tokens[:len(tokens) - rows], tokens[len(tokens) - rows:]
        n_vocab = llama.n_vocab()

        def decode(chunk: list[int], n_past: int) -> list[np.ndarray]:
            llama._batch.set_batch(batch=chunk, n_past=n_past, logits_all=True)
            llama._ctx.decode(llama._batch)
            return [np.ctypeslib.as_array(llama_get_logits_ith(llama.ctx, i),
                                          shape=(n_vocab,)).copy() for i in range(len(chunk))]

        llama.eval(prompt)
        base = llama.n_tokens
        singles = [decode([token], base + i)[0] for i, token in enumerate(batch)]
        llama._ctx.kv_cache_seq_rm(-1, base, -1)
        together = decode(batch, base)
        differ = [i for i, (a, b) in enumerate(zip(singles, together, strict=True))
                  if not np.array_equal(a, b)]
        assert differ == []
    finally:
        llama.close()


def test_seeded_sampling_draws_the_same_random_numbers(session: Session) -> None:
    """The loop asks the sampler once per reply token, as llama-cpp-python's does.

    With a drafter that never guesses, every step is a one-token batch, so a
    seeded reply at temperature 0.8 is identical only if the sampler is built
    the same way, seeded the same way and consumes its random stream token
    for token.
    """
    session.make_drafter = lambda _with_model: _SilentDrafter()
    params = SamplingParams(temperature=0.8, top_k=40, top_p=0.95, min_p=0.05,
                            repeat_penalty=1.1, max_tokens=120, seed=42)
    (plain, plain_stats), (fast, stats) = _both(session, PROSE, params)
    assert fast == plain
    assert stats.completion_tokens == plain_stats.completion_tokens
    assert stats.drafted_tokens == 0


def test_seeded_sampling_with_drafts_is_identical(session: Session) -> None:
    """With real drafts too: the logits at each position are plain decoding's, bit for bit."""
    params = SamplingParams(temperature=0.8, top_k=40, top_p=0.95, min_p=0.05,
                            repeat_penalty=1.1, max_tokens=200, seed=42, speculative=True)
    (plain, _), (fast, stats) = _both(session, QUOTE, params)
    assert fast == plain
    assert stats.drafted_tokens > 0


class _SilentDrafter:
    """Never has a guess."""

    def start(self, prompt: Sequence[int]) -> None:
        pass

    def extend(self, tokens: Sequence[int]) -> None:
        pass

    def propose(self, k: int, min_match: int = 0) -> list[int]:
        return []


def test_the_draft_model_drafter_is_identical(model: LoadedModel) -> None:
    """The starter as its own draft: the only same-family pair at hand."""
    session = Session(model, draft_model_path=str(starter_path()))
    try:
        _both(session, QUOTE)
        assert session._draft is None  # not asked for: prompt lookup
        (plain, _), (fast, stats) = _both(session, QUOTE, replace(GREEDY, draft_model=True))
        assert session._draft is not None  # the draft model was loaded and used
        assert fast == plain
        assert stats.accepted_tokens > 0
    finally:
        session.close()


def test_max_tokens_stops_at_the_same_token(session: Session) -> None:
    (plain, plain_stats), (fast, stats) = _both(session, QUOTE, replace(GREEDY, max_tokens=37))
    assert fast == plain
    assert stats.completion_tokens == plain_stats.completion_tokens == 37
    assert stats.stop_reason == StopReason.LENGTH


def test_a_stop_string_ends_the_reply_at_the_same_place(session: Session) -> None:
    params = replace(GREEDY, stop=("132",))
    (plain, _), (fast, stats) = _both(session, QUOTE, params)
    assert "132" not in fast
    assert fast == plain
    assert fast.rstrip().endswith("climb the")
    assert stats.stop_reason == StopReason.END


def test_cancel_stops_mid_reply_and_the_cache_stays_consistent(session: Session,
                                                                model: LoadedModel) -> None:
    text, stats = _reply(session, QUOTE, GREEDY, cancel_after=10)
    assert stats.stop_reason == StopReason.CANCELLED
    assert 0 < stats.completion_tokens < 40
    full, _ = _reply(session, QUOTE, replace(GREEDY, speculative=False))
    assert full.startswith(text)
    # The session knows exactly what the KV cache holds (it saves it on a switch).
    assert len(session._transcript.tokens) == model.llama.n_tokens


def test_the_next_turn_reuses_the_cache_as_after_plain_decoding(session: Session) -> None:
    def second_turn(speculative: bool) -> tuple[str, ReplyStats]:
        params = replace(GREEDY, speculative=speculative, max_tokens=60)
        conversation = next(_ids)
        first, _ = _send(session, GenerateRequest(next(_ids), conversation, (
            ChatMessage(Role.USER, QUOTE),), params, system_prompt=SYSTEM))
        return _send(session, GenerateRequest(next(_ids), conversation, (
            ChatMessage(Role.USER, QUOTE), ChatMessage(Role.ASSISTANT, first),
            ChatMessage(Role.USER, "How tall is the lighthouse?")), params, system_prompt=SYSTEM))

    plain, plain_stats = second_turn(False)
    fast, stats = second_turn(True)
    # The texts are not compared: the second turn's prompt holds the first reply, whose
    # cache entries a verification batch computed (module docstring: its rounding differs),
    # and on this prompt that tips a near-tied token. What this test is about is the cache.
    assert fast
    assert plain
    # Only the new turn was evaluated: the first reply's tokens were still in the cache.
    assert stats.prompt_eval_tokens == plain_stats.prompt_eval_tokens
    assert stats.prompt_eval_tokens < 40


class _WrongDrafter:
    """Always has a guess, never a right one: the worst case for the governor."""

    def __init__(self) -> None:
        self.proposals = 0
        self.long_asks = 0

    def start(self, prompt: Sequence[int]) -> None:
        pass

    def extend(self, tokens: Sequence[int]) -> None:
        pass

    def propose(self, k: int, min_match: int = 0) -> list[int]:
        if min_match:
            self.long_asks += 1
            return []  # it matches no context, long or short
        self.proposals += 1
        return [0] * k  # token 0 is <|endoftext|>, never sampled mid-sentence here


def _fake_clock(drafted_step: float, plain_step: float,
                governor: Callable[[], _ObservedGovernor | None]) -> Callable[[], float]:
    """A clock that advances by the cost the governor's current step is given."""
    now = [0.0]
    calls = itertools.count()

    def clock() -> float:
        # Calls come in pairs (start, end of a step); the end adds that step's cost.
        if next(calls) % 2:
            g = governor()
            now[0] += drafted_step if g is not None and g._last_drafted else plain_step
        return now[0]

    return clock


def test_the_governor_turns_drafting_off_when_it_does_not_pay(session: Session) -> None:
    drafter = _WrongDrafter()
    governors: list[_ObservedGovernor] = []

    def make_governor() -> Governor:
        governor = _ObservedGovernor(_fake_clock(1.5, 1.0, lambda: governors[-1]))
        governors.append(governor)
        return governor

    session.make_drafter = lambda _with_model: drafter
    session.make_governor = make_governor
    (plain, _), (text, stats) = _both(session, PROSE, replace(GREEDY, max_tokens=120))
    assert text == plain  # wrong drafts cost time, never a different word
    assert stats.completion_tokens == 120
    governor = governors[-1]
    assert governor.off
    # Off after MIN_STEPS drafted and plain steps, nowhere near the reply's 120 tokens;
    # from then on only long matches may draft, and this drafter has none.
    assert drafter.proposals < 20
    assert governor.min_match == STRICT_MATCH
    assert drafter.long_asks > 50
    assert stats.accepted_tokens == 0
    assert stats.drafted_tokens > 0


class _ObservedGovernor(Governor):
    """A governor that remembers whether the step being timed drafted (for the fake clock)."""

    _last_drafted = False

    def should_draft(self) -> bool:
        self._last_drafted = super().should_draft()
        return self._last_drafted


def test_prompt_lookup_continues_the_latest_match() -> None:
    lookup = PromptLookup(max_ngram=3, min_ngram=2)
    lookup.start([1, 2, 3, 4, 5, 9, 1, 2, 3, 7, 8])
    lookup.extend([1, 2, 3])
    assert lookup.propose(3) == [7, 8, 1]  # the latest "1 2 3" was followed by 7 8
    lookup.extend([6])
    assert lookup.propose(2) == []  # "3 6" and "6" alone: nothing to continue
    lookup.extend([4])
    assert lookup.propose(2) == []  # "6 4" never occurred; single tokens are not matched


def test_prompt_lookup_asked_for_a_long_match_continues_only_a_long_one() -> None:
    passage = list(range(100, 140))
    lookup = PromptLookup()
    lookup.start([1, 2, *passage, 3])
    lookup.extend([7, *passage[:5]])  # a 5-token match: enough normally, not when strict
    assert lookup.propose(4) == passage[5:9]
    assert lookup.propose(4, min_match=STRICT_MATCH) == []
    lookup.extend(passage[5:STRICT_MATCH + 2])  # now STRICT_MATCH + 2 tokens in a row
    assert lookup.propose(4, min_match=STRICT_MATCH) == passage[STRICT_MATCH + 2:
                                                                 STRICT_MATCH + 6]


def test_a_governor_that_turned_drafting_off_still_drafts_long_matches() -> None:
    governor = Governor(clock=lambda: 0.0, min_steps=2, probe_every=2)
    for _ in range(8):
        if governor.should_draft():
            governor.record(4, 1, 3.0)  # a reply's own words: drafts lose time
        else:
            governor.record(0, 0, 1.0)
    assert governor.off
    assert governor.min_match == STRICT_MATCH
    plans = [governor.should_draft() for _ in range(5)]
    assert all(plans)  # no probes any more: every step asks the drafter for a long match


def _drafted_steps(governor: Governor, accepted: int, steps: int) -> list[int]:
    """The steps ``governor`` drafted, each draft keeping ``accepted`` tokens."""
    drafted = []
    for step in range(steps):
        if governor.should_draft():
            drafted.append(step)
            governor.record(4, accepted, 1.0)
        else:
            governor.record(0, 0, 1.0)
    return drafted


def test_drafts_that_keep_nothing_pause_drafting_for_longer_each_time() -> None:
    """Text that does not repeat is told apart within a few drafts, before any timing."""
    missing = Governor(clock=lambda: 0.0, probe_every=1000)  # no plain probes here
    assert _drafted_steps(missing, 0, 55) == [
        0, 1, 2,                           # three drafts keep nothing: a pause
        3 + FIRST_PAUSE, 4 + FIRST_PAUSE, 5 + FIRST_PAUSE,
        6 + 3 * FIRST_PAUSE]               # three more: a pause twice as long
    assert not missing.off  # paused, not ended: a reply may start copying later
    kept = Governor(clock=lambda: 0.0, probe_every=1000)
    assert _drafted_steps(kept, 1, 60) == list(range(60))  # a draft that keeps some goes on


def test_the_governor_keeps_drafting_that_pays() -> None:
    governor = Governor(clock=lambda: 0.0, min_steps=2, probe_every=3)
    plans = []
    for _ in range(12):
        plan = governor.should_draft()
        plans.append(plan)
        # A drafted step of 4 accepted tokens takes 1.5 s; a plain step 1 s for 1 token.
        governor.record(4, 4, 1.5) if plan else governor.record(0, 0, 1.0)
    assert not governor.off
    assert plans.count(False) == 2  # probes until two plain steps were measured
    assert governor.draft_length == 16  # doubled after each fully accepted draft


def test_the_governor_stops_a_draft_model_that_is_too_slow() -> None:
    governor = Governor(clock=lambda: 0.0, min_steps=2, probe_every=2)
    for _ in range(8):
        if governor.should_draft():
            governor.record(4, 2, 4.0)  # 3 tokens in 4 s: slower than plain
        else:
            governor.record(0, 0, 1.0)
    assert governor.off
    assert governor.min_match == STRICT_MATCH  # which a draft model never has
    assert governor.draft_length == 3  # shrank to what was accepted, plus one


def test_choose_draft_needs_the_same_vocabulary_and_a_smaller_file(tmp_path: Path) -> None:
    from desktop_app.core.engine.speculative.draft_choice import choose_draft
    from desktop_app.core.models.gguf import read_vocabulary as vocabulary

    starter = starter_path()
    gemma = Path(__file__).resolve().parents[3] / ".test-cache" / "gemma-3-270m-q4_k_m.gguf"
    if not gemma.exists():
        gemma = Path("/work/main/.test-cache/gemma-3-270m-q4_k_m.gguf")
    vocab = vocabulary(starter)
    assert vocab is not None
    assert vocab.size == 49152
    # A bigger file with the starter's vocabulary: the starter drafts for it, not vice versa.
    bigger = tmp_path / "bigger.gguf"
    bigger.write_bytes(starter.read_bytes() + b"\0" * 4096)
    assert vocabulary(bigger) == vocab
    candidates = [starter, bigger, *([gemma] if gemma.exists() else [])]
    assert choose_draft(bigger, candidates) == starter
    assert choose_draft(starter, candidates) is None  # nothing smaller shares its vocabulary
    if gemma.exists():
        assert vocabulary(gemma) != vocab
        assert choose_draft(gemma, candidates) is None  # smaller, but another family


def test_a_sliding_window_model_drafts_past_its_window_identically(
        demo_model_path: Path) -> None:
    """Gemma 3 (a 512-token sliding window, Q4_K and Q6_K weights): identical replies
    both ways with long drafts, inside the window and past it (the loader keeps a
    full-size cache for the windowed layers, see ``loader.load_model``)."""
    gemma = load_model(LoadOptions(model_path=str(demo_model_path), n_ctx=2048))
    session = Session(gemma)
    ticks = itertools.count()
    session.make_governor = lambda: Governor(clock=lambda: float(next(ticks)))
    try:
        short = "The quick brown fox jumps over the lazy dog. " * 5
        long = "".join(f"Line {i}: the quick brown fox jumps over the lazy dog.\n"
                       for i in range(60))  # about 900 tokens
        for prompt in (short, long):
            replies = []
            for speculative in (False, True):
                session._llama.reset()
                request = GenerateRequest(next(_ids), next(_ids), (),
                                          replace(GREEDY, max_tokens=120,
                                                  speculative=speculative), prompt=prompt)
                replies.append(_send(session, request))
            (plain, _), (fast, stats) = replies
            assert fast == plain
            assert stats.accepted_tokens > 30  # it drafts, in batches of up to 17 rows
    finally:
        session.close()
        gemma.llama.close()
