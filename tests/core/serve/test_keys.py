"""The API key: made once, kept, replaced on demand; a key file stays private."""

from __future__ import annotations

import stat
import sys
from pathlib import Path

import pytest

from desktop_app.core.keychain import KeychainError, MemoryKeyStore
from desktop_app.core.serve.config import API_KEY_NAME
from desktop_app.core.serve.keys import FileKeyStore, ensure_api_key, regenerate_api_key


def test_a_key_is_made_once_and_kept() -> None:
    keys = MemoryKeyStore()
    key = ensure_api_key(keys)
    assert key.startswith("hearth-")
    assert len(key) > 40
    assert keys.get(API_KEY_NAME) == key
    assert ensure_api_key(keys) == key


def test_regenerating_replaces_the_key() -> None:
    keys = MemoryKeyStore()
    old = ensure_api_key(keys)
    new = regenerate_api_key(keys)
    assert new != old
    assert ensure_api_key(keys) == new


def test_a_key_file_is_written_private_and_read_back(tmp_path: Path) -> None:
    store = FileKeyStore(tmp_path / "dir" / "key")
    assert store.get(API_KEY_NAME) is None
    key = ensure_api_key(store)
    assert stat.S_IMODE((tmp_path / "dir" / "key").stat().st_mode) == 0o600
    assert FileKeyStore(tmp_path / "dir" / "key").get(API_KEY_NAME) == key
    assert regenerate_api_key(store) != key
    store.delete(API_KEY_NAME)
    assert store.get(API_KEY_NAME) is None


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
def test_a_key_file_others_can_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "key"
    path.write_text("hearth-secret\n")
    path.chmod(0o640)
    with pytest.raises(KeychainError, match="can be read by other users") as caught:
        FileKeyStore(path).get(API_KEY_NAME)
    assert "hearth-secret" not in str(caught.value)


def test_a_key_file_holds_only_the_api_key(tmp_path: Path) -> None:
    with pytest.raises(KeyError):
        FileKeyStore(tmp_path / "key").set("some-server", "x")
