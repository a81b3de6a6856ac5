"""A branch switch evaluates only the differing suffix: the real engine and the demo model.

The engine keeps the KV cache of the last prompt it saw for a conversation and
reuses its longest common token prefix with the next one. Branches of one
conversation share everything up to the point where they split, so editing a
message, or switching back to the old branch and going on, must evaluate only
the tokens after that point, not the whole history again.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app.core.engine.api import (
    ChatMessage,
    GenerateRequest,
    LoadFailed,
    LoadOptions,
    ModelLoaded,
    ReplyFinished,
    ReplyStats,
    Role,
    SamplingParams,
)
from desktop_app.core.engine.process import LocalEngine
from desktop_app.core.storage.chat_store import ChatStore, MessageState
from tests.core.engine.engine_driver import collect, finished, text_of

pytestmark = pytest.mark.slow

LONG_QUESTION = "Here are my notes on the history of bread. " + " ".join(
    f"Note {n}: sourdough, rye, spelt and wheat each ferment at their own pace." for n in range(25))


@pytest.fixture
def engine(demo_model_path: Path) -> Iterator[LocalEngine]:
    eng = LocalEngine()
    eng.load(LoadOptions(model_path=str(demo_model_path), n_ctx=2048))
    loaded = collect(eng, lambda e: isinstance(e, ModelLoaded | LoadFailed))[-1]
    assert isinstance(loaded, ModelLoaded), loaded
    yield eng
    eng.shutdown()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ChatStore]:
    chat_store = ChatStore.open(tmp_path / "hearth.sqlite3")
    yield chat_store
    chat_store.close()


class _Chat:
    """Asks the engine for replies to the store's shown path, as the chat controller does."""

    def __init__(self, engine: LocalEngine, store: ChatStore) -> None:
        self.engine, self.store = engine, store
        self.conversation = store.create_conversation(model_id=None, system_prompt="",
                                                      params=SamplingParams())
        self.request_id = 0

    def reply(self, parent_id: int | None = None) -> ReplyStats:
        """A reply after the shown path, or (Regenerate) a sibling under ``parent_id``."""
        self.request_id += 1
        path = (self.store.path_to(parent_id) if parent_id is not None
                else self.store.messages(self.conversation.id))
        messages = tuple(ChatMessage(m.role, m.content) for m in path)
        reply = (self.store.begin_reply(self.conversation.id, parent_id=parent_id)
                 if parent_id is not None else self.store.begin_reply(self.conversation.id))
        self.engine.generate(GenerateRequest(
            request_id=self.request_id, conversation_id=self.conversation.id,
            messages=messages, params=SamplingParams(max_tokens=8, seed=7)))
        events = collect(self.engine, finished(self.request_id))
        end = events[-1]
        assert isinstance(end, ReplyFinished)
        self.store.finish_reply(reply.id, text_of(events, self.request_id) or "…", thinking="",
                                state=MessageState.COMPLETE, stats=end.stats)
        return end.stats


def test_a_branch_switch_evaluates_only_the_differing_suffix(engine: LocalEngine,
                                                             store: ChatStore) -> None:
    chat = _Chat(engine, store)
    cid = chat.conversation.id
    store.add_message(cid, Role.USER, LONG_QUESTION)
    first = chat.reply()
    shared = first.prompt_tokens  # the long question: the prefix every branch shares
    assert shared > 300

    question = store.add_message(cid, Role.USER, "Which flour ferments fastest?")
    chat.reply()

    # Edit the question: a new branch from the first reply on.
    store.add_message(cid, Role.USER, "Which flour is best for beginners?",
                      parent_id=question.parent_id)
    edited = chat.reply()
    differing = edited.prompt_tokens - shared
    assert 0 < edited.prompt_eval_tokens <= differing + 4, edited

    # Back to the first branch, and on from there.
    store.show_branch(question.id)
    store.add_message(cid, Role.USER, "And rye?")
    switched = chat.reply()
    assert [m.content for m in store.messages(cid)][2] == "Which flour ferments fastest?"
    assert 0 < switched.prompt_eval_tokens <= switched.prompt_tokens - shared + 4, switched
    assert switched.prompt_eval_tokens * 4 < switched.prompt_tokens

    # Regenerate on that branch: the same prompt, nothing but the last token re-evaluated.
    last_user = store.messages(cid)[-2]
    again = chat.reply(parent_id=last_user.id)
    assert again.prompt_tokens == switched.prompt_tokens
    assert again.prompt_eval_tokens <= 4, again
    assert len(store.siblings(store.messages(cid)[-1].id)) == 2
