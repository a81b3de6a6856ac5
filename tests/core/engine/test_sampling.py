"""The reordered sampler chain picks the tokens llama-cpp-python's own chain picks.

Two copies of the starter model, one with llama-cpp-python's chain and one
with :func:`use_cheap_penalties`, generate from the same prompts and seeds.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from desktop_app.core.engine.api import LoadOptions
from desktop_app.core.engine.loader import LoadedModel, load_model
from desktop_app.core.engine.sampling import penalties_after_top_k, use_cheap_penalties
from desktop_app.core.engine.session import Session
from desktop_app.core.models.starter_model import starter_path

PROMPTS = ("<|im_start|>user\nWrite a story about a lighthouse keeper.<|im_end|>\n"
           "<|im_start|>assistant\n",
           "<|im_start|>user\nList twenty fruits, one per line.<|im_end|>\n"
           "<|im_start|>assistant\n")


@pytest.fixture(scope="module")
def pair() -> Iterator[tuple[Any, Any]]:
    stock, cheap = (load_model(LoadOptions(model_path=str(starter_path()), n_ctx=1024))
                    for _ in range(2))
    use_cheap_penalties(cheap.llama)
    yield stock.llama, cheap.llama
    stock.llama.close()
    cheap.llama.close()


def _reply(llama: Any, prompt: str, seed: int, n: int, **sampling: Any) -> list[int]:
    llama.set_seed(seed)
    llama.reset()
    tokens = llama.tokenize(prompt.encode(), special=True)
    out: list[int] = []
    for token in llama.generate(tokens, **sampling):
        out.append(token)
        if len(out) == n:  # past an end of text too: the chains must agree on every draw
            break
    return out


@pytest.mark.parametrize("sampling", [
    {"temp": 0.0, "repeat_penalty": 1.1},
    {"temp": 0.7, "top_k": 40, "top_p": 0.95, "min_p": 0.05, "repeat_penalty": 1.1},
    {"temp": 1.2, "top_k": 20, "top_p": 1.0, "min_p": 0.0, "repeat_penalty": 1.5,
     "frequency_penalty": 0.3, "presence_penalty": 0.2},
], ids=["greedy", "hearth-defaults", "strong-penalties"])
def test_the_cheap_chain_picks_the_same_tokens(pair: tuple[Any, Any],
                                               sampling: dict[str, Any]) -> None:
    stock, cheap = pair
    for prompt in PROMPTS:
        for seed in (1, 7):
            expected = _reply(stock, prompt, seed, 100, **sampling)
            assert len(expected) > 20
            assert _reply(cheap, prompt, seed, 100, **sampling) == expected


@pytest.mark.parametrize("changes", [
    {"repeat_penalty": 0.9},          # raises logits: a token outside the top-k may enter
    {"presence_penalty": -0.5},
    {"repeat_penalty": 1.0},          # no penalties: nothing to save
    {"top_k": 0},                     # no top-k to put them behind
    {"mirostat_mode": 2},
    {"grammar": object()},
    {"logits_processor": [print]},
])
def test_settings_the_reordering_is_not_exact_for_get_llama_cpp_pythons_chain(
        changes: dict[str, Any]) -> None:
    calls: list[dict[str, Any]] = []

    def stock(**arguments: Any) -> str:
        calls.append(arguments)
        return "stock chain"

    llama = SimpleNamespace(last_n_tokens_size=64)
    arguments = {"temp": 0.7, "top_k": 40, "repeat_penalty": 1.1, **changes}
    assert penalties_after_top_k(llama, stock, **arguments) == "stock chain"
    assert len(calls) == 1
    assert all(calls[0][key] is value for key, value in changes.items())


def test_a_session_uses_the_cheap_chain() -> None:
    loaded: LoadedModel = load_model(LoadOptions(model_path=str(starter_path()), n_ctx=512))
    try:
        stock = loaded.llama._init_sampler
        Session(loaded)
        assert loaded.llama._init_sampler.func is penalties_after_top_k
        assert loaded.llama._init_sampler.args == (loaded.llama, stock)
        Session(loaded)  # a second session on the same model does not stack another
        assert loaded.llama._init_sampler.args == (loaded.llama, stock)
    finally:
        loaded.llama.close()
