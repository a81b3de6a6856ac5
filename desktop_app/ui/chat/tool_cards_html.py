"""The HTML of the tool cards under a reply: which tool, from where, its arguments, its result.

Everything on a card came from the model or from a tool, so everything is
escaped and shown as text: a result holding ``<img src=file:///…>`` or a
link shows those characters, loads nothing and links nowhere. The only link
is Hearth's own ``hearth-tool:<n>``, which shows or hides card n's result
(collapsed by default: results can be long). Cards are numbered by position,
never by the model's call id, which is the model's text too.
"""

from __future__ import annotations

import html
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QUrl

from desktop_app.ui.chat.markdown import Palette
from desktop_app.ui.chat.tool_card import CardStatus, ToolCard

TOOL_SCHEME = "hearth-tool"
"""``hearth-tool:<n>`` shows or hides the result of the reply's n-th card."""
PREVIEW_CHARS = 120


@dataclass(frozen=True)
class CardLabels:
    """The cards' words, translated by the caller (the delegate's ``tr``)."""

    status: dict[CardStatus, str]
    show_result: str = "Result"
    seconds: str = "{s:.1f} s"


def card_number(url: QUrl) -> int | None:
    """The card a ``hearth-tool:`` link names; None for anything else."""
    if url.scheme() != TOOL_SCHEME or not url.path().isdigit():
        return None
    return int(url.path())


def _pre(text: str, palette: Palette) -> str:
    return (f'<pre style="white-space:pre-wrap;margin:0;background-color:'
            f'{palette.code_background}">{html.escape(text)}</pre>')


def tool_cards_html(cards: Sequence[ToolCard], expanded: Collection[int], palette: Palette,
                    labels: CardLabels) -> str:
    """One bordered card per call; a card's result shows when its number is in ``expanded``."""
    parts: list[str] = []
    for number, card in enumerate(cards):
        muted = palette.code_header
        status = labels.status.get(card.status, str(card.status))
        seconds = (" · " + labels.seconds.format(s=card.seconds)) if card.seconds else ""
        head = (f"<b>{html.escape(card.name)}</b> <span style=\"color:{muted}\">· "
                f"{html.escape(card.source)} · {html.escape(status)}{html.escape(seconds)}"
                "</span>")
        body = [head, _pre(card.arguments, palette)]
        if card.result:
            open_ = number in expanded
            arrow = "\u25be" if open_ else "\u25b8"
            preview = "" if open_ else " " + html.escape(
                " ".join(card.result.split())[:PREVIEW_CHARS])
            body.append(f'<a href="{TOOL_SCHEME}:{number}" style="color:{muted};'
                        f'text-decoration:none">{arrow} {html.escape(labels.show_result)}</a>'
                        f'<span style="color:{muted}">{preview}</span>')
            if open_:
                body.append(_pre(card.result, palette))
        parts.append(f'<table width="100%" cellspacing="0" cellpadding="6" border="1" '
                     f'style="margin-top:6px;border-color:{palette.border};border-style:solid">'
                     f'<tr><td>{"<br/>".join(body)}</td></tr></table>')
    return "".join(parts)
