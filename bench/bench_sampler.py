"""What the repeat penalty costs per token: llama-cpp-python's sampler chain vs. Hearth's.

llama-cpp-python runs llama.cpp's penalties sampler on the whole vocabulary
before top-k; Hearth puts it behind a top-k of ``k + penalty_last_n``
(``core/engine/sampling.py``), which picks the same tokens. This loads the
model twice in one process, one copy with each chain, and in interleaved
rounds decodes the same seeded reply with Hearth's default sampling
settings (repeat penalty 1.1), timing each ``sample`` call and each decode
step, and checking that both copies made the same tokens.

Usage: ``.venv/bin/python bench/bench_sampler.py [--model starter|gemma]
[--tokens 300] [--rounds 5]``. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_engine import MODELS, SEED
from desktop_app.core import hardware
from desktop_app.core.engine.api import LoadOptions, SamplingParams
from desktop_app.core.engine.loader import load_model
from desktop_app.core.engine.sampling import use_cheap_penalties

PROMPT = ("The old lighthouse keeper kept a journal of every ship that passed. "
          "This is what he wrote in the first week of the winter storms:\n\n")


def reply(llama: Any, prompt: list[int], tokens: int) -> tuple[list[int], float, float]:
    """One reply decoded by hand: its tokens, median sample time and median step time."""
    params = SamplingParams()
    llama.reset()
    llama.set_seed(SEED)
    sampler = llama._init_sampler(temp=params.temperature, top_k=params.top_k,
                                  top_p=params.top_p, min_p=params.min_p,
                                  repeat_penalty=params.repeat_penalty)
    llama.eval(prompt)
    made: list[int] = []
    samples: list[float] = []
    steps: list[float] = []
    for _ in range(tokens):
        started = time.perf_counter()
        token = sampler.sample(llama._ctx, -1)
        sampled = time.perf_counter()
        llama.eval([token])
        samples.append(sampled - started)
        steps.append(time.perf_counter() - started)
        made.append(token)
    return made, statistics.median(samples), statistics.median(steps)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=sorted(MODELS), default="starter")
    parser.add_argument("--tokens", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    options = LoadOptions(model_path=str(MODELS[args.model]()), n_ctx=args.tokens + 256,
                          n_threads=hardware.physical_cores())
    stock, cheap = load_model(options).llama, load_model(options).llama
    use_cheap_penalties(cheap)
    prompt = stock.tokenize(PROMPT.encode(), add_bos=True, special=False)
    results: dict[str, list[tuple[float, float]]] = {"stock": [], "cheap": []}
    same = 0
    for round_ in range(args.rounds + 1):
        order = [("stock", stock), ("cheap", cheap)]
        made: dict[str, list[int]] = {}
        for name, llama in order if round_ % 2 else order[::-1]:
            made[name], sample, step = reply(llama, prompt, args.tokens)
            if round_:  # round 0 warms both up
                results[name].append((sample, step))
        same += round_ > 0 and made["stock"] == made["cheap"]
    print(f"{Path(options.model_path).name} · vocabulary {stock.n_vocab():,} · "
          f"{args.tokens} tokens · {args.rounds} interleaved rounds · repeat penalty "
          f"{SamplingParams().repeat_penalty}")
    print()
    print("| chain | sample, median µs per token | decode step, median ms | tokens/s |")
    print("|---|---|---|---|")
    rates = {}
    for name, label in (("stock", "llama-cpp-python's"), ("cheap", "Hearth's")):
        sample = statistics.median(s for s, _ in results[name])
        step = statistics.median(t for _, t in results[name])
        rates[name] = 1 / step
        print(f"| {label} | {sample * 1e6:.0f} | {step * 1e3:.2f} | {1 / step:.1f} |")
    print()
    ratios = [a[1] / b[1] for a, b in zip(results["stock"], results["cheap"], strict=True)]
    print(f"Hearth's chain: {statistics.median(ratios):.3f}× the decode rate (median of "
          f"per-round ratios, {min(ratios):.3f}–{max(ratios):.3f}); same tokens in "
          f"{same} of {args.rounds} rounds.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
