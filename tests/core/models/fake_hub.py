"""A local fake of the Hugging Face Hub for tests (the real one is not reachable).

:class:`FakeHub` runs an HTTP server in a thread on 127.0.0.1 (port 0) and
serves the JSON shapes huggingface_hub parses: ``/api/models`` (search),
``/api/models/{repo}[/revision/{rev}]`` (siblings, with ``blobs=true`` their
sizes and LFS sha256), and ``/{repo}/resolve/{rev}/{file}`` with ``ETag``,
``X-Repo-Commit``, ``X-Linked-Size``, ``X-Linked-Etag``, ``Content-Length``
and ``Range`` (206). ``cdn_redirect`` answers resolve with a 302 to another
host name (``localhost``), as the real Hub redirects LFS files to its CDN.

Knobs make it misbehave the way networks do: drop the connection after N
body bytes (a TCP reset), send a short body and close cleanly, ignore
``Range``, flip one bit, stall, or answer 401 (gated) / 404 / 429 with
``Retry-After``. Every request is recorded, so a test can count them (offline
mode must make none).

The ``fake_hub`` fixture starts one per test and points ``HF_ENDPOINT`` at it.
"""

from __future__ import annotations

import hashlib
import json
import re
import socket
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

_SEND_BLOCK = 16 * 1024


@dataclass
class FakeRepo:
    repo_id: str
    files: dict[str, bytes]
    commit: str
    gated: bool = False
    license: str | None = "apache-2.0"
    gguf: dict[str, Any] | None = None
    downloads: int = 0
    likes: int = 0
    last_modified: str = "2025-01-01T00:00:00.000Z"
    lfs: bool = True
    tags: list[str] = field(default_factory=lambda: ["gguf", "text-generation"])


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    host: str


@dataclass
class Knobs:
    """Faults applied to file downloads (GET on resolve or the CDN).

    ``fault_times`` is how many downloads the drop/short-body fault hits
    before the server behaves again (``None``: every one).
    """

    drop_after: int | None = None
    short_body: int | None = None
    fault_times: int | None = 1
    ignore_range: bool = False
    flip_bit_at: int | None = None
    stall_after: int | None = None
    download_status: int | None = None      # e.g. 404, 429, 500 for resolve requests
    api_status: int | None = None           # the same for /api requests
    retry_after: int | None = None


class FakeHub:
    """The server; add repositories with :meth:`add_repo`, read :attr:`requests`."""

    def __init__(self) -> None:
        self.repos: dict[str, FakeRepo] = {}
        self.knobs = Knobs()
        self.requests: list[Recorded] = []
        self.accepted_tokens: set[str] = set()
        self.cdn_redirect = False
        self.unstall = threading.Event()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeHub:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.unstall.set()
        self._server.shutdown()
        self._server.server_close()  # joins the handler threads
        self._thread.join(5)

    def add_repo(self, repo_id: str, files: dict[str, bytes], **options: Any) -> FakeRepo:
        commit = hashlib.sha1("\0".join([repo_id, *sorted(files)]).encode()).hexdigest()
        repo = FakeRepo(repo_id, dict(files), commit, **options)
        self.repos[repo_id] = repo
        return repo

    def record(self, entry: Recorded) -> None:
        with self._lock:
            self.requests.append(entry)

    def downloads(self) -> list[Recorded]:
        """GET requests for file bytes (resolve or CDN), in order."""
        return [r for r in self.requests
                if r.method == "GET" and ("/resolve/" in r.path or r.path.startswith("/cdn/"))]

    def take_fault(self) -> bool:
        with self._lock:
            if self.knobs.fault_times is None:
                return True
            if self.knobs.fault_times > 0:
                self.knobs.fault_times -= 1
                return True
            return False


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _handler_for(hub: FakeHub) -> type[BaseHTTPRequestHandler]:
    class Handler(_HubHandler):
        pass

    Handler.hub = hub
    return Handler


class _HubHandler(BaseHTTPRequestHandler):
    hub: FakeHub
    timeout = 10  # a stuck client must not keep a handler thread (and server_close) waiting
    protocol_version = "HTTP/1.0"  # one request per connection: nothing pooled outlives a test

    def log_message(self, format: str, *args: Any) -> None:
        pass

    # ---- dispatch ------------------------------------------------------------

    def do_HEAD(self) -> None:
        self._dispatch(head=True)

    def do_GET(self) -> None:
        self._dispatch(head=False)

    def _dispatch(self, *, head: bool) -> None:
        split = urlsplit(self.path)
        path = unquote(split.path)
        self.hub.record(Recorded(self.command, path, parse_qs(split.query),
                                 {k.lower(): v for k, v in self.headers.items()},
                                 self.headers.get("Host", "")))
        try:
            if path == "/api/models":
                self._search(parse_qs(split.query))
            elif path.startswith("/api/models/"):
                self._model_info(path.removeprefix("/api/models/"), parse_qs(split.query))
            elif path.startswith("/cdn/"):
                self._cdn(path.removeprefix("/cdn/"), head=head)
            elif "/resolve/" in path:
                self._resolve(path, head=head)
            else:
                self._error(404, "RepoNotFound", "Not found")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client hung up (pause, cancel, timeout): nothing to answer

    # ---- API -----------------------------------------------------------------

    def _search(self, query: dict[str, list[str]]) -> None:
        if self._api_fault():
            return
        filters = query.get("filter", [])
        search = (query.get("search") or [""])[0].lower()
        sort = (query.get("sort") or ["downloads"])[0]
        limit = int((query.get("limit") or ["1000"])[0])
        found = [repo for repo in self.hub.repos.values()
                 if all(f in repo.tags for f in filters) and search in repo.repo_id.lower()]
        key = {"downloads": lambda r: r.downloads, "likes": lambda r: r.likes,
               "lastModified": lambda r: r.last_modified}[sort]
        found.sort(key=key, reverse=True)
        self._json([self._summary(repo) for repo in found[:limit]])

    def _summary(self, repo: FakeRepo) -> dict[str, Any]:
        return {"_id": repo.commit[:24], "id": repo.repo_id, "modelId": repo.repo_id,
                "author": repo.repo_id.split("/")[0], "likes": repo.likes,
                "downloads": repo.downloads, "trendingScore": 0, "private": False,
                "gated": "manual" if repo.gated else False, "tags": list(repo.tags),
                "pipeline_tag": "text-generation", "library_name": "gguf",
                "createdAt": "2024-06-01T00:00:00.000Z", "lastModified": repo.last_modified}

    def _model_info(self, rest: str, query: dict[str, list[str]]) -> None:
        if self._api_fault():
            return
        match = re.fullmatch(r"([^/]+/[^/]+)(?:/revision/([^/]+))?", rest)
        repo = self.hub.repos.get(match.group(1)) if match else None
        if repo is None:
            self._error(401, "RepoNotFound", "Repository not found")
            return
        revision = match.group(2) if match else None
        if revision not in (None, "main", repo.commit):
            self._error(404, "RevisionNotFound", "Invalid rev id")
            return
        blobs = (query.get("blobs") or ["false"])[0].lower() == "true"
        siblings: list[dict[str, Any]] = []
        for name, data in sorted(repo.files.items()):
            sibling: dict[str, Any] = {"rfilename": name}
            if blobs:
                sibling["blobId"] = git_blob_id(data)
                sibling["size"] = len(data)
                if repo.lfs:
                    sibling["lfs"] = {"size": len(data), "sha256": sha256(data),
                                      "pointerSize": 134}
            siblings.append(sibling)
        info = self._summary(repo) | {
            "sha": repo.commit, "disabled": False, "siblings": siblings,
            "cardData": {"license": repo.license} if repo.license else {},
            "spaces": [], "usedStorage": sum(len(d) for d in repo.files.values()),
        }
        if repo.gguf is not None:
            info["gguf"] = repo.gguf
        self._json(info)

    def _api_fault(self) -> bool:
        status = self.hub.knobs.api_status
        if status is None:
            return False
        self._error(status, None, "Injected failure")
        return True

    # ---- files ---------------------------------------------------------------

    def _resolve(self, path: str, *, head: bool) -> None:
        match = re.fullmatch(r"/([^/]+/[^/]+)/resolve/([^/]+)/(.+)", path)
        repo = self.hub.repos.get(match.group(1)) if match else None
        if match is None or repo is None:
            self._error(401, "RepoNotFound", "Repository not found")
            return
        revision, filename = match.group(2), match.group(3)
        if revision not in ("main", repo.commit):
            self._error(404, "RevisionNotFound", "Invalid rev id")
            return
        if repo.gated and self._token() not in self.hub.accepted_tokens:
            self._error(401, "GatedRepo", f"Access to model {repo.repo_id} is restricted.")
            return
        status = self.hub.knobs.download_status
        if status is not None:
            self._error(status, None, "Injected failure")
            return
        data = repo.files.get(filename)
        if data is None:
            self._error(404, "EntryNotFound", f"{filename} does not exist")
            return
        etag = sha256(data) if repo.lfs else git_blob_id(data)
        common = {"X-Repo-Commit": repo.commit, "ETag": f'"{etag}"'}
        if repo.lfs:
            common |= {"X-Linked-Size": str(len(data)), "X-Linked-Etag": f'"{etag}"'}
        if self.hub.cdn_redirect and repo.lfs:
            self.send_response(302)
            location = f"http://localhost:{self.hub.port}/cdn/{repo.repo_id}/{filename}"
            for name, value in common.items() | {"Location": location}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self._send_file(data, common, head=head)

    def _cdn(self, rest: str, *, head: bool) -> None:
        for repo_id, repo in self.hub.repos.items():
            if rest.startswith(repo_id + "/") and rest[len(repo_id) + 1:] in repo.files:
                data = repo.files[rest[len(repo_id) + 1:]]
                self._send_file(data, {"ETag": f'"{sha256(data)}"'}, head=head)
                return
        self._error(404, None, "No such object")

    def _send_file(self, data: bytes, headers: dict[str, str], *, head: bool) -> None:
        knobs = self.hub.knobs
        start = 0
        range_header = self.headers.get("Range")
        match = re.fullmatch(r"bytes=(\d+)-", range_header or "")
        if match and not knobs.ignore_range:
            start = int(match.group(1))
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        if head:
            return
        body = bytearray(data[start:])
        if knobs.flip_bit_at is not None and start <= knobs.flip_bit_at < len(data):
            body[knobs.flip_bit_at - start] ^= 0x01
        limit, reset = len(body), False
        if (knobs.drop_after is not None or knobs.short_body is not None) and \
                self.hub.take_fault():
            if knobs.drop_after is not None:
                limit, reset = min(limit, knobs.drop_after), True
            else:
                limit = min(limit, knobs.short_body or 0)
        self._write_body(bytes(body[:limit]))
        if reset:
            # SO_LINGER 0 makes close() send a TCP reset: the client sees the
            # connection die mid-body, not a clean end of stream.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.connection.close()
        self.close_connection = True

    def _write_body(self, body: bytes) -> None:
        stall = self.hub.knobs.stall_after
        for offset in range(0, len(body), _SEND_BLOCK):
            if stall is not None and offset >= stall:
                self.hub.unstall.wait(10)
                stall = None
            self.wfile.write(body[offset:offset + _SEND_BLOCK])

    # ---- helpers -------------------------------------------------------------

    def _token(self) -> str | None:
        value = self.headers.get("Authorization", "")
        return value.removeprefix("Bearer ") if value.startswith("Bearer ") else None

    def _error(self, status: int, code: str | None, message: str) -> None:
        body = json.dumps({"error": message}).encode()
        self.send_response(status)
        if code:
            self.send_header("X-Error-Code", code)
        self.send_header("X-Error-Message", message)
        if status == 429 and self.hub.knobs.retry_after is not None:
            self.send_header("Retry-After", str(self.hub.knobs.retry_after))
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, payload: Any) -> None:
        body = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def make_gguf(path: Path, *, arch: str = "llama", n_floats: int = 48 * 1024,
              name: str = "Tiny Test") -> bytes:
    """Write a small valid GGUF file with the ``gguf`` package; returns its bytes.

    One F32 tensor of ``n_floats`` values (192 KiB by default) makes the file
    large enough to arrive in many chunks.
    """
    import gguf
    import numpy as np

    writer = gguf.GGUFWriter(str(path), arch)
    writer.add_name(name)
    writer.add_context_length(2048)
    writer.add_embedding_length(64)
    writer.add_block_count(1)
    writer.add_head_count(4)
    writer.add_file_type(0)  # all F32
    values = np.arange(n_floats, dtype=np.float32).reshape(-1, 64)
    writer.add_tensor("token_embd.weight", values)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path.read_bytes()


@pytest.fixture
def fake_hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHub]:
    """A running fake Hub with ``HF_ENDPOINT`` pointing at it and no token configured."""
    import huggingface_hub

    hub = FakeHub().start()
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HUGGING_FACE_HUB_TOKEN", raising=False)
    try:
        yield hub
    finally:
        hub.stop()
        huggingface_hub.close_session()  # its pooled client must not outlive the server
