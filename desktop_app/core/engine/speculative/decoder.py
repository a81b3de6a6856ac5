"""The speculative token loop, in place of ``Llama.generate`` for one completion.

llama-cpp-python has its own speculative path (``Llama(draft_model=...)``),
but it forces ``logits_all=True`` on the whole model: every prompt token's
logits are computed and copied into an ``n_ctx x n_vocab`` float array
(800 MB for a 4k context and a 49k vocabulary), which slows every prefill
to speed up some replies. Here logits are asked for only at the drafted
positions of each verification batch.

The loop has ``Llama.generate``'s signature and is the token source of
:class:`~desktop_app.core.engine.completion.TextStream` in its place: the
token-to-text work downstream (stop strings, held-back text, multi-byte
characters, end-of-generation tokens, ``max_tokens``, cancel) is the same
code with and without drafting.

Exactness. The sampler is the one ``generate`` would build
(``Llama._init_sampler`` with the same arguments and seed). Each step
evaluates the last sampled token and the draft in one batch; at drafted
position ``i`` the sampler picks from the target's logits there, exactly as
it would have after plain decoding of the same tokens, and the draft is kept
while it agrees. On the first disagreement the sampled token is kept and
the rest of the draft leaves the KV cache. The sampler is asked once per
reply token in both paths, so its state (repeat-penalty history, random
number stream) advances identically: greedy replies are the same tokens,
and seeded sampling too as long as the logits are bit-identical (see
``tests/core/engine/test_speculative.py``).

State. ``input_ids``/``n_tokens`` always describe the KV cache. When the
consumer stops (a stop string, the end-of-turn token, ``max_tokens``,
cancel) the cache is cut back to what plain decoding would hold at that
point, the prompt and every reply token but the last, so the session's
transcript, conversation saving and next-turn prefix reuse see no
difference.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from typing import Any

from desktop_app.core.engine.speculative.drafters import Drafter
from desktop_app.core.engine.speculative.governor import Governor


def _reuse_prefix(llama: Any, tokens: list[int], reset: bool) -> tuple[list[int], bool]:
    """``Llama.generate``'s prefix reuse, unchanged: what is left to evaluate, and reset.

    Kept to the letter (llama-cpp-python 0.3.x) so the KV cache after the
    prompt is what plain decoding leaves.
    """
    if reset and llama.n_tokens > 0:
        longest_prefix = 0
        for a, b in zip(llama._input_ids, tokens, strict=False):
            if a != b:
                break
            longest_prefix += 1
        prompt_consumed = longest_prefix == len(tokens)
        exact_prompt_cached = llama.n_tokens == len(tokens) and prompt_consumed
        if exact_prompt_cached and not llama._requires_eval:
            return [], False
        reuse_prefix = longest_prefix - 1 if prompt_consumed else longest_prefix
        if reuse_prefix > 0 and llama._ctx.kv_cache_seq_rm(-1, reuse_prefix, -1):
            llama.n_tokens = reuse_prefix
            llama._requires_eval = True
            return tokens[reuse_prefix:], False
    return tokens, reset


def _cut(llama: Any, keep: int) -> None:
    """Drop KV cells from position ``keep`` on, so the cache holds ``keep`` tokens."""
    if llama.n_tokens > keep:
        llama._ctx.kv_cache_seq_rm(-1, keep, -1)
        llama.n_tokens = keep
        llama._requires_eval = True  # the logits in the context are not the last token's


def speculative_generate(llama: Any, drafter: Drafter, governor: Governor, budget: int,
                         ) -> Callable[..., Generator[int, Any, None]]:
    """A drop-in ``generate`` for ``llama`` that drafts with ``drafter``.

    ``budget`` is the reply's token limit: drafts never reach past it or
    past the context; counts go to ``governor``.
    """

    def generate(tokens: Sequence[int], *, reset: bool = True,
                 **sampling: Any) -> Generator[int, Any, None]:
        prompt = list(tokens)
        rest, reset = _reuse_prefix(llama, prompt, reset)
        if reset:
            llama.reset()
        sampler = llama._init_sampler(**sampling)
        llama._sampler = sampler
        ctx = llama._ctx
        llama.eval(rest)
        base = llama.n_tokens  # where the reply's first token goes
        n_ctx: int = llama.n_ctx()
        handed = 0  # reply tokens handed to the consumer (the last is not evaluated)
        pending = [sampler.sample(ctx, -1)]
        clock = governor.clock
        try:
            while True:
                for token in pending:
                    handed += 1
                    yield token
                started = clock()
                last = pending[-1]
                if handed == len(pending):
                    # After the first token, so indexing the prompt (or a draft model's
                    # prefill) never delays it.
                    drafter.start(llama.input_ids[:base].tolist())
                drafter.extend(pending)
                room = min(n_ctx - llama.n_tokens - 1, budget - handed - 1)
                draft: list[int] = []
                if room > 0 and governor.should_draft():
                    draft = drafter.propose(min(room, governor.draft_length),
                                            governor.min_match)[:room]
                batch = [last, *draft]
                n_past = llama.n_tokens
                llama._batch.set_batch(batch=batch, n_past=n_past, logits_all=bool(draft))
                ctx.decode(llama._batch)
                llama.input_ids[n_past:n_past + len(batch)] = batch
                llama.n_tokens = n_past + len(batch)
                llama._requires_eval = False
                accepted = 0
                while True:
                    sampled = sampler.sample(ctx, accepted)
                    if accepted < len(draft) and sampled == draft[accepted]:
                        accepted += 1
                        continue
                    break
                _cut(llama, n_past + 1 + accepted)
                pending = [*draft[:accepted], sampled]
                governor.record(len(draft), accepted, clock() - started)
        finally:
            # Back to what plain decoding holds after ``handed`` tokens: all but the last.
            _cut(llama, base + handed - 1)

    return generate
