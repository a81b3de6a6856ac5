"""``hearth chat``: one reply from a local model, streamed to stdout.

It drives the same :class:`LocalEngine` the GUI uses, so what works here works
in the window. Text goes to stdout as it arrives; model status and statistics
go to stderr, so ``hearth chat ... > reply.txt`` captures just the reply.

It writes no chat history and no settings, so it runs while the Hearth
window is open. The one write it may need, preparing the bundled starter model
in the library, happens under the data folder's lock; when the window holds
it, the window has prepared the starter already, or the user is asked to pick a
model with ``--model``.

Every way the engine can fail (a load or template error, a crash, the
watchdog restarting a hung engine) ends the command with one line
``hearth: <message>`` and exit code 1; details such as the engine's last
output go to the log file, never to the terminal.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from typing import TextIO

from desktop_app.cli.common import open_data_folder
from desktop_app.core.engine.api import (
    ChatMessage,
    EngineCrashed,
    GenerateRequest,
    GenerationFailed,
    LoadFailed,
    LoadOptions,
    ModelLoaded,
    ParameterError,
    ReplyFinished,
    ReplyStats,
    Role,
    SamplingParams,
    TokenChunk,
)
from desktop_app.core.engine.process import LocalEngine
from desktop_app.core.models.library import LocalModel, ModelLibrary
from desktop_app.core.models.starter_model import StarterModelError, ensure_starter_model
from desktop_app.core.settings import ModelSettings
from desktop_app.core.storage.instance_lock import DataFolderInUse, DataFolderLock

CLI_SHUTDOWN_GRACE = 2.0
"""Seconds the engine gets to exit cleanly before it is killed (after Ctrl-C it may be busy)."""


class ChatCommandError(Exception):
    """A problem the user can fix; printed without a traceback."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "chat", help="stream one reply from a local model",
        description="Send one message to a local model and stream the reply to stdout.")
    parser.add_argument("prompt", help="the message to send")
    parser.add_argument("--model", metavar="ID",
                        help="model id from 'hearth models list' (default: the last used model, "
                             "else the bundled starter model)")
    parser.add_argument("--system", default=None, help="system prompt (default: from settings)")
    parser.add_argument("--temperature", type=float, default=None)
    parser.add_argument("--max-tokens", type=int, default=None)
    parser.add_argument("--seed", type=int, default=None,
                        help="fix the seed for a reproducible reply")
    parser.add_argument("--ctx", type=int, default=None, help="context length (default: auto)")
    parser.add_argument("--builtin-format", action="store_true",
                        help="use Hearth's built-in prompt format for the model's architecture "
                             "instead of the chat template in the file")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object with the reply and its statistics at the end")
    parser.set_defaults(func=run)


def resolve_model(library: ModelLibrary, model_id: str | None, last: str | None,
                  lock: DataFolderLock) -> LocalModel:
    """The model a command runs: the one named, else the last used, else the starter model.

    Shared by ``hearth chat`` and ``hearth serve``, so both pick the same model.
    """
    if model_id:
        try:
            return library.get(model_id)
        except KeyError:
            raise ChatCommandError(
                f"No model with id {model_id!r}. See 'hearth models list'.") from None
    if last:
        try:
            return library.get(last)
        except KeyError:
            pass
    try:
        with lock:
            return ensure_starter_model(library)
    except DataFolderInUse as exc:
        ready = next((m for m in library.models() if m.is_demo), None)
        if ready is not None:
            return ready
        raise ChatCommandError(
            f"{exc} Or choose a model with --model (see 'hearth models list').") from exc
    except StarterModelError as exc:
        raise ChatCommandError(
            f"{exc} Choose a model with --model (see 'hearth models list').") from exc
    except OSError as exc:
        raise ChatCommandError(f"cannot lock the data folder: {exc.strerror or exc}") from exc


def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = sys.stdout if out is None else out  # looked up per call, so tests can capture them
    err = sys.stderr if err is None else err
    opened = open_data_folder(err)
    if opened is None:
        return 1
    paths, settings = opened
    library = ModelLibrary(paths.models_dir)
    try:
        model = resolve_model(library, args.model, settings.last_model_id,
                              DataFolderLock(paths.data_dir, "hearth chat"))
        base = settings.default_params
        params = SamplingParams(
            temperature=base.temperature if args.temperature is None else args.temperature,
            top_k=base.top_k, top_p=base.top_p, min_p=base.min_p,
            repeat_penalty=base.repeat_penalty,
            max_tokens=base.max_tokens if args.max_tokens is None else args.max_tokens,
            seed=args.seed if args.seed is not None else base.seed, stop=base.stop,
        ).validate()
    except (ChatCommandError, ParameterError) as exc:
        print(f"hearth: {exc}", file=err)
        return 1
    ms = settings.model_settings.get(model.id, ModelSettings())
    options = ms.load_options(str(model.path))
    if args.ctx is not None:
        options = dataclasses.replace(options, n_ctx=args.ctx)
    if args.builtin_format:
        options = dataclasses.replace(options, builtin_prompt_format=True)
    system = settings.default_system_prompt if args.system is None else args.system
    request = GenerateRequest(request_id=1, conversation_id=0,
                              messages=(ChatMessage(Role.USER, args.prompt),),
                              params=params, system_prompt=system)
    # llama.cpp's own messages would mix with the reply on the terminal: log them.
    engine = LocalEngine(stderr_path=paths.log_dir / "engine.log")
    try:
        return _stream(engine, options, request, args.json, out, err)
    finally:
        engine.shutdown(grace=CLI_SHUTDOWN_GRACE)


def _stream(engine: LocalEngine, options: LoadOptions, request: GenerateRequest, as_json: bool,
            out: TextIO, err: TextIO) -> int:
    engine.load(options)
    engine.generate(request)
    parts: list[str] = []
    try:
        while True:
            for event in engine.poll_events(0.5):
                match event:
                    case ModelLoaded():
                        print(f"[{event.backend} · context {event.n_ctx} · {event.chat_format}]",
                              file=err)
                    case LoadFailed(message=message) | GenerationFailed(message=message) | \
                            EngineCrashed(message=message):
                        print(f"hearth: {message}", file=err)
                        return 1
                    case TokenChunk(thinking=False, text=text):
                        parts.append(text)
                        if not as_json:
                            out.write(text)
                            out.flush()
                    case ReplyFinished(stats=stats):
                        _report(stats, "".join(parts), as_json, out, err)
                        return 0
    except KeyboardInterrupt:
        engine.cancel(request.request_id)
        print("\nhearth: stopped", file=err)
        return 130


def _report(stats: ReplyStats, text: str, as_json: bool, out: TextIO, err: TextIO) -> None:
    if as_json:
        json.dump({"text": text, "prompt_tokens": stats.prompt_tokens,
                   "completion_tokens": stats.completion_tokens,
                   "time_to_first_token": stats.time_to_first_token,
                   "tokens_per_second": stats.tokens_per_second,
                   "stop_reason": str(stats.stop_reason), "seed": stats.seed},
                  out, ensure_ascii=False)
        out.write("\n")
        return
    out.write("\n")
    print(f"[{stats.completion_tokens} tokens · {stats.tokens_per_second:.1f} tok/s · "
          f"first token {stats.time_to_first_token:.2f} s · {stats.stop_reason}]", file=err)
