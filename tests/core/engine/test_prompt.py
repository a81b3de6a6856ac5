"""Prompt formatting: model templates in a sandbox, built-in fallbacks, the prefix property."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_app.core.engine.api import ChatMessage, Role
from desktop_app.core.engine.prompt import ChatFormatter, PromptError, describe_builtin
from desktop_app.core.engine.thinking import ThinkingSplitter, strip_thinking

U, A = Role.USER, Role.ASSISTANT

CHATML_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")
NO_SYSTEM_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}"
    "{% if m.role == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}"
    "[{{ m.role }}]{{ m.content }}[end]{% endfor %}"
    "{% if add_generation_prompt %}[assistant]{% endif %}")


def _history(*turns: str) -> tuple[ChatMessage, ...]:
    return tuple(ChatMessage(U if i % 2 == 0 else A, text) for i, text in enumerate(turns))


def test_gemma_fallback_merges_the_system_prompt_into_the_first_turn() -> None:
    formatter = ChatFormatter(model_name="demo", template=None, architecture="gemma3")
    prompt = formatter.render(_history("Hi"), "Be brief.")
    assert prompt.text == ("<bos><start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n"
                           "<start_of_turn>model\n")
    assert prompt.starts_with_bos
    assert "Gemma" in formatter.description
    assert "no chat template" in formatter.description
    assert "<end_of_turn>" in formatter.stops


@pytest.mark.parametrize(("architecture", "expected"), [
    ("gemma3", "Gemma"), ("llama", "Llama 3"), ("qwen2", "ChatML"), ("qwen3", "ChatML"),
    ("mistral", "Mistral"), ("phi3", "Phi-3"), ("somethingnew", "ChatML"),
])
def test_fallback_by_architecture(architecture: str, expected: str) -> None:
    assert describe_builtin(architecture) == expected
    formatter = ChatFormatter(model_name="m", template=None, architecture=architecture)
    assert formatter.description.startswith(expected)


def test_unknown_architecture_says_the_format_is_a_guess() -> None:
    formatter = ChatFormatter(model_name="m", template=None, architecture="somethingnew")
    assert "guess" in formatter.description


@pytest.mark.parametrize("architecture", ["gemma3", "llama", "qwen2", "mistral", "phi3"])
def test_turn_n_prompt_plus_reply_is_a_prefix_of_turn_n_plus_1(architecture: str) -> None:
    """What keeps the KV cache valid: each turn only appends to the previous prompt."""
    formatter = ChatFormatter(model_name="m", template=None, architecture=architecture)
    first = formatter.render(_history("Hello"), "Sys").text
    second = formatter.render(_history("Hello", "Hi there", "How are you?"), "Sys").text
    assert second.startswith(first + "Hi there")


def test_model_template_is_used_with_its_system_role() -> None:
    formatter = ChatFormatter(model_name="m", template=CHATML_TEMPLATE, architecture="qwen2")
    prompt = formatter.render(_history("你好"), "用中文回答。")
    assert prompt.text == ("<|im_start|>system\n用中文回答。<|im_end|>\n"
                           "<|im_start|>user\n你好<|im_end|>\n<|im_start|>assistant\n")
    assert formatter.uses_model_template
    assert formatter.description == "Template from the model"


def test_template_that_rejects_system_gets_it_merged() -> None:
    formatter = ChatFormatter(model_name="m", template=NO_SYSTEM_TEMPLATE, architecture="x",
                              bos_token="<s>")
    prompt = formatter.render(_history("Hi"), "Sys")
    assert prompt.text == "<s>[user]Sys\n\nHi[end][assistant]"
    assert prompt.starts_with_bos


def test_template_raising_gives_a_clear_error_naming_the_model() -> None:
    template = "{{ raise_exception('Conversation roles must alternate') }}"
    formatter = ChatFormatter(model_name="Odd-7B", template=template, architecture="llama")
    with pytest.raises(PromptError, match=r"chat template failed: .*alternate.*Odd-7B.*built-in"):
        formatter.render(_history("Hi"))


# Templates that used to hang the engine, kill it, or eat gigabytes. Each must fail with
# the clear message well within the budget (3 s), never run on.
HOSTILE_TEMPLATES = {
    "nested huge loops": (
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
        "still running after 3 seconds"),
    "nested loops over a list, no calls inside": (
        "{% set x = range(100000)|list %}{% for a in x %}{% for b in x %}{% endfor %}"
        "{% endfor %}", "still running after 3 seconds"),
    "range over the sandbox limit": (
        "{% for i in range(10**7) %}x{% endfor %}", "OverflowError"),
    "TypeError": ("{{ messages[0].content + 1 }}", "TypeError"),
    "a gigabyte string": ("{{ 'x' * 10**9 }}", "repeated a value"),
    "gigabytes from a loop": (
        "{% for i in range(100000) %}{% for j in range(100000) %}{{ 'x' * 1000 }}"
        "{% endfor %}{% endfor %}", "characters of prompt"),
    "doubling a string": (
        "{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}"
        "{% endfor %}{{ ns.s }}", "elements"),
    "huge padding": ("{{ 'x'.center(10**9) }}{{ 'x'|indent(10**9) }}", "passed the number"),
    "huge printf width": ("{{ '%01000000000d' % 1 }}", "huge or variable width"),
    "huge format width": ("{{ '{:>1000000000}'.format('x') }}", "huge width"),
    "a number too large": ("{{ 10 ** (10 ** 10) }}", "too large"),
    "endless recursion": ("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
                          "called itself too deeply"),
}


@pytest.mark.parametrize("name", list(HOSTILE_TEMPLATES))
def test_hostile_template_stops_by_itself_with_a_clear_message(name: str) -> None:
    import time

    template, reason = HOSTILE_TEMPLATES[name]
    formatter = ChatFormatter(model_name="Hostile", template=template, architecture="gemma3")
    started = time.monotonic()
    with pytest.raises(PromptError) as caught:
        formatter.render(_history("Hi"), "Sys")
    elapsed = time.monotonic() - started
    message = str(caught.value)
    assert message.startswith("This model's chat template failed: "), message
    assert reason in message
    assert "built-in prompt format" in message
    # A render stops at its 3 s budget; a second render with the system prompt merged
    # is not attempted for a template that failed by itself (generous bound: 2 cores).
    assert elapsed < 15, elapsed


def test_a_template_raising_rejects_the_system_role_then_renders_merged() -> None:
    """Only an error the template raised itself earns a second render without the system role."""
    template = ("{% if messages[0].role == 'system' %}{{ raise_exception('no system') }}"
                "{% endif %}{% for m in messages %}{{ m.content }}{% endfor %}")
    formatter = ChatFormatter(model_name="m", template=template, architecture="llama")
    assert formatter.render(_history("Hi"), "Sys").text == "Sys\n\nHi"


def test_legitimate_templates_are_not_limited_by_the_budget() -> None:
    """Long conversations, big numbers as values and a long message still render."""
    template = ("{% for m in messages %}{{ loop.index }} {{ m.role }}: {{ m.content }}\n"
                "{% endfor %}{{ 1700000000|string }}{{ (10 ** 9)|string }}")
    formatter = ChatFormatter(model_name="m", template=template, architecture="llama")
    turns = [f"message {i} " * 20 for i in range(2000)] + ["x" * 3_000_000]
    text = formatter.render(_history(*turns)).text
    assert text.endswith("17000000001000000000")
    assert "x" * 3_000_000 in text


def test_builtin_format_can_be_chosen_over_the_models_template() -> None:
    hostile = HOSTILE_TEMPLATES["nested huge loops"][0]
    formatter = ChatFormatter(model_name="m", template=hostile, architecture="gemma3",
                              use_builtin=True)
    assert not formatter.uses_model_template
    assert formatter.description == (
        "Gemma (built-in; chosen instead of the model's chat template)")
    assert formatter.render(_history("Hi")).text.startswith("<bos><start_of_turn>user\nHi")


def test_invalid_jinja_is_rejected_at_load() -> None:
    with pytest.raises(PromptError, match=r"chat template failed: it is not valid Jinja.*built-in"):
        ChatFormatter(model_name="Broken", template="{% for %}", architecture="llama")


@pytest.mark.parametrize("payload", [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ ''|attr('__class__')|attr('__mro__') }}",
    "{{ cycler.__init__.__globals__.os.system('touch {marker}') }}",
    "{{ messages.append({'role': 'x'}) }}",
])
def test_sandbox_escape_payloads_are_refused_without_running(payload: str, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    template = payload.replace("{marker}", str(marker))
    formatter = ChatFormatter(model_name="Evil", template=template, architecture="llama")
    with pytest.raises(PromptError, match="Evil"):
        formatter.render(_history("Hi"))
    assert not marker.exists()


def test_continue_reply_ends_with_the_partial_answer() -> None:
    formatter = ChatFormatter(model_name="m", template=None, architecture="qwen2")
    prompt = formatter.render(_history("Count", "1, 2, 3"), continue_reply=True)
    assert prompt.text.endswith("<|im_start|>assistant\n1, 2, 3")


# ---- thinking ---------------------------------------------------------------------


def test_thinking_split_across_chunks() -> None:
    splitter = ThinkingSplitter()
    pieces = [splitter.feed(c) for c in ["<thi", "nk>plan", " it</th", "ink>Answer", " <"]]
    pieces.append(splitter.flush())
    answer = "".join(a for a, _ in pieces)
    thinking = "".join(t for _, t in pieces)
    assert answer == "Answer <"
    assert thinking == "plan it"


def test_strip_thinking() -> None:
    assert strip_thinking("<think>hmm</think>Yes.") == "Yes."
    assert strip_thinking("a < b") == "a < b"


def test_trimming_cut_points_keep_turns_in_pairs() -> None:
    from desktop_app.core.engine.session import _cut_points

    assert _cut_points(_history("a", "b", "c", "d", "e")) == [0, 2, 4]
    assert _cut_points(_history("only")) == [0]
    # A history that starts with a reply (already trimmed once) drops it alone first.
    assert _cut_points(_history("x", "a", "b")[1:]) == [0, 1]
