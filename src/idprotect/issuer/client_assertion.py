"""Certificate credentials of app registrations: client assertions (RFC 7523) as Entra checks them.

A client signs a short JWT with its certificate's private key and names the certificate by
thumbprint (`x5t`: SHA-1, `x5t#S256`: SHA-256, base64url) in the header; the issuer checks it
against the certificate registered on the app, then `aud` (the token endpoint it was sent to),
`iss` = `sub` = the client id, `exp`/`nbf` and `jti`. MSAL reuses an assertion until it nears
its end, and Entra accepts that, so a `jti` is required but not remembered.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from idprotect.auth.jwt_values import is_numeric_date, quoted

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# RS256 with x5t: MSAL and older clients; PS256 with x5t#S256: azure-identity, MSAL 1.29+.
ALGORITHMS = ("RS256", "PS256")
CLOCK_SKEW = timedelta(minutes=5)
CERTIFICATE_LIFETIME = timedelta(days=365)


class AssertionRefused(Exception):
    """The client assertion does not authenticate the app: Entra's AADSTS code and reason."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(f"AADSTS{code}: {description}")
        self.code = code
        self.description = description


@dataclass(frozen=True, slots=True)
class Thumbprints:
    sha1: str  # base64url, as `x5t` carries it
    sha256: str  # base64url, as `x5t#S256` carries it

    @property
    def sha1_hex(self) -> str:
        """The thumbprint the Entra portal shows and MSAL's `client_credential` takes."""
        return _unb64(self.sha1).hex().upper()


def load_certificate(pem: str) -> x509.Certificate:
    """The first certificate of a PEM text (a private key beside it is ignored); RSA only, as
    azure-identity and MSAL sign assertions with RSA keys."""
    try:
        certificate = x509.load_pem_x509_certificate(pem.encode())
    except ValueError as error:
        raise ValueError("no PEM certificate found") from error
    if not isinstance(certificate.public_key(), rsa.RSAPublicKey):
        raise ValueError("the certificate's key must be RSA")
    return certificate


def thumbprints(certificate: x509.Certificate) -> Thumbprints:
    return Thumbprints(
        sha1=_b64(certificate.fingerprint(hashes.SHA1())),  # an identifier, not a protection
        sha256=_b64(certificate.fingerprint(hashes.SHA256())),
    )


def new_certificate(common_name: str, now: datetime) -> tuple[str, str]:
    """A self-signed RSA certificate for an app: (private key PEM, certificate PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + CERTIFICATE_LIFETIME)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return key_pem, certificate.public_bytes(serialization.Encoding.PEM).decode()


def verify_client_assertion(
    assertion: str,
    *,
    client_id: str,
    certificate_pem: str | None,
    audiences: Iterable[str],
    now: datetime,
) -> dict[str, Any]:
    """The assertion's claims if it authenticates `client_id`; else `AssertionRefused`."""
    header = _header(assertion)
    certificate = _registered_certificate(header, certificate_pem, client_id)
    claims = _verified_claims(assertion, header["alg"], certificate, list(audiences), now)
    if claims["iss"] != client_id or claims["sub"] != client_id:
        raise AssertionRefused(
            700021, "Client assertion application identifier doesn't match 'client_id' parameter."
        )
    if not isinstance(claims["jti"], str) or not claims["jti"]:
        raise AssertionRefused(50027, "Invalid JWT token. The 'jti' claim must be a string.")
    return claims


def _header(assertion: str) -> dict[str, Any]:
    try:
        header = jwt.get_unverified_header(assertion)
    except jwt.PyJWTError as error:  # also its refusals of `kid` and `crit`
        raise AssertionRefused(50027, "Invalid JWT token. The token is malformed.") from error
    if header.get("alg") not in ALGORITHMS:
        raise AssertionRefused(
            50027,
            f"Invalid JWT token. Unsupported signing algorithm '{quoted(header.get('alg'))}'.",
        )
    return header


def _registered_certificate(
    header: dict[str, Any], certificate_pem: str | None, client_id: str
) -> x509.Certificate:
    """The app's certificate, if the header names it (padded or not, as clients differ)."""
    by_sha256 = "x5t#S256" in header
    named = str(header.get("x5t#S256" if by_sha256 else "x5t") or "").rstrip("=")
    if certificate_pem:
        certificate = load_certificate(certificate_pem)
        registered = thumbprints(certificate)
        if named and named == (registered.sha256 if by_sha256 else registered.sha1):
            return certificate
    raise AssertionRefused(
        700027,
        "The certificate with identifier used to sign the client assertion is not registered "
        f"on application. [Reason - The key was not found., Thumbprint of key used by client: "
        f"'{_thumbprint_hex(named)}', Please visit the Azure Portal, Graph Explorer or directly "
        f"use MS Graph to see configured keys for app Id '{client_id}'.]",
    )


def _verified_claims(
    assertion: str,
    algorithm: str,
    certificate: x509.Certificate,
    audiences: list[str],
    now: datetime,
) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            assertion,
            certificate.public_key(),  # type: ignore[arg-type]
            algorithms=[algorithm],
            audience=audiences,
            # The lifetime is checked next, once exp, nbf and iat are known to be numbers.
            options={
                "require": ["aud", "exp", "iss", "sub", "jti"],
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
            },
        )
    except jwt.InvalidSignatureError as error:
        raise AssertionRefused(700027, "Client assertion failed signature validation.") from error
    except jwt.InvalidAudienceError as error:
        raise AssertionRefused(
            700023,
            "Client assertion audience claim does not match Realm issuer. "
            f"Expected one of: {', '.join(audiences)}.",
        ) from error
    except jwt.MissingRequiredClaimError as error:
        raise AssertionRefused(
            50027, f"Invalid JWT token. The '{error.claim}' claim is required."
        ) from error
    except jwt.InvalidTokenError as error:
        raise AssertionRefused(50027, f"Invalid JWT token. {quoted(error)}") from error
    _check_lifetime(claims, now)
    return claims


def _check_lifetime(claims: dict[str, Any], now: datetime) -> None:
    """`exp`, `nbf` and `iat` are NumericDates (RFC 7519: JSON numbers); now, give or take the
    clock skew, is before `exp` and not before `nbf` or `iat`."""
    for name in ("exp", "nbf", "iat"):
        if name in claims and not is_numeric_date(claims[name]):
            raise AssertionRefused(
                50027, f"Invalid JWT token. The '{name}' claim is not a NumericDate."
            )
    current, skew = now.timestamp(), CLOCK_SKEW.total_seconds()
    starts = max(claims.get("nbf", 0), claims.get("iat", 0))
    if claims["exp"] <= current - skew or starts > current + skew:
        raise AssertionRefused(
            700024,
            f"Client assertion is not within its valid time range. Current time: "
            f"{now.isoformat()}.",
        )


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _thumbprint_hex(text: str) -> str:
    try:
        return _unb64(text).hex().upper()
    except ValueError:
        return quoted(text)
