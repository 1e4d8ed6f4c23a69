"""Signing keys of the issuers this service trusts, cached and refreshed on key rotation.

Each source knows where its keys come from and which `iss` values its tokens may carry:
- a JWKS (URL or file) is taken to be Entra-shaped: `https://sts.windows.net/{tid}/` or
  `https://login.microsoftonline.com/{tid}/v2.0`, for the token's own `tid`;
- an OpenID discovery document names its issuer exactly, and that is the only one accepted;
- the built-in issuer's keys come from the database and sign Entra-shaped tokens.

Only public RSA and EC keys are kept: a key set entry that is private (whoever can read the set
could sign), symmetric, of another type, or malformed is skipped, and the rest of the set stays.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa

FetchJson = Callable[[str], dict[str, Any]]

ENTRA_ISSUERS = ("https://sts.windows.net/{tid}/", "https://login.microsoftonline.com/{tid}/v2.0")


# RFC 7518 3.3 and 3.5: an RSA key verifies RS* and PS* signatures; 3.4: each ECDSA algorithm
# is bound to one curve, so an EC key verifies only the ES* of its curve.
RSA_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512")
EC_ALGORITHMS = {"secp256r1": ("ES256",), "secp384r1": ("ES384",), "secp521r1": ("ES512",)}


def verification_algorithms(key: jwt.PyJWK) -> tuple[str, ...]:
    """The signature algorithms this key verifies; none unless it is a public RSA or EC key."""
    public = key.key
    if isinstance(public, rsa.RSAPublicKey):
        return RSA_ALGORITHMS
    if isinstance(public, ec.EllipticCurvePublicKey):
        return EC_ALGORITHMS.get(public.curve.name, ())
    return ()


def entra_issuer_accepted(iss: str, tid: str) -> bool:
    return any(iss == form.format(tid=tid) for form in ENTRA_ISSUERS)


def parse_jwks(document: dict[str, Any]) -> dict[str, jwt.PyJWK]:
    """The signature-verifying keys of a JWKS by kid; any other entry is skipped."""
    keys: dict[str, jwt.PyJWK] = {}
    for entry in document.get("keys", []):
        if not isinstance(entry, dict) or not isinstance(entry.get("kid"), str):
            continue
        if entry.get("use", "sig") != "sig":
            continue
        key = _public_key(entry)
        if key is not None:
            keys[entry["kid"]] = key
    return keys


def _public_key(entry: dict[str, Any]) -> jwt.PyJWK | None:
    try:
        key = jwt.PyJWK(entry)
    except Exception:  # the library's errors for a malformed entry are many (KeyError...)
        return None
    return key if verification_algorithms(key) else None


class KeySource:
    """Keys loaded by `load`: reloaded for an unknown kid or when older than `max_age_seconds`,
    never more than once per `min_refresh_seconds`."""

    def __init__(
        self,
        name: str,
        load: Callable[[], tuple[dict[str, jwt.PyJWK], str | None]],
        *,
        min_refresh_seconds: float,
        max_age_seconds: float | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self._load = load
        self._min_refresh = min_refresh_seconds
        self._max_age = max_age_seconds
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._keys: dict[str, jwt.PyJWK] = {}
        self._issuer: str | None = None
        self._loaded_at: float | None = None

    def key(self, kid: str, *, reload_if_unknown: bool = True) -> jwt.PyJWK | None:
        """The key with this kid; an unknown kid or old keys reload the source (rate-limited)."""
        unknown = reload_if_unknown and kid not in self._keys
        if self._loaded_at is None or unknown or self._stale():
            self.refresh()
        return self._keys.get(kid)

    def _stale(self) -> bool:
        loaded = self._loaded_at
        return self._max_age is not None and (
            loaded is None or self._monotonic() - loaded > self._max_age
        )

    def refresh(self) -> None:
        with self._lock:
            now = self._monotonic()
            if self._loaded_at is not None and now - self._loaded_at < self._min_refresh:
                return
            self._loaded_at = now
            try:
                self._keys, self._issuer = self._load()
            except Exception:  # an unreachable issuer keeps its last known keys
                return

    def accepts_issuer(self, iss: str, tid: str) -> bool:
        if self._issuer is not None:
            return iss == self._issuer
        return entra_issuer_accepted(iss, tid)


def jwks_url_source(url: str, fetch: FetchJson, *, min_refresh_seconds: float) -> KeySource:
    return KeySource(
        f"jwks {url}",
        lambda: (parse_jwks(fetch(url)), None),
        min_refresh_seconds=min_refresh_seconds,
    )


def jwks_file_source(path: Path, *, min_refresh_seconds: float) -> KeySource:
    def load() -> tuple[dict[str, jwt.PyJWK], str | None]:
        return parse_jwks(json.loads(path.read_text(encoding="utf-8"))), None

    return KeySource(f"jwks file {path}", load, min_refresh_seconds=min_refresh_seconds)


def discovery_source(url: str, fetch: FetchJson, *, min_refresh_seconds: float) -> KeySource:
    def load() -> tuple[dict[str, jwt.PyJWK], str | None]:
        document = fetch(url)
        return parse_jwks(fetch(str(document["jwks_uri"]))), str(document["issuer"])

    return KeySource(f"discovery {url}", load, min_refresh_seconds=min_refresh_seconds)
