"""Speculative decoding, GUI-side: plain vs prompt lookup vs a draft model, in one run.

Replies are timed as text lands in the chat model in the GUI thread, through
the worker thread and the engine child process (``bench_engine.HearthPath``).
Three tasks:

(a) a code edit that repeats a ~300-line Python file ("rename X to Y and
    output the whole file"), greedy as an editor would ask;
(b) a document answer that quotes a paragraph of a passage in the prompt, greedy;
(c) free prose (a story), with the default sampling settings and a fixed seed.

Three ways to decode each: plain (``speculative=False``), prompt lookup
(``speculative=True``, no draft model) and a draft model (a second engine
loaded with ``draft_model_path``). Only one model family is at hand, so the
draft model is the target itself, which can never pay (a draft as slow as
the target) and shows the governor turning it off. Rounds are interleaved:
in every round each task runs in all three modes, in a rotating order. Before
each reply a two-token one on another conversation leaves only the system
prompt cached, so every mode starts from the same state and evaluates the
task's prompt in the same batches (llama.cpp's cached values depend on how a
prompt was split into batches, so from different states even plain decoding
can differ from itself); only decoding is timed.

Effective tokens/s is reply tokens over the time from the first to the last
text in the chat model. Reported: medians per mode and task, the median of
per-round ratios to plain, the acceptance rate, whether the text equals
plain decoding's, and the machine's load average.

Usage: ``.venv/bin/python bench/bench_speculative.py [--model starter|gemma] [--rounds 3]
[--tokens 512] [--threads N]``. With ``gemma`` (a base model) the prompts are raw
completions (``GenerateRequest.prompt``) instead of chat turns.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from bench.bench_engine import MODELS, N_CTX, HearthPath, Sample, _cpu_name
from desktop_app.core import hardware
from desktop_app.core.engine.api import (
    ChatMessage,
    GenerateRequest,
    LoadOptions,
    ReplyStats,
    Role,
    SamplingParams,
)

SYSTEM = "You are a helpful assistant."
MODES = ("plain", "lookup", "draft")


def code_file(lines: int = 300) -> str:
    """A plausible Python module of ``lines`` lines that uses ``record`` everywhere."""
    out = ['"""Inventory helpers."""', "", "from dataclasses import dataclass", ""]
    i = 0
    while len(out) < lines:
        out += [
            "",
            f"def update_item_{i}(record, amount):",
            f'    """Add amount to field {i} of the record and return it."""',
            f"    value = record.get('field_{i}', 0)",
            "    if amount < 0:",
            f"        raise ValueError('amount must not be negative for field {i}')",
            f"    record['field_{i}'] = value + amount",
            "    return record",
        ]
        i += 1
    return "\n".join(out[:lines]) + "\n"


PASSAGE = "\n\n".join([
    "The harbour of Saint-Malo was fortified in the seventeenth century. Its walls, "
    "designed by the engineer Siméon Garangeau, still surround the old town and can be "
    "walked in about an hour.",
    "At low tide the island of Grand Bé can be reached on foot. The writer "
    "Chateaubriand is buried there, facing the sea, as he asked to be. Visitors must "
    "watch the tide tables, because the causeway disappears quickly when the sea "
    "returns.",
    "The town was largely destroyed in 1944 and rebuilt over the following twenty "
    "years. The reconstruction kept the granite facades and the street plan, so that "
    "today few visitors notice that most buildings are younger than they look.",
    "Every autumn the Route du Rhum sailing race leaves from Saint-Malo for "
    "Guadeloupe. Hundreds of thousands of people come to see the boats before the "
    "start, and the town's hotels are full for weeks.",
])


@dataclass(frozen=True)
class Task:
    name: str
    chat: str          # the user's message for a chat model
    raw: str           # a raw completion prompt for a base model
    greedy: bool


def tasks() -> list[Task]:
    code = code_file()
    return [
        Task("(a) code edit, 300-line file",
             f"Here is a file:\n\n```python\n{code}```\n\nRename the parameter `record` to "
             "`entry` everywhere and output the whole file.",
             f"# inventory.py\n```python\n{code}```\n\n# inventory.py, with the parameter "
             "`record` renamed to `entry`:\n```python\n", greedy=True),
        Task("(b) document answer that quotes",
             f"{PASSAGE}\n\nQuote, word for word, the paragraph about the island of Grand Bé.",
             f"{PASSAGE}\n\nQuestion: What does the text say about the island of Grand Bé? "
             "Quote the paragraph word for word.\nAnswer: \"", greedy=True),
        Task("(c) free prose",
             "Write a long story about a lighthouse keeper who finds a message in a bottle.",
             "Once upon a time, on a rocky island far from the coast, there lived a "
             "lighthouse keeper who", greedy=False),
    ]


class Bench(HearthPath):
    """A GUI path that keeps each reply's text, optionally with a draft model loaded."""

    def __init__(self, model: Path, threads: int, draft: Path | None = None) -> None:
        super().__init__(model, threads)
        self.texts: dict[int, str] = {}
        if draft is not None:
            self.loaded = None
            self.worker.load(LoadOptions(model_path=str(model), n_ctx=N_CTX, n_threads=threads,
                                         draft_model_path=str(draft)))
            self._wait(lambda: self.loaded is not None, 120)

    def _on_chunks(self, request_id: int, text: str, thinking: str) -> None:
        super()._on_chunks(request_id, text, thinking)
        self.texts[request_id] = self.texts.get(request_id, "") + text


@dataclass
class Cell:
    samples: list[Sample] = field(default_factory=list)
    stats: list[ReplyStats] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--model", choices=sorted(MODELS), default="starter")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tokens", type=int, default=512)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()
    model = MODELS[args.model]()
    raw = args.model != "starter"
    threads = args.threads or hardware.physical_cores()
    load_before = os.getloadavg()

    plain_path = Bench(model, threads)
    draft_path = Bench(model, threads, draft=model)
    paths = {"plain": plain_path, "lookup": plain_path, "draft": draft_path}
    cells = {(m, t.name): Cell() for m in MODES for t in tasks()}
    rid = 1000
    for round_ in range(args.rounds + 1):
        for task in tasks():
            order = MODES[round_ % 3:] + MODES[:round_ % 3]
            for mode in order:
                params = SamplingParams(max_tokens=args.tokens, seed=args.seed,
                                        speculative=mode != "plain",
                                        draft_model=mode == "draft")
                if task.greedy:
                    params = replace(params, temperature=0.0, repeat_penalty=1.0)
                # A two-token reply on another conversation first, and each reply in a
                # conversation of its own (nothing saved to restore), so that only the
                # system prompt (a raw prompt: nothing) stays cached and every mode
                # evaluates the task's prompt in the same batches: the KV cache's values
                # depend on how the prompt was split, and only from the same state can
                # "same text as plain" hold. Timing is decoding only, so unaffected.
                rid += 1
                paths[mode].reply(GenerateRequest(
                    rid, 99, () if raw else (ChatMessage(Role.USER, "Hi"),),
                    SamplingParams(max_tokens=2, temperature=0.0, speculative=False),
                    system_prompt="" if raw else SYSTEM, prompt="Hi" if raw else None))
                rid += 1
                conversation = rid
                request = GenerateRequest(
                    rid, conversation, () if raw else (ChatMessage(Role.USER, task.chat),),
                    params, system_prompt="" if raw else SYSTEM,
                    prompt=task.raw if raw else None)
                sample = paths[mode].sample(request)
                stats = paths[mode].finished[rid]
                print(f"round {round_} {task.name} {mode}: {sample.tokens_per_second:.1f} tok/s, "
                      f"{stats.accepted_tokens}/{stats.drafted_tokens} accepted",
                      file=sys.stderr, flush=True)
                if round_ == 0:
                    continue  # warm-up
                cell = cells[mode, task.name]
                cell.samples.append(sample)
                cell.stats.append(stats)
                cell.texts.append(paths[mode].texts.get(rid, ""))
    load_after = os.getloadavg()
    plain_path.close()
    draft_path.close()

    print(f"Model: {model.name} · {threads} threads · n_ctx {N_CTX} · up to {args.tokens} "
          f"tokens · {args.rounds} interleaved rounds (+1 warm-up) · "
          f"{'raw completion prompts' if raw else 'chat prompts'} · draft model = the "
          "model itself")
    print(f"Machine: {_cpu_name()}, {os.cpu_count()} logical CPUs; load average "
          f"{load_before[0]:.1f} at the start, {load_after[0]:.1f} at the end "
          "(shared with other jobs)")
    print()
    print("| task | mode | tok/s (median) | × plain (median of rounds) | accepted / drafted "
          "| reply tokens | same text as plain |")
    print("|---|---|---|---|---|---|---|")
    for task in tasks():
        plain = cells["plain", task.name]
        for mode in MODES:
            cell = cells[mode, task.name]
            tps = statistics.median(s.tokens_per_second for s in cell.samples)
            ratios = [s.tokens_per_second / p.tokens_per_second
                      for s, p in zip(cell.samples, plain.samples, strict=True)]
            drafted = sum(s.drafted_tokens for s in cell.stats)
            accepted = sum(s.accepted_tokens for s in cell.stats)
            rate = f"{accepted}/{drafted} ({accepted / drafted:.0%})" if drafted else "–"
            same = sum(a == b for a, b in zip(cell.texts, plain.texts, strict=True))
            tokens = statistics.median(s.completion_tokens for s in cell.samples)
            print(f"| {task.name} | {mode} | {tps:.1f} | {statistics.median(ratios):.2f} "
                  f"({min(ratios):.2f}–{max(ratios):.2f}) | {rate} | {tokens:.0f} "
                  f"| {same}/{len(cell.texts)} |")
    print()
    for task in tasks():
        text = cells["plain", task.name].texts[-1]
        print(f"{task.name}, plain reply starts: {text[:300]!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
