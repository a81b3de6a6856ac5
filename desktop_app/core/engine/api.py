"""The engine interface: requests the GUI sends and events it gets back.

Everything here is plain, picklable data, so the same types cross the pipe to
the llama.cpp child process and can be produced by a remote OpenAI-compatible
backend. No llama-cpp-python type appears in this module or in anything the
GUI sees.

A caller (the GUI's worker thread, the CLI, a benchmark) drives an
:class:`Engine` from one thread: it calls ``load``/``generate``/``cancel`` and
then ``poll_events`` in a loop. Only :meth:`Engine.wakeup` may be called from
another thread.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from desktop_app.core.user_text import QT_TRANSLATE_NOOP, UserText, user_text

NO_MODEL_LOADED = user_text("engine.no_model", QT_TRANSLATE_NOOP(
    "core", "No model is loaded. Choose a model first."))
"""What a reply asked of an engine with no model gets (the GUI translates it)."""


class ParameterError(ValueError):
    """A setting the user chose is out of range. The message is shown as is."""


class Role(StrEnum):
    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"
    TOOL = "tool"  # a tool's result, answering one call of the assistant turn before it


@dataclass(frozen=True)
class ToolSpec:
    """A tool offered to the model: plain data, so it crosses the pipe to the engine.

    ``parameters`` is the JSON Schema of the arguments object as JSON *text*
    (hashable, picklable, and exactly what was counted against the token budget).
    """

    name: str
    description: str
    parameters: str = '{"type": "object", "properties": {}}'


@dataclass(frozen=True)
class ToolCall:
    """One call the model asked for. ``arguments`` is the JSON text of the arguments object.

    ``error`` non-empty: the model tried to call a tool but what it wrote could not
    be read (malformed JSON, no name); the agent tells the model instead of running
    anything. ``raw`` keeps what the model wrote then, for the card and the log.
    """

    id: str
    name: str
    arguments: str = "{}"
    error: str = ""
    raw: str = ""


@dataclass(frozen=True)
class ChatMessage:
    """One turn. Tool calling adds two optional fields and one role, nothing else:

    * an assistant turn that called tools carries them in ``tool_calls``
      (``content`` is the text it wrote around them, often empty);
    * a :attr:`Role.TOOL` turn is one call's result: ``tool_call_id`` and
      ``name`` say which call, ``content`` is the result as framed for the
      model (``core.tools.results``).
    """

    role: Role
    content: str
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str = ""
    name: str = ""


class StopReason(StrEnum):
    END = "end"            # the model ended its turn (EOS / end-of-turn / stop string)
    LENGTH = "length"      # max_tokens or the context window was reached
    CANCELLED = "cancelled"  # the user pressed Stop
    ERROR = "error"        # the engine failed or crashed


AUTO = -1
"""``n_gpu_layers`` value meaning: all layers on the GPU if it fits, else CPU."""

DEFAULT_WATCHDOG_SECONDS = 60
"""How long a busy engine may stay silent before it is restarted.

The engine sends a heartbeat every second while it loads a model or works on
a reply (see ``runner``), so silence this long means the process is stopped
or stuck, not slow. Generous, because a heavily swapping machine can delay a
heartbeat by many seconds.
"""
KV_CACHE_TYPES = ("f16", "q8_0", "q4_0")
"""KV cache element types Hearth offers (llama.cpp's ggml type names)."""

MIN_WATCHDOG_SECONDS = 5
MAX_WATCHDOG_SECONDS = 3600


@dataclass(frozen=True)
class SamplingParams:
    """Per-conversation generation settings. ``seed=None`` means a new random seed per reply."""

    temperature: float = 0.7
    top_k: int = 40
    top_p: float = 0.95
    min_p: float = 0.05
    repeat_penalty: float = 1.1
    max_tokens: int = 1024
    seed: int | None = None
    stop: tuple[str, ...] = ()
    # Speculative decoding (core/engine/speculative): draft tokens by looking the reply's
    # last words up in the prompt and let the model check them in one batch; on the CPU
    # the reply is the same as without it (Hearth's llama.cpp patches). On by default: it
    # speeds up replies that quote or copy their prompt and costs free prose about 2 %
    # (README, Benchmarks). ``draft_model`` drafts with a smaller installed model of the
    # same family instead (LoadOptions.draft_candidates); off by default, as it is a
    # second model in memory and on the CPU measured slower than lookup.
    speculative: bool = True
    draft_model: bool = False

    def validate(self) -> SamplingParams:
        """Return self, or raise :class:`ParameterError` naming the bad setting."""
        def finite(name: str, value: float, low: float, high: float) -> None:
            if not isinstance(value, int | float) or not math.isfinite(value):
                raise ParameterError(f"{name} must be a finite number, got {value!r}.")
            if not low <= value <= high:
                raise ParameterError(f"{name} must be between {low} and {high}, got {value}.")

        finite("Temperature", self.temperature, 0.0, 5.0)
        finite("Top-p", self.top_p, 0.0, 1.0)
        finite("Min-p", self.min_p, 0.0, 1.0)
        finite("Repeat penalty", self.repeat_penalty, 0.0, 5.0)
        if not isinstance(self.top_k, int) or self.top_k < 0:
            raise ParameterError(
                f"Top-k must be 0 (off) or a positive whole number, got {self.top_k!r}.")
        if not isinstance(self.max_tokens, int) or self.max_tokens < 1:
            raise ParameterError(f"Max tokens must be at least 1, got {self.max_tokens!r}.")
        if self.seed is not None and (not isinstance(self.seed, int) or not 0 <= self.seed < 2**32):
            raise ParameterError(
                f"Seed must be a whole number from 0 to {2**32 - 1}, got {self.seed!r}.")
        if any(not s for s in self.stop):
            raise ParameterError("Stop strings must not be empty.")
        if not isinstance(self.speculative, bool):
            raise ParameterError(
                f"Speculative decoding must be on or off, got {self.speculative!r}.")
        if not isinstance(self.draft_model, bool):
            raise ParameterError(
                f"Drafting with a smaller model must be on or off, got {self.draft_model!r}.")
        return self


@dataclass(frozen=True)
class LoadOptions:
    """How to load a model. ``n_ctx=0`` means: the engine picks a memory-safe default."""

    model_path: str
    n_ctx: int = 0
    n_threads: int = 0          # 0: number of physical cores
    n_gpu_layers: int = AUTO    # AUTO, 0 (CPU only) or a layer count
    n_batch: int = 512
    flash_attn: bool = False
    kv_cache_type: str = "f16"  # one of KV_CACHE_TYPES
    builtin_prompt_format: bool = False  # ignore the file's chat template
    watchdog_seconds: float = DEFAULT_WATCHDOG_SECONDS  # read by the parent, not the engine
    # Non-empty: ``model_path`` is a model name served by this remote server
    # (``Settings.servers``), and the routing engine sends the work there.
    server_id: str = ""
    # Speculative decoding's draft model, loaded with the first reply that speculates:
    # the smallest of ``draft_candidates`` (the installed models) that is smaller than this
    # one and shares its vocabulary, or ``draft_model_path`` if set (benchmarks). None
    # found: replies draft by prompt lookup.
    draft_candidates: tuple[str, ...] = ()
    draft_model_path: str = ""

    def validate(self) -> LoadOptions:
        """Return self, or raise :class:`ParameterError` naming the bad setting.

        The one check of each value's own range, for the saved model settings,
        the settings form and the engine alike; whether a context fits a given
        model is checked where the model is known (the loader, the form).
        """
        if self.n_ctx < 0:
            raise ParameterError(f"Context length must be 0 (auto) or more, got {self.n_ctx}.")
        if self.n_gpu_layers < AUTO:
            raise ParameterError(
                f"GPU layers must be {AUTO} (auto), 0 (CPU only) or a layer count, "
                f"got {self.n_gpu_layers}.")
        if self.n_threads < 0:
            raise ParameterError(f"CPU threads must be 0 (auto) or more, got {self.n_threads}.")
        if self.n_batch < 1:
            raise ParameterError(f"Batch size must be at least 1, got {self.n_batch}.")
        if self.kv_cache_type not in KV_CACHE_TYPES:
            raise ParameterError(f"KV cache type must be one of {', '.join(KV_CACHE_TYPES)}, "
                                 f"got {self.kv_cache_type!r}.")
        if self.kv_cache_type != "f16" and not self.flash_attn:
            # llama.cpp refuses to create a context with a quantized V cache without it.
            raise ParameterError(f"A {self.kv_cache_type} KV cache needs flash attention.")
        if not MIN_WATCHDOG_SECONDS <= self.watchdog_seconds <= MAX_WATCHDOG_SECONDS:
            raise ParameterError(
                f"The engine watchdog must be from {MIN_WATCHDOG_SECONDS} to "
                f"{MAX_WATCHDOG_SECONDS} seconds, got {self.watchdog_seconds}.")
        return self


@dataclass(frozen=True)
class GenerateRequest:
    """One reply. ``messages`` is the whole visible history, ending with the user's turn.

    ``conversation_id`` lets the engine keep a KV-cache state per conversation.
    ``continue_reply``: the last message is an assistant turn to be continued
    (after a reply stopped at the length limit) instead of starting a new one.
    ``prompt``: see the field.
    """

    request_id: int
    conversation_id: int
    messages: tuple[ChatMessage, ...]
    params: SamplingParams = field(default_factory=SamplingParams)
    system_prompt: str = ""
    continue_reply: bool = False
    # A raw completion (``/v1/completions``): this text is the whole prompt, no chat
    # template is applied, and ``messages`` is empty.
    prompt: str | None = None
    # Tools the model may call (empty: none; the reply is plain text as before). Calls
    # arrive as one ToolCallRequested event before ReplyFinished.
    tools: tuple[ToolSpec, ...] = ()
    # "auto": the model may call tools or answer; "required": the reply is exactly one call
    # (locally constrained by a llama.cpp JSON-schema grammar, so it is always valid JSON).
    tool_choice: str = "auto"


@dataclass(frozen=True)
class ReplyStats:
    prompt_tokens: int = 0        # tokens in the full prompt
    prompt_eval_tokens: int = 0   # tokens actually evaluated (the rest came from the KV cache)
    completion_tokens: int = 0
    time_to_first_token: float = 0.0  # seconds from request receipt to the first token
    tokens_per_second: float = 0.0    # decode speed, excluding the prefill
    stop_reason: StopReason = StopReason.END
    seed: int = 0
    drafted_tokens: int = 0   # speculative decoding: tokens proposed to the model
    accepted_tokens: int = 0  # ...and how many of them it kept (all are in completion_tokens)


# ---- events ---------------------------------------------------------------


@dataclass(frozen=True)
class ModelLoaded:
    model_path: str
    n_ctx: int
    chat_format: str      # e.g. "template from model", "gemma (fallback)"
    backend: str          # "CPU", "CUDA", "Metal", "Vulkan"
    device: str           # e.g. CPU model name or GPU name
    n_gpu_layers: int
    load_seconds: float
    # Why the model runs where it runs, when that is not what was asked (Auto found no
    # GPU, offloading failed): shown in the user's language; "" when there is nothing.
    notice: UserText | str = ""
    # ggml's CPU kernels: the variant loaded at start when the installer ships one per
    # CPU generation ("zen4", "haswell"), "built-in" for an ordinary build (cpu_backend).
    cpu_variant: str = ""


@dataclass(frozen=True)
class LoadFailed:
    model_path: str
    message: UserText | str


@dataclass(frozen=True)
class TokenChunk:
    request_id: int
    text: str
    thinking: bool = False  # text inside <think>…</think>


@dataclass(frozen=True)
class ContextTrimmed:
    """Older messages no longer fit in the context window and were left out."""

    request_id: int
    dropped_messages: int


@dataclass(frozen=True)
class ToolCallRequested:
    """The reply asked to call tools (only when the request offered some).

    Sent once, after the reply's last :class:`TokenChunk` and before its
    :class:`ReplyFinished`; the call markup itself is never streamed as text.
    A separate event rather than a field of the stats, so a GUI that knows
    nothing of tools can ignore it and a GUI that does can show the cards at once.
    """

    request_id: int
    calls: tuple[ToolCall, ...]


@dataclass(frozen=True)
class ReplyFinished:
    request_id: int
    stats: ReplyStats


@dataclass(frozen=True)
class GenerationFailed:
    request_id: int
    message: UserText | str


@dataclass(frozen=True)
class EngineCrashed:
    """The engine process died or was restarted because it stopped answering.

    ``request_id`` is the reply that was running, if any. ``restarting``: a new
    engine process is already loading the last model again (a
    :class:`ModelLoaded` follows); otherwise it is loaded with the next message.
    """

    message: UserText | str
    request_id: int | None = None
    restarting: bool = False


EngineEvent = (
    ModelLoaded | LoadFailed | TokenChunk | ContextTrimmed | ToolCallRequested | ReplyFinished
    | GenerationFailed | EngineCrashed
)


class Engine(Protocol):
    """What the GUI needs from an inference backend.

    All methods but :meth:`wakeup` are called from one thread. Calls do not
    block on inference: results arrive through :meth:`poll_events`. After an
    :class:`EngineCrashed` event the engine restarts itself on the next
    ``load`` or ``generate`` (reloading the last model first), or at once when
    the event says ``restarting`` (it was killed for not answering).
    """

    def load(self, options: LoadOptions) -> None: ...

    def generate(self, request: GenerateRequest) -> None: ...

    def cancel(self, request_id: int) -> None: ...

    def unload(self) -> None: ...

    def poll_events(self, timeout: float) -> list[EngineEvent]:
        """Wait up to ``timeout`` seconds for events; return all that are ready."""
        ...

    def wakeup(self) -> None:
        """Thread-safe: make a pending :meth:`poll_events` return now."""
        ...

    def shutdown(self) -> None: ...
