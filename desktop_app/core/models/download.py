"""One model download: resumable across restarts, verified, then added to the library.

huggingface_hub deletes its partial file when a download fails, so a stalled
5 GB download would start over. Hearth keeps its own partial file in
``AppPaths.downloads_dir`` (``<sha256>.part``) beside a small JSON sidecar
saying what it is, and asks for the rest with ``Range: bytes=N-``. The file is
hashed while it arrives; on resume the bytes already on disk are hashed once
first to restore the hasher. Only a file whose size and sha256 match the
Hub's LFS record is moved to ``models_dir/<publisher>/<repo>/<file>`` and
registered.

huggingface_hub still provides the URLs, the auth headers and the file
metadata (ETag, commit, size). The bytes themselves are fetched with the
standard library's urllib: huggingface_hub changed HTTP clients twice within
the versions Hearth supports (requests in 0.x, httpx in 1.x, httpx2 in 2.x),
and this loop is exactly where Range, status codes, short reads and socket
errors must be handled precisely, so it sits on the one client that does not
move. Redirects to a CDN drop the Authorization header, as huggingface_hub's
own clients do.
"""

from __future__ import annotations

import errno
import hashlib
import http.client
import json
import os
import re
import shutil
import ssl
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any, NoReturn
from urllib.parse import urlsplit

from desktop_app.core.formatting import format_size
from desktop_app.core.models.gguf import GGUFError
from desktop_app.core.models.hub import (
    HubClient,
    HubError,
    NetworkError,
    check_repo_id,
    error_for_status,
    parse_retry_after,
)
from desktop_app.core.models.library import LocalModel, ModelLibrary
from desktop_app.core.models.quant import RemoteFile, split_parts
from desktop_app.core.models.split_files import without_split_suffix
from desktop_app.core.paths import AppPaths
from desktop_app.core.user_text import QT_TRANSLATE_NOOP, user_text

CHUNK_SIZE = 1 << 20
SPACE_MARGIN = 16 << 20   # keep a little room so the disk is not filled to the last byte
_HASH_BLOCK = 4 << 20
_SIDECAR_VERSION = 1
_DRIVE_RE = re.compile(r"^[A-Za-z]:")


class DownloadError(HubError):
    """A download failed in a way the user can act on."""


class UnsafeFileNameError(DownloadError):
    """A file name that would be written outside the models folder."""


class DiskFullError(DownloadError):
    """Not enough free space, before starting or midway (the partial is kept)."""


class DownloadInterruptedError(DownloadError):
    """The connection ended early. The partial is kept; downloading again resumes it."""


class VerificationError(DownloadError):
    """The downloaded bytes do not match the Hub's checksum; they were deleted."""


class DownloadStopped(Exception):
    """The download was stopped on request (see :class:`DownloadControl`)."""


class DownloadPaused(DownloadStopped):
    """Stopped, partial kept: downloading the same file again resumes it."""


class DownloadCancelled(DownloadStopped):
    """Stopped and the partial deleted."""


class DownloadControl:
    """Pause or cancel a running download from another thread.

    The download loop checks it once per chunk, so it stops within one chunk.
    """

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._cancel = False

    def pause(self) -> None:
        self._stop.set()

    def cancel(self) -> None:
        self._cancel = True
        self._stop.set()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    @property
    def cancelled(self) -> bool:
        return self._cancel

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True if a pause or cancel came meanwhile."""
        return self._stop.wait(seconds)


@dataclass(frozen=True)
class DownloadProgress:
    """Progress of a whole model (all split parts together)."""

    repo_id: str
    filename: str
    done: int             # bytes on disk, resumed bytes included
    total: int
    speed: float          # bytes per second, smoothed
    eta: float | None     # seconds left, None until the speed is known
    part: int = 1         # 1-based part being fetched
    parts: int = 1


ProgressCallback = Callable[[DownloadProgress], None]


@dataclass(frozen=True)
class Sidecar:
    """What a ``.part`` file is, kept beside it as JSON so a restart can resume it."""

    repo_id: str
    filename: str
    commit: str
    size: int
    sha256: str | None
    blob_id: str | None
    etag: str | None
    version: int = _SIDECAR_VERSION

    @classmethod
    def read(cls, path: Path) -> Sidecar | None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("version") != _SIDECAR_VERSION:
                return None
            return cls(**{key: data[key] for key in cls.__dataclass_fields__})
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    @property
    def key(self) -> str:
        """The partial file's name (without suffix): the LFS sha256, or a hash of
        repo, commit and name for files the Hub lists without one."""
        if self.sha256:
            return self.sha256.lower()
        return hashlib.sha256(
            f"{self.repo_id}\0{self.commit}\0{self.filename}".encode()).hexdigest()

    def write(self, path: Path) -> None:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=1), encoding="utf-8")
        tmp.replace(path)


def check_filename(filename: str) -> PurePosixPath:
    """The repo-relative path of ``filename``, or :class:`UnsafeFileNameError`.

    Checked before anything is written: a name from the Hub (or typed by a user)
    must not be absolute, climb with ``..``, use backslashes or a drive letter.
    """
    bad = (not filename or filename.startswith("/") or "\\" in filename or "\0" in filename
           or _DRIVE_RE.match(filename) is not None
           or any(part in ("", ".", "..") for part in filename.split("/")))
    if bad:
        raise UnsafeFileNameError(user_text("download.unsafe_name", QT_TRANSLATE_NOOP(
            "core", "Refusing the file name {file}: it is not a plain path inside the "
            "repository."), file=repr(filename)))
    return PurePosixPath(filename)


class _StripAuthOnRedirect(urllib.request.HTTPRedirectHandler):
    """Follow redirects, but never send the Hub token to another host (the CDN)."""

    def redirect_request(self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str,
                         headers: http.client.HTTPMessage,
                         newurl: str) -> urllib.request.Request | None:
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and urlsplit(newurl).hostname != urlsplit(req.full_url).hostname:
            new.remove_header("Authorization")
        return new


def _ssl_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    try:  # certifi ships with huggingface_hub's HTTP client; add it for systems without a CA store
        import certifi
        context.load_verify_locations(certifi.where())
    except (ImportError, OSError):
        pass
    return context


class ProgressMeter:
    """Bytes done of a total, with a smoothed speed and an ETA, reported at a bounded rate."""

    def __init__(self, total: int, *, interval: float = 0.25, smoothing: float = 0.3,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.total = total
        self.done = 0
        self.speed = 0.0
        self._interval = interval
        self._smoothing = smoothing
        self._clock = clock
        self._mark_time = clock()
        self._mark_done = 0
        self._last_report = float("-inf")

    def add_resumed(self, count: int) -> None:
        """Bytes that count as done but did not arrive now (on disk already, or reset)."""
        self.done += count
        self._mark_done += count

    def advance(self, count: int) -> None:
        self.done += count
        now = self._clock()
        elapsed = now - self._mark_time
        if elapsed >= self._interval:
            rate = (self.done - self._mark_done) / elapsed
            self.speed = rate if self.speed == 0 else (
                self._smoothing * rate + (1 - self._smoothing) * self.speed)
            self._mark_time, self._mark_done = now, self.done

    def due(self) -> bool:
        """True at most once per interval: time to call the progress callback."""
        now = self._clock()
        if now - self._last_report >= self._interval:
            self._last_report = now
            return True
        return False

    @property
    def eta(self) -> float | None:
        if self.speed <= 0:
            return None
        return max(self.total - self.done, 0) / self.speed


@dataclass
class _Partial:
    """A part being downloaded: where it is, how far, and the hash of the bytes so far."""

    sidecar: Sidecar
    path: Path
    offset: int
    hasher: Any

    def restart(self) -> None:
        self.offset = 0
        self.hasher = _new_hasher(self.sidecar)


class Downloader:
    """Downloads GGUF models from the Hub into the library, one call per model.

    Blocking; run it in a worker thread (see ``download_queue``). All state is
    on disk, so a new Downloader (after a restart) resumes what an old one
    left. An interrupted connection is retried ``retries`` times from where it
    stopped before the call gives up with :class:`DownloadInterruptedError`.
    """

    def __init__(self, paths: AppPaths, library: ModelLibrary, *, hub: HubClient | None = None,
                 chunk_size: int = CHUNK_SIZE, timeout: float = 30.0, retries: int = 3,
                 retry_delay: float = 2.0, progress_interval: float = 0.25) -> None:
        self._paths = paths
        self._library = library
        self._hub = hub or HubClient()
        self._chunk_size = chunk_size
        self._timeout = timeout
        self._retries = retries
        self._retry_delay = retry_delay
        self._progress_interval = progress_interval
        # Built at the first request: loading the CA certificates costs ~30 ms, and the
        # window builds its Downloader at start.
        self._opener: urllib.request.OpenerDirector | None = None

    # ---- public ------------------------------------------------------------------

    def download(self, repo_id: str, filename: str, *, revision: str | None = None,
                 on_progress: ProgressCallback | None = None,
                 control: DownloadControl | None = None) -> LocalModel:
        """Download ``filename`` (all parts if split), verify, move and register it.

        Returns the registered model. Raises :class:`HubError`
        subclasses for user-facing failures and :class:`DownloadStopped` when
        ``control`` paused or cancelled it.
        """
        check_repo_id(repo_id)
        check_filename(filename)
        control = control or DownloadControl()
        details = self._hub.repo_details(repo_id, revision=revision)
        try:
            parts = split_parts(filename, details.files)
        except LookupError as exc:
            raise error_for_status(404, f"{repo_id}/{exc.args[0]}", repo_id) from None
        targets = [self._target(repo_id, part.path) for part in parts]
        commit = details.commit or revision or "main"
        sidecars = [self._plan(repo_id, commit, part) for part in parts]
        total = sum(s.size for s in sidecars)
        meter = ProgressMeter(total, interval=self._progress_interval)
        todo = []
        for sidecar, target in zip(sidecars, targets, strict=True):
            if self._already_there(sidecar, target):
                meter.add_resumed(sidecar.size)
            else:
                todo.append((sidecar, target))
                meter.add_resumed(self.partial_size(sidecar))
        self._check_space([s for s, _ in todo], sum(s.size for s, _ in todo))
        for index, (sidecar, _target) in enumerate(todo, start=1):
            def report(meter: ProgressMeter, index: int = index) -> None:
                if on_progress is not None:
                    on_progress(DownloadProgress(repo_id, filename, meter.done, total,
                                                 meter.speed, meter.eta, index, len(todo)))
            self._fetch(sidecar, meter, report, control)
        for sidecar, target in todo:
            self._move(self._part_path(sidecar), target)
            self._sidecar_path(sidecar).unlink(missing_ok=True)
        try:
            return self._library.register(targets[0], source="huggingface", repo=repo_id)
        except GGUFError as exc:
            for target in targets:
                target.unlink(missing_ok=True)
            raise DownloadError(user_text("download.not_a_model", QT_TRANSLATE_NOOP(
                "core", "{file} downloaded and matched its checksum, but it is not a usable "
                "model: {reason}"), file=filename, reason=str(exc))) from None

    def partials(self) -> list[Sidecar]:
        """Unfinished downloads on disk, for offering to resume them after a restart."""
        found = []
        for path in sorted(self._paths.downloads_dir.glob("*.json")):
            sidecar = Sidecar.read(path)
            if sidecar is not None and self._part_path(sidecar).exists():
                found.append(sidecar)
        return found

    def discard(self, repo_id: str, filename: str) -> int:
        """Delete the partials of one model (every split part); returns how many. No network."""
        stem = without_split_suffix(filename)
        removed = 0
        for sidecar in self.partials():
            if sidecar.repo_id == repo_id and without_split_suffix(sidecar.filename) == stem:
                self._delete_partial(sidecar)
                removed += 1
        return removed

    # ---- planning ----------------------------------------------------------------

    def _plan(self, repo_id: str, commit: str, part: RemoteFile) -> Sidecar:
        check_filename(part.path)
        meta = self._hub.file_metadata(repo_id, part.path, commit)
        size = part.size if part.size is not None else meta.size
        if size is None:
            raise DownloadError(user_text("download.no_size", QT_TRANSLATE_NOOP(
                "core", "Hugging Face did not say how large {file} is; it cannot be verified."),
                file=part.path))
        if meta.size is not None and meta.size != size:
            raise DownloadError(user_text("download.size_mismatch", QT_TRANSLATE_NOOP(
                "core", "Hugging Face lists {file} as {listed} bytes but serves {served}; the "
                "repository may be changing, try again later."), file=part.path, listed=size,
                served=meta.size))
        if part.sha256 is None and part.blob_id is None:
            raise DownloadError(user_text("download.no_checksum", QT_TRANSLATE_NOOP(
                "core", "Hugging Face lists no checksum for {file}; it cannot be verified."),
                file=part.path))
        return Sidecar(repo_id=repo_id, filename=part.path, commit=meta.commit or commit,
                       size=size, sha256=part.sha256, blob_id=part.blob_id, etag=meta.etag)

    def _check_space(self, sidecars: Sequence[Sidecar], total: int) -> None:
        downloads = self._paths.downloads_dir
        downloads.mkdir(parents=True, exist_ok=True)
        self._paths.models_dir.mkdir(parents=True, exist_ok=True)
        needed = sum(s.size - self.partial_size(s) for s in sidecars)
        if needed:
            _require_space(downloads, needed)
        if total and os.stat(downloads).st_dev != os.stat(self._paths.models_dir).st_dev:
            _require_space(self._paths.models_dir, total)  # the move will be a copy

    def _already_there(self, sidecar: Sidecar, target: Path) -> bool:
        """Whether ``target`` already holds exactly this file (e.g. downloaded before)."""
        try:
            if target.stat().st_size != sidecar.size:
                return False
        except OSError:
            return False
        hasher = _new_hasher(sidecar)
        _hash_existing(target, hasher)
        return bool(hasher.hexdigest() == (sidecar.sha256 or sidecar.blob_id or "").lower())

    # ---- one part ----------------------------------------------------------------

    def _fetch(self, sidecar: Sidecar, meter: ProgressMeter,
               report: Callable[[ProgressMeter], None], control: DownloadControl) -> None:
        path = self._part_path(sidecar)
        if self.partial_size(sidecar) == 0:
            path.unlink(missing_ok=True)  # another download's leftovers, or nothing to keep
        sidecar.write(self._sidecar_path(sidecar))
        state = _Partial(sidecar, path, 0, _new_hasher(sidecar))
        if path.exists():
            state.offset = _hash_existing(path, state.hasher)
        report(meter)
        retries = self._retries
        while True:
            try:
                self._attempt(state, meter, report, control)
                break
            except (DownloadInterruptedError, NetworkError):
                if retries <= 0:
                    raise
                retries -= 1
                if control.wait(self._retry_delay):
                    self._stopped(sidecar, control)
        self._verify(state)

    def _attempt(self, state: _Partial, meter: ProgressMeter,
                 report: Callable[[ProgressMeter], None], control: DownloadControl) -> None:
        """One GET from ``state.offset``; raises :class:`DownloadInterruptedError` if short."""
        sidecar = state.sidecar
        if state.offset < sidecar.size:
            with self._open(sidecar, state.offset) as (response, start):
                if start != state.offset:  # the server ignored Range: take it all from zero
                    meter.add_resumed(-state.offset)
                    state.restart()
                self._receive(response, state, meter, report, control)
        if state.offset < sidecar.size:
            raise DownloadInterruptedError(user_text("download.interrupted", QT_TRANSLATE_NOOP(
                "core", "The download of {file} was interrupted at {done} of {total}; the "
                "partial file is kept, download it again to resume."), file=sidecar.filename,
                done=format_size(state.offset), total=format_size(sidecar.size)))

    def _https(self) -> urllib.request.OpenerDirector:
        if self._opener is None:
            self._opener = urllib.request.build_opener(
                _StripAuthOnRedirect, urllib.request.HTTPSHandler(context=_ssl_context()))
        return self._opener

    @contextmanager
    def _open(self, sidecar: Sidecar, offset: int) -> Iterator[tuple[http.client.HTTPResponse,
                                                                      int]]:
        """GET the file from ``offset``; yields the response and where its body starts."""
        url = self._hub.resolve_url(sidecar.repo_id, sidecar.filename, sidecar.commit)
        headers = self._hub.auth_headers()
        headers["Accept-Encoding"] = "identity"
        if offset:
            headers["Range"] = f"bytes={offset}-"
        request = urllib.request.Request(url, headers=headers)
        try:
            response = self._https().open(request, timeout=self._timeout)
        except urllib.error.HTTPError as exc:
            with exc:
                raise _http_error(exc, sidecar) from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            raise NetworkError(user_text("hub.unreachable", QT_TRANSLATE_NOOP(
                "core", "Could not reach {host}: {reason}."), host=urlsplit(url).netloc,
                reason=str(getattr(exc, "reason", exc)))) from None
        with response:
            start = 0
            if response.status == 206:
                start = _content_range_start(response.headers.get("Content-Range"))
                if start != offset:
                    raise DownloadInterruptedError(user_text(
                        "download.bad_resume", QT_TRANSLATE_NOOP(
                            "core", "The server resumed {file} at the wrong place; download "
                            "it again."), file=sidecar.filename))
            yield response, start

    def _receive(self, response: http.client.HTTPResponse, state: _Partial,
                 meter: ProgressMeter, report: Callable[[ProgressMeter], None],
                 control: DownloadControl) -> None:
        """Append the response body to the partial file, hashing it on the way."""
        size = state.sidecar.size
        with open(state.path, "r+b" if state.path.exists() else "wb", buffering=0) as out:
            out.truncate(state.offset)
            out.seek(state.offset)
            while state.offset < size and not control.stop_requested:
                try:
                    chunk = response.read(min(self._chunk_size, size - state.offset))
                except (OSError, http.client.HTTPException):
                    break  # connection dropped: keep what we have, report "interrupted"
                if not chunk:
                    break
                try:
                    write_chunk(out, chunk)
                except OSError as exc:
                    if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
                        raise
                    with suppress(OSError):
                        out.truncate(state.offset)
                    raise DiskFullError(user_text("download.disk_full", QT_TRANSLATE_NOOP(
                        "core", "The disk is full ({folder}); {done} of {file} are kept. Free "
                        "some space and download it again to resume."),
                        folder=str(state.path.parent), done=format_size(state.offset),
                        file=state.sidecar.filename)) from None
                state.hasher.update(chunk)
                state.offset += len(chunk)
                meter.advance(len(chunk))
                if meter.due():
                    report(meter)
        if control.stop_requested:
            self._stopped(state.sidecar, control)
        report(meter)

    def _stopped(self, sidecar: Sidecar, control: DownloadControl) -> NoReturn:
        if control.cancelled:
            self._delete_partial(sidecar)
            raise DownloadCancelled(sidecar.filename)
        raise DownloadPaused(sidecar.filename)

    def _verify(self, state: _Partial) -> None:
        sidecar = state.sidecar
        expected = (sidecar.sha256 or sidecar.blob_id or "").lower()
        if state.path.stat().st_size != sidecar.size or state.hasher.hexdigest() != expected:
            self._delete_partial(sidecar)
            raise VerificationError(user_text("download.corrupted", QT_TRANSLATE_NOOP(
                "core", "{file} is corrupted: its checksum does not match the one Hugging Face "
                "lists, so the downloaded bytes were deleted. Download it again."),
                file=sidecar.filename))

    # ---- files -------------------------------------------------------------------

    def _part_path(self, sidecar: Sidecar) -> Path:
        return self._paths.downloads_dir / f"{sidecar.key}.part"

    def _sidecar_path(self, sidecar: Sidecar) -> Path:
        return self._paths.downloads_dir / f"{sidecar.key}.json"

    def partial_size(self, sidecar: Sidecar) -> int:
        """Bytes of a partial that belongs to exactly this file; 0 if none or foreign."""
        if Sidecar.read(self._sidecar_path(sidecar)) != sidecar:
            return 0
        try:
            size = self._part_path(sidecar).stat().st_size
        except OSError:
            return 0
        return size if size <= sidecar.size else 0

    def _delete_partial(self, sidecar: Sidecar) -> None:
        self._part_path(sidecar).unlink(missing_ok=True)
        self._sidecar_path(sidecar).unlink(missing_ok=True)

    def _target(self, repo_id: str, filename: str) -> Path:
        root = self._paths.models_dir.resolve()
        target = (root / repo_id / check_filename(filename)).resolve()
        if not target.is_relative_to(root):
            raise UnsafeFileNameError(user_text("download.escapes_folder", QT_TRANSLATE_NOOP(
                "core", "Refusing {file}: it leads outside the models folder."),
                file=f"{repo_id}/{filename}"))
        return target

    def _move(self, source: Path, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(source, target)
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
            shutil.move(source, target)  # downloads and models on different disks


def write_chunk(out: IO[bytes], chunk: bytes) -> None:
    """Write all of ``chunk`` to an unbuffered file (raw writes may be partial).

    A module-level function so tests can make it fail with ENOSPC.
    """
    view = memoryview(chunk)
    while view:
        written = out.write(view)
        view = view[written or 0:]


# ---- helpers ---------------------------------------------------------------------


def _new_hasher(sidecar: Sidecar) -> Any:
    if sidecar.sha256:
        return hashlib.sha256()
    hasher = hashlib.sha1(usedforsecurity=False)  # git blob id: sha1 of "blob <size>\0" + data
    hasher.update(f"blob {sidecar.size}\0".encode())
    return hasher


def _hash_existing(part: Path, hasher: Any) -> int:
    """Feed the bytes already on disk to ``hasher`` (once, streaming); returns their count."""
    done = 0
    with open(part, "rb") as file:
        while block := file.read(_HASH_BLOCK):
            hasher.update(block)
            done += len(block)
    return done


def _require_space(folder: Path, needed: int) -> None:
    free = shutil.disk_usage(folder).free
    if needed + SPACE_MARGIN > free:
        raise DiskFullError(user_text("download.no_space", QT_TRANSLATE_NOOP(
            "core", "Not enough free disk space in {folder}: the download needs {needed} and "
            "{free} are free."), folder=str(folder), needed=format_size(needed),
            free=format_size(free)))


def _content_range_start(value: str | None) -> int:
    match = re.match(r"bytes\s+(\d+)-", value or "")
    return int(match.group(1)) if match else -1


def _http_error(exc: urllib.error.HTTPError, sidecar: Sidecar) -> HubError:
    code = exc.headers.get("X-Error-Code", "") if exc.headers is not None else ""
    retry = parse_retry_after(exc.headers.get("Retry-After")) if exc.headers is not None else None
    if exc.code == 416:
        return DownloadInterruptedError(user_text("download.resume_refused", QT_TRANSLATE_NOOP(
            "core", "The server refused to resume {file}; download it again."),
            file=sidecar.filename))
    return error_for_status(exc.code, f"{sidecar.repo_id}/{sidecar.filename}",
                            sidecar.repo_id, gated=code == "GatedRepo", retry_after=retry)

