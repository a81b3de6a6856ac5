"""A process for the kill tests: writes the history until it is killed (SIGKILL).

``replies PATH``: sends user messages and streams replies the way the chat
controller does (begin, checkpoints, finish, and now and then a regenerated
sibling), printing each write after it committed, flushed at once, so the
parent knows what must survive. ``migrate PATH``: opens (and so upgrades)
the history, prints ``done`` and waits to be killed.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from desktop_app.core.engine.api import Role, SamplingParams
from desktop_app.core.storage.chat_store import ChatStore, MessageState


def _say(*parts: object) -> None:
    print(*parts, flush=True)


def replies(path: Path) -> None:
    store = ChatStore.open(path)
    conversation = store.create_conversation(model_id=None, system_prompt="",
                                             params=SamplingParams())
    _say("ready")
    turn = 0
    while True:
        user = store.add_message(conversation.id, Role.USER, f"question {turn}")
        _say("message", user.id, user.content)
        for attempt in range(1 + turn % 2):  # every other turn, a regenerated sibling
            reply = store.begin_reply(conversation.id, parent_id=user.id)
            _say("begin", reply.id)
            text = ""
            for n in range(20):
                text += f"token{turn}.{attempt}.{n} "
                store.checkpoint_reply(reply.id, text, "")
                _say("checkpoint", reply.id, text)
            store.finish_reply(reply.id, text, thinking="", state=MessageState.COMPLETE,
                               stats=None)
            _say("finished", reply.id, text)
        turn += 1


def migrate(path: Path) -> None:
    _say("start")
    ChatStore.open(path).close()
    _say("done")
    time.sleep(60)  # wait for the kill, so every round ends the same way


if __name__ == "__main__":
    {"replies": replies, "migrate": migrate}[sys.argv[1]](Path(sys.argv[2]))
