"""Untrusted strings that must reach the screen as text and never make Qt open anything.

Each image name is one way rich text could reach a file or the network;
functions take the per-test paths (a FIFO in ``tmp_path``, a local port).
"""

from __future__ import annotations

from pathlib import Path

ZERO_IMAGE = "![x](file:///dev/zero)"
"""Read as an image, this grew the window to 3 GB in 6 s and aborted it."""

PASSWD_IMAGE = "![p](file:///etc/passwd)"
QRC_IMAGE = "![q](qrc:/qt-project.org/styles/commonstyle/images/file-16.png)"
RELATIVE_IMAGE = "![r](x.png)"
UNC_IMAGE = "![u](//server/share/x.png)"
HTML_IMAGE = '<img src="file:///dev/zero" width="99999" height="99999">'


def fifo_images(fifo: Path) -> list[str]:
    """A FIFO named as an image every way Markdown allows: opening it for reading hangs."""
    return [f"![f](file://{fifo})", f"![f]({fifo})", f'<img src="{fifo}">']


def http_image(port: int) -> str:
    return f"![h](http://127.0.0.1:{port}/x.png)"


def markdown_images(fifo: Path, port: int) -> list[str]:
    """Every hostile image reference but ``/dev/zero``, for a reply to contain.

    ``/dev/zero`` has a test of its own: read, it eats memory until the process
    dies, so a broken build would not fail but take the machine down.
    """
    return [PASSWD_IMAGE, QRC_IMAGE, RELATIVE_IMAGE, UNC_IMAGE, HTML_IMAGE,
            *fifo_images(fifo), http_image(port)]


def html_names(fifo: Path, port: int) -> list[str]:
    """Names and messages with an HTML image: a model name, repo id, licence or error.

    No ``/dev/zero`` here: a FIFO proves a read as well, and a broken build
    then fails in a second instead of eating the machine's memory.
    """
    return [f'<img src="{fifo}">tiny', f"<img src='http://127.0.0.1:{port}/x.png'>",
            f'<img src="file://{fifo}">', "<b>bold</b><img src=x.png>"]


LINK_REPLY = "[click me](http://127.0.0.1:9/x) and <http://127.0.0.1:9/y> and [f](file:///etc/passwd)"
