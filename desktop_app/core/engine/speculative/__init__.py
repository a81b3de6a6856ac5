"""Speculative decoding: guess several next tokens cheaply, let the model check them in one batch.

A reply that repeats its context (an edited file, a quoted passage, a
summary) spends most of its time writing tokens the prompt already holds.
A *drafter* proposes the next few tokens (:mod:`.drafters`: an n-gram
lookup in the prompt and the reply so far, or a smaller model of the same
family); the target model evaluates the last accepted token and the draft
in one batch, and at every drafted position the normal sampler picks the
token it would have picked anyway (:mod:`.decoder`). Drafted tokens are kept
while they equal what was sampled, so the reply is the one plain decoding
gives: token for token with greedy sampling, and with the same distribution
otherwise. A :class:`.governor.Governor` turns drafting off for the rest of a
reply when it stops paying for itself, except for long matches (a passage
being copied).
"""
