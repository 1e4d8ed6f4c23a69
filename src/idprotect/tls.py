"""HTTPS for `serve`: a development CA and localhost certificate made once and reused, or yours."""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from sqlalchemy.engine import make_url

LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
_WILDCARDS = ("", "0.0.0.0", "::")
CA_LIFETIME = timedelta(days=3650)
# Browsers and Apple platforms refuse server certificates valid for longer than this.
SERVER_LIFETIME = timedelta(days=397)
# A certificate this close to its end is made anew when the server starts.
RENEW_BEFORE = timedelta(days=30)

PrivateKey = ec.EllipticCurvePrivateKey


@dataclass(frozen=True, slots=True)
class TlsFiles:
    """What uvicorn needs, and the CA that clients must trust (None for your own certificate)."""

    certfile: Path
    keyfile: Path | None
    ca_certfile: Path | None = None


def resolve_tls(
    *,
    tls: bool,
    tls_dir: Path | None,
    tls_cert: Path | None,
    tls_key: Path | None,
    database_url: str,
    host: str,
) -> TlsFiles | None:
    """The certificate `serve` uses, from its options; None for plain HTTP."""
    if tls_key is not None and tls_cert is None:
        raise ValueError("--tls-key needs --tls-cert.")
    if tls_cert is not None:
        if tls or tls_dir is not None:
            raise ValueError("Give --tls (a development certificate) or --tls-cert, not both.")
        for path in (tls_cert, tls_key):
            if path is not None and not path.is_file():
                raise ValueError(f"{path} is not a file.")
        return TlsFiles(certfile=tls_cert, keyfile=tls_key)
    if not tls and tls_dir is None:
        return None
    hosts = [*LOCAL_HOSTS, *([] if host in _WILDCARDS or host in LOCAL_HOSTS else [host])]
    return development_certificate(tls_dir or default_tls_dir(database_url), hosts=hosts)


def default_tls_dir(database_url: str) -> Path:
    """`.idprotect/tls` beside a SQLite database file, else in the working directory."""
    url = make_url(database_url)
    database = url.database if url.get_backend_name() == "sqlite" else None
    if database and database != ":memory:" and not database.startswith("file:"):
        return Path(database).resolve().parent / ".idprotect" / "tls"
    return Path.cwd() / ".idprotect" / "tls"


def development_certificate(
    directory: Path, *, hosts: Sequence[str] = LOCAL_HOSTS, now: datetime | None = None
) -> TlsFiles:
    """The development CA and server certificate in `directory`: made on first use, then reused.

    The CA outlives many server certificates, so a client that trusts it once keeps trusting:
    the server certificate alone is made anew when it nears its end or lacks a host.
    """
    now = now or datetime.now(UTC)
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / "server.pem", directory / "server-key.pem"
    ca_cert, ca_key = _certificate_authority(directory, now)
    if not _server_usable(cert_path, ca_cert, hosts, now):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _server_certificate(key, ca_cert, ca_key, hosts, now)
        _write(key_path, _key_pem(key), private=True)
        _write(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    return TlsFiles(certfile=cert_path, keyfile=key_path, ca_certfile=directory / "ca.pem")


def _certificate_authority(directory: Path, now: datetime) -> tuple[x509.Certificate, PrivateKey]:
    cert_path, key_path = directory / "ca.pem", directory / "ca-key.pem"
    loaded = _load_pair(cert_path, key_path)
    if loaded is not None and loaded[0].not_valid_after_utc - RENEW_BEFORE > now:
        return loaded
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _ca_certificate(key, now)
    _write(key_path, _key_pem(key), private=True)
    _write(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    return cert, key


def _load_pair(cert_path: Path, key_path: Path) -> tuple[x509.Certificate, PrivateKey] | None:
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except (OSError, ValueError):
        return None
    return (cert, key) if isinstance(key, ec.EllipticCurvePrivateKey) else None


def _server_usable(
    path: Path, ca_cert: x509.Certificate, hosts: Sequence[str], now: datetime
) -> bool:
    """An existing server certificate signed by this CA, valid for a while, naming every host."""
    try:
        cert = x509.load_pem_x509_certificate(path.read_bytes())
        cert.verify_directly_issued_by(ca_cert)
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (OSError, ValueError, TypeError, InvalidSignature, x509.ExtensionNotFound):
        return False
    present = {str(n) for n in names.get_values_for_type(x509.DNSName)}
    present |= {str(ip) for ip in names.get_values_for_type(x509.IPAddress)}
    wanted = {str(n.value) for n in _subject_alt_names(hosts)}
    return wanted <= present and cert.not_valid_after_utc - RENEW_BEFORE > now


def _ca_certificate(key: PrivateKey, now: datetime) -> x509.Certificate:
    # A name of its own, so that two developers' CAs are told apart in a trust store.
    name = _name(f"idprotect development CA {secrets.token_hex(4)}")
    public = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + CA_LIFETIME)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(signs_certificates=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )


def _server_certificate(
    key: PrivateKey,
    ca_cert: x509.Certificate,
    ca_key: PrivateKey,
    hosts: Sequence[str],
    now: datetime,
) -> x509.Certificate:
    public = key.public_key()
    authority_key = x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key())
    return (
        x509.CertificateBuilder()
        .subject_name(_name("idprotect development server"))
        .issuer_name(ca_cert.subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(min(now + SERVER_LIFETIME, ca_cert.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(signs_certificates=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(_subject_alt_names(hosts)), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(authority_key, critical=False)
        .sign(ca_key, hashes.SHA256())
    )


def _subject_alt_names(hosts: Sequence[str]) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = []
    for host in dict.fromkeys(hosts):
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return names


def _key_usage(*, signs_certificates: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=signs_certificates,
        crl_sign=signs_certificates,
        encipher_only=False,
        decipher_only=False,
    )


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "idprotect"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _key_pem(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _write(path: Path, data: bytes, *, private: bool = False) -> None:
    """Written whole or not at all (a server starting meanwhile never reads half a file)."""
    partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600 if private else 0o644)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
    os.replace(partial, path)
