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
    with pytest.raises(PromptError, match=r"Odd-7B.*alternate"):
        formatter.render(_history("Hi"))


def test_invalid_jinja_is_rejected_at_load() -> None:
    with pytest.raises(PromptError, match="not valid Jinja"):
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
