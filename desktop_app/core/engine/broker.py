"""One engine shared by several clients in different threads: the GUI's chat and the API server.

An :class:`~desktop_app.core.engine.api.Engine` is driven from one thread,
and llama.cpp runs one reply at a time. When the window's chat and the local
API server use the same loaded model, something must own the engine and take
turns for them: :class:`EngineBroker`. Its own thread is the only one that
calls the real engine; each client (``broker.client(name)``) is an ``Engine``
itself, so the GUI's ``EngineWorker`` takes one unchanged.

The rules, and why:

* **Request ids are remapped** (and conversation ids with them), so two
  clients that both count from 1 never collide, and each client sees only its
  own ids in the events it gets back.
* **Events go back to the client that made the request.** ``ModelLoaded``,
  ``LoadFailed`` and an ``EngineCrashed`` without a request go to every
  client: the API server learns which model is loaded from them. A client
  made after a model was loaded gets that ``ModelLoaded`` first (so load
  models through a client: one loaded before the broker existed is unknown
  to it). An unload sends no event, so other clients learn of it only when
  their next reply fails with "no model loaded".
* **Loading may be refused per client** (``can_load=False``), so an API call
  can never switch the model the user chose in the window.
* **Fair queueing.** Replies wait here, one queue per client, and go to the
  engine round-robin across clients, at most ``max_in_flight`` at a time
  (one: the engine runs one reply at a time anyway, and a reply sent early
  would only wait in the engine's pipe where it can no longer be reordered).
  So a flood of API requests costs the chat one reply's wait, not a hundred.
  Cancelling a reply still waiting here just drops it (``ReplyFinished``
  with ``CANCELLED``).

The broker adds no polling: a client's ``poll_events`` waits on a condition
variable the broker thread signals when it routes events, and a client's
command wakes the broker thread through the engine's own ``wakeup``.
"""

from __future__ import annotations

import dataclasses
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable

from desktop_app.core.engine.api import (
    ContextTrimmed,
    Engine,
    EngineCrashed,
    EngineEvent,
    GenerateRequest,
    GenerationFailed,
    LoadFailed,
    LoadOptions,
    ModelLoaded,
    ReplyFinished,
    ReplyStats,
    StopReason,
    TokenChunk,
    ToolCallRequested,
)
from desktop_app.core.user_text import QT_TRANSLATE_NOOP, user_text

log = logging.getLogger(__name__)

BROKER_POLL = 0.5
"""Seconds the broker waits on the engine when nothing happens (its watchdog runs in polls)."""

LOAD_NOT_ALLOWED = user_text("broker.load_refused", QT_TRANSLATE_NOOP(
    "core", "This client may not load or unload models; the model is chosen in the window."))


class BrokerClient:
    """One client's view of the shared engine; implements the ``Engine`` protocol.

    Its methods may be called from the client's own thread (one thread per
    client, like any engine); they only queue work for the broker thread.
    ``wakeup`` may be called from any thread and wakes only this client.
    """

    def __init__(self, broker: EngineBroker, name: str, can_load: bool) -> None:
        self.name = name
        self.can_load = can_load
        self._broker = broker
        self._cond = threading.Condition()
        self._inbox: list[EngineEvent] = []
        self._woken = False
        self._closed = False

    def __repr__(self) -> str:
        return f"BrokerClient({self.name!r})"

    # ---- Engine interface --------------------------------------------------------

    def load(self, options: LoadOptions) -> None:
        self._broker._submit(lambda: self._broker._load(self, options))

    def generate(self, request: GenerateRequest) -> None:
        self._broker._submit(lambda: self._broker._generate(self, request))

    def cancel(self, request_id: int) -> None:
        self._broker._submit(lambda: self._broker._cancel(self, request_id))

    def unload(self) -> None:
        self._broker._submit(lambda: self._broker._unload(self))

    def poll_events(self, timeout: float) -> list[EngineEvent]:
        with self._cond:
            if not self._inbox and not self._woken:
                self._cond.wait_for(lambda: bool(self._inbox) or self._woken, timeout)
            events, self._inbox = self._inbox, []
            self._woken = False
            return events

    def wakeup(self) -> None:
        with self._cond:
            self._woken = True
            self._cond.notify_all()

    def shutdown(self) -> None:
        """Leave the broker: drop this client's waiting replies, stop its running one.

        The shared engine keeps running for the other clients; only
        :meth:`EngineBroker.shutdown` ends it. Calling this twice is harmless.
        """
        if self._closed:
            return
        self._closed = True
        self._broker._submit(lambda: self._broker._detach(self))
        self.wakeup()

    # ---- called by the broker thread --------------------------------------------

    def _deliver(self, events: list[EngineEvent]) -> None:
        if self._closed or not events:
            return
        with self._cond:
            self._inbox.extend(events)
            self._cond.notify_all()


@dataclasses.dataclass
class _Ticket:
    """A reply the broker owns: whose it is, under which id the client knows it."""

    client: BrokerClient
    client_request_id: int
    request: GenerateRequest  # with the engine's ids
    sent: bool = False


class EngineBroker:
    """Owns ``engine`` from its own thread and shares it among :meth:`client` objects.

    ``max_in_flight``: replies sent to the engine at once (see the module
    docstring). Call :meth:`shutdown` once at the end; it shuts the engine down.
    """

    def __init__(self, engine: Engine, *, max_in_flight: int = 1,
                 poll_interval: float = BROKER_POLL) -> None:
        if max_in_flight < 1:
            raise ValueError(f"max_in_flight must be at least 1, got {max_in_flight}")
        self._engine = engine
        self._max_in_flight = max_in_flight
        self._poll_interval = poll_interval
        self._commands: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._stopping = threading.Event()
        # Only the broker thread touches what follows.
        self._clients: list[BrokerClient] = []
        self._waiting: dict[BrokerClient, deque[_Ticket]] = {}
        self._tickets: dict[int, _Ticket] = {}  # by engine request id
        self._by_client: dict[tuple[int, int], int] = {}  # (client, its id) -> engine id
        self._conversations: dict[tuple[int, int], int] = {}
        self._next_request_id = 1
        self._turn = 0  # the client whose reply goes next, if it has one
        self._last_loaded: ModelLoaded | None = None
        self._thread = threading.Thread(target=self._run, name="hearth-engine-broker",
                                        daemon=True)
        self._thread.start()

    def client(self, name: str, can_load: bool = True) -> BrokerClient:
        """A new client of the shared engine, to be driven from one thread of the caller's."""
        client = BrokerClient(self, name, can_load)
        self._submit(lambda: self._register(client))
        return client

    def shutdown(self, timeout: float = 10.0) -> None:
        """Stop the broker thread and shut the engine down (in that thread, as it must be)."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        self._engine.wakeup()
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.error("the engine broker did not stop within %s s", timeout)

    # ---- any thread ---------------------------------------------------------------

    def _submit(self, command: Callable[[], None]) -> None:
        self._commands.put(command)
        self._engine.wakeup()

    # ---- the broker thread ----------------------------------------------------------

    def _run(self) -> None:
        try:
            failures = 0
            while not self._stopping.is_set():
                try:
                    self._step()
                    failures = 0
                except Exception:  # a bug costs one step, not the shared engine
                    failures += 1
                    log.exception("engine broker step failed (%d in a row)", failures)
                    time.sleep(min(1.0, 0.05 * failures))
        finally:
            for client in self._clients:
                client.wakeup()
            self._engine.shutdown()

    def _step(self) -> None:
        self._run_commands()
        self._dispatch()
        events = self._engine.poll_events(self._poll_interval)
        if events:
            self._route(events)
        self._run_commands()
        self._dispatch()

    def _run_commands(self) -> None:
        while True:
            try:
                command = self._commands.get_nowait()
            except queue.Empty:
                return
            command()

    def _register(self, client: BrokerClient) -> None:
        self._clients.append(client)
        self._waiting[client] = deque()
        if self._last_loaded is not None:
            client._deliver([self._last_loaded])

    def _detach(self, client: BrokerClient) -> None:
        if client not in self._waiting:
            return
        for ticket in self._waiting.pop(client):
            self._forget(ticket)
        for engine_id, ticket in list(self._tickets.items()):
            if ticket.client is client and ticket.sent:
                self._engine.cancel(engine_id)  # its end still frees the engine's slot
        index = self._clients.index(client)
        self._clients.remove(client)
        if index < self._turn:
            self._turn -= 1

    def _load(self, client: BrokerClient, options: LoadOptions) -> None:
        if not client.can_load:
            log.warning("client %s may not load models; refused", client.name)
            client._deliver([LoadFailed(options.model_path, LOAD_NOT_ALLOWED)])
            return
        self._engine.load(options)

    def _unload(self, client: BrokerClient) -> None:
        if not client.can_load:
            log.warning("client %s may not unload the model; ignored", client.name)
            return
        self._last_loaded = None
        self._engine.unload()

    def _generate(self, client: BrokerClient, request: GenerateRequest) -> None:
        if client not in self._waiting:
            return  # it has left
        engine_id = self._next_request_id
        self._next_request_id += 1
        key = (id(client), request.conversation_id)
        conversation = self._conversations.setdefault(key, len(self._conversations) + 1)
        ticket = _Ticket(client, request.request_id, dataclasses.replace(
            request, request_id=engine_id, conversation_id=conversation))
        self._tickets[engine_id] = ticket
        self._by_client[(id(client), request.request_id)] = engine_id
        self._waiting[client].append(ticket)

    def _cancel(self, client: BrokerClient, request_id: int) -> None:
        engine_id = self._by_client.get((id(client), request_id))
        ticket = self._tickets.get(engine_id) if engine_id is not None else None
        if ticket is None:
            return  # already over
        if ticket.sent:
            self._engine.cancel(ticket.request.request_id)
            return
        self._waiting[client].remove(ticket)
        self._forget(ticket)
        client._deliver([ReplyFinished(request_id, ReplyStats(stop_reason=StopReason.CANCELLED))])

    def _forget(self, ticket: _Ticket) -> None:
        self._tickets.pop(ticket.request.request_id, None)
        self._by_client.pop((id(ticket.client), ticket.client_request_id), None)

    def _in_flight(self) -> int:
        return sum(1 for t in self._tickets.values() if t.sent)

    def _dispatch(self) -> None:
        """Send waiting replies round-robin across clients while the engine has room."""
        in_flight = self._in_flight()
        while in_flight < self._max_in_flight and self._clients:
            count = len(self._clients)
            for step in range(count):
                index = (self._turn + step) % count
                waiting = self._waiting[self._clients[index]]
                if waiting:
                    ticket = waiting.popleft()
                    self._turn = (index + 1) % count
                    break
            else:
                return  # nobody is waiting
            ticket.sent = True
            in_flight += 1
            self._engine.generate(ticket.request)

    def _route(self, events: list[EngineEvent]) -> None:
        """Hand each event to its client (or all clients), one wake-up per client."""
        out: dict[BrokerClient, list[EngineEvent]] = {}

        def give(client: BrokerClient, event: EngineEvent) -> None:
            out.setdefault(client, []).append(event)

        def broadcast(event: EngineEvent) -> None:
            for client in self._clients:
                give(client, event)

        for event in events:
            match event:
                case (TokenChunk(request_id=rid) | ContextTrimmed(request_id=rid)
                      | ToolCallRequested(request_id=rid)):
                    ticket = self._tickets.get(rid)
                    if ticket is not None:
                        give(ticket.client,
                             dataclasses.replace(event, request_id=ticket.client_request_id))
                case ReplyFinished(request_id=rid) | GenerationFailed(request_id=rid):
                    ticket = self._tickets.get(rid)
                    if ticket is not None:
                        self._forget(ticket)
                        give(ticket.client,
                             dataclasses.replace(event, request_id=ticket.client_request_id))
                case EngineCrashed():
                    self._crashed(event, give, broadcast)
                case ModelLoaded():
                    self._last_loaded = event
                    broadcast(event)
                case LoadFailed():
                    self._last_loaded = None
                    broadcast(event)
        for client, delivered in out.items():
            client._deliver(delivered)

    def _crashed(self, event: EngineCrashed, give: Callable[[BrokerClient, EngineEvent], None],
                 broadcast: Callable[[EngineEvent], None]) -> None:
        """The reply it names ends for its client; without one, every client hears of it.

        An engine that died without restarting drops whatever else it had been
        sent, so those replies end too; a restarting one sends them again.
        """
        ticket = self._tickets.get(event.request_id) if event.request_id is not None else None
        if ticket is not None:
            self._forget(ticket)
            give(ticket.client, dataclasses.replace(event, request_id=ticket.client_request_id))
        elif event.request_id is None:
            broadcast(event)
        if not event.restarting:
            for other in [t for t in self._tickets.values() if t.sent]:
                self._forget(other)
                give(other.client, EngineCrashed(event.message, other.client_request_id))
