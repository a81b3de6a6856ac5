"""Drafters: cheap guesses of the next few tokens, checked by the target model afterwards.

A drafter sees the reply's tokens as they are accepted (:meth:`Drafter.start`
with the prompt, :meth:`Drafter.extend` with every accepted token) and
proposes up to ``k`` tokens that may follow. It must be deterministic for a
given history: the verification in :mod:`.decoder` keeps the target model's
distribution exactly only for a drafter that does not sample.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

MAX_NGRAM = 4
"""The longest suffix matched first: long matches are the reliable ones (a copied line)."""

MIN_NGRAM = 3
"""Shorter matches are tried down to this length. One or two tokens ("the", "of the")
match almost anywhere in prose, and a wrong draft costs a wider batch for nothing;
a copied passage matches on longer runs at once."""

class Drafter(Protocol):
    """Proposes tokens that may come next; told about every token the reply accepts."""

    def start(self, prompt: Sequence[int]) -> None:
        """A new reply begins after ``prompt``: forget the previous one."""
        ...

    def extend(self, tokens: Sequence[int]) -> None:
        """``tokens`` were accepted (sampled by the target) after what came before."""
        ...

    def propose(self, k: int, min_match: int = 0) -> list[int]:
        """Up to ``k`` tokens that may follow the history; empty when there is no guess.

        ``min_match`` > 0 asks only for the continuation of a match of at least that
        many tokens of context (a passage being copied); a drafter that does not
        match context (a draft model) has no such guess.
        """
        ...


class PromptLookup:
    """Prompt-lookup decoding: continue the latest earlier occurrence of the last few tokens.

    An index maps every n-gram (``MIN_NGRAM`` to ``MAX_NGRAM`` tokens) of the
    history to the position of the token that followed its latest
    occurrence, so a proposal is a few dictionary lookups whatever the
    prompt's length (a retrieved document, a 300-line file), and each
    accepted token adds ``MAX_NGRAM - MIN_NGRAM + 1`` entries.
    """

    def __init__(self, max_ngram: int = MAX_NGRAM, min_ngram: int = MIN_NGRAM) -> None:
        if not 1 <= min_ngram <= max_ngram:
            raise ValueError(f"n-gram lengths {min_ngram}..{max_ngram} are not a range")
        self._max = max_ngram
        self._min = min_ngram
        self._history: list[int] = []
        self._follower: dict[tuple[int, ...], int] = {}

    def start(self, prompt: Sequence[int]) -> None:
        self._history = []
        self._follower = {}
        self.extend(prompt)

    def extend(self, tokens: Sequence[int]) -> None:
        history, follower = self._history, self._follower
        for token in tokens:
            end = len(history)  # the position ``token`` takes: it follows every n-gram ending here
            for n in range(self._min, min(self._max, end) + 1):
                follower[tuple(history[end - n:end])] = end
            history.append(token)

    def propose(self, k: int, min_match: int = 0) -> list[int]:
        history = self._history
        if k < 1:
            return []
        for n in range(min(self._max, len(history)), self._min - 1, -1):
            at = self._follower.get(tuple(history[-n:]))
            if at is not None:
                if min_match > n and self._match_length(at, min_match) < min_match:
                    return []
                return history[at:at + k]
        return []

    def _match_length(self, at: int, limit: int) -> int:
        """How many tokens before ``at`` equal the history's last ones, up to ``limit``."""
        history = self._history
        length = 0
        while length < min(limit, at) and history[at - 1 - length] == history[-1 - length]:
            length += 1
        return length


class DraftModel:
    """A smaller model of the same family, run greedily in the engine process.

    Its KV cache follows the reply: before each proposal the tokens it holds
    are compared with the history, rejected draft tokens are dropped from its
    cache and only what is new is evaluated (the prompt once per reply, then
    a token or a few per step). ``llama`` is a ``llama_cpp.Llama`` with the
    same vocabulary as the target (see :mod:`.draft_choice`).
    """

    def __init__(self, llama: Any) -> None:
        import numpy as np

        self._np = np
        self._llama = llama
        self._n_vocab: int = llama.n_vocab()
        self._n_ctx: int = llama.n_ctx()
        self._history: list[int] = []

    @property
    def llama(self) -> Any:
        return self._llama

    def start(self, prompt: Sequence[int]) -> None:
        self._history = list(prompt)

    def extend(self, tokens: Sequence[int]) -> None:
        self._history.extend(tokens)

    def _sync(self) -> bool:
        """Make the draft's cache hold exactly the history; False if it does not fit."""
        llama, history = self._llama, self._history
        if len(history) >= self._n_ctx:
            return False
        held = llama.input_ids[:llama.n_tokens].tolist()
        same = 0
        for a, b in zip(held, history, strict=False):
            if a != b:
                break
            same += 1
        if same == len(history):
            same -= 1  # re-evaluate the last token: its logits are what the next guess needs
        llama.n_tokens = same  # eval() removes the cells from here on first
        llama.eval(history[same:])
        return True

    def _best(self) -> int:
        import llama_cpp

        logits = self._np.ctypeslib.as_array(
            llama_cpp.llama_get_logits_ith(self._llama.ctx, -1), shape=(self._n_vocab,))
        return int(logits.argmax())

    def propose(self, k: int, min_match: int = 0) -> list[int]:
        import llama_cpp

        k = min(k, self._n_ctx - len(self._history) - 1)
        if k < 1 or min_match > 0 or not self._sync():
            return []
        vocab = self._llama._model.vocab
        draft: list[int] = []
        while True:
            token = self._best()
            if llama_cpp.llama_vocab_is_eog(vocab, token):
                break  # the reply ends here: the target decides that on its own
            draft.append(token)
            if len(draft) == k:
                break
            self._llama.eval([token])
        return draft

    def close(self) -> None:
        close = getattr(self._llama, "close", None)
        if close is not None:
            close()
