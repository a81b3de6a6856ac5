"""TLS: a self-signed server is refused with a certificate error in words, accepted with its CA."""

from __future__ import annotations

import datetime
import ipaddress
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app.core.engine.api import ModelLoaded, ReplyFinished
from desktop_app.core.remote.client import RemoteClient, RemoteError
from desktop_app.core.remote.engine import RemoteEngine
from tests.core.remote.conftest import FAST, config_for, load, reply, request
from tests.core.remote.fault_server import OK_WORDS, FaultServer


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 signed by itself, and its key (PEM files)."""
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    # cryptography is one of Hearth's own dependencies (pypdf opens encrypted PDFs with it).
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Hearth test CA")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(
                ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[FaultServer, Path]]:
    cert, key = self_signed(tmp_path)
    with FaultServer(tls=(cert, key)) as server:
        yield server, cert


def test_self_signed_server_without_ca_file(tls_server: tuple[FaultServer, Path]) -> None:
    server, _ = tls_server
    client = RemoteClient(config_for(server.base_url), None, FAST)
    with pytest.raises(RemoteError) as info:
        client.list_models()
    client.close()
    message = str(info.value)
    assert "certificate of Test server (127.0.0.1) could not be verified" in message
    assert "CA file" in message


def test_self_signed_server_with_its_ca_file(tls_server: tuple[FaultServer, Path]) -> None:
    server, cert = tls_server
    engine = RemoteEngine(config_for(server.base_url, ca_file=str(cert)), None, timeouts=FAST)
    try:
        assert isinstance(load(engine), ModelLoaded)
        answer, _, final = reply(engine, request())
        assert answer == "".join(OK_WORDS)
        assert isinstance(final, ReplyFinished)
    finally:
        engine.shutdown()


def test_unreadable_ca_file(tls_server: tuple[FaultServer, Path], tmp_path: Path) -> None:
    server, _ = tls_server
    bad = tmp_path / "not-a-cert.pem"
    bad.write_text("hello")
    for path in (bad, tmp_path / "missing.pem"):
        client = RemoteClient(config_for(server.base_url, ca_file=str(path)), None, FAST)
        with pytest.raises(RemoteError, match="could not be read as PEM"):
            client.list_models()
        client.close()


def test_cancel_over_tls(tls_server: tuple[FaultServer, Path]) -> None:
    from desktop_app.core.engine.api import StopReason, TokenChunk
    from tests.core.remote.conftest import wait_for

    server, cert = tls_server
    engine = RemoteEngine(config_for(server.base_url, ca_file=str(cert)), None, timeouts=FAST)
    try:
        engine._model = "slow"
        engine.generate(request(3))
        wait_for(engine, TokenChunk)
        engine.cancel(3)
        events = wait_for(engine, ReplyFinished, request_id=3)
        assert events[-1].stats.stop_reason == StopReason.CANCELLED  # type: ignore[attr-defined]
        assert server.disconnected.wait(5)
    finally:
        engine.shutdown()
