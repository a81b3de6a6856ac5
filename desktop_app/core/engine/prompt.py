"""Turning a conversation into the prompt text a model was trained on.

A GGUF file usually carries its own Jinja chat template
(``tokenizer.chat_template``). It is untrusted input: it is rendered in
:class:`~desktop_app.core.engine.template_sandbox.BoundedSandbox`, Jinja2's
immutable sandbox (the same choice as llama-cpp-python's
``Jinja2ChatFormatter``; Jinja2 >= 3.1.6 fixed two sandbox escapes) with a
budget of time and output size on top. *Any* failure, whether the template
calls ``raise_exception``, overflows ``range``, recurses forever, runs out of
its budget or hits a bug in Jinja, becomes a :class:`PromptError` saying the
template failed and that the built-in format can be chosen instead: a broken
template must cost one reply, never the engine process.

When the file has no template (or the user chose the built-in format in the
model's settings), Hearth picks a built-in format by architecture (gemma,
llama-3, chatml for qwen and others, mistral, phi-3) and says which one it
uses. llama-cpp-python would fall back to the llama-2 format, which gives
empty replies from most models.

Tools (issue 12): a template that speaks a tool-call format gets ``tools``
and the calls and results in its messages, as Hugging Face passes them; any
other template, and every built-in format, gets Hearth's fallback convention
(the tools in the system prompt, calls and results as plain turns). Which is
which is decided once per load (``tool_format``); see ``core.tools.formats``.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

import jinja2
from jinja2.exceptions import SecurityError

from desktop_app.core.engine.api import ChatMessage, Role, ToolSpec
from desktop_app.core.engine.template_sandbox import BoundedSandbox, TemplateBudgetError
from desktop_app.core.tools.formats import (
    ToolFormat,
    as_plain_turns,
    detect_format,
    template_messages,
    template_tools,
    with_instructions,
)
from desktop_app.core.user_text import QT_TRANSLATE_NOOP, UserFacingError, UserText, user_text

RENDER_SECONDS = 3.0
"""Time one render of a model's template may take. Real templates take milliseconds."""

RENDER_MIN_CHARS = 1_000_000
"""Output any render may make; a render may also make 8 characters per character of input."""

BUILTIN_HINT = QT_TRANSLATE_NOOP(
    "core", "To use {name} anyway, choose the built-in prompt format in the model's settings "
    "(Prompt format).")


class PromptError(UserFacingError, ValueError):
    """The conversation could not be turned into a prompt; the message is shown as is."""


class TemplateFailed(PromptError):
    """The model's chat template failed. ``retry_without_system``: it raised an error
    itself (as Gemma's does for a system message), so a render with the system prompt
    merged into the first turn may succeed; a template that ran out of its budget or
    crashed would only fail again, slowly."""

    def __init__(self, message: UserText | str, *, retry_without_system: bool = False) -> None:
        super().__init__(message)
        self.retry_without_system = retry_without_system


@dataclass(frozen=True)
class RenderedPrompt:
    """A prompt ready to tokenize.

    ``starts_with_bos``: the text already begins with the BOS token's text, so
    the tokenizer must not add another one (a doubled BOS degrades output).
    """

    text: str
    starts_with_bos: bool


def raw_prompt(text: str) -> RenderedPrompt:
    """A raw completion's prompt (``GenerateRequest.prompt``): the text as given, no template.

    It does not count as starting with BOS, so the tokenizer adds one when the
    model asks for it; a text that spells out the BOS itself is deduplicated
    after tokenizing (``session``), where the BOS token is known.
    """
    return RenderedPrompt(text, starts_with_bos=False)


@dataclass(frozen=True)
class _Turns:
    """A built-in format: how each role's turn is wrapped, and where generation starts."""

    name: str
    bos: str
    system: str | None   # None: the format has no system role; merge it into the first user turn
    user: str
    assistant: str
    generation_prompt: str
    stops: tuple[str, ...]


_GEMMA = _Turns(
    name="Gemma",
    bos="<bos>",
    system=None,
    user="<start_of_turn>user\n{content}<end_of_turn>\n",
    assistant="<start_of_turn>model\n{content}<end_of_turn>\n",
    generation_prompt="<start_of_turn>model\n",
    stops=("<end_of_turn>",),
)
_LLAMA3 = _Turns(
    name="Llama 3",
    bos="<|begin_of_text|>",
    system="<|start_header_id|>system<|end_header_id|>\n\n{content}<|eot_id|>",
    user="<|start_header_id|>user<|end_header_id|>\n\n{content}<|eot_id|>",
    assistant="<|start_header_id|>assistant<|end_header_id|>\n\n{content}<|eot_id|>",
    generation_prompt="<|start_header_id|>assistant<|end_header_id|>\n\n",
    stops=("<|eot_id|>", "<|end_of_text|>"),
)
_CHATML = _Turns(
    name="ChatML",
    bos="",
    system="<|im_start|>system\n{content}<|im_end|>\n",
    user="<|im_start|>user\n{content}<|im_end|>\n",
    assistant="<|im_start|>assistant\n{content}<|im_end|>\n",
    generation_prompt="<|im_start|>assistant\n",
    stops=("<|im_end|>", "<|endoftext|>"),
)
_MISTRAL = _Turns(
    name="Mistral",
    bos="<s>",
    system=None,
    user="[INST] {content} [/INST]",
    assistant="{content}</s>",
    generation_prompt="",
    stops=("</s>",),
)
_PHI3 = _Turns(
    name="Phi-3",
    bos="",
    system="<|system|>\n{content}<|end|>\n",
    user="<|user|>\n{content}<|end|>\n",
    assistant="<|assistant|>\n{content}<|end|>\n",
    generation_prompt="<|assistant|>\n",
    stops=("<|end|>", "<|endoftext|>"),
)

_BY_ARCHITECTURE: dict[str, _Turns] = {
    "gemma": _GEMMA, "gemma2": _GEMMA, "gemma3": _GEMMA, "gemma3n": _GEMMA,
    "llama": _LLAMA3,
    "qwen": _CHATML, "qwen2": _CHATML, "qwen2moe": _CHATML, "qwen3": _CHATML,
    "qwen3moe": _CHATML, "internlm2": _CHATML, "yi": _CHATML, "smollm": _CHATML,
    "mistral": _MISTRAL, "mixtral": _MISTRAL, "mistral3": _MISTRAL,
    "phi3": _PHI3, "phi4": _PHI3,
}


def merge_system_into_first_user(messages: Sequence[ChatMessage],
                                 system_prompt: str) -> list[ChatMessage]:
    """The history with the system prompt prefixed to the first user turn.

    For formats (and templates) that have no system role. The merge is stable,
    so the prompt of turn N stays a prefix of turn N+1 and the KV cache holds.
    """
    result = list(messages)
    if not system_prompt:
        return result
    for i, message in enumerate(result):
        if message.role == Role.USER:
            result[i] = ChatMessage(Role.USER, f"{system_prompt}\n\n{message.content}")
            return result
    return [ChatMessage(Role.USER, system_prompt), *result]


class ChatFormatter:
    """Renders conversations for one model; built once per load.

    ``template`` is the model's Jinja chat template or None; ``architecture``
    picks the built-in fallback, which ``use_builtin`` (the model's "Prompt
    format: built-in" setting) chooses even when there is a template.
    ``bos_token``/``eos_token`` are the texts of the model's special tokens,
    which templates print themselves. ``render_seconds`` is the time budget of
    one render of the template.
    """

    def __init__(self, *, model_name: str, template: str | None, architecture: str,
                 bos_token: str = "", eos_token: str = "", use_builtin: bool = False,
                 render_seconds: float = RENDER_SECONDS) -> None:
        self.model_name = model_name
        self._bos = bos_token
        self._eos = eos_token
        self._render_seconds = render_seconds
        self._env: BoundedSandbox | None = None
        self._template: jinja2.Template | None = None
        self._turns: _Turns | None = None
        self.tool_format = ToolFormat.FALLBACK
        if template and not use_builtin:
            self._env = env = BoundedSandbox(trim_blocks=True, lstrip_blocks=True,
                                             undefined=jinja2.Undefined)
            env.globals["raise_exception"] = _raise_exception
            env.globals["strftime_now"] = _strftime_now
            env.filters["tojson"] = _tojson
            try:
                self._template = env.from_string(template)
            except Exception as exc:  # TemplateSyntaxError, or RecursionError on deep nesting
                raise PromptError(_template_failed(
                    user_text("template.invalid", QT_TRANSLATE_NOOP(
                        "core", "it is not valid Jinja ({error})"), error=str(exc)),
                    model_name)) from exc
            self.description = "Template from the model"
            self.tool_format = detect_format(template)
            self.stops: tuple[str, ...] = tuple(s for s in (eos_token,) if s)
        else:
            self._turns = _BY_ARCHITECTURE.get(architecture.lower(), _CHATML)
            known = architecture.lower() in _BY_ARCHITECTURE
            if template:
                why = "chosen instead of the model's chat template"
            else:
                why = "the model has no chat template"
            self.description = (
                f"{self._turns.name} (built-in; {why})" if known else
                f"{self._turns.name} (built-in guess for architecture '{architecture}'; {why})")
            self.stops = self._turns.stops

    @property
    def uses_model_template(self) -> bool:
        return self._template is not None

    def render(self, messages: Sequence[ChatMessage], system_prompt: str = "", *,
               continue_reply: bool = False,
               tools: Sequence[ToolSpec] = ()) -> RenderedPrompt:
        """The prompt for the next reply.

        ``continue_reply``: the last message is a partial assistant turn; the
        prompt ends with its text so the model carries on from there.
        ``tools``: what the model may call (see the module docstring).
        """
        history = list(messages)
        partial = ""
        if continue_reply and history and history[-1].role == Role.ASSISTANT:
            partial = history.pop().content
        native = self._template is not None and self.tool_format != ToolFormat.FALLBACK
        if not native:
            history = as_plain_turns(history)
            system_prompt = with_instructions(system_prompt, tools)
        if self._template is not None:
            text = self._render_template(history, system_prompt, tools if native else ())
        else:
            text = self._render_builtin(history, system_prompt)
        text += partial
        bos = self._turns.bos if self._turns is not None else self._bos
        starts_with_bos = bool(bos) and text.startswith(bos)
        return RenderedPrompt(text, starts_with_bos)

    def _render_builtin(self, history: list[ChatMessage], system_prompt: str) -> str:
        turns = self._turns
        assert turns is not None
        parts = [turns.bos]
        if turns.system is None:
            history = merge_system_into_first_user(history, system_prompt)
        elif system_prompt:
            parts.append(turns.system.format(content=system_prompt))
        for message in history:
            wrapper = turns.user if message.role == Role.USER else turns.assistant
            parts.append(wrapper.format(content=message.content))
        parts.append(turns.generation_prompt)
        return "".join(parts)

    def _render_template(self, history: list[ChatMessage], system_prompt: str,
                         tools: Sequence[ToolSpec] = ()) -> str:
        as_dicts = template_messages(history)
        tool_dicts = template_tools(tools)
        if system_prompt:
            try:
                return self._call_template([{"role": "system", "content": system_prompt},
                                            *as_dicts], tool_dicts)
            except TemplateFailed as exc:
                if not exc.retry_without_system:
                    raise
                # Some templates (Gemma, Mistral) reject a system role: merge it instead.
                as_dicts = template_messages(merge_system_into_first_user(history, system_prompt))
        return self._call_template(as_dicts, tool_dicts)

    def _call_template(self, messages: list[dict[str, Any]],
                       tools: list[dict[str, Any]] | None = None) -> str:
        assert self._template is not None
        assert self._env is not None
        given = len(self._bos) + len(self._eos) + sum(
            len(m["content"]) if set(m) == {"role", "content"}
            else len(json.dumps(m, ensure_ascii=False)) for m in messages)
        variables: dict[str, Any] = {}
        if tools:  # absent, not empty: templates test "tools is defined"
            variables["tools"] = tools
            given += len(json.dumps(tools, ensure_ascii=False))
        try:
            return self._env.render(
                self._template, seconds=self._render_seconds,
                max_chars=RENDER_MIN_CHARS + 8 * given, messages=messages,
                add_generation_prompt=True, bos_token=self._bos, eos_token=self._eos,
                **variables)
        except SecurityError as exc:
            raise TemplateFailed(self._failure(user_text("template.unsafe", QT_TRANSLATE_NOOP(
                "core", "it tried to do something unsafe and was stopped ({error})"),
                error=str(exc)))) from exc
        except TemplateBudgetError as exc:
            raise TemplateFailed(self._failure(str(exc))) from exc
        except RecursionError as exc:
            raise TemplateFailed(self._failure(user_text("template.recursion", QT_TRANSLATE_NOOP(
                "core", "it called itself too deeply")))) from exc
        except MemoryError as exc:
            raise TemplateFailed(self._failure(user_text("template.memory", QT_TRANSLATE_NOOP(
                "core", "it ran out of memory")))) from exc
        except jinja2.TemplateError as exc:
            # raise_exception() from the template itself, or an undefined value used.
            raise TemplateFailed(self._failure(str(exc) or type(exc).__name__),
                                 retry_without_system=True) from exc
        except Exception as exc:  # OverflowError, TypeError, ...: any bug in the template
            raise TemplateFailed(self._failure(f"{type(exc).__name__}: {exc}")) from exc

    def _failure(self, reason: UserText | str) -> UserText:
        return _template_failed(reason, self.model_name)


def _template_failed(reason: UserText | str, model_name: str) -> UserText:
    """"This model's chat template failed: <reason>. To use <name> anyway, …"."""
    if isinstance(reason, str):
        reason = reason.rstrip(".")
    return user_text("template.failed", QT_TRANSLATE_NOOP(
        "core", "This model's chat template failed: {reason}. {hint}"), reason=reason,
        hint=user_text("template.builtin_hint", BUILTIN_HINT, name=model_name))


def _raise_exception(message: str) -> NoReturn:
    raise jinja2.TemplateError(message)


MAX_JSON_INDENT = 8


def _tojson(value: Any, ensure_ascii: bool = False, indent: int | None = None,
            separators: tuple[str, str] | None = None, sort_keys: bool = False) -> str:
    """Hugging Face's ``tojson`` (plain ``json.dumps``), which tool-calling templates expect.

    Jinja's own escapes ``<``, ``>`` and ``&`` for HTML, so a tool's schema would
    reach the model in a form it was never trained on. The indent is capped: the
    output then stays within a few times the size of its input, which the
    template's budget already bounds.
    """
    if indent is not None:
        indent = max(0, min(int(indent), MAX_JSON_INDENT))
    return json.dumps(value, ensure_ascii=ensure_ascii, indent=indent, separators=separators,
                      sort_keys=sort_keys)


def _strftime_now(fmt: str) -> str:
    return datetime.datetime.now().strftime(fmt)


def describe_builtin(architecture: str) -> str:
    """Which built-in format an architecture gets (for tests and the UI)."""
    return _BY_ARCHITECTURE.get(architecture.lower(), _CHATML).name

