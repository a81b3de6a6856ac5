"""How many tokens the sources may take in a prompt, estimated without the model's tokenizer.

The tokenizer lives in the engine's child process; asking it for every
question would be a round trip through the engine queue, behind a reply that
may be streaming. So the GUI estimates: one token per CJK character (their
tokenizers give about one per character, often less) and one per
:data:`LATIN_CHARS_PER_TOKEN` other characters (English BPE averages about
four; three leaves room for code, numbers and other languages). Erring high
only leaves a source out; erring low would make the engine trim the history.
"""

from __future__ import annotations

import math
import re

LATIN_CHARS_PER_TOKEN = 3.0
TEMPLATE_TOKENS_PER_MESSAGE = 8
"""Role markers and separators the chat template adds around each message."""
SAFETY_TOKENS = 64
MAX_SHARE = 0.6
"""At most this share of the context goes to sources, however short the history."""

_CJK = re.compile("[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\u3040-\u30ff]")


def estimate_tokens(text: str) -> int:
    """A slightly pessimistic token count for ``text`` (module docstring)."""
    cjk = len(_CJK.findall(text))
    return cjk + math.ceil((len(text) - cjk) / LATIN_CHARS_PER_TOKEN)


def sources_budget(n_ctx: int, history: list[str], reply_tokens: int) -> int:
    """Tokens left for the sources block: the context minus history, reply room and a margin.

    ``history`` is every message's text the request carries (system prompt
    included); ``reply_tokens`` the reply's maximum length, capped at a
    quarter of the context (the engine cuts a reply at the context's end anyway).
    """
    used = sum(estimate_tokens(text) + TEMPLATE_TOKENS_PER_MESSAGE for text in history)
    room = min(max(0, reply_tokens), n_ctx // 4)
    return max(0, min(int(n_ctx * MAX_SHARE), n_ctx - used - room - SAFETY_TOKENS))
