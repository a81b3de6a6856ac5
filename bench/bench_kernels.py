"""llama.cpp builds compared on the same model in one run: which CPU kernels pay off.

Each build is a Python that has llama-cpp-python installed (a venv), e.g. the
development venv built with AVX2/AVX-512 only and one built by scripts/setup.sh
with every extension this CPU has, or the installer's build venv whose CPU
backend comes as per-CPU variants. Every measurement runs in a fresh subprocess
of that build's Python (this file with ``--worker``), so the builds never share
a process, and the rounds are interleaved (the order of the builds alternates)
so that a machine shared with other work slows both sides alike. Figures are
medians over the rounds; ratios are taken round by round against the first build.

Per model and build: prefill tokens/s (a ~500-token prompt evaluated as one
batch, the better of two evaluations after a warm-up) and decode tokens/s
(64 tokens, greedy, one at a time), plus the build's ``llama_print_system_info``
line and, for a variant build, the variant ggml loaded.

    python bench/bench_kernels.py --build old=/work/main/.venv/bin/python \\
        --build tuned=/tmp/k-ci/.venv/bin/python [--model starter --model gemma] [--rounds 3]

Prints Markdown tables. Speeds are measured here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MODELS = {
    "starter": ROOT / "resources" / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf",
    "gemma": Path(os.environ.get("HEARTH_TEST_CACHE", "/work/main/.test-cache"))
    / "gemma-3-270m-q4_k_m.gguf",
}
PROMPT_TOKENS = 500
DECODE_TOKENS = 64
TEXT = (
    "The lighthouse keeper climbed the spiral stairs every evening before sunset, counting "
    "the one hundred and twelve steps, checking the brass fittings, wiping salt from the "
    "great lens and writing the weather into a leather logbook that his grandmother had "
    "started sixty years earlier. Ships passed on the horizon; gulls argued on the rail. "
)


# ---- the worker: one build, one model, one measurement --------------------------------------

def _load_variants() -> str:
    """Load ggml's CPU variants as the engine does (desktop_app/core/engine/cpu_backend.py)."""
    sys.path.insert(0, str(ROOT))
    from desktop_app.core.engine import cpu_backend

    cpu_backend.ensure_loaded()
    return cpu_backend.loaded_variant()


def worker(model: Path, threads: int) -> dict[str, Any]:
    variant = _load_variants()
    import llama_cpp

    llama = llama_cpp.Llama(str(model), n_ctx=1024, n_batch=512, n_ubatch=512,
                            n_threads=threads, n_threads_batch=threads, seed=0, verbose=False)
    tokens = llama.tokenize((TEXT * 20).encode(), add_bos=True)[:PROMPT_TOKENS]
    assert len(tokens) == PROMPT_TOKENS, len(tokens)
    llama.eval(tokens[:32])  # warm-up: threads started, weights paged in
    prefill = []
    for _ in range(2):
        llama.reset()
        started = time.perf_counter()
        llama.eval(tokens)
        prefill.append(PROMPT_TOKENS / (time.perf_counter() - started))
    started = time.perf_counter()
    for _ in range(DECODE_TOKENS):
        token = llama.sample(temp=0.0)
        llama.eval([token])
    decode = DECODE_TOKENS / (time.perf_counter() - started)
    system_info = llama_cpp.llama_print_system_info().decode("utf-8", "replace").strip()
    llama.close()
    return {"prefill": max(prefill), "decode": decode, "system_info": system_info,
            "variant": variant}


# ---- the parent: rounds over builds and models --------------------------------------------

def _run(python: str, model: Path, threads: int) -> dict[str, Any]:
    done = subprocess.run([python, str(Path(__file__).resolve()), "--worker", str(model),
                           "--threads", str(threads)],
                          capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{python} on {model.name} failed ({done.returncode}):\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _fmt(values: list[float]) -> str:
    return f"{statistics.median(values):.1f} ({min(values):.1f}–{max(values):.1f})"


def _fmt_ratio(values: list[float]) -> str:
    return f"{statistics.median(values):.2f}× ({min(values):.2f}–{max(values):.2f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", action="append", default=[], metavar="NAME=PYTHON",
                        help="a build to compare (the first is the reference); repeat")
    parser.add_argument("--model", action="append", choices=sorted(MODELS))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0, help="default: physical cores")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker is not None:
        print(json.dumps(worker(args.worker, args.threads)))
        return 0
    builds = dict(b.split("=", 1) for b in args.build)
    if len(builds) < 2:
        parser.error("give at least two --build NAME=PYTHON")
    models = args.model or ["starter", "gemma"]
    sys.path.insert(0, str(ROOT))
    from desktop_app.core import hardware

    threads = args.threads or hardware.physical_cores()
    results: dict[tuple[str, str], list[dict[str, Any]]] = {}
    names = list(builds)
    for round_no in range(args.rounds):
        order = names if round_no % 2 == 0 else names[::-1]
        for model in models:
            for name in order:
                result = _run(builds[name], MODELS[model], threads)
                results.setdefault((model, name), []).append(result)
                print(f"round {round_no + 1} {model} {name}: prefill {result['prefill']:.1f} "
                      f"decode {result['decode']:.1f} tok/s", file=sys.stderr)

    load = os.getloadavg()
    print(f"\n{args.rounds} interleaved rounds, {threads} threads, prompt {PROMPT_TOKENS} "
          f"tokens, decode {DECODE_TOKENS} tokens; load average at the end "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} CPUs\n")
    reference = names[0]
    print(f"| model | build | prefill tok/s | decode tok/s | prefill vs {reference} "
          f"| decode vs {reference} |")
    print("| --- | --- | --- | --- | --- | --- |")
    for model in models:
        for name in names:
            rows = results[(model, name)]
            base = results[(model, reference)]
            ratios = {key: [r[key] / b[key] for r, b in zip(rows, base, strict=True)]
                      for key in ("prefill", "decode")}
            print(f"| {model} | {name} | {_fmt([r['prefill'] for r in rows])} "
                  f"| {_fmt([r['decode'] for r in rows])} "
                  f"| {_fmt_ratio(ratios['prefill'])} | {_fmt_ratio(ratios['decode'])} |")
    print("\n| build | CPU kernels | llama_print_system_info |")
    print("| --- | --- | --- |")
    for name in names:
        first = results[(models[0], name)][0]
        info = first["system_info"].replace("|", "\\|")  # inside a Markdown table cell
        print(f"| {name} | {first['variant']} | {info} |")
    return 0



if __name__ == "__main__":
    sys.exit(main())
