"""Cold start: launch to a usable window, and launch to the first token of a reply.

Issue 13's targets: a usable window within 0.8 s, and the first token of a
reply with the default (starter) model within 2 s of launch.

* **Usable window**: from process start (this process notes
  ``time.monotonic()`` just before it starts Hearth) until the main window
  has been shown and painted and the composer accepts input (the event loop's
  next turn after the composer's first paint, with the box enabled and visible).
* **First token**: from process start until the first text of a reply is in
  the chat view's model, for a message sent as soon as the window is usable,
  with the starter model (SmolLM2 135M Instruct, the default).

Hearth notes its milestones itself when ``HEARTH_BENCH_STARTUP`` names a file
(``desktop_app/ui/startup_probe.py``); CLOCK_MONOTONIC is shared by all
processes on Linux, so its times and this process's start time compare
directly. Every run gets a fresh copy of a data folder with history (a few
conversations, the starter model registered and last used, the last
conversation reopened), as a returning user has; the OS file cache is warm
(one discarded run first). Runs go through ``bench/startup_shim.py`` under an
X server (Xvfb, started once, as a desktop's display is already running):
the offscreen platform skips the X connection, the window mapping and the
expose round trip a real start pays.

``--before CHECKOUT`` also runs another checkout (e.g. the main branch) in
the same session, alternating runs, so machine load hits both alike. A
checkout without the probe gets it injected by the shim.

Usage: ``.venv/bin/python bench/bench_startup.py [--runs 30] [--token-runs 10]
[--before /path/to/checkout] [--platform xcb|offscreen]``. Prints Markdown tables.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from desktop_app.core.engine.api import Role, SamplingParams  # noqa: E402
from desktop_app.core.models.library import ModelLibrary  # noqa: E402
from desktop_app.core.models.starter_model import MODEL_ID, ensure_starter_model  # noqa: E402
from desktop_app.core.paths import AppPaths  # noqa: E402
from desktop_app.core.settings import SettingsStore  # noqa: E402
from desktop_app.core.storage.chat_store import ChatStore  # noqa: E402

SHIM = ROOT / "bench" / "startup_shim.py"
PROBE = ROOT / "desktop_app" / "ui" / "startup_probe.py"
MESSAGE = "Say hello in one short sentence."
TIMEOUT = 120.0
MAX_TOKENS = 16
"""The reply is cut short: only its first token is timed, and the run ends with the reply."""
TOPICS = ("lighthouses", "sourdough bread", "the moons of Jupiter", "learning Italian",
          "a budget for a bicycle trip", "how tides work")


def make_home(root: Path) -> Path:
    """A data folder as a returning user has it: history, the starter model used last."""
    paths = AppPaths.from_environment({"HEARTH_HOME": str(root)})
    paths.ensure()
    store = ChatStore.open(paths.database_path)
    last = None
    for i, topic in enumerate(TOPICS):
        # The last one reopens at start and gets the message: one exchange, short replies.
        final = i == len(TOPICS) - 1
        conversation = store.create_conversation(
            model_id=MODEL_ID, system_prompt="",
            params=SamplingParams(max_tokens=MAX_TOKENS) if final else SamplingParams())
        for turn in range(1 if final else 4):
            store.add_message(conversation.id, Role.USER, f"Tell me about {topic} ({turn}).")
            store.add_message(conversation.id, Role.ASSISTANT,
                              f"Here are a few **facts** about `{topic}`. " * (3 if final else 12))
        last = conversation.id
    store.close()
    ensure_starter_model(ModelLibrary(paths.models_dir))
    settings_store = SettingsStore(paths.settings_path)
    settings, _warnings = settings_store.load()
    settings.last_model_id = MODEL_ID
    settings.last_conversation_id = last
    settings_store.save(settings)
    return root


@dataclass
class Run:
    marks: dict[str, float]
    values: dict[str, str]
    returncode: int


def launch(checkout: Path, template: Path, message: str, env: dict[str, str]) -> Run:
    """One cold start of ``checkout`` on a fresh copy of ``template``; its milestones from t0."""
    with tempfile.TemporaryDirectory(prefix="hearth-start-") as tmp:
        home = Path(tmp) / "home"
        shutil.copytree(template, home, symlinks=True)
        trace = Path(tmp) / "trace.txt"
        run_env = dict(env, HEARTH_HOME=str(home), HEARTH_BENCH_STARTUP=str(trace))
        if message:
            run_env["HEARTH_BENCH_SEND"] = message
        else:
            run_env.pop("HEARTH_BENCH_SEND", None)
        t0 = time.monotonic()
        process = subprocess.Popen([sys.executable, str(SHIM), str(checkout), str(PROBE)],
                                   env=run_env, cwd=tmp, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        try:
            returncode = process.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            returncode = process.wait()
        marks: dict[str, float] = {}
        values: dict[str, str] = {}
        for line in trace.read_text(encoding="utf-8").splitlines() if trace.exists() else ():
            name, seconds, *value = line.split(" ", 2)
            if name not in marks:
                marks[name] = float(seconds) - t0
                if value:
                    values[name] = value[0]
        return Run(marks, values, returncode)


def start_xvfb() -> subprocess.Popen[bytes]:
    """One X server for all runs (a desktop's display is already up when Hearth starts)."""
    read, write = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x1024x24",
                               "-nolisten", "tcp"], pass_fds=(write,),
                              stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as display:
        number = display.readline().strip()
    if not number:
        raise SystemExit("Xvfb did not start")
    os.environ["DISPLAY"] = f":{number}"
    return server


def quantiles(values: list[float]) -> tuple[float, float]:
    """Median and 90th percentile (inclusive method: defined for a handful of runs too)."""
    ordered = sorted(values)
    p90 = statistics.quantiles(ordered, n=10, method="inclusive")[-1] if len(ordered) > 1 \
        else ordered[0]
    return statistics.median(ordered), p90


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def interleaved(sides: dict[str, Path], template: Path, runs: int, message: str,
                env: dict[str, str]) -> dict[str, list[Run]]:
    """``runs`` launches of each side, alternating which goes first; a warm-up run first."""
    results: dict[str, list[Run]] = {name: [] for name in sides}
    for checkout in sides.values():
        launch(checkout, template, message, env)  # warms the file cache; not counted
    order = list(sides)
    for i in range(runs):
        for name in order if i % 2 == 0 else reversed(order):
            run = launch(sides[name], template, message, env)
            if run.returncode != 0 or "error" in run.marks or "gave_up" in run.marks:
                print(f"  {name} run {i}: exit {run.returncode}, "
                      f"{run.values.get('error', '')} {sorted(run.marks)}", file=sys.stderr)
            results[name].append(run)
    return results


def column(runs: list[Run], name: str) -> list[float]:
    return [run.marks[name] for run in runs if name in run.marks]


def window_table(results: dict[str, list[Run]]) -> None:
    names = ("imports_done", "window_built", "first_paint", "usable")
    print("| milestone (from process start) | " + " | ".join(
        f"{side} median | {side} p90" for side in results) + " |")
    print("|---|" + "---|---|" * len(results))
    for name in names:
        cells = []
        for runs in results.values():
            values = column(runs, name)
            if values:
                median, p90 = quantiles(values)
                cells += [ms(median), ms(p90)]
            else:
                cells += ["–", "–"]
        print(f"| {name} | " + " | ".join(cells) + " |")
    for side, runs in results.items():
        print(f"\n{side}: {len(column(runs, 'usable'))} of {len(runs)} runs reached 'usable'")


def asked(run: Run) -> float:
    """When the model's load was sent: at start (early load), else when the window asked."""
    return run.marks.get("engine_start", run.marks.get("model_loading", 0.0))


def token_table(results: dict[str, list[Run]]) -> None:
    """Launch to first token, and where the time goes (medians)."""
    print("| step (medians) | " + " | ".join(results) + " |")
    print("|---|" + "---|" * len(results))
    rows: list[tuple[str, list[str]]] = []

    def add(label: str, values_by_side: list[list[float]]) -> None:
        rows.append((label, [ms(statistics.median(v)) if v else "–" for v in values_by_side]))

    usable, load_req, ready, load_s, sent, first, ttft = ([] for _ in range(7))
    for runs in results.values():
        usable.append(column(runs, "usable"))
        load_req.append([asked(r) for r in runs if "engine_start" in r.marks
                         or "model_loading" in r.marks])
        ready.append(column(runs, "engine_ready"))
        load_s.append([float(r.values["engine_ready"]) for r in runs if "engine_ready" in r.values])
        sent.append(column(runs, "sent"))
        first.append(column(runs, "first_token"))
        ttft.append([float(r.values["reply_ttft"]) for r in runs if "reply_ttft" in r.values])
    add("window usable (message sent)", usable)
    add("model load asked", load_req)
    spawn = [[r.marks["engine_ready"] - asked(r) - float(r.values["engine_ready"])
              for r in runs if "engine_ready" in r.marks
              and ("engine_start" in r.marks or "model_loading" in r.marks)]
             for runs in results.values()]
    add("engine child start: spawn, imports, pipe (ready − asked − load)", spawn)
    add("model load in the child (llama.cpp)", load_s)
    add("engine ready (GUI has ModelLoaded)", ready)
    add("prompt + prefill + first token in the child (ReplyStats)", ttft)
    add("first token in the chat view's model", first)
    for label, cells in rows:
        print(f"| {label} | " + " | ".join(cells) + " |")
    print("| first token p90 | " + " | ".join(
        ms(quantiles(v)[1]) if v else "–" for v in first) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=30, help="launches to a usable window")
    parser.add_argument("--token-runs", type=int, default=10,
                        help="launches to the first token of a reply (0: skip)")
    parser.add_argument("--before", type=Path, help="another checkout, run interleaved")
    parser.add_argument("--platform", choices=("xcb", "offscreen"), default="xcb")
    args = parser.parse_args()
    env = dict(os.environ)
    # Installed Pythons keep compiled bytecode; a checkout run with PYTHONDONTWRITEBYTECODE
    # would compile every module at every start. The caches go to a folder of this run's.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    pycache = tempfile.TemporaryDirectory(prefix="hearth-pycache-")
    env["PYTHONPYCACHEPREFIX"] = pycache.name
    server = None
    if args.platform == "xcb":
        server = start_xvfb()
        env["DISPLAY"] = os.environ["DISPLAY"]
    env["QT_QPA_PLATFORM"] = args.platform
    sides = {"after": ROOT} if args.before is None else {"before": args.before.resolve(),
                                                         "after": ROOT}
    load = os.getloadavg()
    print(f"{os.cpu_count()} cores, load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, "
          f"platform {args.platform}, Python {sys.version.split()[0]}\n")
    try:
        with tempfile.TemporaryDirectory(prefix="hearth-template-") as tmp:
            template = make_home(Path(tmp) / "home")
            if args.runs:
                print(f"### Launch to a usable window ({args.runs} runs each)\n")
                window_table(interleaved(sides, template, args.runs, "", env))
            if args.token_runs:
                print(f"\n### Launch to the first token ({args.token_runs} runs each, "
                      f"message {MESSAGE!r})\n")
                token_table(interleaved(sides, template, args.token_runs, MESSAGE, env))
    finally:
        if server is not None:
            server.terminate()
            server.wait()
        pycache.cleanup()
    load = os.getloadavg()
    print(f"\nload at the end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
