"""The sampler chain llama-cpp-python builds, reordered so the repeat penalty is cheap.

``Llama._init_sampler`` puts llama.cpp's penalties sampler first, on the whole
vocabulary: one hash lookup per token of the vocabulary for every token of a
reply (49,152 for SmolLM2, 262,144 for Gemma 3), a fixed 0.2 ms a token here,
about 1.5 % of SmolLM2's decode step on 2 cores, which top-k then throws away
for all but 40 candidates.

:func:`penalties_after_top_k` builds the same samplers with the same
arguments, and in front of the penalties a top-k that keeps ``k +
penalty_last_n`` candidates. That is exact whenever the penalties can only
lower a logit (a repeat penalty of at least 1, frequency and presence
penalties of at least 0, Hearth's settings and llama.cpp's defaults): at
most ``penalty_last_n`` distinct tokens are penalized, so the ``k`` best
after the penalties are always among the ``k + penalty_last_n`` best before
them; the top-k after the penalties then picks the same ``k`` candidates in
the same order, and every later sampler, the random draw included, sees the
same array. (Candidates with exactly equal logits may come out in another
order, which llama.cpp leaves unspecified either way.) Any other setting, or
a logits processor or grammar, gets llama-cpp-python's own chain.

The function replaces ``_init_sampler`` on one ``Llama`` object
(:func:`use_cheap_penalties`), because that is where both ``Llama.generate`` and
Hearth's speculative loop get their sampler: there is no public hook.
"""

from __future__ import annotations

import functools
from typing import Any


def penalties_after_top_k(llama: Any, stock: Any, *, top_k: int = 40, top_p: float = 0.95,
                          min_p: float = 0.05, typical_p: float = 1.0, temp: float = 0.80,
                          repeat_penalty: float = 1.0, frequency_penalty: float = 0.0,
                          presence_penalty: float = 0.0, mirostat_mode: int = 0,
                          logits_processor: Any = None, grammar: Any = None,
                          **other: Any) -> Any:
    """``Llama._init_sampler``'s chain for ``llama``, its penalties moved behind a top-k.

    ``stock`` is the original bound ``_init_sampler``, used when the
    reordering would not be exact (see the module docstring).
    """
    from llama_cpp import _internals

    chain: Any = _internals.LlamaSampler  # untyped in llama-cpp-python
    last_n: int = llama.last_n_tokens_size
    penalizes = repeat_penalty != 1.0 or frequency_penalty != 0.0 or presence_penalty != 0.0
    only_lowers = repeat_penalty >= 1.0 and frequency_penalty >= 0.0 and presence_penalty >= 0.0
    greedy = temp == 0.0
    if (not penalizes or not only_lowers or last_n <= 0 or logits_processor is not None
            or grammar is not None or temp < 0.0 or (not greedy and mirostat_mode != 0)
            or (not greedy and top_k <= 0)):
        return stock(top_k=top_k, top_p=top_p, min_p=min_p, typical_p=typical_p, temp=temp,
                     repeat_penalty=repeat_penalty, frequency_penalty=frequency_penalty,
                     presence_penalty=presence_penalty, mirostat_mode=mirostat_mode,
                     logits_processor=logits_processor, grammar=grammar, **other)
    sampler = chain()
    # Greedy keeps the best one after the penalties: it is among the 1 + last_n best.
    sampler.add_top_k((1 if greedy else top_k) + last_n)
    sampler.add_penalties(n_vocab=llama.n_vocab(), penalty_last_n=last_n,
                          penalty_repeat=repeat_penalty, penalty_freq=frequency_penalty,
                          penalty_present=presence_penalty)
    if greedy:
        sampler.add_greedy()
        return sampler
    # From here on, Llama._init_sampler's chain as it is (llama-cpp-python 0.3).
    min_keep = 1
    sampler.add_top_k(top_k)
    sampler.add_typical(typical_p, min_keep)
    sampler.add_top_p(top_p, min_keep)
    sampler.add_min_p(min_p, min_keep)
    sampler.add_temp(temp)
    sampler.add_dist(llama._seed)
    return sampler


def use_cheap_penalties(llama: Any) -> None:
    """Make ``llama`` build :func:`penalties_after_top_k` chains from now on."""
    stock = llama._init_sampler
    if isinstance(stock, functools.partial):  # installed already
        return
    llama._init_sampler = functools.partial(penalties_after_top_k, llama, stock)
