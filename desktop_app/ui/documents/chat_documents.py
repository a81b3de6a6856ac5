"""Documents in a chat: the open conversation's collections, its questions' sources, citations.

:class:`ChatDocuments` sits between the chat controller and the documents
thread. It keeps which collections the open conversation has attached (saved
in the documents database, :mod:`desktop_app.core.documents.chat_links`),
and is the chat controller's ``prepare_request``: when collections are
attached, each request goes to the documents thread first, which retrieves
the best chunks for the user's last message, packs as many as fit the token
budget (:mod:`.token_budget`) into a numbered sources block, puts that block
in front of the question *in the request only*, saves the sources under the
reply's message id, and hands the request back to be sent. The history shown
and stored keeps the user's own words.

A new chat has no id until its first message creates it; collections
attached before that are held here and saved under the id the chat gets
(:meth:`_on_chat_conversation_opened` tells a just-created conversation,
whose chat is still empty, from an existing one opened from the list).

Single files the user adds to the chat ("Add a file…" in the Documents
menu) are indexed into the conversation's hidden collection
(:func:`~desktop_app.core.documents.chat_links.new_files_collection`), which
is attached like any other but kept apart in :attr:`ChatDocuments.files`, so
the menu can list and remove them one by one; their indexing states come
from the indexer's events as they change.

It also answers the chat view: the sources of each shown reply (loaded on
the documents thread when a conversation opens) and the passage behind a
clicked citation.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from desktop_app.core.documents import chat_links
from desktop_app.core.documents.chat_links import Source
from desktop_app.core.documents.retrieval import (
    Passage,
    Retriever,
    pack_context,
    passage_around,
)
from desktop_app.core.documents.store import Document, DocumentStore
from desktop_app.core.engine.api import ChatMessage, GenerateRequest, Role
from desktop_app.core.tools.builtin.document_search import Search
from desktop_app.ui.chat.chat_controller import ChatController
from desktop_app.ui.chat.chat_model import ChatModel
from desktop_app.ui.chat.citations import SourceKey
from desktop_app.ui.common.user_text import translated
from desktop_app.ui.documents.documents_service import DocumentsService
from desktop_app.ui.documents.ingest_bridge import IngestBridge
from desktop_app.ui.documents.token_budget import estimate_tokens, sources_budget

RETRIEVED_CHUNKS = 8
"""Chunks retrieved per question; those that do not fit the budget are listed, not sent."""
DEFAULT_CONTEXT = 2048
"""The context assumed before a model has loaded (the engine's smallest default)."""
QUESTION_LABEL = "Question: "
"""Put between the sources and the user's words in the request (for the model)."""


class ChatDocuments(QObject):
    """The open conversation's attached collections, and its replies' sources (module docstring).

    Signals:
        attachments_changed(object): the list of collection ids now attached.
        files_changed(object): the list of Document attached to the chat as single files.
        sources_changed(): sources of shown replies arrived (the chat view re-renders).
        error_occurred(str): a message for the user (documents could not be searched).
        passage_ready(object, object): a Source and its Passage, for the side panel.
    """

    attachments_changed = Signal(object)
    files_changed = Signal(object)
    sources_changed = Signal()
    error_occurred = Signal(str)
    passage_ready = Signal(object, object)

    def __init__(self, service: DocumentsService, chat: ChatController, chat_model: ChatModel,
                 context_size: Callable[[], int | None], ingest: IngestBridge,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self._ingest = ingest
        self._files_collection: int | None = None
        self._files: list[Document] = []
        ingest.document_changed.connect(self._on_ingest_document_changed)
        self._chat = chat
        self._chat_model = chat_model
        self._context_size = context_size
        self._conversation_id = 0
        self._attached: list[int] = []
        self._sources: dict[int, tuple[Source, ...]] = {}
        chat.prepare_request = self.prepare
        chat.conversation_opened.connect(self._on_chat_conversation_opened)
        chat.path_changed.connect(self._load_sources)

    # ---- attachments -------------------------------------------------------------------

    @property
    def attached(self) -> list[int]:
        """The user's collections attached to the chat (the chat's own files are apart)."""
        return [c for c in self._attached if c != self._files_collection]

    def search_for(self, conversation_id: int) -> Search:
        """The model's ``search_documents`` tool for a chat, run on the documents thread.

        It searches what the chat has attached (collections and its own files),
        or every collection when the chat has none attached.
        """
        ids = (list(self._attached) if conversation_id == self._conversation_id
               and self._attached else None)
        service = self._service
        return lambda question, k: service.search_now(ids, question, k)

    @property
    def files(self) -> list[Document]:
        """The files attached to the chat on their own, in the order they were added."""
        return list(self._files)

    def set_attached(self, collection_ids: Sequence[int]) -> None:
        """Attach exactly these collections to the open conversation (saved at once).

        The chat's own files stay attached whatever the list says.
        """
        ids = [int(c) for c in collection_ids]
        if self._files_collection is not None:
            ids.append(self._files_collection)
        self._attached = list(dict.fromkeys(ids))
        if self._attached:
            self._service.warm_up()
        if self._conversation_id:
            self._save_attachments(self._conversation_id, self._attached)
        self.attachments_changed.emit(self.attached)

    def _save_attachments(self, conversation_id: int, ids: list[int]) -> None:
        self._service.call(
            lambda store, _r: chat_links.set_attached_collections(store, conversation_id, ids),
            on_error=self._report)

    def _on_chat_conversation_opened(self, conversation_id: int) -> None:
        created = (conversation_id and self._conversation_id == 0
                   and self._chat_model.rowCount() == 0)
        self._conversation_id = conversation_id
        if created:  # the first message is creating it: it keeps what the new chat had
            if self._attached:
                self._save_attachments(conversation_id, self._attached)
            return
        self._attached = []
        self._set_files(None, [])
        self.attachments_changed.emit([])
        if conversation_id:

            def job(store: DocumentStore, _r: Retriever) -> tuple[list[int], int | None,
                                                                 list[Document]]:
                ids = chat_links.attached_collections(store, conversation_id)
                files = chat_links.files_collection(store, ids)
                if files is None:
                    return ids, None, []
                return ids, files.id, store.documents(files.id)

            self._service.call(job, lambda found: self._on_attachments_loaded(
                conversation_id, *found), self._report)
            self._load_sources()

    def _on_attachments_loaded(self, conversation_id: int, ids: list[int],
                               files_collection: int | None, files: list[Document]) -> None:
        if conversation_id != self._conversation_id:
            return
        self._attached = ids
        self._set_files(files_collection, files)
        if ids:
            self._service.warm_up()
        self.attachments_changed.emit(self.attached)

    # ---- single files -----------------------------------------------------------------

    def add_files(self, paths: Sequence[Path]) -> None:
        """Index these files into the chat's own hidden collection, attached to the chat."""
        paths = list(paths)
        if not paths:
            return
        known = self._files_collection
        conversation_id = self._conversation_id

        def job(store: DocumentStore, _r: Retriever) -> int:
            if known is not None:
                return known
            return chat_links.new_files_collection(store).id

        def done(collection_id: int) -> None:
            if conversation_id != self._conversation_id:
                return  # another chat opened meanwhile: the files stay queued in the store
            if self._files_collection != collection_id:
                self._set_files(collection_id, self._files)
                self.set_attached(self.attached)  # saves it with the chat's attachments
            self._ingest.add(collection_id, paths)

        self._service.call(job, done, self._report)

    def remove_file(self, document_id: int) -> None:
        """Take one file off the chat (its own collection goes with the last one)."""
        conversation_id = self._conversation_id

        def done(emptied: bool) -> None:
            if conversation_id != self._conversation_id:
                return
            remaining = [d for d in self._files if d.id != document_id]
            if emptied:
                gone = self._files_collection
                self._set_files(None, [])
                self._attached = [c for c in self._attached if c != gone]
                self.attachments_changed.emit(self.attached)
            else:
                self._set_files(self._files_collection, remaining)

        self._service.call(lambda store, _r: chat_links.remove_chat_file(store, document_id),
                           done, self._report)

    def _set_files(self, collection_id: int | None, files: Sequence[Document]) -> None:
        self._files_collection = collection_id
        self._files = list(files)
        self.files_changed.emit(self.files)

    def _on_ingest_document_changed(self, document: Document) -> None:
        if self._files_collection is None or document.collection_id != self._files_collection:
            return
        for index, known in enumerate(self._files):
            if known.id == document.id:
                self._files[index] = document
                break
        else:
            self._files.append(document)
        self.files_changed.emit(self.files)

    # ---- sources of replies --------------------------------------------------------

    def sources_for(self, message_id: int) -> tuple[Source, ...]:
        """The sources this reply was given (empty for an ordinary reply); the view asks."""
        return self._sources.get(message_id, ())

    def _load_sources(self, *_args: object) -> None:
        ids = [item.message_id for item in self._chat_model.items()
               if item.role == Role.ASSISTANT and item.message_id > 0
               and item.message_id not in self._sources]
        if not ids:
            return
        self._service.call(lambda store, _r: chat_links.load_sources(store, ids),
                           self._on_sources_loaded, self._report)

    def _on_sources_loaded(self, found: dict[int, tuple[Source, ...]]) -> None:
        if found:
            self._sources.update(found)
            self.sources_changed.emit()

    def request_passage(self, message_id: int, key: SourceKey) -> None:
        """Find the passage behind a clicked citation; ``passage_ready`` brings it."""
        source = key.find(self.sources_for(message_id))
        if source is None:
            return

        def job(store: DocumentStore, _r: Retriever) -> Passage:
            chunk = store.chunks([source.chunk_id]).get(source.chunk_id)
            if chunk is None or chunk.text != source.text:  # removed or re-indexed since
                return Passage(source.text, 0, len(source.text))
            return passage_around(store, chunk)

        self._service.call(job, lambda passage: self.passage_ready.emit(source, passage),
                           self._report)

    # ---- requests ---------------------------------------------------------------------

    def prepare(self, request: GenerateRequest, message_id: int,
                send: Callable[[GenerateRequest], None]) -> None:
        """The chat controller's ``prepare_request``: add sources when collections are attached."""
        ids = list(self._attached)  # the chat's own files too
        question_at = _last_user_message(request.messages)
        if not ids or question_at is None or request.prompt is not None:
            send(request)
            return
        question = request.messages[question_at].content
        history = [request.system_prompt] + [m.content for m in request.messages]
        budget = sources_budget(self._context_size() or DEFAULT_CONTEXT, history,
                                request.params.max_tokens)

        def job(store: DocumentStore, retriever: Retriever) -> tuple[GenerateRequest,
                                                                      tuple[Source, ...]]:
            collections = [c for c in store.collections(include_hidden=True) if c.id in ids]
            hits = retriever.search(collections, question, RETRIEVED_CHUNKS)
            packed = pack_context(hits, budget, estimate_tokens)
            sources = chat_links.sources_of(hits, packed)
            chat_links.save_sources(store, message_id, sources)
            if not packed.citations:
                return request, sources
            messages = list(request.messages)
            messages[question_at] = ChatMessage(
                Role.USER, f"{packed.text}\n\n{QUESTION_LABEL}{question}")
            return dataclasses.replace(request, messages=tuple(messages)), sources

        def done(result: tuple[GenerateRequest, tuple[Source, ...]]) -> None:
            prepared, sources = result
            self._sources[message_id] = sources
            self.sources_changed.emit()
            send(prepared)

        def failed(exc: BaseException) -> None:
            self.error_occurred.emit(self.tr(
                "Your documents could not be searched ({error}); the model answers without "
                "them.").format(error=translated(exc)))
            send(request)

        self._service.call(job, done, failed)

    def _report(self, exc: BaseException) -> None:
        self.error_occurred.emit(translated(exc))


def _last_user_message(messages: Sequence[ChatMessage]) -> int | None:
    for index in range(len(messages) - 1, -1, -1):
        if messages[index].role == Role.USER:
            return index
    return None
