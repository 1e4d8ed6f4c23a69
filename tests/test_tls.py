"""The development certificate of `serve --tls`: made once, reused, renewed, and trusted by a
strict TLS client; and how serve's TLS options combine."""

from __future__ import annotations

import socket
import ssl
import stat
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from typer.testing import CliRunner

from idprotect.cli import app
from idprotect.tls import TlsFiles, default_tls_dir, development_certificate, resolve_tls


def _cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def _names(files: TlsFiles) -> set[str]:
    alt = _cert(files.certfile).extensions.get_extension_for_class(x509.SubjectAlternativeName)
    dns = alt.value.get_values_for_type(x509.DNSName)
    return set(dns) | {str(ip) for ip in alt.value.get_values_for_type(x509.IPAddress)}


def _handshake(files: TlsFiles, server_hostname: str) -> str:
    """A TLS handshake over a socket pair, the client strict (as Python 3.13 is by default)."""
    assert files.ca_certfile is not None
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(files.certfile, files.keyfile)
    client_context = ssl.create_default_context(cafile=files.ca_certfile)
    client_context.verify_flags |= ssl.VERIFY_X509_STRICT
    left, right = socket.socketpair()
    with server_context.wrap_socket(left, server_side=True, do_handshake_on_connect=False) as s:
        serving = threading.Thread(target=s.do_handshake, daemon=True)
        serving.start()
        with client_context.wrap_socket(right, server_hostname=server_hostname) as client:
            subject = dict(item[0] for item in client.getpeercert()["subject"])
        serving.join(timeout=5)
    return str(subject["commonName"])


def test_made_on_first_use_and_trusted_by_a_strict_client(tmp_path: Path):
    files = development_certificate(tmp_path / "tls")

    assert _names(files) == {"localhost", "127.0.0.1", "::1"}
    assert _handshake(files, "127.0.0.1") == "idprotect development server"
    assert _handshake(files, "localhost") == "idprotect development server"
    assert files.keyfile is not None
    for private in (files.keyfile, tmp_path / "tls" / "ca-key.pem"):
        assert stat.S_IMODE(private.stat().st_mode) == 0o600


def test_reused_on_restart(tmp_path: Path):
    first = development_certificate(tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    again = development_certificate(tmp_path)

    assert again == first
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_a_new_host_renews_the_server_certificate_under_the_same_ca(tmp_path: Path):
    first = development_certificate(tmp_path)
    assert first.ca_certfile is not None
    ca = first.ca_certfile.read_bytes()

    renewed = development_certificate(tmp_path, hosts=["localhost", "idprotect.test"])

    assert "idprotect.test" in _names(renewed)
    assert renewed.ca_certfile is not None
    assert renewed.ca_certfile.read_bytes() == ca
    assert _handshake(renewed, "idprotect.test") == "idprotect development server"


def test_a_server_certificate_near_its_end_is_renewed(tmp_path: Path):
    files = development_certificate(tmp_path)
    old_serial = _cert(files.certfile).serial_number
    later = datetime.now(UTC) + timedelta(days=380)

    development_certificate(tmp_path, now=later)

    assert _cert(files.certfile).serial_number != old_serial
    assert _cert(files.certfile).not_valid_after_utc > later + timedelta(days=300)


def test_a_damaged_ca_is_made_anew(tmp_path: Path):
    development_certificate(tmp_path)
    (tmp_path / "ca.pem").write_text("not a certificate")

    files = development_certificate(tmp_path)

    assert _handshake(files, "127.0.0.1") == "idprotect development server"


def test_default_directory_is_beside_the_sqlite_database(tmp_path: Path):
    assert default_tls_dir(f"sqlite:///{tmp_path}/data/x.db") == tmp_path / "data/.idprotect/tls"
    assert default_tls_dir("postgresql+psycopg://h/db") == Path.cwd() / ".idprotect" / "tls"


def test_resolve_plain_generated_and_own(tmp_path: Path):
    common = {"database_url": f"sqlite:///{tmp_path}/x.db", "host": "127.0.0.1"}
    cert, key = tmp_path / "mine.pem", tmp_path / "mine-key.pem"
    cert.write_text("pem")
    key.write_text("pem")

    plain = resolve_tls(tls=False, tls_dir=None, tls_cert=None, tls_key=None, **common)
    generated = resolve_tls(tls=True, tls_dir=None, tls_cert=None, tls_key=None, **common)
    own = resolve_tls(tls=False, tls_dir=None, tls_cert=cert, tls_key=key, **common)

    assert plain is None
    assert generated is not None
    assert generated.ca_certfile == tmp_path / ".idprotect" / "tls" / "ca.pem"
    assert own == TlsFiles(certfile=cert, keyfile=key)


def test_a_specific_listen_address_is_named_in_the_certificate(tmp_path: Path):
    files = resolve_tls(
        tls=True, tls_dir=tmp_path, tls_cert=None, tls_key=None,
        database_url="sqlite://", host="192.0.2.10",
    )  # fmt: skip

    assert files is not None
    assert "192.0.2.10" in _names(files)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--tls-key", "key.pem"], "--tls-key needs --tls-cert"),
        (["--tls", "--tls-cert", "cert.pem"], "not both"),
        (["--tls-cert", "missing.pem"], "is not a file"),
    ],
)
def test_serve_refuses_options_that_do_not_combine(
    arguments: list[str], message: str, tmp_path: Path
):
    result = CliRunner().invoke(
        app, ["serve", "--db", f"sqlite:///{tmp_path}/x.db", *arguments], env={"COLUMNS": "200"}
    )

    assert result.exit_code == 2
    assert message in result.output
