"""Fetching one web page as text: the only built-in tool that uses the network.

Off unless the user switches it on, and refused while Hearth is offline
(``is_offline`` is asked at every call, so switching offline mode on takes
effect at once). What it will do, and nothing more:

* ``http`` and ``https`` URLs only, also after every redirect (at most
  :data:`MAX_REDIRECTS`, each checked again), so a page cannot bounce the
  request to ``file:`` or another scheme;
* at most :data:`MAX_BYTES` read and :data:`SECONDS` for the whole fetch;
* HTML is reduced to its text by the documents' tokenizer-only
  :class:`~desktop_app.core.documents.html_text.HtmlText` (nothing the page
  names is loaded or run); ``text/*`` and JSON are passed as text; anything
  else is refused.

The page is untrusted: its text reaches the model only as a fenced tool result.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from desktop_app.core.documents.html_text import HtmlText
from desktop_app.core.engine.api import ToolSpec
from desktop_app.core.tools.toolbox import BUILTIN_SOURCE, ToolError, ToolResult

MAX_BYTES = 2 * 1024 * 1024
SECONDS = 15.0
MAX_REDIRECTS = 5
USER_AGENT = "Hearth/0.1 (desktop chat; fetches one page when the user approves)"

SPEC = ToolSpec(
    name="fetch_web_page",
    description="Fetch a web page (http or https) and return its text.",
    parameters='{"type": "object", "properties": {"url": {"type": "string", '
               '"description": "The full URL, starting with https://"}}, "required": ["url"]}')

_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/xhtml+xml")


class WebFetch:
    """The ``fetch_web_page`` tool. ``is_offline`` is the app's offline switch."""

    spec = SPEC
    source = BUILTIN_SOURCE

    def __init__(self, is_offline: Callable[[], bool], *, max_bytes: int = MAX_BYTES,
                 seconds: float = SECONDS) -> None:
        self._is_offline = is_offline
        self._max_bytes = max_bytes
        self._seconds = seconds

    def run(self, arguments: dict[str, Any], timeout: float) -> ToolResult:
        if self._is_offline():
            raise ToolError("Hearth is in offline mode, so web pages cannot be fetched.")
        url = str(arguments.get("url") or "").strip()
        seconds = min(self._seconds, timeout)
        deadline = time.monotonic() + seconds
        with httpx.Client(follow_redirects=False, trust_env=False,
                          headers={"User-Agent": USER_AGENT}) as client:
            for _ in range(MAX_REDIRECTS + 1):
                _check_url(url)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise ToolError(f"The page did not load within {seconds:g} seconds.")
                try:
                    with client.stream("GET", url, timeout=httpx.Timeout(left)) as response:
                        if response.is_redirect:
                            url = urljoin(url, response.headers.get("Location", ""))
                            continue
                        if response.status_code >= 400:
                            raise ToolError(f"The server answered HTTP {response.status_code}.")
                        return self._read(response, deadline, seconds)
                except httpx.TimeoutException:
                    raise ToolError(
                        f"The page did not load within {seconds:g} seconds.") from None
                except httpx.HTTPError as exc:
                    raise ToolError(f"The page could not be fetched: {type(exc).__name__}.") \
                        from None
        raise ToolError(f"The page redirected more than {MAX_REDIRECTS} times.")

    def _read(self, response: httpx.Response, deadline: float, seconds: float) -> ToolResult:
        kind = response.headers.get("Content-Type", "text/html").split(";")[0].strip().lower()
        if not kind.startswith(_TEXT_TYPES):
            raise ToolError(f"The page is {kind[:60]}, not text; it was not read.")
        data = bytearray()
        cut = False
        for piece in response.iter_bytes():
            data += piece
            if len(data) >= self._max_bytes:
                del data[self._max_bytes:]
                cut = True
                break
            if time.monotonic() > deadline:
                raise ToolError(f"The page did not load within {seconds:g} seconds.")
        text = data.decode(response.encoding or "utf-8", errors="replace")
        if "html" in kind:
            text = html_to_text(text)
        if cut:
            text += f"\n[Only the first {self._max_bytes:,} bytes of the page were read.]"
        return ToolResult(f"{response.url}\n\n{text.strip()}", truncated=cut)


def _check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ToolError(f"Only http and https addresses can be fetched, not {url[:100]!r}.")


def html_to_text(html: str) -> str:
    """The readable text of an HTML page, headings on their own lines."""
    parser = HtmlText()
    parser.feed(html)
    parts: list[str] = []
    last_heading = None
    for heading, body in parser.take(final=True):
        if heading and heading != last_heading:
            parts.append(f"# {heading}")
            last_heading = heading
        lines = (" ".join(line.split()) for line in body.splitlines())
        parts.append(re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip())
    return "\n\n".join(p for p in parts if p)
