"""Hugging Face Hub access: search GGUF repositories and list their files.

Everything goes through ``huggingface_hub`` so the endpoint, token lookup and
error classification match what users know from ``huggingface-cli``. Two
things are decided here at call time rather than at import time, unlike
``huggingface_hub.constants``: the endpoint (``HF_ENDPOINT``) and offline mode
(``HF_HUB_OFFLINE``), so a setting or a test can change them while the app runs.

Every failure a user can meet (offline, no network, not found, gated, rate
limited, Hub down) leaves this module as a :class:`HubError` with a message
ready to show; anything else is a bug and propagates as is.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from desktop_app.core.models.quant import RemoteFile, RemoteModel, group_models
from desktop_app.core.user_text import QT_TRANSLATE_NOOP, UserFacingError, user_text

# huggingface_hub (with its HTTP client, ~0.1 s) is imported at the first Hub call, not at
# start: the window imports this module for the Models window and the catalog.
if TYPE_CHECKING:
    import huggingface_hub
    from huggingface_hub import HfApi

DEFAULT_ENDPOINT = "https://huggingface.co"
SearchSort = Literal["downloads", "likes", "last_modified"]
SEARCH_SORTS: tuple[SearchSort, ...] = ("downloads", "likes", "last_modified")
_TRUE = {"1", "on", "yes", "true"}
_TIMEOUT = 30.0


class HubError(UserFacingError):
    """A Hub problem the user can understand and act on; ``str()`` is the message."""


class OfflineError(HubError):
    """Offline mode is on, so no network call was made."""

    def __init__(self) -> None:
        super().__init__(user_text("hub.offline", QT_TRANSLATE_NOOP(
            "core", "Hearth is in offline mode (setting or HF_HUB_OFFLINE=1): Hugging Face "
            "was not contacted.")))


class NetworkError(HubError):
    """The Hub could not be reached (DNS, refused, timeout, TLS)."""


class NotFoundError(HubError):
    """The repository, revision or file does not exist (or is private)."""


class GatedError(HubError):
    """The repository is gated: its licence must be accepted on the website first."""

    def __init__(self, repo_id: str) -> None:
        super().__init__(user_text("hub.gated", QT_TRANSLATE_NOOP(
            "core", "{repo} is a gated model: accept the licence on the model's page on "
            "huggingface.co/{repo} and log in (huggingface-cli login, or set HF_TOKEN)."),
            repo=repo_id))
        self.repo_id = repo_id


class RateLimitError(HubError):
    """The Hub answered 429; ``retry_after`` is in seconds when the Hub said."""

    def __init__(self, retry_after: int | None) -> None:
        super().__init__(
            user_text("hub.rate_limited_for", QT_TRANSLATE_NOOP(
                "core", "Hugging Face is rate limiting requests; try again in {seconds} "
                "seconds."), seconds=retry_after) if retry_after is not None
            else user_text("hub.rate_limited", QT_TRANSLATE_NOOP(
                "core", "Hugging Face is rate limiting requests; try again later.")))
        self.retry_after = retry_after


class ServerError(HubError):
    """The Hub answered with an error we have no better words for (5xx, 400, ...)."""


def hub_endpoint() -> str:
    """The Hub URL, from ``HF_ENDPOINT`` now (not when huggingface_hub was imported)."""
    return (os.environ.get("HF_ENDPOINT", "").strip() or DEFAULT_ENDPOINT).rstrip("/")


def env_offline() -> bool:
    """Whether ``HF_HUB_OFFLINE`` (or the older ``TRANSFORMERS_OFFLINE``) asks for offline mode."""
    value = os.environ.get("HF_HUB_OFFLINE") or os.environ.get("TRANSFORMERS_OFFLINE") or ""
    return value.strip().lower() in _TRUE


def parse_retry_after(value: str | None) -> int | None:
    """Seconds from a ``Retry-After`` header; HTTP dates are not worth parsing for a message."""
    if value is None:
        return None
    try:
        seconds = int(value.strip())
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def _transport_errors() -> tuple[type[BaseException], ...]:
    """Connection-level exception classes of whichever HTTP client huggingface_hub uses.

    huggingface_hub moved from requests (0.x) to httpx (1.x) to httpx2 (2.x);
    we only look at modules it already imported, so nothing extra is loaded.
    """
    found: list[type[BaseException]] = [OSError, TimeoutError]
    for module_name, names in (("httpx2", ("TransportError",)), ("httpx", ("TransportError",)),
                               ("requests", ("ConnectionError", "Timeout"))):
        module = sys.modules.get(module_name)
        for name in names:
            cls = getattr(module, name, None) if module is not None else None
            if isinstance(cls, type) and issubclass(cls, BaseException):
                found.append(cls)
    return tuple(found)


def error_for_status(status: int, what: str, repo_id: str, *, gated: bool = False,
                     retry_after: int | None = None) -> HubError:
    """The :class:`HubError` for an HTTP error status (used for API calls and downloads alike)."""
    if gated:
        return GatedError(repo_id)
    if status == 429:
        return RateLimitError(retry_after)
    if status == 404:
        return NotFoundError(user_text("hub.not_found", QT_TRANSLATE_NOOP(
            "core", "{what} was not found on Hugging Face."), what=what))
    if status in (401, 403):
        # The Hub answers 401 for missing and private repositories alike.
        return NotFoundError(user_text("hub.not_found_or_private", QT_TRANSLATE_NOOP(
            "core", "{what} was not found on Hugging Face, or it is private (log in with "
            "huggingface-cli login or set HF_TOKEN)."), what=what))
    if status >= 500:
        return ServerError(user_text("hub.server_error", QT_TRANSLATE_NOOP(
            "core", "Hugging Face answered {status} (server error); try again later."),
            status=status))
    return ServerError(user_text("hub.http_error", QT_TRANSLATE_NOOP(
        "core", "Hugging Face answered {status} for {what}."), status=status, what=what))


@contextmanager
def translate_errors(what: str, repo_id: str = "") -> Iterator[None]:
    """Turn huggingface_hub and network exceptions raised inside into :class:`HubError`."""
    from huggingface_hub.errors import (
        GatedRepoError,
        HfHubHTTPError,
        OfflineModeIsEnabled,
        RepositoryNotFoundError,
    )

    try:
        yield
    except HubError:
        raise
    except OfflineModeIsEnabled:
        # HF_HUB_OFFLINE was set when huggingface_hub was imported; it still refuses.
        raise OfflineError from None
    except GatedRepoError:
        raise GatedError(repo_id) from None
    except HfHubHTTPError as exc:
        response = exc.response
        status = response.status_code if response is not None else 0
        retry_after = parse_retry_after(
            response.headers.get("Retry-After") if response is not None else None)
        if isinstance(exc, RepositoryNotFoundError) and status in (401, 403):
            status = 401
        raise error_for_status(status, what, repo_id, retry_after=retry_after) from None
    except _transport_errors() as exc:
        raise NetworkError(user_text("hub.unreachable", QT_TRANSLATE_NOOP(
            "core", "Could not reach {host}: {reason}."), host=hub_endpoint(),
            reason=str(exc) or type(exc).__name__)) from exc


@dataclass(frozen=True)
class RepoSummary:
    """One search result."""

    repo_id: str
    author: str | None = None
    downloads: int = 0
    likes: int = 0
    last_modified: datetime | None = None
    gated: bool = False
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class RepoDetails:
    """A repository's GGUF files and the model card facts the API gives.

    ``commit`` is the revision's commit hash; downloads use it so every part
    of a split model and every resumed request come from the same commit.
    """

    repo_id: str
    commit: str | None
    files: tuple[RemoteFile, ...]
    license: str | None = None
    architecture: str | None = None
    parameters: int | None = None
    context_length: int | None = None
    gated: bool = False
    tags: tuple[str, ...] = ()
    models: tuple[RemoteModel, ...] = field(default=())

    def file(self, path: str) -> RemoteFile:
        """The listed file at ``path``; ``NotFoundError`` if the repository has none."""
        for remote in self.files:
            if remote.path == path:
                return remote
        raise NotFoundError(user_text("hub.no_such_file", QT_TRANSLATE_NOOP(
            "core", "{repo} has no file named {file}."), repo=self.repo_id, file=repr(path)))


@dataclass(frozen=True)
class FileMetadata:
    """What a HEAD on a file's resolve URL tells us before downloading it."""

    url: str              # the resolve URL on the Hub
    location: str         # where the bytes are (a CDN after a redirect, else ``url``)
    etag: str | None
    commit: str | None
    size: int | None


class HubClient:
    """Talks to the Hub for one caller. Cheap to create; holds no connection.

    ``offline=True`` (the app setting) or ``HF_HUB_OFFLINE=1`` makes every
    method raise :class:`OfflineError` before any network call. ``token``
    overrides the usual lookup (``HF_TOKEN``, then the token file written by
    ``huggingface-cli login``).
    """

    def __init__(self, *, offline: bool = False, token: str | None = None,
                 endpoint: str | None = None) -> None:
        self._offline = offline
        self._token = token
        self._endpoint = endpoint

    @property
    def offline(self) -> bool:
        return self._offline or env_offline()

    @property
    def endpoint(self) -> str:
        return (self._endpoint or hub_endpoint()).rstrip("/")

    def token(self) -> str | None:
        import huggingface_hub

        return self._token or huggingface_hub.get_token()

    def _api(self) -> HfApi:
        from huggingface_hub import HfApi

        if self.offline:
            raise OfflineError
        return HfApi(endpoint=self.endpoint, token=self.token())

    def search(self, query: str, *, sort: SearchSort = "downloads",
               limit: int = 30) -> list[RepoSummary]:
        """GGUF repositories whose id contains ``query``, best first by ``sort``."""
        if sort not in SEARCH_SORTS:
            raise ValueError(f"sort must be one of {SEARCH_SORTS}, got {sort!r}")
        api = self._api()
        with translate_errors("The model search"):
            found = list(api.list_models(filter="gguf", search=query.strip() or None,
                                         sort=sort, limit=limit))
        return [RepoSummary(repo_id=info.id, author=info.author, downloads=info.downloads or 0,
                            likes=info.likes or 0, last_modified=info.last_modified,
                            gated=bool(info.gated), tags=tuple(info.tags or ()))
                for info in found]

    def repo_details(self, repo_id: str, *, revision: str | None = None) -> RepoDetails:
        """A repository's files with sizes and LFS sha256, plus model card facts."""
        check_repo_id(repo_id)
        api = self._api()
        with translate_errors(f"The repository {repo_id}", repo_id):
            info = api.model_info(repo_id, revision=revision, files_metadata=True,
                                  timeout=_TIMEOUT)
        files = tuple(
            RemoteFile(path=sibling.rfilename,
                       size=sibling.lfs.size if sibling.lfs is not None else sibling.size,
                       sha256=sibling.lfs.sha256 if sibling.lfs is not None else None,
                       blob_id=sibling.blob_id)
            for sibling in info.siblings or ())
        gguf: dict[str, Any] = info.gguf if isinstance(info.gguf, dict) else {}
        parameters = _int(gguf.get("total"))
        if parameters is None and info.safetensors is not None:
            parameters = _int(info.safetensors.total)
        return RepoDetails(
            repo_id=info.id, commit=info.sha, files=files, license=_license(info),
            architecture=gguf.get("architecture") if isinstance(gguf.get("architecture"), str)
            else None,
            parameters=parameters, context_length=_int(gguf.get("context_length")),
            gated=bool(info.gated), tags=tuple(info.tags or ()),
            models=tuple(group_models(files)))

    def resolve_url(self, repo_id: str, filename: str, revision: str) -> str:
        import huggingface_hub

        return huggingface_hub.hf_hub_url(repo_id, filename, revision=revision,
                                          endpoint=self.endpoint)

    def file_metadata(self, repo_id: str, filename: str, revision: str) -> FileMetadata:
        """HEAD the file's resolve URL: etag, commit, size and the redirect target."""
        if self.offline:
            raise OfflineError
        url = self.resolve_url(repo_id, filename, revision)
        import huggingface_hub

        with translate_errors(f"{filename} in {repo_id}", repo_id):
            meta = huggingface_hub.get_hf_file_metadata(
                url, token=self.token() or False, endpoint=self.endpoint, timeout=_TIMEOUT)
        return FileMetadata(url=url, location=meta.location or url, etag=meta.etag,
                            commit=meta.commit_hash, size=meta.size)

    def auth_headers(self) -> dict[str, str]:
        """Headers for a download request: user agent and, when logged in, the token."""
        from huggingface_hub.utils import build_hf_headers  # type: ignore[attr-defined]

        return build_hf_headers(
            token=self.token() or False, library_name="hearth")


def check_repo_id(repo_id: str) -> None:
    """Refuse repo ids that could escape the models folder once used as a path."""
    parts = repo_id.split("/")
    if (len(parts) != 2 or any(part in ("", ".", "..") for part in parts)
            or any(ch in repo_id for ch in "\\:\0") or repo_id.strip() != repo_id):
        raise NotFoundError(user_text("hub.bad_repo_id", QT_TRANSLATE_NOOP(
            "core", "{repo} is not a Hugging Face repository id (owner/name)."),
            repo=repr(repo_id)))


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _license(info: huggingface_hub.ModelInfo) -> str | None:
    card = info.card_data
    value = getattr(card, "license", None) if card is not None else None
    if isinstance(value, list):
        value = ", ".join(str(item) for item in value)
    if isinstance(value, str) and value:
        return value
    for tag in info.tags or ():
        if tag.startswith("license:"):
            return tag.removeprefix("license:")
    return None


class SettingsHubClient(HubClient):
    """A :class:`HubClient` whose offline mode follows the live settings.

    The downloader and the Models page share one client built in the
    composition root; the user can switch offline mode on while the app
    runs, and both must obey it from the next call on.
    """

    def __init__(self, offline_setting: Callable[[], bool], *, token: str | None = None,
                 endpoint: str | None = None) -> None:
        super().__init__(token=token, endpoint=endpoint)
        self._offline_setting = offline_setting

    @property
    def offline(self) -> bool:
        return self._offline_setting() or super().offline
