"""Token verification: each way a token can be wrong is a 401 in Graph's shape, one test each."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from starlette.testclient import TestClient

from idprotect.issuer.keys import SigningKey
from idprotect.store.engine import Database
from tests.auth.issuers import TestIssuer, claims, ec_key, public_jwk, rsa_key, sign_builtin
from tests.auth.jose import value_id
from tests.auth.tokens import FAILURE, TENANT_A, app_bearer, unauthenticated
from tests.conftest import FakeClock, make_client

LIST = "/v1.0/identityProtection/riskyUsers"


def refused(response: Any, message: str) -> None:
    assert response.status_code == 401, response.text
    error = response.json()["error"]
    assert error["code"] == "InvalidAuthenticationToken"
    assert message in error["message"]
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm=""')
    assert response.headers["request-id"]


def get(client: TestClient, token: str) -> Any:
    return client.get(LIST, headers={"Authorization": f"Bearer {token}"})


def _b64(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def test_missing_header(secure: TestClient) -> None:
    refused(secure.get(LIST), "Access token is empty.")


def test_empty_bearer(secure: TestClient) -> None:
    refused(secure.get(LIST, headers={"Authorization": "Bearer "}), "Access token is empty.")


def test_wrong_scheme(secure: TestClient) -> None:
    response = secure.get(LIST, headers={"Authorization": "Basic dXNlcjpwYXNz"})
    refused(response, "a Bearer token is required")


def test_malformed_token(secure: TestClient) -> None:
    refused(get(secure, "not-a-jwt"), "the token is not a well-formed JWT")


def test_alg_none(secure: TestClient, builtin_key: SigningKey) -> None:
    header = {"alg": "none", "typ": "JWT", "kid": builtin_key.kid}
    token = f"{_b64(header)}.{_b64(claims(TENANT_A))}."
    refused(get(secure, token), "the signing algorithm 'none' is not allowed")


def test_hs256_signed_with_the_public_key(secure: TestClient, builtin_key: SigningKey) -> None:
    public_pem = (
        serialization.load_pem_private_key(builtin_key.private_pem.encode(), password=None)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    # Built by hand: PyJWT itself refuses to use a PEM public key as an HMAC secret.
    header = {"alg": "HS256", "typ": "JWT", "kid": builtin_key.kid}
    signing_input = f"{_b64(header)}.{_b64(claims(TENANT_A))}"
    import hashlib
    import hmac

    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    token = f"{signing_input}.{base64.urlsafe_b64encode(signature).decode().rstrip('=')}"
    refused(get(secure, token), "the signing algorithm 'HS256' is not allowed")


def test_bad_signature(secure: TestClient, builtin_key: SigningKey) -> None:
    header, _, signature = sign_builtin(builtin_key, claims(TENANT_A)).split(".")
    tampered = f"{header}.{_b64(claims(TENANT_A, roles=['Everything']))}.{signature}"
    refused(get(secure, tampered), "the signature is invalid")


def test_signed_by_an_untrusted_key_with_a_known_kid(
    secure: TestClient, builtin_key: SigningKey
) -> None:
    forged = jwt.encode(
        claims(TENANT_A), rsa_key(), algorithm="RS256", headers={"kid": builtin_key.kid}
    )
    refused(get(secure, forged), "the signature is invalid")


def test_expired(secure: TestClient, builtin_key: SigningKey) -> None:
    past = int(time.time()) - 3600
    token = sign_builtin(builtin_key, claims(TENANT_A, iat=past - 3600, nbf=past - 3600, exp=past))
    refused(get(secure, token), "Lifetime validation failed, the token is expired.")


def test_expiry_within_the_clock_skew_is_accepted(
    secure: TestClient, builtin_key: SigningKey
) -> None:
    just_expired = int(time.time()) - 30
    token = sign_builtin(builtin_key, claims(TENANT_A, exp=just_expired, nbf=just_expired - 60))
    assert get(secure, token).status_code == 200


def test_not_yet_valid(secure: TestClient, builtin_key: SigningKey) -> None:
    future = int(time.time()) + 3600
    token = sign_builtin(builtin_key, claims(TENANT_A, nbf=future, exp=future + 3600))
    refused(get(secure, token), "Lifetime validation failed, the token is not yet valid.")


def test_wrong_audience(secure: TestClient, builtin_key: SigningKey) -> None:
    token = sign_builtin(builtin_key, claims(TENANT_A, aud="api://someone-else"))
    refused(get(secure, token), "Invalid audience")


def test_graph_resource_id_is_an_accepted_audience(
    secure: TestClient, builtin_key: SigningKey
) -> None:
    token = sign_builtin(builtin_key, claims(TENANT_A, aud="00000003-0000-0000-c000-000000000000"))
    assert get(secure, token).status_code == 200


@pytest.mark.parametrize(
    "iss",
    [
        "https://sts.windows.net/b0b0b0b0-0000-4000-8000-00000000000b/",  # another tenant's
        "https://evil.example/a0a0a0a0-0000-4000-8000-00000000000a/",
        "https://sts.windows.net/a0a0a0a0-0000-4000-8000-00000000000a",  # no trailing slash
    ],
)
def test_wrong_issuer(secure: TestClient, builtin_key: SigningKey, iss: str) -> None:
    refused(get(secure, sign_builtin(builtin_key, claims(TENANT_A, iss=iss))), "Invalid issuer")


def test_v2_entra_issuer_is_accepted(secure: TestClient, builtin_key: SigningKey) -> None:
    iss = f"https://login.microsoftonline.com/{TENANT_A}/v2.0"
    assert get(secure, sign_builtin(builtin_key, claims(TENANT_A, iss=iss))).status_code == 200


def test_missing_tenant(secure: TestClient, builtin_key: SigningKey) -> None:
    refused(get(secure, sign_builtin(builtin_key, claims(TENANT_A, tid=None))), "'tid'")


def test_missing_expiry(secure: TestClient, builtin_key: SigningKey) -> None:
    refused(get(secure, sign_builtin(builtin_key, claims(TENANT_A, exp=None))), "'exp'")


def test_unknown_kid(secure: TestClient, test_issuer: TestIssuer) -> None:
    token = jwt.encode(claims(TENANT_A), rsa_key(), algorithm="RS256", headers={"kid": "nobody"})
    refused(get(secure, token), "no trusted signing key has the kid 'nobody'")


def test_unknown_kid_refreshes_the_issuers_keys(
    secure: TestClient, test_issuer: TestIssuer
) -> None:
    """Key rotation at the issuer: a token with a new kid makes the service reload the JWKS."""
    assert get(secure, test_issuer.token(claims(TENANT_A))).status_code == 200
    requests_before = test_issuer.jwks_requests
    test_issuer.add_key("test-key-2", rsa_key())

    assert get(secure, test_issuer.token(claims(TENANT_A), kid="test-key-2")).status_code == 200
    assert test_issuer.jwks_requests > requests_before


def test_discovered_issuer_tokens_carry_that_issuer(
    secure: TestClient, test_issuer: TestIssuer
) -> None:
    token = test_issuer.token(claims(TENANT_A, iss=test_issuer.issuer))
    assert get(secure, token).status_code == 200


def test_es256_tokens_of_a_trusted_issuer_are_accepted(
    secure: TestClient, test_issuer: TestIssuer
) -> None:
    test_issuer.add_key("ec-key", ec_key(), alg="ES256")
    assert get(secure, test_issuer.token(claims(TENANT_A), kid="ec-key")).status_code == 200


def test_a_verified_token_is_served_from_the_cache(secure: TestClient) -> None:
    headers = app_bearer(secure, TENANT_A, "IdentityRiskyUser.Read.All")
    assert secure.get(LIST, headers=headers).status_code == 200
    assert secure.get(LIST, headers=headers).status_code == 200


def test_tokens_signed_by_a_trusted_jwks_file_are_accepted(
    sqlite_database: Database, clock: FakeClock, tmp_path: Path
) -> None:
    private = rsa_key()
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [public_jwk(private, "file-key")]}))
    client = make_client(sqlite_database, clock, auth="on", trusted_jwks_files=(str(path),))
    token = jwt.encode(claims(TENANT_A), private, algorithm="RS256", headers={"kid": "file-key"})
    assert get(client, token).status_code == 200


@pytest.mark.parametrize(
    "value",
    [str(int(time.time()) + 3600), True, float("nan"), float("inf"), 10**400, -1],
    ids=value_id,
)
@pytest.mark.parametrize("name", ["exp", "nbf", "iat"])
def test_a_lifetime_claim_must_be_a_json_number(
    secure: TestClient, builtin_key: SigningKey, name: str, value: Any
) -> None:
    """RFC 7519 NumericDate: a numeric string, a boolean, NaN or a number no date can hold is
    refused, however well the token is signed."""
    token = sign_builtin(builtin_key, claims(TENANT_A, **{name: value}))
    unauthenticated(get(secure, token), f"{FAILURE}: the '{name}' claim is not a NumericDate.")


def test_a_token_issued_in_the_future_is_accepted(
    secure: TestClient, builtin_key: SigningKey
) -> None:
    """`iat` is not held against the clock, as Entra's own validation does not."""
    later = int(time.time()) + 3600
    token = sign_builtin(builtin_key, claims(TENANT_A, iat=later, exp=later + 3600))
    assert get(secure, token).status_code == 200


@pytest.mark.parametrize("tid", [5, [TENANT_A], "", "t" * 65, "a\x00b", "\ud800"], ids=value_id)
def test_a_tid_that_is_not_a_tenant_id(
    secure: TestClient, builtin_key: SigningKey, tid: Any
) -> None:
    token = sign_builtin(builtin_key, claims(TENANT_A, tid=tid))
    unauthenticated(get(secure, token), f"{FAILURE}: the 'tid' (tenant) claim is not a tenant id.")


def test_the_longest_tenant_id_is_kept(secure: TestClient, builtin_key: SigningKey) -> None:
    tid = "t" * 64
    token = sign_builtin(builtin_key, claims(tid, iss=f"https://sts.windows.net/{tid}/"))
    assert get(secure, token).status_code == 200
