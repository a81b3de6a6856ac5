"""Generating one reply with llama.cpp, reusing the KV cache across turns and conversations.

Reuse within a conversation: llama-cpp-python evaluates only the tokens after
the longest prefix its cache shares with the new prompt. Tokenizing the whole
new prompt could split the old reply differently from how it was generated,
which would break that prefix near its start; so the session remembers the
exact text and tokens it evaluated, and when the new prompt text starts with
that text it reuses those tokens and tokenizes only the new suffix.

Reuse across conversations: when the user switches, the outgoing
conversation's llama.cpp state is saved in memory (a few recent ones, within
a byte budget) and restored when they come back, so neither is re-processed.

Raw completions (``GenerateRequest.prompt``, the API's ``/v1/completions``)
skip the chat template: the text is the whole prompt, tokenized as is with
the BOS token the model asks for. They share everything else (sampling, stop
strings, statistics, cancel, the KV-cache reuse), but their text is passed on
verbatim: no ``<think>`` splitting, and no template stop strings, since a raw
prompt is not a chat turn; the model's end-of-generation tokens still end it.

A request that offers tools has its answer text read by a
:class:`~desktop_app.core.tools.call_parser.CallParser` as it streams: call
markup is never shown, and the calls found go out as one
:class:`ToolCallRequested` before :class:`ReplyFinished`. With
``tool_choice="required"`` the reply is constrained by a grammar made from
the tools' schemas (``core.tools.formats.call_schema``): one JSON call,
always valid, which even a tiny model then makes.

With ``SamplingParams.speculative`` (on by default) a reply is decoded
speculatively (:mod:`desktop_app.core.engine.speculative`): every token is
still the model's own choice, from logits that on the CPU are bit for bit
those of one-token steps (Hearth's llama.cpp patches), so the reply is the
same. A reply made under a grammar is never speculative: the grammar would
have to follow every draft.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from desktop_app.core.engine.api import (
    ChatMessage,
    ContextTrimmed,
    EngineEvent,
    GenerateRequest,
    ReplyFinished,
    ReplyStats,
    Role,
    StopReason,
    TokenChunk,
    ToolCall,
    ToolCallRequested,
)
from desktop_app.core.engine.completion import TextStream, TokenSource
from desktop_app.core.engine.loader import LoadedModel
from desktop_app.core.engine.prompt import PromptError, RenderedPrompt, raw_prompt
from desktop_app.core.engine.protocol import Phase
from desktop_app.core.engine.sampling import use_cheap_penalties
from desktop_app.core.engine.speculative.decoder import speculative_generate
from desktop_app.core.engine.speculative.draft_choice import choose_draft, load_draft
from desktop_app.core.engine.speculative.drafters import Drafter, DraftModel, PromptLookup
from desktop_app.core.engine.speculative.governor import Governor
from desktop_app.core.engine.thinking import ThinkingSplitter, strip_thinking
from desktop_app.core.tools.call_parser import CallParser
from desktop_app.core.tools.formats import ToolFormat, call_schema
from desktop_app.core.user_text import QT_TRANSLATE_NOOP, UserFacingError, UserText, user_text

log = logging.getLogger(__name__)

STATE_BUDGET_BYTES = 1024**3
MAX_SAVED_STATES = 4
MIN_REPLY_ROOM = 64  # a prompt must leave at least this many tokens for the reply
TOO_LONG_CODE = "generate.too_long"
"""The code of the message for a prompt the context cannot hold (the API answers 400)."""


class GenerationError(UserFacingError):
    """A reply could not be generated; the message is shown to the user as is."""


@dataclass
class _Transcript:
    """What the KV cache holds for one conversation: its text and the exact tokens."""

    text: str = ""
    tokens: list[int] = field(default_factory=list)


@dataclass
class _SavedState:
    transcript: _Transcript
    kv: bytes   # the KV cells of sequence 0, from llama_state_seq_get_data
    size: int


def _save_sequence(llama: Any) -> bytes:
    """The KV cache of the conversation in ``llama`` (sequence 0) as bytes.

    llama-cpp-python's ``save_state`` also copies its logits buffer
    (n_batch x vocabulary floats: 512 MB for Gemma 3's 262k vocabulary) and
    scans it again on restore, which made a conversation switch slower than
    a cold prefill. The sequence API saves only the cells in use.
    """
    import ctypes

    import llama_cpp

    ctx = llama._ctx.ctx
    size = llama_cpp.llama_state_seq_get_size(ctx, 0)
    buffer = (ctypes.c_uint8 * size)()
    written = llama_cpp.llama_state_seq_get_data(ctx, buffer, size, 0)
    if written == 0 or written > size:
        raise RuntimeError("llama.cpp could not save the conversation's KV cache")
    return bytes(memoryview(buffer)[:written])


def _restore_sequence(llama: Any, kv: bytes, tokens: list[int]) -> None:
    """Put a saved sequence back; ``tokens`` are the tokens it holds."""
    import ctypes

    import llama_cpp

    llama._ctx.kv_cache_clear()
    buffer = (ctypes.c_uint8 * len(kv)).from_buffer_copy(kv)
    if llama_cpp.llama_state_seq_set_data(llama._ctx.ctx, buffer, len(kv), 0) != len(kv):
        llama._ctx.kv_cache_clear()
        llama.n_tokens = 0
        raise RuntimeError("llama.cpp could not restore the conversation's KV cache")
    llama.input_ids[:len(tokens)] = tokens
    llama.n_tokens = len(tokens)
    # The logits of the last token are not part of the sequence state: make
    # llama-cpp-python evaluate at least one token before sampling.
    llama._requires_eval = True


def _cut_points(messages: tuple[ChatMessage, ...]) -> list[int]:
    """How many of the oldest messages to drop at each trimming step, from 0 up.

    Turns go in user/assistant pairs so the history keeps alternating; the
    latest message always stays. A tool result is never the first message
    kept: it goes with the call before it (templates refuse a result whose
    call is missing).
    """
    cuts = [0]
    while len(messages) - cuts[-1] > 1:
        rest = messages[cuts[-1]:]
        cut = cuts[-1] + (2 if len(rest) > 2 and rest[0].role == Role.USER else 1)
        while cut < len(messages) - 1 and messages[cut].role == Role.TOOL:
            cut += 1
        cuts.append(cut)
    return cuts


def _too_long(tokens: int, n_ctx: int) -> UserText:
    return user_text(TOO_LONG_CODE, QT_TRANSLATE_NOOP(
        "core", "The message is too long for the model's context window "
        "({tokens} tokens; the context holds {n_ctx}). Shorten it or raise the "
        "context length in the model's settings."), tokens=tokens, n_ctx=n_ctx)


def longest_common_prefix(a: list[int], b: list[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


class _Verbatim:
    """A raw completion's text splitter: everything is answer, nothing is held back."""

    def feed(self, text: str) -> tuple[str, str]:
        return text, ""

    def flush(self) -> tuple[str, str]:
        return "", ""


def _call_grammar(request: GenerateRequest) -> Any:
    """A llama.cpp grammar allowing exactly one call of one of the request's tools, or None.

    A schema llama.cpp cannot turn into a grammar (some MCP schemas) leaves the
    reply unconstrained rather than failing it.
    """
    if not request.tools:
        return None
    from llama_cpp.llama_grammar import LlamaGrammar

    try:
        return LlamaGrammar.from_json_schema(json.dumps(call_schema(request.tools)),
                                             verbose=False)
    except (ValueError, RuntimeError, KeyError, TypeError) as exc:
        log.warning("no grammar for the tools' schemas (%s); the call is not constrained", exc)
        return None


class _Calls:
    """The tool calls of one reply: the parser, and the calls it has found so far."""

    def __init__(self, tool_format: ToolFormat) -> None:
        self._parser = CallParser(tool_format)
        self.found: list[ToolCall] = []

    def feed(self, answer: str) -> str:
        parsed = self._parser.feed(answer)
        self.found += parsed.calls
        return parsed.text

    def finish(self) -> str:
        parsed = self._parser.finish()
        self.found += parsed.calls
        return parsed.text


class Session:
    """Generates replies for a loaded model. One per load; lives in the engine process."""

    def __init__(self, model: LoadedModel, draft_model_path: str = "",
                 draft_candidates: tuple[str, ...] = ()) -> None:
        self._model = model
        self._llama = model.llama
        use_cheap_penalties(self._llama)  # the same tokens; see core/engine/sampling.py
        self._conversation_id: int | None = None
        self._transcript = _Transcript()
        self._saved: OrderedDict[int, _SavedState] = OrderedDict()
        self._draft_path = draft_model_path
        self._draft_candidates = draft_candidates
        self._draft: DraftModel | None = None
        self.make_governor: Callable[[], Governor] = Governor
        """A new governor per speculative reply (tests give one a fake clock)."""
        self.make_drafter: Callable[[bool], Drafter] = self._default_drafter
        """The drafter of a speculative reply, given whether it asks for a draft model:
        the draft model if asked and there is one, else prompt lookup."""

    def _default_drafter(self, with_model: bool) -> Drafter:
        """The draft model, chosen and loaded on first use (once per load), or prompt lookup."""
        if not with_model:
            return PromptLookup()
        if self._draft is not None:
            return self._draft
        candidates, self._draft_candidates = self._draft_candidates, ()
        path, self._draft_path = self._draft_path, ""
        if not path and candidates:
            chosen = choose_draft(self._llama.model_path, candidates)
            path = str(chosen) if chosen is not None else ""
        if path:
            try:
                self._draft = DraftModel(load_draft(path, self._llama))
            except (OSError, ValueError, RuntimeError) as exc:
                log.warning("draft model %s not used (%s); drafting by prompt lookup",
                            path, exc)
        return self._draft if self._draft is not None else PromptLookup()

    # ---- prompt building ---------------------------------------------------

    def _render(self, request: GenerateRequest,
                messages: tuple[ChatMessage, ...]) -> RenderedPrompt:
        cleaned = tuple(
            ChatMessage(m.role, strip_thinking(m.content)) if m.role == Role.ASSISTANT else m
            for m in messages)
        return self._model.formatter.render(cleaned, request.system_prompt,
                                            continue_reply=request.continue_reply,
                                            tools=request.tools)

    def _tokenize(self, prompt: RenderedPrompt, transcript: _Transcript) -> list[int]:
        if transcript.tokens and transcript.text and prompt.text.startswith(transcript.text):
            rest = prompt.text[len(transcript.text):]
            suffix: list[int] = self._llama.tokenize(rest.encode("utf-8"), add_bos=False,
                                                     special=True)
            return transcript.tokens + suffix
        tokens = list(self._llama.tokenize(prompt.text.encode("utf-8"),
                                           add_bos=not prompt.starts_with_bos, special=True))
        bos: int = self._llama.token_bos()
        if len(tokens) >= 2 and tokens[0] == tokens[1] == bos:
            del tokens[0]  # a raw prompt that spells out the BOS itself: a doubled BOS hurts
        if not tokens:
            tokens = [bos]  # an empty raw prompt: the model starts from nothing but BOS
        return tokens

    def _build_raw_prompt(self, request: GenerateRequest, room: int,
                          ) -> tuple[RenderedPrompt, list[int], int]:
        """A raw completion's prompt: never trimmed (there are no turns to drop)."""
        assert request.prompt is not None
        rendered = raw_prompt(request.prompt)
        tokens = self._tokenize(rendered, self._transcript)
        n_ctx: int = self._llama.n_ctx()
        if len(tokens) + room > n_ctx:
            raise GenerationError(_too_long(len(tokens), n_ctx))
        return rendered, tokens, 0

    def build_prompt(self, request: GenerateRequest,
                     phase: Callable[[Phase], None] = lambda _phase: None,
                     ) -> tuple[RenderedPrompt, list[int], int]:
        """The prompt that fits the context: (rendered, tokens, messages dropped).

        Drops the oldest turns (never the system prompt or the latest message)
        until the prompt leaves room for a reply. Dropping more never makes a
        prompt longer, so the fewest drops that fit are found by bisection: a
        few renders even for a conversation far longer than the context.
        ``phase`` is told before each render, which is the engine's sign of life
        while a template runs (see ``runner``).
        """
        n_ctx: int = self._llama.n_ctx()
        room = min(max(MIN_REPLY_ROOM, request.params.max_tokens), n_ctx // 4)
        if request.prompt is not None:
            return self._build_raw_prompt(request, room)
        messages = request.messages
        cuts = _cut_points(messages)
        attempts: dict[int, tuple[RenderedPrompt, list[int]]] = {}

        def attempt(i: int) -> tuple[RenderedPrompt, list[int]]:
            if i not in attempts:
                phase(Phase.RENDERING)
                rendered = self._render(request, messages[cuts[i]:])
                attempts[i] = rendered, self._tokenize(rendered, self._transcript)
            return attempts[i]

        def fits(i: int) -> bool:
            return len(attempt(i)[1]) + room <= n_ctx

        if not fits(0):
            if not fits(len(cuts) - 1):
                tokens = attempt(len(cuts) - 1)[1]
                raise GenerationError(_too_long(len(tokens), n_ctx))
            low, high = 0, len(cuts) - 1  # fits(low) is False, fits(high) is True
            while high - low > 1:
                middle = (low + high) // 2
                if fits(middle):
                    high = middle
                else:
                    low = middle
            rendered, tokens = attempt(high)
            return rendered, tokens, cuts[high]
        rendered, tokens = attempt(0)
        return rendered, tokens, 0

    # ---- conversation switching -------------------------------------------------

    def _switch_to(self, conversation_id: int) -> None:
        if conversation_id == self._conversation_id:
            return
        if self._conversation_id is not None and self._transcript.tokens:
            self._save_current()
        saved = self._saved.pop(conversation_id, None)
        self._transcript = _Transcript()
        if saved is not None:
            try:
                _restore_sequence(self._llama, saved.kv, saved.transcript.tokens)
            except RuntimeError as exc:
                log.warning("%s; the prompt will be processed again", exc)
            else:
                self._transcript = saved.transcript
        self._conversation_id = conversation_id

    def _save_current(self) -> None:
        assert self._conversation_id is not None
        if len(self._transcript.tokens) != self._llama.n_tokens:
            return  # the cache no longer matches what we know it holds
        try:
            kv = _save_sequence(self._llama)
        except (RuntimeError, MemoryError) as exc:
            log.warning("could not save the KV state of conversation %s: %s",
                        self._conversation_id, exc)
            return
        self._saved[self._conversation_id] = _SavedState(self._transcript, kv, len(kv))
        while (len(self._saved) > MAX_SAVED_STATES
               or sum(s.size for s in self._saved.values()) > STATE_BUDGET_BYTES):
            self._saved.popitem(last=False)

    # ---- generation -------------------------------------------------------------

    def generate(self, request: GenerateRequest, emit: Callable[[EngineEvent], None],
                 cancelled: Callable[[], bool],
                 phase: Callable[[Phase], None] = lambda _phase: None) -> None:
        """Stream one reply through ``emit``; ``cancelled`` is polled after every token.

        ``phase`` is told what the work is (rendering the prompt, then generating).
        """
        received = time.monotonic()
        params = request.params.validate()
        self._switch_to(request.conversation_id)
        try:
            rendered, tokens, dropped = self.build_prompt(request, phase)
        except PromptError as exc:
            raise GenerationError(exc.text) from exc
        phase(Phase.GENERATING)
        if dropped:
            emit(ContextTrimmed(request.request_id, dropped))
        cached = longest_common_prefix(list(self._llama._input_ids), tokens)
        prompt_eval = len(tokens) - (cached - 1 if cached == len(tokens) else cached)

        seed = params.seed if params.seed is not None else secrets.randbelow(2**31)
        max_tokens = min(params.max_tokens, self._llama.n_ctx() - len(tokens))
        raw = request.prompt is not None
        template_stops = () if raw else self._model.formatter.stops
        stops = list(dict.fromkeys((*template_stops, *params.stop)))

        grammar = _call_grammar(request) if request.tool_choice == "required" and not raw \
            else None
        calls = None
        if request.tools and not raw:
            # A grammar-made reply is one bare JSON call, which the Llama 3 reading parses.
            calls = _Calls(ToolFormat.LLAMA3 if grammar is not None
                           else self._model.formatter.tool_format)

        governor: Governor | None = None
        source: TokenSource = self._llama.generate
        if params.speculative and grammar is None:
            governor = self.make_governor()
            source = speculative_generate(self._llama, self.make_drafter(params.draft_model),
                                          governor, max_tokens)
        stream = TextStream(self._llama, source, stops, max_tokens)
        sampling = {"temp": params.temperature, "top_k": params.top_k, "top_p": params.top_p,
                    "min_p": params.min_p, "repeat_penalty": params.repeat_penalty,
                    "grammar": grammar}
        splitter: ThinkingSplitter | _Verbatim = _Verbatim() if raw else ThinkingSplitter()
        first_at: float | None = None
        try:
            for text in stream.run(tokens, seed, sampling, cancelled):
                if first_at is None:
                    first_at = time.monotonic()
                self._emit_text(request.request_id, splitter.feed(text), emit, calls)
        except (RuntimeError, ValueError) as exc:
            raise GenerationError(user_text("generate.llama_failed", QT_TRANSLATE_NOOP(
                "core", "llama.cpp failed while generating: {reason}"), reason=str(exc))) from exc
        finally:
            self._remember(rendered, len(tokens))
        stop_reason = stream.finish
        sampled = stream.sampled
        self._emit_text(request.request_id, splitter.flush(), emit, calls)
        if calls is not None:
            self._emit_text(request.request_id, (calls.finish(), ""), emit)
            if calls.found and stop_reason != StopReason.CANCELLED:
                emit(ToolCallRequested(request.request_id, tuple(calls.found)))
        ended = time.monotonic()
        decode_time = ended - first_at if first_at is not None else 0.0
        stats = ReplyStats(
            prompt_tokens=len(tokens), prompt_eval_tokens=prompt_eval,
            completion_tokens=sampled,
            time_to_first_token=(first_at - received) if first_at is not None else 0.0,
            tokens_per_second=(sampled - 1) / decode_time if sampled > 1 and decode_time > 0
            else 0.0,
            stop_reason=stop_reason, seed=seed,
            drafted_tokens=governor.drafted_tokens if governor is not None else 0,
            accepted_tokens=governor.accepted_tokens if governor is not None else 0)
        emit(ReplyFinished(request.request_id, stats))

    @staticmethod
    def _emit_text(request_id: int, parts: tuple[str, str],
                   emit: Callable[[EngineEvent], None], calls: _Calls | None = None) -> None:
        answer, thinking = parts
        if calls is not None:
            answer = calls.feed(answer)
        if thinking:
            emit(TokenChunk(request_id, thinking, thinking=True))
        if answer:
            emit(TokenChunk(request_id, answer))

    def _remember(self, rendered: RenderedPrompt, prompt_len: int) -> None:
        """Record the text and tokens the KV cache now holds (prompt plus evaluated reply)."""
        evaluated = list(self._llama._input_ids)
        if len(evaluated) < prompt_len:
            self._transcript = _Transcript()
            return
        reply_tokens = evaluated[prompt_len:]
        try:
            reply_text = self._llama.detokenize(
                reply_tokens, prev_tokens=evaluated[:prompt_len], special=True).decode(
                    "utf-8", errors="strict") if reply_tokens else ""
        except UnicodeDecodeError:
            # Stopped inside a multi-byte character: the text cannot be matched
            # exactly, so the next turn falls back to llama's own prefix matching.
            self._transcript = _Transcript()
            return
        self._transcript = _Transcript(rendered.text + reply_text, evaluated)

    def close(self) -> None:
        self._saved.clear()
        if self._draft is not None:
            self._draft.close()
            self._draft = None
