"""A reply's tokens turned into streamed text, with constant work per token.

llama-cpp-python's ``create_completion`` turns tokens into text by
detokenizing the whole reply again after every token (to find stop strings
and split multi-byte characters), one ctypes call per reply token, in Python.
That grows with the reply: measured here with the starter model, it made
decoding 3-6 % slower at 300 tokens and 6-8 % slower at 600 than the same
token loop without it, and past a few thousand tokens it would cost more than
the model. It also gives no text at all for a token longer than 32 bytes
(its buffer's size), which whitespace tokens for indented code can be.

:class:`TextStream` does the same job in constant time per token: each
token's bytes are asked of llama.cpp once per reply, go through an incremental
UTF-8 decoder, and stop strings are matched only against the text not yet
shown. It keeps ``create_completion``'s contract: the seed is set the same
way, tokens come from ``Llama.generate`` (or the speculative loop, which has
its signature), text that may start a stop string is held back, a stop
string and what follows it are never shown, an end-of-generation token ends
the reply, and ``max_tokens`` counts reply tokens. Tests compare it with
``create_completion`` on the same prompts.
"""

from __future__ import annotations

import codecs
import ctypes
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from desktop_app.core.engine.api import StopReason


class StopMatcher:
    """Finds stop strings in streamed text, holding back what could start one.

    Only text that cannot be the beginning of a stop string is released, so a
    stop string is always found whole within the held text plus the new text:
    the work per call depends on the stop strings' length, not the reply's.
    """

    def __init__(self, stops: Iterable[str]) -> None:
        self._stops = tuple(s for s in stops if s)
        self._held = ""

    def feed(self, text: str) -> tuple[str, bool]:
        """The text that may be shown now, and whether a stop string ended the reply."""
        if not self._stops:
            return text, False
        held = self._held + text
        found = [index for stop in self._stops if (index := held.find(stop)) >= 0]
        if found:
            self._held = ""
            return held[:min(found)], True
        keep = 0  # the longest end of ``held`` that begins some stop string
        for stop in self._stops:
            for length in range(min(len(stop) - 1, len(held)), keep, -1):
                if held.endswith(stop[:length]):
                    keep = length
                    break
        self._held = held[len(held) - keep:] if keep else ""
        return held[:len(held) - keep], False

    def flush(self) -> str:
        """The held text, at the end of a reply that no stop string ended."""
        held, self._held = self._held, ""
        return held


class _Vocabulary:
    """Token ids to their bytes and end-of-generation flags, each asked of llama.cpp once."""

    def __init__(self, llama: Any) -> None:
        import llama_cpp

        self._lib = llama_cpp
        self._vocab = llama._model.vocab
        self._buffer = ctypes.create_string_buffer(64)
        self._pieces: dict[int, bytes] = {}
        self._ends: dict[int, bool] = {}

    def piece(self, token: int) -> bytes:
        """The token's text as llama-cpp-python's ``detokenize`` gives it (special tokens empty)."""
        piece = self._pieces.get(token)
        if piece is None:
            size = self._lib.llama_token_to_piece(self._vocab, token, self._buffer,
                                                  len(self._buffer), 0, False)
            if size < 0:  # the buffer is too small: llama.cpp says how much is needed
                self._buffer = ctypes.create_string_buffer(-size)
                size = self._lib.llama_token_to_piece(self._vocab, token, self._buffer,
                                                      len(self._buffer), 0, False)
            piece = self._buffer.raw[:max(size, 0)]
            self._pieces[token] = piece
        return piece

    def ends_generation(self, token: int) -> bool:
        end = self._ends.get(token)
        if end is None:
            end = self._ends[token] = bool(self._lib.llama_vocab_is_eog(self._vocab, token))
        return end


TokenSource = Callable[..., Iterator[int]]
"""``Llama.generate`` or a function with its signature (the speculative loop)."""


class TextStream:
    """One reply: iterate it for its text; then :attr:`finish` and :attr:`sampled` say how it went.

    ``finish`` is END (an end-of-generation token or a stop string), LENGTH
    (``max_tokens``) or CANCELLED (``cancelled()`` said so). ``sampled``
    counts every token the model chose, the ending one included, as
    llama.cpp's own statistics do.
    """

    def __init__(self, llama: Any, source: TokenSource, stops: Sequence[str],
                 max_tokens: int) -> None:
        self._llama = llama
        self._source = source
        self._stops = StopMatcher(stops)
        self._max_tokens = max_tokens
        self.finish = StopReason.LENGTH
        self.sampled = 0

    def run(self, prompt: list[int], seed: int, sampling: dict[str, Any],
            cancelled: Callable[[], bool] = lambda: False) -> Iterator[str]:
        """Generate after ``prompt`` with ``sampling`` (``generate``'s keywords), yielding text.

        ``cancelled`` is asked after every token. Text is never empty.
        """
        llama = self._llama
        if not prompt:  # (a raw prompt of "" for a model that adds no BOS token)
            raise ValueError("the prompt is empty: there is nothing to continue")
        if len(prompt) >= llama.n_ctx():
            raise ValueError(f"Requested tokens ({len(prompt)}) exceed context window of "
                             f"{llama.n_ctx()}")
        vocabulary = _Vocabulary(llama)
        # Bytes that do not yet end a character wait in the decoder; an invalid byte
        # shows as U+FFFD rather than vanishing.
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        llama.set_seed(seed)
        tokens = self._source(prompt, **sampling)
        reply = 0
        try:
            for token in tokens:
                self.sampled += 1
                if vocabulary.ends_generation(token):
                    self.finish = StopReason.END
                    break
                reply += 1
                text, stopped = self._stops.feed(decoder.decode(vocabulary.piece(token)))
                if text:
                    yield text
                if stopped:
                    self.finish = StopReason.END
                    return
                if reply >= self._max_tokens:
                    self.finish = StopReason.LENGTH
                    break
                if cancelled():
                    self.finish = StopReason.CANCELLED
                    break
        finally:
            close = getattr(tokens, "close", None)
            if close is not None:
                close()  # the speculative loop cuts its drafts out of the cache here
        # Bytes left in the decoder are a character cut off by the end: not shown.
        rest = self._stops.flush()
        if rest:
            yield rest
