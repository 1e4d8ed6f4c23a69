"""The token verifier on its own: which key verifies which algorithm, NumericDates, tenant ids,
the principal a token describes, the lifetime on an injected clock, and the verified-token cache.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from idprotect.auth.keysets import KeySource
from idprotect.auth.principal import Principal, PrincipalKind
from idprotect.auth.verifier import TokenVerifier, VerifierSettings, principal_from_claims
from idprotect.errors import Unauthenticated
from tests.auth.issuers import KEY_ALGORITHMS, claims, forged, public_jwk, rsa_key, sign
from tests.auth.jose import (
    FAILURE,
    HEADER_ALGORITHMS,
    MISSING,
    NOT_STRING_KIDS,
    header,
    kid_refusal,
    refusal,
    value_id,
)

TENANT = "a0a0a0a0-0000-4000-8000-00000000000a"
OID = "0b0b0b0b-1111-4222-8333-444444444444"
CLIENT = "c1c1c1c1-5555-4666-8777-888888888888"
NOW = 1_800_000_000
SKEW = 120
LAST_NUMERIC_DATE = 253_402_300_799  # 9999-12-31T23:59:59Z
EXPIRED = "Lifetime validation failed, the token is expired."
NOT_YET_VALID = "Lifetime validation failed, the token is not yet valid."


class Clock:
    def __init__(self) -> None:
        self.now = float(NOW)

    def __call__(self) -> float:
        return self.now


def verifying_jwk(private: Any, kid: str) -> jwt.PyJWK:
    """The public half as an Entra key set has it: no `alg`, so the key type alone decides."""
    jwk = public_jwk(private, kid)
    del jwk["alg"]
    return jwt.PyJWK(jwk)


def source(keys: dict[str, jwt.PyJWK], loads: list[str] | None = None) -> KeySource:
    def load() -> tuple[dict[str, jwt.PyJWK], str | None]:
        if loads is not None:
            loads.append("load")
        return dict(keys), None

    return KeySource("test", load, min_refresh_seconds=0)


def make_verifier(
    *sources: KeySource, clock: Callable[[], float] | None = None, cache_size: int = 100
) -> TokenVerifier:
    settings = VerifierSettings(clock_skew_seconds=SKEW, cache_size=cache_size)
    return TokenVerifier(sources, settings, now=clock or Clock())


@pytest.fixture
def keys(key_pairs: dict[str, Any]) -> dict[str, jwt.PyJWK]:
    """Each key type's public key, with the type's name as its kid."""
    return {kid: verifying_jwk(private, kid) for kid, private in key_pairs.items()}


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def verifier(keys: dict[str, jwt.PyJWK], clock: Clock) -> TokenVerifier:
    return make_verifier(source(keys), clock=clock)


def at_now(**overrides: Any) -> dict[str, Any]:
    """An app-only token's claims, issued at NOW for an hour."""
    return claims(TENANT, **{"iat": NOW, "nbf": NOW, "exp": NOW + 3600, **overrides})


def signed(key_pairs: dict[str, Any], payload: Any, key_type: str = "RSA") -> str:
    """Signed as given: the JOSE library's encoder would refuse some payloads tested here."""
    raw = json.dumps(payload).encode()
    alg = KEY_ALGORITHMS[key_type][0]
    return jwt.api_jws.encode(raw, key_pairs[key_type], algorithm=alg, headers={"kid": key_type})


def refused(verifier: TokenVerifier, token: str, message: str) -> None:
    with pytest.raises(Unauthenticated) as caught:
        verifier.verify(token)
    assert caught.value.message == message


# The header's algorithm against the key its kid names.


@pytest.mark.parametrize("key_type", list(KEY_ALGORITHMS))
@pytest.mark.parametrize("alg", HEADER_ALGORITHMS, ids=value_id)
def test_every_header_algorithm_against_every_key_type_is_a_refusal(
    verifier: TokenVerifier, key_type: str, alg: Any
) -> None:
    token = forged(header(alg, key_type), at_now())
    refused(verifier, token, refusal(alg, key_type, key_type))


@pytest.mark.parametrize(
    ("key_type", "alg"), [(t, alg) for t, algs in KEY_ALGORITHMS.items() for alg in algs]
)
def test_each_key_type_verifies_its_own_algorithms(
    verifier: TokenVerifier, key_pairs: dict[str, Any], key_type: str, alg: str
) -> None:
    token = sign(key_pairs[key_type], key_type, at_now(), alg)
    assert verifier.verify(token).tenant_id == TENANT


@pytest.mark.parametrize("kid", [*NOT_STRING_KIDS, MISSING], ids=value_id)
def test_a_kid_that_is_not_a_string_is_refused(verifier: TokenVerifier, kid: Any) -> None:
    refused(verifier, forged(header("RS256", kid), at_now()), kid_refusal(kid))


def test_values_quoted_from_the_header_stay_valid_utf8(verifier: TokenVerifier) -> None:
    """JSON can carry a lone surrogate (as an escape), which no UTF-8 error body can hold."""
    refused(
        verifier,
        forged(header("\ud800", "RSA"), at_now()),
        f"{FAILURE}: the signing algorithm '\\ud800' is not allowed.",
    )
    refused(
        verifier,
        forged(header("RS256", "\udfff"), at_now()),
        f"{FAILURE}: no trusted signing key has the kid '\\udfff'.",
    )


def _jwk(private: Any) -> dict[str, Any]:
    if isinstance(private, ed25519.Ed25519PrivateKey):
        return dict(json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(private)))
    if isinstance(private, ec.EllipticCurvePrivateKey):
        return dict(json.loads(jwt.algorithms.ECAlgorithm.to_jwk(private)))
    return dict(json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private)))


@pytest.mark.parametrize(
    ("name", "make", "alg"),
    [
        ("a private RSA key", rsa_key, "RS256"),
        ("a private EC key", lambda: ec.generate_private_key(ec.SECP256R1()), "ES256"),
        ("an Ed25519 key", ed25519.Ed25519PrivateKey.generate, "RS256"),
        ("a secp256k1 key", lambda: ec.generate_private_key(ec.SECP256K1()), "ES256"),
    ],
)
def test_a_key_that_verifies_no_allowed_algorithm_refuses_every_token(
    name: str, make: Callable[[], Any], alg: str
) -> None:
    """Whatever a source hands over, only a public RSA or EC key verifies anything; a private
    one would sign, and the JOSE library fails on it in ways that are not refusals."""
    private = make()
    odd = make_verifier(source({"odd": jwt.PyJWK({**_jwk(private), "kid": "odd"})}))
    token = forged(header(alg, "odd"), at_now())
    refused(odd, token, f"{FAILURE}: the signing key 'odd' does not verify '{alg}' signatures.")


def test_a_symmetric_key_verifies_nothing() -> None:
    odd = make_verifier(source({"oct": jwt.PyJWK({"kty": "oct", "k": "c2VjcmV0", "kid": "oct"})}))
    token = forged(header("RS256", "oct"), at_now())
    refused(odd, token, f"{FAILURE}: the signing key 'oct' does not verify 'RS256' signatures.")


def test_the_first_sources_refusal_is_the_answer_when_none_accepts(
    keys: dict[str, jwt.PyJWK], key_pairs: dict[str, Any]
) -> None:
    """Two sources know the kid: a wrong RSA key, then an EC key. The first refusal is kept."""
    wrong = source({"shared": verifying_jwk(rsa_key(), "shared")})
    ec_source = source({"shared": keys["P-256"]})
    token = sign(key_pairs["RSA"], "shared", at_now(), "RS256")
    refused(make_verifier(wrong, ec_source), token, f"{FAILURE}: the signature is invalid.")


def test_a_later_source_that_knows_the_key_accepts(
    keys: dict[str, jwt.PyJWK], key_pairs: dict[str, Any]
) -> None:
    wrong = source({"RSA": verifying_jwk(rsa_key(), "RSA")})
    token = signed(key_pairs, at_now())
    assert make_verifier(wrong, source(keys)).verify(token).tenant_id == TENANT


def test_sources_reload_only_when_none_knows_the_kid(
    keys: dict[str, jwt.PyJWK], key_pairs: dict[str, Any]
) -> None:
    knows, other = [], []
    verifier = make_verifier(source(keys, knows), source({}, other))
    verifier.verify(signed(key_pairs, at_now()))
    assert (len(knows), len(other)) == (1, 1)  # each loaded once, on first use
    refused(verifier, forged(header("RS256", "nobody"), at_now()), kid_unknown("nobody"))
    assert (len(knows), len(other)) == (2, 2)


def kid_unknown(kid: str) -> str:
    return f"{FAILURE}: no trusted signing key has the kid '{kid}'."


# NumericDates: exp, nbf and iat are JSON numbers (RFC 7519 2 and 4.1.4-4.1.6).

NOT_NUMERIC_DATES = [
    str(NOW + 3600),  # a numeric string
    f"{NOW + 3600}.5",
    "",
    True,  # a bool is an int in Python, never a JSON number
    False,
    [NOW + 3600],
    {"value": NOW + 3600},
    float("nan"),
    float("inf"),
    float("-inf"),
    -1,
    LAST_NUMERIC_DATE + 1,
    10**20,
    10**400,  # a JSON integer no float can hold
]


@pytest.mark.parametrize("value", NOT_NUMERIC_DATES, ids=value_id)
@pytest.mark.parametrize("name", ["exp", "nbf", "iat"])
def test_a_lifetime_claim_that_is_not_a_numeric_date_is_refused(
    verifier: TokenVerifier, key_pairs: dict[str, Any], name: str, value: Any
) -> None:
    token = signed(key_pairs, at_now(**{name: value}))
    refused(verifier, token, f"{FAILURE}: the '{name}' claim is not a NumericDate.")


@pytest.mark.parametrize(
    "overrides",
    [
        {"exp": NOW + 3600.5, "nbf": NOW - 0.5, "iat": NOW - 0.5},  # fractions are NumericDates
        {"exp": LAST_NUMERIC_DATE},
        {"nbf": 0, "iat": 0},
        {"nbf": None, "iat": None},  # both optional
    ],
    ids=value_id,
)
def test_numeric_dates_that_are_accepted(
    verifier: TokenVerifier, key_pairs: dict[str, Any], overrides: dict[str, Any]
) -> None:
    assert verifier.verify(signed(key_pairs, at_now(**overrides))).tenant_id == TENANT


def test_a_token_without_exp_is_refused(verifier: TokenVerifier, key_pairs: dict[str, Any]) -> None:
    refused(
        verifier, signed(key_pairs, at_now(exp=None)), f"{FAILURE}: the token has no 'exp' claim."
    )


# The lifetime, on the verifier's clock, with the clock skew on both sides.


def test_expiry_at_the_edge_of_the_clock_skew(
    verifier: TokenVerifier, key_pairs: dict[str, Any]
) -> None:
    assert verifier.verify(signed(key_pairs, at_now(exp=NOW - SKEW + 1))).tenant_id == TENANT
    refused(verifier, signed(key_pairs, at_now(exp=NOW - SKEW)), EXPIRED)


def test_not_before_at_the_edge_of_the_clock_skew(
    verifier: TokenVerifier, key_pairs: dict[str, Any]
) -> None:
    assert verifier.verify(signed(key_pairs, at_now(nbf=NOW + SKEW))).tenant_id == TENANT
    refused(verifier, signed(key_pairs, at_now(nbf=NOW + SKEW + 1)), NOT_YET_VALID)


def test_the_issue_time_is_not_held_against_the_clock(
    verifier: TokenVerifier, key_pairs: dict[str, Any]
) -> None:
    """`iat` says when the token was made; like Entra's own validation, the verifier does not
    refuse a token for it, even far beyond the skew (only exp and nbf bound the lifetime)."""
    future = at_now(iat=NOW + 10 * SKEW, exp=NOW + 20 * SKEW)
    assert verifier.verify(signed(key_pairs, future)).tenant_id == TENANT
    assert verifier.verify(signed(key_pairs, at_now(iat=1))).tenant_id == TENANT


def test_the_lifetime_runs_on_the_verifiers_clock(
    verifier: TokenVerifier, key_pairs: dict[str, Any], clock: Clock
) -> None:
    token = signed(key_pairs, at_now(nbf=NOW + 3600, exp=NOW + 7200))
    refused(verifier, token, NOT_YET_VALID)
    clock.now += 3600
    assert verifier.verify(token).tenant_id == TENANT


# The tenant: a non-empty string the service can keep as a tenant id.

NOT_TENANT_IDS = [5, 0, True, [TENANT], {"id": TENANT}, "", "a" * 65, "a\x00b", "a\nb", "\ud800"]


@pytest.mark.parametrize("tid", NOT_TENANT_IDS, ids=value_id)
def test_a_tid_that_is_not_a_tenant_id_is_refused(
    verifier: TokenVerifier, key_pairs: dict[str, Any], tid: Any
) -> None:
    token = signed(key_pairs, at_now(tid=tid))
    refused(verifier, token, f"{FAILURE}: the 'tid' (tenant) claim is not a tenant id.")


def test_a_token_without_tid_is_refused(verifier: TokenVerifier, key_pairs: dict[str, Any]) -> None:
    token = signed(key_pairs, at_now(tid=None))
    refused(verifier, token, f"{FAILURE}: the token has no 'tid' (tenant) claim.")


def test_the_longest_tenant_id_is_accepted(
    verifier: TokenVerifier, key_pairs: dict[str, Any]
) -> None:
    tid = "t" * 64
    token = signed(key_pairs, at_now(tid=tid, iss=f"https://sts.windows.net/{tid}/"))
    assert verifier.verify(token).tenant_id == tid


NOT_OBJECT_IDS = [5, True, [OID], "", "o" * 129, "a\x00b", "\ud800"]


@pytest.mark.parametrize("oid", NOT_OBJECT_IDS, ids=value_id)
def test_an_oid_that_is_not_an_object_id_is_refused(
    verifier: TokenVerifier, key_pairs: dict[str, Any], oid: Any
) -> None:
    """History keeps the caller's `oid`: it must be an id the service can store."""
    token = signed(key_pairs, at_now(oid=oid))
    refused(verifier, token, f"{FAILURE}: the 'oid' claim is not an object id.")


@pytest.mark.parametrize("oid", ["o" * 128, None], ids=value_id)
def test_an_oid_up_to_128_characters_or_none(
    verifier: TokenVerifier, key_pairs: dict[str, Any], oid: str | None
) -> None:
    assert verifier.verify(signed(key_pairs, at_now(oid=oid))).object_id == oid


def test_an_issuer_that_is_not_a_string_is_refused(
    verifier: TokenVerifier, key_pairs: dict[str, Any]
) -> None:
    token = signed(key_pairs, at_now(iss=["https://sts.windows.net/x/"]))
    message = f"{FAILURE}. Invalid issuer '['https://sts.windows.net/x/']' for tenant '{TENANT}'."
    refused(verifier, token, message)


@pytest.mark.parametrize("name", ["iss", "aud"])
def test_a_token_without_iss_or_aud_is_refused(
    verifier: TokenVerifier, key_pairs: dict[str, Any], name: str
) -> None:
    refused(
        verifier,
        signed(key_pairs, at_now(**{name: None})),
        f"{FAILURE}: the token has no '{name}' claim.",
    )


def test_a_payload_that_is_not_a_json_object_is_refused(
    verifier: TokenVerifier, key_pairs: dict[str, Any]
) -> None:
    token = signed(key_pairs, [1])
    message = f"{FAILURE}: Invalid payload string: must be a json object."
    refused(verifier, token, message)


# The principal a token describes.


def principal(**overrides: Any) -> Principal:
    base: dict[str, Any] = {"tid": TENANT, "oid": OID}
    return principal_from_claims({**base, **overrides})


def test_an_app_only_tokens_scp_grants_no_scope() -> None:
    app = principal(idtyp="app", roles=["IdentityRiskyUser.Read.All"], scp="Everything.All")
    assert (app.kind, app.scopes) == (PrincipalKind.APP, frozenset())
    assert app.app_roles == {"IdentityRiskyUser.Read.All"}


def test_a_delegated_token_carries_its_scopes_and_directory_roles() -> None:
    user = principal(idtyp="user", scp="A.Read B.Write", wids=["w1", 7, "w2"], roles=["R"])
    assert (user.kind, user.scopes) == (PrincipalKind.USER, {"A.Read", "B.Write"})
    assert (user.directory_roles, user.app_roles) == ({"w1", "w2"}, {"R"})


def test_a_delegated_token_without_scp_holds_no_scope() -> None:
    user = principal(idtyp="user", roles=["IdentityRiskyUser.ReadWrite.All"])
    assert (user.kind, user.scopes) == (PrincipalKind.USER, frozenset())


@pytest.mark.parametrize(
    ("scp", "kind", "scopes"),
    [
        ("A.Read B.Write", PrincipalKind.USER, {"A.Read", "B.Write"}),
        (None, PrincipalKind.APP, set()),
        ("   ", PrincipalKind.APP, set()),
        (["A.Read"], PrincipalKind.APP, set()),
    ],
)
def test_without_idtyp_scp_decides(scp: Any, kind: PrincipalKind, scopes: set[str]) -> None:
    found = principal(scp=scp)
    assert (found.kind, found.scopes) == (kind, scopes)


@pytest.mark.parametrize("value", ["IdentityRiskyUser.Read.All", 5, None, {"a": "b"}], ids=value_id)
def test_roles_and_wids_that_are_not_arrays_hold_nothing(value: Any) -> None:
    found = principal(roles=value, wids=value)
    assert (found.app_roles, found.directory_roles) == (frozenset(), frozenset())


@pytest.mark.parametrize(
    ("overrides", "app_id"),
    [
        ({"ver": "1.0", "appid": CLIENT}, CLIENT),
        ({"ver": "2.0", "azp": CLIENT}, CLIENT),
        ({"appid": "", "azp": CLIENT}, CLIENT),
        ({"appid": 5, "azp": CLIENT}, CLIENT),
        ({"appid": 5}, None),
        ({"azp": ""}, None),
        ({}, None),
    ],
    ids=value_id,
)
def test_the_client_application_is_carried(overrides: dict[str, Any], app_id: str | None) -> None:
    assert principal(**overrides).app_id == app_id


@pytest.mark.parametrize(("oid", "object_id"), [(OID, OID), ("", None), (5, None), (None, None)])
def test_the_object_id_is_carried(oid: Any, object_id: str | None) -> None:
    assert principal(oid=oid).object_id == object_id


def test_a_verified_token_gives_its_principal(
    verifier: TokenVerifier, key_pairs: dict[str, Any]
) -> None:
    found = verifier.verify(signed(key_pairs, at_now(oid=OID, appid=CLIENT, roles=["R"])))
    assert found == Principal(
        tenant_id=TENANT,
        kind=PrincipalKind.APP,
        object_id=OID,
        app_id=CLIENT,
        app_roles=frozenset({"R"}),
        expires_at=datetime.fromtimestamp(NOW + 3600, UTC),  # its `exp`
    )


# The Authorization header.


def test_the_scheme_is_case_insensitive(verifier: TokenVerifier, key_pairs: dict[str, Any]) -> None:
    token = signed(key_pairs, at_now())
    assert verifier.principal_from_header(f"bearer {token}").tenant_id == TENANT
    assert verifier.cached_principal(f"BEARER {token}") is not None


@pytest.mark.parametrize("authorization", [None, "", "Bearer", "Bearer   ", "Basic abc"])
def test_no_cached_principal_without_a_bearer_token(
    verifier: TokenVerifier, authorization: str | None
) -> None:
    assert verifier.cached_principal(authorization) is None


# The cache of verified tokens.


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each signature the verifier checks, by token."""
    checked: list[str] = []
    decode = jwt.decode

    def counting(token: str, *args: Any, **kwargs: Any) -> Any:
        checked.append(token)
        return decode(token, *args, **kwargs)

    monkeypatch.setattr(jwt, "decode", counting)
    return checked


def tokens(key_pairs: dict[str, Any], count: int) -> list[str]:
    return [signed(key_pairs, at_now(uti=f"token-{n}")) for n in range(count)]


def cached(verifier: TokenVerifier, token_list: list[str]) -> list[int]:
    """The positions of the tokens that the cache holds."""
    return [n for n, token in enumerate(token_list) if verifier.cached_principal(f"Bearer {token}")]


def test_a_token_is_verified_once_then_served_from_the_cache(
    verifier: TokenVerifier, key_pairs: dict[str, Any], decodes: list[str]
) -> None:
    token = signed(key_pairs, at_now())
    first = verifier.verify(token)
    assert verifier.verify(token) is first
    assert verifier.principal_from_header(f"Bearer {token}") is first
    assert decodes == [token]


def test_a_full_cache_forgets_the_least_recently_used_token(
    keys: dict[str, jwt.PyJWK], key_pairs: dict[str, Any]
) -> None:
    verifier = make_verifier(source(keys), cache_size=2)
    first, second, third = tokens(key_pairs, 3)
    verifier.verify(first)
    verifier.verify(second)
    verifier.verify(first)  # used again: now the second is the oldest
    verifier.verify(third)
    assert cached(verifier, [first, second, third]) == [0, 2]


def test_the_cache_never_holds_more_than_its_size(
    keys: dict[str, jwt.PyJWK], key_pairs: dict[str, Any], decodes: list[str]
) -> None:
    verifier = make_verifier(source(keys), cache_size=3)
    many = tokens(key_pairs, 6)
    for token in many:
        verifier.verify(token)
    assert cached(verifier, many) == [3, 4, 5]
    verifier.verify(many[0])  # forgotten: verified again
    assert decodes.count(many[0]) == 2


def test_a_cache_of_one_holds_one(keys: dict[str, jwt.PyJWK], key_pairs: dict[str, Any]) -> None:
    verifier = make_verifier(source(keys), cache_size=1)
    first, second = tokens(key_pairs, 2)
    verifier.verify(first)
    assert cached(verifier, [first]) == [0]
    verifier.verify(second)
    assert cached(verifier, [first, second]) == [1]


def test_a_cached_token_expires_with_the_clock_skew(
    verifier: TokenVerifier, key_pairs: dict[str, Any], clock: Clock, decodes: list[str]
) -> None:
    token = signed(key_pairs, at_now(exp=NOW + 60))
    verifier.verify(token)
    clock.now = NOW + 60 + SKEW - 1
    assert verifier.cached_principal(f"Bearer {token}") is not None
    clock.now += 1
    with pytest.raises(Unauthenticated, match=EXPIRED):
        verifier.cached_principal(f"Bearer {token}")
    assert verifier.cached_principal(f"Bearer {token}") is None  # forgotten, not kept
    refused(verifier, token, EXPIRED)
    assert decodes == [token, token]
