"""Bearer token verification: signature, algorithm, audience, issuer, lifetime -> Principal."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jwt

from idprotect.auth.jwt_values import is_numeric_date, quoted
from idprotect.auth.keysets import KeySource, verification_algorithms
from idprotect.auth.principal import Principal, PrincipalKind
from idprotect.errors import Unauthenticated

# Asymmetric algorithms only: never `none`, never an HMAC verified with a public key.
ALLOWED_ALGORITHMS = (
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512",
)  # fmt: skip
GRAPH_AUDIENCES = ("https://graph.microsoft.com", "00000003-0000-0000-c000-000000000000")
_FAILURE = "Access token validation failure"
_EXPIRED = "Lifetime validation failed, the token is expired."
# Ids the service keeps (a tenant's, an actor's `oid` in history): 1 to 64 or 128 characters,
# none a control character or a lone surrogate, which its databases' text columns refuse.
_TENANT_ID = re.compile(r"[^\x00-\x1f\x7f\ud800-\udfff]{1,64}")
_OBJECT_ID = re.compile(r"[^\x00-\x1f\x7f\ud800-\udfff]{1,128}")


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
            if self._expired(expires):
                del self._cache[token]
                raise Unauthenticated(_EXPIRED)
            self._cache.move_to_end(token)
            return principal

    def _remember(self, token: str, principal: Principal, expires: float) -> None:
        with self._lock:
            self._cache[token] = (principal, expires)
            while len(self._cache) > self._settings.cache_size:
                self._cache.popitem(last=False)

    def _expired(self, exp: float) -> bool:
        return self._now() >= exp + self._settings.clock_skew_seconds

    def _verified_claims(self, token: str) -> dict[str, Any]:
        """Claims of a token that some trusted source both signed and may issue."""
        kid, alg = _kid_and_algorithm(token)
        refusal: Unauthenticated | None = None
        for source, key in self._keys_for(kid):
            try:
                return self._check(token, alg, source, key)
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
        raise Unauthenticated(f"{_FAILURE}: no trusted signing key has the kid '{quoted(kid)}'.")

    def _check(self, token: str, alg: str, source: KeySource, key: jwt.PyJWK) -> dict[str, Any]:
        if alg not in verification_algorithms(key):
            # The key decides what it verifies; the header only chooses among that (RFC 8725 3.1).
            raise Unauthenticated(
                f"{_FAILURE}: the signing key '{quoted(key.key_id)}' does not verify '{alg}' "
                "signatures."
            )
        claims = self._decode(token, key, alg)
        self._check_lifetime(claims)
        tid = _tenant_id(claims)
        iss = claims.get("iss")
        if not isinstance(iss, str) or not source.accepts_issuer(iss, tid):
            raise Unauthenticated(
                f"{_FAILURE}. Invalid issuer '{quoted(iss)}' for tenant '{quoted(tid)}'."
            )
        return claims

    def _check_lifetime(self, claims: dict[str, Any]) -> None:
        """`exp` (required) and `nbf` bound the lifetime, each with the clock skew allowed;
        `iat` must be a NumericDate too, but its value is not held against the clock."""
        exp, nbf, _ = (_numeric_date(claims, name) for name in ("exp", "nbf", "iat"))
        if exp is None:
            raise Unauthenticated(f"{_FAILURE}: the token has no 'exp' claim.")
        if self._expired(exp):
            raise Unauthenticated(_EXPIRED)
        if nbf is not None and nbf > self._now() + self._settings.clock_skew_seconds:
            raise Unauthenticated("Lifetime validation failed, the token is not yet valid.")

    def _decode(self, token: str, key: jwt.PyJWK, algorithm: str) -> dict[str, Any]:
        """The claims of a token whose signature and audience hold (the lifetime comes next)."""
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=[algorithm],
                audience=list(self._settings.audiences),
                options={
                    "require": ["iss", "aud"],
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                },
            )
        except jwt.InvalidAudienceError:
            raise Unauthenticated(f"{_FAILURE}. Invalid audience.") from None
        except jwt.InvalidSignatureError:
            raise Unauthenticated(f"{_FAILURE}: the signature is invalid.") from None
        except jwt.MissingRequiredClaimError as exc:
            raise Unauthenticated(f"{_FAILURE}: the token has no '{exc.claim}' claim.") from None
        except jwt.PyJWTError as exc:
            raise Unauthenticated(f"{_FAILURE}: {quoted(exc)}.") from None
        return claims


def _kid_and_algorithm(token: str) -> tuple[str, str]:
    """The header's `kid` and `alg`, once `alg` names an allowed algorithm."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise Unauthenticated(f"{_FAILURE}: the token is not a well-formed JWT.") from None
    algorithm, kid = header.get("alg"), header.get("kid")
    if algorithm is None:
        raise Unauthenticated(f"{_FAILURE}: the token header has no 'alg'.")
    if algorithm not in ALLOWED_ALGORITHMS:
        raise Unauthenticated(
            f"{_FAILURE}: the signing algorithm '{quoted(algorithm)}' is not allowed."
        )
    if not isinstance(kid, str):
        raise Unauthenticated(f"{_FAILURE}: the token header has no 'kid'.")
    return kid, algorithm


def _tenant_id(claims: dict[str, Any]) -> str:
    """The token's tenant, once `tid` and `oid` are ids the service can keep."""
    tid = claims.get("tid")
    if tid is None:
        raise Unauthenticated(f"{_FAILURE}: the token has no 'tid' (tenant) claim.")
    if not isinstance(tid, str) or not _TENANT_ID.fullmatch(tid):
        raise Unauthenticated(f"{_FAILURE}: the 'tid' (tenant) claim is not a tenant id.")
    oid = claims.get("oid")
    if oid is not None and not (isinstance(oid, str) and _OBJECT_ID.fullmatch(oid)):
        raise Unauthenticated(f"{_FAILURE}: the 'oid' claim is not an object id.")
    return tid


def _numeric_date(claims: dict[str, Any], name: str) -> float | None:
    """The claim as a NumericDate (RFC 7519 2), or None when absent."""
    value = claims.get(name)
    if value is None:
        return None
    if not is_numeric_date(value):
        raise Unauthenticated(f"{_FAILURE}: the '{name}' claim is not a NumericDate.")
    return float(value)


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    """App-only when `idtyp` says "app" or, without `idtyp`, when `scp` names no scope; else
    delegated. Entra documents `idtyp` as the surest sign, so an app-only token's `scp` grants
    nothing, and a delegated token without `scp` holds no scope."""
    scp, idtyp = claims.get("scp"), claims.get("idtyp")
    scopes = frozenset(scp.split()) if isinstance(scp, str) else frozenset()
    app_only = idtyp == "app" or (idtyp != "user" and not scopes)
    return Principal(
        tenant_id=claims["tid"],
        kind=PrincipalKind.APP if app_only else PrincipalKind.USER,
        object_id=_optional_str(claims.get("oid")),
        # v1.0 tokens name the client application in `appid`, v2.0 tokens in `azp`.
        app_id=_optional_str(claims.get("appid")) or _optional_str(claims.get("azp")),
        scopes=frozenset() if app_only else scopes,
        app_roles=_strings(claims.get("roles")),
        directory_roles=_strings(claims.get("wids")),
        expires_at=_moment(claims.get("exp")),
    )


def _moment(value: object) -> datetime | None:
    """A NumericDate claim as an aware UTC datetime; None when absent or not a number."""
    if not is_numeric_date(value) or not isinstance(value, int | float):
        return None
    return datetime.fromtimestamp(value, UTC)


def _strings(value: object) -> frozenset[str]:
    """The strings of a JSON array claim; nothing for any other value."""
    if not isinstance(value, list):
        return frozenset()
    return frozenset(item for item in value if isinstance(item, str))


def _optional_str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
