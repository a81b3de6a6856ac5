"""Does turning tokens into text cost more as a reply grows? Hearth vs. create_completion.

llama-cpp-python's ``create_completion`` detokenizes the whole reply again
after every token; Hearth's engine (``core.engine.completion.TextStream``)
does a constant amount of work per token. This runs both in one process on
the same model, prompt, seed and settings (plain decoding, greedy, so both
make the same tokens) and compares decode speed at several reply lengths,
in interleaved rounds. The prompt is raw text (no chat template), so the
base Gemma model continues it for as long as it is let.

Usage: ``.venv/bin/python bench/bench_text_stream.py [--model gemma|starter]
[--lengths 250 1000 2000] [--rounds 3]``. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_engine import MODELS, SEED
from desktop_app.core import hardware
from desktop_app.core.engine.api import LoadOptions
from desktop_app.core.engine.completion import TextStream
from desktop_app.core.engine.loader import load_model

PROMPT = ("The old lighthouse keeper kept a journal of every ship that passed. "
          "This is what he wrote in the first week of the winter storms:\n\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=sorted(MODELS), default="gemma")
    parser.add_argument("--lengths", type=int, nargs="+", default=[250, 1000, 2000])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    n_ctx = max(args.lengths) + 256
    loaded = load_model(LoadOptions(model_path=str(MODELS[args.model]()), n_ctx=n_ctx,
                                    n_threads=hardware.physical_cores()))
    llama = loaded.llama
    prompt = llama.tokenize(PROMPT.encode(), add_bos=True, special=False)

    def made() -> int:
        """Reply tokens made: those in the cache, and the last (never evaluated)."""
        return int(llama.n_tokens) - len(prompt) + 1

    def raw(length: int) -> tuple[float, int, int]:
        llama.reset()
        text, started = "", time.perf_counter()
        for chunk in llama.create_completion(prompt, max_tokens=length, temperature=0.0,
                                             repeat_penalty=1.0, seed=SEED, stream=True):
            text += chunk["choices"][0]["text"]
        return time.perf_counter() - started, len(text), made()

    def hearth(length: int) -> tuple[float, int, int]:
        llama.reset()
        stream = TextStream(llama, llama.generate, [], length)
        started = time.perf_counter()
        text = "".join(stream.run(prompt, SEED, {"temp": 0.0, "repeat_penalty": 1.0}))
        return time.perf_counter() - started, len(text), made()

    print(f"{Path(llama.model_path).name} · {hardware.physical_cores()} threads · "
          f"{args.rounds} rounds")
    print("| reply tokens | create_completion | Hearth's TextStream | speed-up (rounds) |")
    print("|---|---|---|---|")
    for length in args.lengths:
        raw_s, ours_s, ratios = [], [], []
        for round_ in range(args.rounds + 1):
            sides = (raw, hearth) if round_ % 2 else (hearth, raw)
            results = {side: side(length) for side in sides}
            (raw_time, raw_chars, raw_n), (our_time, our_chars, our_n) = \
                results[raw], results[hearth]
            if not round_:
                continue  # a warm-up round
            raw_s.append(raw_n / raw_time)
            ours_s.append(our_n / our_time)
            ratios.append(ours_s[-1] / raw_s[-1])
            if raw_n != our_n:
                print(f"note: different lengths ({raw_n} / {our_n} tokens)")
            if raw_chars > our_chars:
                print(f"note: create_completion gave more text ({raw_chars} > {our_chars})")
        print(f"| {length} | {statistics.median(raw_s):.1f} tok/s | "
              f"{statistics.median(ours_s):.1f} tok/s | {statistics.median(ratios):.2f}× "
              f"({min(ratios):.2f}–{max(ratios):.2f}) |", flush=True)
    llama.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
