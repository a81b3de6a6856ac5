"""A small OpenAI-compatible server for tests that misbehaves on purpose.

It must send deliberately broken HTTP and SSE (a stream cut mid-chunk, bad
JSON, a stall), which no real server library does, so it is a plain
``http.server.ThreadingHTTPServer`` on 127.0.0.1, port 0. What it does for a
chat request is chosen by the request's ``model`` (see :meth:`Handler.chat`);
``GET /models`` returns :attr:`FaultServer.models`. Every request body is kept
in :attr:`FaultServer.requests`, and :attr:`FaultServer.disconnected` is set
when a client leaves in the middle of a stream.
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

OK_WORDS = ["Hello", " there", ",", " friend", "."]


def chunk(content: str | None = None, *, reasoning: str | None = None,
          finish: str | None = None, text: str | None = None) -> dict[str, Any]:
    if text is not None:
        return {"object": "text_completion",
                "choices": [{"index": 0, "text": text, "finish_reason": finish}]}
    delta: dict[str, Any] = {}
    if content is not None:
        delta["content"] = content
    if reasoning is not None:
        delta["reasoning_content"] = reasoning
    return {"object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


USAGE = {"object": "chat.completion.chunk", "choices": [],
         "usage": {"prompt_tokens": 11, "completion_tokens": 5, "total_tokens": 16,
                   "prompt_tokens_details": {"cached_tokens": 4}}}


class ClientLeft(Exception):
    pass


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: FaultServer

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    # ---- plumbing ----------------------------------------------------------------------

    def _json(self, status: int, data: object, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _start_stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def _raw_chunk(self, data: bytes) -> None:
        try:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()
        except OSError as exc:
            self.server.disconnected.set()
            raise ClientLeft from exc

    def _event(self, data: object) -> None:
        text = data if isinstance(data, str) else json.dumps(data)
        self._raw_chunk(f"data: {text}\n\n".encode())

    def _end_stream(self) -> None:
        self._event("[DONE]")
        self._raw_chunk(b"")

    def _authorised(self) -> bool:
        key = self.server.api_key
        if key is None or self.headers.get("Authorization") == f"Bearer {key}":
            return True
        self._json(401, {"error": {"message": "Incorrect API key provided", "code": 401}})
        return False

    # ---- routes ------------------------------------------------------------------------

    def parse_request(self) -> bool:
        if not super().parse_request():
            return False
        if self.path.startswith("http://"):  # asked as an HTTP proxy: an absolute URL
            self.server.proxied.append(self.path)
            self.path = "/" + self.path.split("/", 3)[3]
        return True

    def do_GET(self) -> None:
        self.server.headers_seen.append(dict(self.headers))
        if not self._authorised():
            return
        if self.path == "/v1/models":
            if isinstance(self.server.models, bytes):
                body = self.server.models
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            else:
                self._json(200, self.server.models)
        else:
            self._json(404, {"error": {"message": "no such route"}})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length) or b"{}")
        self.server.requests.append(body)
        self.server.headers_seen.append(dict(self.headers))
        if not self._authorised():
            return
        if self.path == "/v1/embeddings" and body.get("model") in EMBEDDING_MODELS:
            self.embeddings(body)
            return
        if self.path not in ("/v1/chat/completions", "/v1/completions", "/v1/embeddings"):
            self._json(404, {"error": {"message": "no such route"}})
            return
        try:
            self.chat(body)
        except ClientLeft:
            self.close_connection = True

    def chat(self, body: dict[str, Any]) -> None:
        model = body.get("model", "")
        completions = self.path == "/v1/completions"
        if model == "e404":
            self._json(404, {"error": {"message": "The model `e404` does not exist."}})
        elif model == "e429":
            self._json(429, {"error": {"message": "Rate limit reached"}}, {"Retry-After": "7"})
        elif model == "e500":
            message = "CUDA out of memory\x1b[31m <b>bold</b> " + "x" * 5000
            self._json(500, {"error": {"message": message, "type": "server_error"}})
        elif model == "html500":
            page = b"<html><body>Bad gateway</body></html>"
            self.send_response(502)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)
        elif model == "notsse":
            self._json(200, {"hello": "not a stream"})
        else:
            self._start_stream()
            self.stream(model, completions)

    def embeddings(self, body: dict[str, Any]) -> None:
        """``/v1/embeddings`` for the models in :data:`EMBEDDING_MODELS` (errors: see chat)."""
        model = body["model"]
        texts = body.get("input")
        texts = [texts] if isinstance(texts, str) else list(texts or [])
        dims = self.server.embedding_dims
        if model == "emb-grow":  # a server that swapped its model between two requests
            dims += len(self.server.requests)
        vectors = [letter_vector(text, dims) for text in texts]
        if model == "emb-ragged":
            vectors[-1] = vectors[-1][:-1]
        elif model == "emb-short":
            vectors = vectors[:-1]
        elif model == "emb-nan":
            vectors[0][0] = "NaN"  # type: ignore[call-overload]
        data = [{"object": "embedding", "index": i, "embedding": v}
                for i, v in enumerate(vectors)]
        if model == "emb-shuffled":
            data.reverse()  # rows in any order; "index" says which input each one is
        self._json(200, {"object": "list", "data": data, "model": model,
                         "usage": {"prompt_tokens": len(texts), "total_tokens": len(texts)}})

    def stream(self, model: str, completions: bool) -> None:
        delay = self.server.chunk_delay
        if model == "ok" and completions:
            for word in OK_WORDS:
                self._event(chunk(text=word))
            self._event(chunk(text="", finish="stop"))
            self._end_stream()
        elif model in ("ok", "length"):
            for word in OK_WORDS:
                self._event(chunk(word))
                time.sleep(delay)
            self._event(chunk(finish="stop" if model == "ok" else "length"))
            self._event(USAGE)
            self._end_stream()
        elif model == "nodone":  # finish_reason, then the stream just ends
            self._event(chunk("Hi"))
            self._event(chunk(finish="stop"))
            self._raw_chunk(b"")
        elif model == "think":
            for piece in ["<thi", "nk>Let me ", "think.</th", "ink>The answer", " is 4."]:
                self._event(chunk(piece))
            self._event(chunk(finish="stop"))
            self._end_stream()
        elif model == "reasoning":
            self._event(chunk(reasoning="First, "))
            self._event({"choices": [{"index": 0, "delta": {"reasoning": "add them."},
                                      "finish_reason": None}]})
            self._event(chunk("It is 4."))
            self._event(chunk(finish="stop"))
            self._end_stream()
        elif model == "stall":
            self._event(chunk("Wait"))
            self.server.stall_release.wait(10)
        elif model == "badjson":
            self._event(chunk("Partial"))
            self._raw_chunk(b'data: {"choices": [{"delta": \n\n')
            self._end_stream()
        elif model == "drop":
            self._event(chunk("Kept"))
            self._event(chunk(" text"))
            # Cut the connection in the middle of a chunk: no terminating chunk.
            self.wfile.write(b"40\r\ndata: {\"cho")
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
        elif model == "streamerror":
            self._event(chunk("Before"))
            self._event({"error": {"message": "Model overloaded\x07, try later",
                                   "code": "overloaded"}})
            self._raw_chunk(b"")
        elif model == "slow":  # a long reply, until the client leaves
            for i in range(2000):
                self._event(chunk(f"w{i} "))
                time.sleep(0.01)
            self._event(chunk(finish="stop"))
            self._end_stream()
        else:
            self._event({"error": {"message": f"unknown test model {model!r}"}})
            self._raw_chunk(b"")


EMBEDDING_MODELS = ("emb", "emb-grow", "emb-ragged", "emb-short", "emb-nan", "emb-shuffled")


def letter_vector(text: str, dims: int) -> list[float]:
    """A tiny deterministic embedding: counts of characters by code point modulo ``dims``.

    Texts sharing words come out close, which is all a retrieval test needs.
    """
    vector = [0.0] * dims
    for ch in text.lower():
        if ch.isalnum():
            vector[ord(ch) % dims] += 1.0
    vector[0] += 0.5  # never all zero
    return vector


class FaultServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, tls: tuple[Path, Path] | None = None) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.requests: list[dict[str, Any]] = []
        self.headers_seen: list[dict[str, str]] = []
        self.proxied: list[str] = []  # absolute URLs asked of it as a proxy
        self.models: object = {"object": "list", "data": [
            {"id": "ok", "object": "model", "max_model_len": 8192}]}
        self.api_key: str | None = None
        self.embedding_dims = 16
        self.chunk_delay = 0.0
        self.disconnected = threading.Event()
        self.stall_release = threading.Event()
        self.tls = tls is not None
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(str(tls[0]), str(tls[1]))
            self.socket = context.wrap_socket(self.socket, server_side=True)
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that left, a TLS handshake the test made fail on purpose

    @property
    def base_url(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://127.0.0.1:{self.server_address[1]}/v1"

    def __enter__(self) -> FaultServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stall_release.set()
        self.shutdown()
        self.server_close()
        self._thread.join(5)
