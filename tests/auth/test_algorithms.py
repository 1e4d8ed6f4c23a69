"""Every header algorithm against every key type of every kind of trusted source, through the
API and inside $batch: a 401 in Graph's shape each time, never a 500. The key sets also hold
entries no token can be verified with; they are skipped and the rest of each set still works.

Runs on one service per database (module_database): verifying a token writes nothing until it
is accepted, and then only the token's tenant.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from idprotect.issuer.service import signing_key
from idprotect.store.engine import Database
from tests.auth.issuers import (
    KEY_ALGORITHMS,
    KIDLESS_ENTRIES,
    TestIssuer,
    claims,
    forged,
    public_jwk,
    sign,
    unusable_entries,
)
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
from tests.auth.tokens import TENANT_A, unauthenticated
from tests.conftest import FakeClock, make_client

LIST = "/v1.0/identityProtection/riskyUsers"
SOURCES = ("jwks-url", "jwks-file", "discovery")
# (source, key type): the built-in issuer signs with RSA keys only.
KEYS = [("built-in", "RSA"), *((source, t) for source in SOURCES for t in KEY_ALGORITHMS)]
SIGNED = [(source, t, alg) for source, t in KEYS for alg in KEY_ALGORITHMS[t]]


@dataclass(frozen=True)
class Trusted:
    """The module's service, and the kid and private key of each key it trusts."""

    client: TestClient
    keys: dict[tuple[str, str], tuple[str, Any]]
    discovered_issuer: str
    unusable_kids: tuple[str, ...]


@pytest.fixture(scope="module")
def trusted(
    module_database: Database,
    key_pairs: dict[str, Any],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Trusted]:
    unusable = unusable_entries(key_pairs["RSA"])
    extra = [*unusable.values(), *KIDLESS_ENTRIES]
    keys: dict[tuple[str, str], tuple[str, Any]] = {}
    with TestIssuer() as by_url, TestIssuer() as by_discovery:
        file_keys = []
        for key_type, private in key_pairs.items():
            alg = KEY_ALGORITHMS[key_type][0]
            for source, issuer in (("jwks-url", by_url), ("discovery", by_discovery)):
                issuer.add_key(f"{source}-{key_type}", private, alg)
            file_keys.append(public_jwk(private, f"jwks-file-{key_type}", alg))
            for source in SOURCES:
                keys[source, key_type] = (f"{source}-{key_type}", private)
        by_url.extra_entries = by_discovery.extra_entries = extra
        path: Path = tmp_path_factory.mktemp("jwks") / "jwks.json"
        path.write_text(json.dumps({"keys": [*file_keys, *extra]}))
        builtin = signing_key(module_database, datetime.now(UTC))
        keys["built-in", "RSA"] = (builtin.kid, builtin.private_pem)
        client = make_client(
            module_database,
            FakeClock(),
            auth="on",
            trusted_jwks_urls=(by_url.jwks_url,),
            trusted_jwks_files=(str(path),),
            trusted_discovery_urls=(by_discovery.discovery_url,),
            key_refresh_seconds=0.0,
        )
        yield Trusted(client, keys, by_discovery.issuer, tuple(unusable))


def get(client: TestClient, token: str) -> Any:
    return client.get(LIST, headers={"Authorization": f"Bearer {token}"})


def batch(client: TestClient, root: str, token: str) -> Any:
    requests = [{"id": "1", "method": "GET", "url": "/identityProtection/riskyUsers"}]
    headers = {"Authorization": f"Bearer {token}"}
    return client.post(f"{root}/$batch", json={"requests": requests}, headers=headers)


@pytest.mark.parametrize(("source", "key_type"), KEYS)
@pytest.mark.parametrize("alg", HEADER_ALGORITHMS, ids=value_id)
def test_every_header_algorithm_against_every_trusted_key(
    trusted: Trusted, source: str, key_type: str, alg: Any
) -> None:
    kid, _ = trusted.keys[source, key_type]
    response = get(trusted.client, forged(header(alg, kid), claims(TENANT_A)))
    unauthenticated(response, refusal(alg, key_type, kid))


@pytest.mark.parametrize(("source", "key_type", "alg"), SIGNED)
def test_every_trusted_key_verifies_the_algorithms_of_its_type(
    trusted: Trusted, source: str, key_type: str, alg: str
) -> None:
    kid, private = trusted.keys[source, key_type]
    issued = {"iss": trusted.discovered_issuer} if source == "discovery" else {}
    token = sign(private, kid, claims(TENANT_A, **issued), alg)
    assert get(trusted.client, token).status_code == 200


@pytest.mark.parametrize("kid", [*NOT_STRING_KIDS, MISSING], ids=value_id)
@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_a_kid_that_is_not_a_string(trusted: Trusted, kid: Any, alg: str) -> None:
    response = get(trusted.client, forged(header(alg, kid), claims(TENANT_A)))
    unauthenticated(response, kid_refusal(kid))


def test_a_lone_surrogate_in_the_header_is_quoted_as_its_escape(trusted: Trusted) -> None:
    """JSON text may carry one as an escape; the error body is UTF-8 and cannot."""
    response = get(trusted.client, forged(header("RS256\ud800", "k"), claims(TENANT_A)))
    unauthenticated(response, f"{FAILURE}: the signing algorithm 'RS256\\ud800' is not allowed.")
    # A surrogate pair is one character (here U+10FFFF); only the lone one is escaped.
    response = get(trusted.client, forged(header("ES256", "\udbff\udfff\ud800"), claims(TENANT_A)))
    kid = "\U0010ffff\\ud800"
    unauthenticated(response, f"{FAILURE}: no trusted signing key has the kid '{kid}'.")


def test_no_unusable_key_set_entry_is_trusted(trusted: Trusted, key_pairs: dict[str, Any]) -> None:
    """Each is skipped, whatever the kind of source; a token naming one finds no key."""
    for kid in trusted.unusable_kids:
        for alg in ("RS256", "ES256"):
            token = sign(
                key_pairs["RSA" if alg == "RS256" else "P-256"], kid, claims(TENANT_A), alg
            )
            message = f"{FAILURE}: no trusted signing key has the kid '{kid}'."
            unauthenticated(get(trusted.client, token), message)


@pytest.mark.parametrize("alg", HEADER_ALGORITHMS, ids=value_id)
def test_every_header_algorithm_on_the_built_in_key_inside_a_batch(
    trusted: Trusted, alg: Any
) -> None:
    kid, _ = trusted.keys["built-in", "RSA"]
    response = batch(trusted.client, "/v1.0", forged(header(alg, kid), claims(TENANT_A)))
    unauthenticated(response, refusal(alg, "RSA", kid))


@pytest.mark.parametrize(("source", "key_type"), KEYS)
@pytest.mark.parametrize("alg", ["RS256", "PS384", "ES256", "ES384", "ES512"])
def test_an_algorithm_of_another_key_type_inside_a_batch(
    trusted: Trusted, source: str, key_type: str, alg: str
) -> None:
    kid, _ = trusted.keys[source, key_type]
    response = batch(trusted.client, "/v1.0", forged(header(alg, kid), claims(TENANT_A)))
    unauthenticated(response, refusal(alg, key_type, kid))


@pytest.mark.parametrize("alg", ["ES256", "ES384", "ES512"])
def test_an_ec_algorithm_on_the_built_in_key_inside_a_beta_batch(
    trusted: Trusted, alg: str
) -> None:
    kid, _ = trusted.keys["built-in", "RSA"]
    response = batch(trusted.client, "/beta", forged(header(alg, kid), claims(TENANT_A)))
    unauthenticated(response, refusal(alg, "RSA", kid))
