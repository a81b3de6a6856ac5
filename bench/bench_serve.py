"""``hearth serve`` benchmark: tokens/s an OpenAI client sees vs. raw llama-cpp-python, in one run.

Hearth's side is the whole serving path: the official ``openai`` client
streaming from an in-process :class:`ApiServer` (uvicorn, SSE) over an
:class:`EngineBroker` and the :class:`LocalEngine` child process. The
reference is ``Llama.create_chat_completion(stream=True)`` in this process,
on a ``Llama`` built by Hearth's loader with the same settings. Same model,
same prompt per round (a new one each round, so neither side reuses the
other's KV cache), same ``max_tokens``, greedy (temperature 0, no repeat
penalty). Rounds alternate which side goes first; figures are medians.

Decode speed is (tokens - 1) / (time from the first streamed text to the
end); tokens come from the server's usage chunk (its chunks can merge tokens)
and, on the raw side, from ``max_tokens`` when the reply reached it, else its
chunk count. Target: Hearth /
raw >= 0.95.

A third row, Hearth's engine through a broker client without HTTP (as the
window's chat uses it), separates the cost of the API layers (uvicorn, SSE,
the openai client) from that of the engine process.

Usage: ``.venv/bin/python bench/bench_serve.py [--tokens 200] [--rounds 5] [--threads N]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import openai

from desktop_app.core.engine.api import (
    ChatMessage,
    GenerateRequest,
    LoadOptions,
    ReplyFinished,
    Role,
    SamplingParams,
    TokenChunk,
)
from desktop_app.core.engine.broker import EngineBroker
from desktop_app.core.engine.loader import load_model
from desktop_app.core.engine.process import LocalEngine
from desktop_app.core.models.starter_model import starter_path
from desktop_app.core.serve.config import ApiServerSettings
from desktop_app.core.serve.server import ApiServer

SUBJECTS = ("a lighthouse keeper", "a baker in a mountain village", "a retired train driver",
            "two sisters who mend old maps", "a cat that lives in a library",
            "a ferry crossing in winter", "a beekeeper and her neighbour",
            "a clockmaker's apprentice", "a night-shift nurse", "a boy who collects stones")
N_CTX = 4096
SEED = 42
KEY = "hearth-bench-key"


@dataclass(frozen=True)
class Sample:
    first_token: float  # seconds from the call to the first text
    tokens_per_second: float
    tokens: int


def messages(round_: int) -> list[dict[str, str]]:
    return [{"role": "user",
             "content": f"Write a long story about {SUBJECTS[round_ % len(SUBJECTS)]}."}]


class Raw:
    """llama-cpp-python in this process: ``create_chat_completion(stream=True)``."""

    def __init__(self, model: Path, threads: int) -> None:
        self.llama = load_model(LoadOptions(model_path=str(model), n_ctx=N_CTX,
                                            n_threads=threads)).llama

    def reply(self, round_: int, n_tokens: int) -> Sample:
        started = time.perf_counter()
        first: float | None = None
        chunks = 0
        finish = None
        stream = self.llama.create_chat_completion(
            messages=messages(round_), stream=True, max_tokens=n_tokens,  # type: ignore[arg-type]
            temperature=0.0, repeat_penalty=1.0, seed=SEED)
        for chunk in stream:
            choice = chunk["choices"][0] if chunk["choices"] else None
            if choice is None:
                continue
            if choice["delta"].get("content"):
                chunks += 1
                if first is None:
                    first = time.perf_counter()
            finish = choice.get("finish_reason") or finish
        ended = time.perf_counter()
        # One chunk per token, except text held back; a reply cut by max_tokens is exact.
        tokens = n_tokens if finish == "length" else chunks
        assert first is not None
        return Sample(first - started, (tokens - 1) / (ended - first), tokens)

    def close(self) -> None:
        self.llama.close()


class Served:
    """The openai client streaming from ``hearth serve``'s server, in this process."""

    def __init__(self, model: Path, threads: int) -> None:
        self.broker = EngineBroker(LocalEngine())
        owner = self.broker.client("bench")
        owner.load(LoadOptions(model_path=str(model), n_ctx=N_CTX, n_threads=threads))
        while not owner.poll_events(1.0):
            pass
        self.server = ApiServer(self.broker.client("api", can_load=False),
                                ApiServerSettings(port=0, max_tokens_limit=N_CTX), KEY)
        self.server.start()
        self.client = openai.OpenAI(base_url=self.server.address, api_key=KEY, max_retries=0)
        self.model = model.stem
        self.owner = owner
        self.next_id = 1

    def engine_reply(self, round_: int, n_tokens: int) -> Sample:
        """The same reply through the broker client alone (no HTTP): the chat's path."""
        self.next_id += 1
        request = GenerateRequest(
            request_id=self.next_id, conversation_id=1,
            messages=(ChatMessage(Role.USER, messages(round_)[0]["content"]),),
            params=SamplingParams(temperature=0.0, repeat_penalty=1.0, max_tokens=n_tokens,
                                  seed=SEED))
        started = time.perf_counter()
        self.owner.generate(request)
        first: float | None = None
        while True:
            for event in self.owner.poll_events(1.0):
                if isinstance(event, TokenChunk) and first is None:
                    first = time.perf_counter()
                elif isinstance(event, ReplyFinished):
                    ended = time.perf_counter()
                    assert first is not None
                    tokens = event.stats.completion_tokens
                    return Sample(first - started, (tokens - 1) / (ended - first), tokens)

    def reply(self, round_: int, n_tokens: int) -> Sample:
        started = time.perf_counter()
        first: float | None = None
        tokens = 0
        stream = self.client.chat.completions.create(
            model=self.model, messages=messages(round_),  # type: ignore[arg-type]
            stream=True, stream_options={"include_usage": True}, max_tokens=n_tokens,
            temperature=0.0, seed=SEED, extra_body={"repeat_penalty": 1.0})
        for chunk in stream:
            if first is None and chunk.choices and chunk.choices[0].delta.content:
                first = time.perf_counter()
            if chunk.usage is not None:
                tokens = chunk.usage.completion_tokens
        ended = time.perf_counter()
        assert first is not None
        return Sample(first - started, (tokens - 1) / (ended - first), tokens)

    def close(self) -> None:
        self.client.close()
        self.server.stop()
        self.broker.shutdown()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=0, help="0: physical cores")
    args = parser.parse_args()
    model = starter_path()
    raw, served = Raw(model, args.threads), Served(model, args.threads)
    try:
        raw.reply(99, 8)  # warm both up
        served.reply(99, 8)
        samples: dict[str, list[Sample]] = {"raw": [], "serve": [], "engine": []}
        for round_ in range(args.rounds):
            sides = [("raw", raw.reply), ("serve", served.reply),
                     ("engine", served.engine_reply)]
            if round_ % 2:
                sides.reverse()
            for name, reply in sides:
                samples[name].append(reply(round_, args.tokens))
    finally:
        served.close()
        raw.close()

    def median(name: str, field: str) -> float:
        return statistics.median(getattr(s, field) for s in samples[name])

    print(f"\nModel {model.name}, {args.rounds} rounds, max_tokens {args.tokens}, greedy\n")
    print("| path | tokens | tokens/s (median) | first token (median) |")
    print("|---|---|---|---|")
    for name, label in (("raw", "llama-cpp-python create_chat_completion(stream=True)"),
                        ("serve", "openai client → hearth serve (SSE)"),
                        ("engine", "Hearth engine via a broker client, no HTTP")):
        print(f"| {label} | {median(name, 'tokens'):.0f} | "
              f"{median(name, 'tokens_per_second'):.1f} | "
              f"{median(name, 'first_token') * 1000:.0f} ms |")
    ratio = median("serve", "tokens_per_second") / median("raw", "tokens_per_second")
    per_round = [s.tokens_per_second / r.tokens_per_second
                 for s, r in zip(samples["serve"], samples["raw"], strict=True)]
    layers = median("serve", "tokens_per_second") / median("engine", "tokens_per_second")
    print(f"\nDecode ratio serve / raw (target >= 0.95): {ratio:.3f} of the medians, "
          f"{statistics.median(per_round):.3f} median of per-round ratios "
          f"(rounds {min(per_round):.2f}–{max(per_round):.2f})")
    print(f"API layers: serve / engine without HTTP = {layers:.3f}")
    return 0 if ratio >= 0.95 else 1


if __name__ == "__main__":
    sys.exit(main())
