"""The reply's text, built token by token, is what llama-cpp-python's create_completion makes.

The stop-string matcher runs on its own; the whole stream runs against
``create_completion`` with the starter model on the same prompts, from the
same empty cache.
"""

from __future__ import annotations

import ctypes
from collections.abc import Iterator

import pytest

from desktop_app.core.engine.api import ChatMessage, LoadOptions, Role, StopReason
from desktop_app.core.engine.completion import StopMatcher, TextStream, _Vocabulary
from desktop_app.core.engine.loader import LoadedModel, load_model
from desktop_app.core.models.starter_model import starter_path


def _feed_all(matcher: StopMatcher, parts: list[str]) -> tuple[str, bool]:
    shown = ""
    for part in parts:
        text, stopped = matcher.feed(part)
        shown += text
        if stopped:
            return shown, True
    return shown + matcher.flush(), False


def test_a_stop_string_split_across_tokens_is_found_and_never_shown() -> None:
    assert _feed_all(StopMatcher(["<|im_end|>"]), ["Paris", ".<|im", "_e", "nd|>more"]) == \
        ("Paris.", True)


def test_text_that_only_looks_like_a_stop_string_is_shown_once_it_differs() -> None:
    matcher = StopMatcher(["<|im_end|>"])
    assert matcher.feed("a <|im") == ("a ", False)  # held: it may become the stop string
    assert matcher.feed("_start|> b") == ("<|im_start|> b", False)
    assert matcher.flush() == ""


def test_held_text_is_shown_at_the_end_of_a_reply_no_stop_string_ended() -> None:
    assert _feed_all(StopMatcher(["User:"]), ["Done. Us"]) == ("Done. Us", False)


def test_the_earliest_of_several_stop_strings_ends_the_text() -> None:
    assert _feed_all(StopMatcher(["END", "\n\n"]), ["one\n\ntwo END"]) == ("one", True)
    assert _feed_all(StopMatcher(["xyz", "yz"]), ["axy", "z"]) == ("a", True)


def test_without_stop_strings_nothing_is_held_back() -> None:
    matcher = StopMatcher(["", ""])
    assert matcher.feed("<|im") == ("<|im", False)


def test_a_stop_string_at_the_very_start_shows_nothing() -> None:
    assert _feed_all(StopMatcher(["###"]), ["##", "# Title"]) == ("", True)


@pytest.fixture(scope="module")
def model() -> Iterator[LoadedModel]:
    loaded = load_model(LoadOptions(model_path=str(starter_path()), n_ctx=1024))
    yield loaded
    loaded.llama.close()


def test_every_token_reads_as_llama_cpp_detokenizes_it_long_ones_too(
        model: LoadedModel) -> None:
    """llama-cpp-python's detokenize gives b"" for a token longer than 32 bytes
    (SmolLM2 has 47, runs of spaces after a newline); llama.cpp's own
    ``llama_detokenize`` with room enough is the reference here."""
    import llama_cpp

    vocab = model.llama._model.vocab
    vocabulary = _Vocabulary(model.llama)
    buffer = ctypes.create_string_buffer(256)
    longest = 0
    for token in range(model.llama.n_vocab()):
        ids = (llama_cpp.llama_token * 1)(token)
        size = llama_cpp.llama_detokenize(vocab, ids, 1, buffer, len(buffer), False, False)
        assert size >= 0
        assert vocabulary.piece(token) == buffer.raw[:size], token
        longest = max(longest, size)
    assert longest > 32


def _compare(model: LoadedModel, text: str, stops: list[str], max_tokens: int,
             temperature: float, seed: int = 3) -> tuple[str, StopReason]:
    """The reply from create_completion and from TextStream, asserted equal; returns it."""
    llama = model.llama
    rendered = model.formatter.render((ChatMessage(Role.USER, text),))
    prompt = llama.tokenize(rendered.text.encode(), add_bos=not rendered.starts_with_bos,
                            special=True)
    sampling = {"temp": temperature, "top_k": 40, "top_p": 0.95, "min_p": 0.05,
                "repeat_penalty": 1.1}
    llama.reset()
    expected = ""
    finish = None
    for chunk in llama.create_completion(
            prompt, max_tokens=max_tokens, temperature=temperature, top_k=40, top_p=0.95,
            min_p=0.05, repeat_penalty=1.1, stop=stops, seed=seed, stream=True):
        expected += chunk["choices"][0]["text"]
        finish = chunk["choices"][0]["finish_reason"] or finish
    cached_after_completion = llama.n_tokens
    llama.reset()
    stream = TextStream(llama, llama.generate, stops, max_tokens)
    got = list(stream.run(prompt, seed, sampling))
    assert all(got), "a piece of streamed text was empty"
    assert "".join(got) == expected
    assert stream.finish == {"stop": StopReason.END, "length": StopReason.LENGTH}[finish]
    assert llama.n_tokens == cached_after_completion
    return expected, stream.finish


@pytest.mark.slow
def test_a_greedy_reply_ending_on_its_own_is_the_same(model: LoadedModel) -> None:
    text, finish = _compare(model, "Name the capital of France.",
                            list(model.formatter.stops), 200, 0.0)
    assert "Paris" in text
    assert finish is StopReason.END


@pytest.mark.slow
def test_a_seeded_sampled_reply_cut_by_max_tokens_is_the_same(model: LoadedModel) -> None:
    text, finish = _compare(model, "Write a short story about a lighthouse keeper.",
                            list(model.formatter.stops), 120, 0.8, seed=11)
    assert len(text) > 200
    assert finish is StopReason.LENGTH


@pytest.mark.slow
def test_a_stop_string_inside_the_reply_ends_it_at_the_same_place(model: LoadedModel) -> None:
    story = "Write a short story about a lighthouse keeper."
    whole, _finish = _compare(model, story, list(model.formatter.stops), 200, 0.0)
    text, finish = _compare(model, story, [*model.formatter.stops, " the "], 200, 0.0)
    assert finish is StopReason.END
    assert text
    assert " the " not in text
    assert whole.startswith(text + " the ")


@pytest.mark.slow
def test_a_chinese_reply_reads_as_its_bytes_decoded_whole(model: LoadedModel) -> None:
    """Characters split across tokens come out whole, and bytes that are no UTF-8
    at all come out as U+FFFD, as the reply's bytes decoded at once read.

    The reference is not ``create_completion`` here: SmolLM2 emits a stray byte
    in this reply on some CPUs (the same build, another vendor's rounding), and
    ``create_completion`` then drops the characters that follow it."""
    llama = model.llama
    rendered = model.formatter.render((ChatMessage(Role.USER, "请用中文介绍一下北京。"),))
    prompt = llama.tokenize(rendered.text.encode(), add_bos=not rendered.starts_with_bos,
                            special=True)
    sampling = {"temp": 0.0, "repeat_penalty": 1.1}
    llama.reset()
    tokens: list[int] = []
    for token in llama.generate(prompt, **sampling):
        if token == llama.token_eos() or len(tokens) == 80:
            break
        tokens.append(token)
    pieces = [llama.detokenize([token]) for token in tokens]
    assert any(piece.decode("utf-8", "ignore").encode() != piece for piece in pieces), \
        "no character of this reply is split across tokens: the test proves nothing"
    llama.reset()
    stream = TextStream(llama, llama.generate, [], len(tokens))
    text = "".join(stream.run(prompt, 3, sampling))
    assert text == b"".join(pieces).decode("utf-8", "replace")
    assert sum("\u4e00" <= ch <= "\u9fff" for ch in text) > 10


@pytest.mark.slow
def test_cancel_ends_the_stream_after_the_token_it_was_asked_at(model: LoadedModel) -> None:
    llama = model.llama
    rendered = model.formatter.render((ChatMessage(Role.USER, "Count from 1 to 50."),))
    prompt = llama.tokenize(rendered.text.encode(), add_bos=not rendered.starts_with_bos,
                            special=True)
    llama.reset()
    asked = 0

    def cancelled() -> bool:
        nonlocal asked
        asked += 1
        return asked == 5

    stream = TextStream(llama, llama.generate, list(model.formatter.stops), 100)
    text = "".join(stream.run(prompt, 1, {"temp": 0.0}, cancelled))
    assert stream.finish is StopReason.CANCELLED
    assert stream.sampled == 5
    assert text
    assert llama.n_tokens == len(prompt) + 4  # every reply token but the last is cached


def test_an_empty_prompt_is_refused_with_a_reason(model: LoadedModel) -> None:
    stream = TextStream(model.llama, model.llama.generate, [], 10)
    with pytest.raises(ValueError, match="empty"):
        list(stream.run([], 1, {"temp": 0.0}))
