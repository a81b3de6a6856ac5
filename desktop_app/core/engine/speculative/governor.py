"""Deciding, step by step, whether drafting pays for itself in this reply.

A drafted step costs more than a plain one (a wider batch, and for a draft
model its own decoding) and is worth it only when enough drafted tokens are
accepted. Rather than guess that from the acceptance rate, the governor
measures what matters: tokens per second of the drafted steps against the
plain steps of the same reply. Plain steps come for free when the drafter
has no guess; when it always has one (a draft model), every
``PROBE_EVERY``-th step is decoded plainly until there are enough of them.
As soon as both kinds have ``MIN_STEPS`` steps and the drafted ones are
slower, drafting stops for the rest of the reply, except where the drafter
continues a match of at least ``STRICT_MATCH`` tokens (:attr:`Governor.min_match`):
a reply often begins in its own words, where drafts lose, and quotes or copies
afterwards, where a long match is nearly always right (measured in the engine: a document
answer whose first sentence lost its early drafts ran at 1.03x plain instead
of 1.4x, the quoted paragraph after it decoded one token at a time). Prose
rarely matches that long, so it pays for no more wrong drafts. Before that, drafts that
keep nothing a few times in a row pause drafting for a while (``FIRST_PAUSE``,
doubling), so a reply that does not repeat its context pays for only a few
wrong drafts.

The draft length adapts too: it doubles after a fully accepted draft (a
copied passage) and shrinks to what was accepted plus one after a miss.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

MIN_STEPS = 8
"""Steps of each kind (drafted, plain) measured before a decision: fewer are noise."""

PROBE_EVERY = 2
"""While plain steps are missing, one step in this many is decoded plainly to measure them.
A probe costs nothing (it is the speed without drafting), so they come often: the
sooner both kinds are measured, the fewer losing drafts a reply pays for."""

MIN_DRAFT, FIRST_DRAFT, MAX_DRAFT = 1, 4, 16

STRICT_MATCH = 16
"""Once drafting was timed slower than plain decoding, a match this long still drafts.
Shorter ones mislead in repetitive replies: the starter model's reply to the code edit
of bench/bench_speculative.py repeats a two-line function with a new number each time,
so matches of 8-13 tokens break at every number (8 cost that task 4 %)."""

MISSES_IN_A_ROW, FIRST_PAUSE, MAX_PAUSE = 3, 16, 256
"""After this many drafted steps in a row that kept nothing, drafting pauses for
``FIRST_PAUSE`` steps, twice as long after each later run of misses. On a CPU a
verification batch costs nearly as much as its rows decoded one by one (a batch of 5
rows about 3.3 steps with the starter model, bench/bench_speculative.py), so every wrong
draft is paid in full; a pause, not the end, because a reply often starts in its own
words ("Here is the file:") and copies afterwards."""


@dataclass
class _Tally:
    steps: int = 0
    tokens: int = 0
    seconds: float = 0.0

    def add(self, tokens: int, seconds: float) -> None:
        self.steps += 1
        self.tokens += tokens
        self.seconds += seconds

    def rate(self) -> float:
        return self.tokens / self.seconds if self.seconds > 0 else float("inf")


class Governor:
    """Times a reply's steps and says whether the next one should be drafted, and how far.

    ``clock`` is injectable so tests can make drafting look slow or fast.
    """

    def __init__(self, clock: Callable[[], float] = time.perf_counter,
                 min_steps: int = MIN_STEPS, probe_every: int = PROBE_EVERY) -> None:
        self.clock = clock
        self._min_steps = min_steps
        self._probe_every = probe_every
        self._drafted = _Tally()
        self._plain = _Tally()
        self._since_plain = 0
        self.draft_length = FIRST_DRAFT
        self.off = False
        self._misses = 0  # drafted steps in a row that kept nothing
        self._pause = 0  # steps left before drafting again
        self._next_pause = FIRST_PAUSE
        self.drafted_tokens = 0
        self.accepted_tokens = 0

    @property
    def min_match(self) -> int:
        """The context match a draft needs now: any (0), or a long one once ``off``."""
        return STRICT_MATCH if self.off else 0

    def should_draft(self) -> bool:
        """False while drafting pauses, or when this step is a plain probe; once ``off``,
        True so that long matches (:attr:`min_match`) can still draft."""
        if self._pause:
            self._pause -= 1
            return False
        probing = (not self.off and self._plain.steps < self._min_steps
                   and self._since_plain + 1 >= self._probe_every)
        return not probing

    def record(self, drafted: int, accepted: int, seconds: float) -> None:
        """One step: ``drafted`` tokens proposed (0: a plain step), ``accepted`` of them
        kept, taking ``seconds`` in all (drafting, decoding and sampling)."""
        produced = accepted + 1  # the token sampled after the accepted ones
        if drafted == 0:
            self._plain.add(produced, seconds)
            self._since_plain = 0
            return
        self._since_plain += 1
        self._drafted.add(produced, seconds)
        self.drafted_tokens += drafted
        self.accepted_tokens += accepted
        if accepted == drafted:
            self.draft_length = min(MAX_DRAFT, 2 * self.draft_length)
        else:
            self.draft_length = max(MIN_DRAFT, accepted + 1)
        self._misses = 0 if accepted else self._misses + 1
        if self._misses >= MISSES_IN_A_ROW:
            self._misses = 0
            self._pause = self._next_pause
            self._next_pause = min(MAX_PAUSE, 2 * self._next_pause)
        if (self._drafted.steps >= self._min_steps and self._plain.steps >= self._min_steps
                and self._drafted.rate() < self._plain.rate()):
            self.off = True
