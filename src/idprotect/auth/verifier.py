"""Bearer token verification: signature, algorithm, audience, issuer, lifetime -> Principal."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import jwt

from idprotect.auth.keysets import KeySource
from idprotect.auth.principal import Principal, PrincipalKind
from idprotect.errors import Unauthenticated

# Asymmetric algorithms only: never `none`, never an HMAC verified with a public key.
ALLOWED_ALGORITHMS = (
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512",
)  # fmt: skip
GRAPH_AUDIENCES = ("https://graph.microsoft.com", "00000003-0000-0000-c000-000000000000")
_FAILURE = "Access token validation failure"


@dataclass(frozen=True, slots=True)
class VerifierSettings:
    audiences: tuple[str, ...] = GRAPH_AUDIENCES
    clock_skew_seconds: int = 120
    cache_size: int = 10_000


class TokenVerifier:
    """Verifies tokens against the trusted key sources; verified tokens are cached until expiry."""

    def __init__(
        self,
        sources: Sequence[KeySource],
        settings: VerifierSettings,
        *,
        now: Callable[[], float],
    ) -> None:
        self._sources = list(sources)
        self._settings = settings
        self._now = now
        self._cache: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        self._lock = threading.Lock()

    def principal_from_header(self, authorization: str | None) -> Principal:
        if not authorization or not authorization.strip():
            raise Unauthenticated("Access token is empty.")
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer":
            raise Unauthenticated(
                f"The Authorization header uses the '{scheme}' scheme; a Bearer token is required."
            )
        if not token.strip():
            raise Unauthenticated("Access token is empty.")
        return self.verify(token.strip())

    def cached_principal(self, authorization: str | None) -> Principal | None:
        """The principal of a Bearer token verified before, or None (then verify it)."""
        scheme, _, token = (authorization or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return self._cached(token.strip())

    def verify(self, token: str) -> Principal:
        cached = self._cached(token)
        if cached is not None:
            return cached
        claims = self._verified_claims(token)
        principal = principal_from_claims(claims)
        self._remember(token, principal, float(claims["exp"]))
        return principal

    def _cached(self, token: str) -> Principal | None:
        with self._lock:
            entry = self._cache.get(token)
            if entry is None:
                return None
            principal, expires = entry
            if self._now() >= expires + self._settings.clock_skew_seconds:
                del self._cache[token]
                raise Unauthenticated("Lifetime validation failed, the token is expired.")
            self._cache.move_to_end(token)
            return principal

    def _remember(self, token: str, principal: Principal, expires: float) -> None:
        with self._lock:
            self._cache[token] = (principal, expires)
            while len(self._cache) > self._settings.cache_size:
                self._cache.popitem(last=False)

    def _verified_claims(self, token: str) -> dict[str, Any]:
        """Claims of a token that some trusted source both signed and may issue."""
        header = _header(token)
        refusal: Unauthenticated | None = None
        for source, key in self._keys_for(str(header["kid"])):
            try:
                return self._check(token, str(header["alg"]), source, key)
            except Unauthenticated as error:
                refusal = refusal or error
        assert refusal is not None
        raise refusal

    def _keys_for(self, kid: str) -> list[tuple[KeySource, jwt.PyJWK]]:
        """Sources that know the kid; only when none does are they asked to reload."""
        for reload in (False, True):
            found = [
                (source, key)
                for source in self._sources
                if (key := source.key(kid, reload_if_unknown=reload)) is not None
            ]
            if found:
                return found
        raise Unauthenticated(f"{_FAILURE}: no trusted signing key has the kid '{kid}'.")

    def _check(self, token: str, alg: str, source: KeySource, key: jwt.PyJWK) -> dict[str, Any]:
        claims = self._decode(token, key, alg)
        tid = claims.get("tid")
        if not isinstance(tid, str) or not tid:
            raise Unauthenticated(f"{_FAILURE}: the token has no 'tid' (tenant) claim.")
        iss = claims.get("iss")
        if not isinstance(iss, str) or not source.accepts_issuer(iss, tid):
            raise Unauthenticated(f"{_FAILURE}. Invalid issuer '{iss}' for tenant '{tid}'.")
        return claims

    def _decode(self, token: str, key: jwt.PyJWK, algorithm: str) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=[algorithm],
                audience=list(self._settings.audiences),
                leeway=self._settings.clock_skew_seconds,
                options={"require": ["exp", "iss", "aud"], "verify_iat": False},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("Lifetime validation failed, the token is expired.") from None
        except jwt.ImmatureSignatureError:
            raise Unauthenticated(
                "Lifetime validation failed, the token is not yet valid."
            ) from None
        except jwt.InvalidAudienceError:
            raise Unauthenticated(f"{_FAILURE}. Invalid audience.") from None
        except jwt.InvalidSignatureError:
            raise Unauthenticated(f"{_FAILURE}: the signature is invalid.") from None
        except jwt.MissingRequiredClaimError as exc:
            raise Unauthenticated(f"{_FAILURE}: the token has no '{exc.claim}' claim.") from None
        except jwt.PyJWTError as exc:
            raise Unauthenticated(f"{_FAILURE}: {exc}.") from None
        return claims


def _header(token: str) -> dict[str, Any]:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise Unauthenticated(f"{_FAILURE}: the token is not a well-formed JWT.") from None
    algorithm = header.get("alg")
    if algorithm not in ALLOWED_ALGORITHMS:
        raise Unauthenticated(f"{_FAILURE}: the signing algorithm '{algorithm}' is not allowed.")
    if not isinstance(header.get("kid"), str):
        raise Unauthenticated(f"{_FAILURE}: the token header has no 'kid'.")
    return header


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    """Delegated when `scp` is present (scopes + directory roles), app-only otherwise."""
    scp = claims.get("scp")
    roles = claims.get("roles")
    wids = claims.get("wids")
    delegated = isinstance(scp, str) and bool(scp.strip())
    return Principal(
        tenant_id=str(claims["tid"]),
        kind=PrincipalKind.USER if delegated else PrincipalKind.APP,
        object_id=_optional_str(claims.get("oid")),
        app_id=_optional_str(claims.get("appid") or claims.get("azp")),
        scopes=frozenset(scp.split()) if delegated and isinstance(scp, str) else frozenset(),
        app_roles=frozenset(r for r in roles if isinstance(r, str))
        if isinstance(roles, list)
        else frozenset(),
        directory_roles=frozenset(w for w in wids if isinstance(w, str))
        if isinstance(wids, list)
        else frozenset(),
    )


def _optional_str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
