"""Certificate credentials: the token endpoint takes client assertions (RFC 7523) as Entra does."""

from __future__ import annotations

import base64
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from starlette.testclient import TestClient
from typer.testing import CliRunner

from idprotect.cli import app as cli
from idprotect.issuer.client_assertion import JWT_BEARER, new_certificate
from idprotect.issuer.service import register_app, register_certificate_app
from idprotect.store.engine import Database
from tests.auth.issuers import forged
from tests.auth.jose import value_id
from tests.auth.test_issuer import GRAPH_DEFAULT, TOKEN, entra_error
from tests.auth.tokens import TENANT_A, WRITE

ENDPOINT = f"http://testserver{TOKEN}"
KEY, CERTIFICATE = new_certificate("SOAR", datetime.now(UTC))
OTHER_KEY, OTHER_CERTIFICATE = new_certificate("someone else", datetime.now(UTC))
COMMON = "https://login.microsoftonline.com/common/oauth2/v2.0/token"


def _thumbprint(algorithm: hashes.HashAlgorithm, certificate: str = CERTIFICATE) -> str:
    digest = x509.load_pem_x509_certificate(certificate.encode()).fingerprint(algorithm)
    return base64.urlsafe_b64encode(digest).decode()  # padded, as azure-identity sends it


def assertion(client_id: str, *, key: str = KEY, alg: str = "PS256", **overrides: Any) -> str:
    now = int(time.time())
    claims = {"aud": ENDPOINT, "iss": client_id, "sub": client_id, "jti": str(uuid.uuid4()),
              "nbf": now, "exp": now + 600}  # fmt: skip
    claims.update(overrides.pop("claims", {}))
    header = overrides.pop("header", None) or (
        {"x5t#S256": _thumbprint(hashes.SHA256())}
        if alg == "PS256"
        else {"x5t": _thumbprint(hashes.SHA1())}
    )
    claims = {name: value for name, value in claims.items() if value is not None}
    return jwt.encode(claims, key, algorithm=alg, headers=header)


def grant(client: TestClient, client_id: str, signed: str, **form: str) -> Any:
    return client.post(
        TOKEN,
        data={"grant_type": "client_credentials", "scope": GRAPH_DEFAULT, "client_id": client_id,
              "client_assertion_type": JWT_BEARER, "client_assertion": signed, **form},
    )  # fmt: skip


@pytest.fixture
def client_id(secure: TestClient) -> str:
    database: Database = secure.app.state.database  # type: ignore[attr-defined]
    registered = register_certificate_app(
        database, tenant_id=TENANT_A, display_name="SOAR", roles=frozenset({WRITE}),
        certificate_pem=KEY + CERTIFICATE,  # the key beside it is not kept
    )  # fmt: skip
    assert registered.certificate_pem is not None
    assert "PRIVATE KEY" not in registered.certificate_pem
    return registered.client_id


@pytest.mark.parametrize("alg", ["PS256", "RS256"])
def test_an_assertion_signed_by_the_registered_certificate_gets_a_token(
    secure: TestClient, client_id: str, alg: str
) -> None:
    response = grant(secure, client_id, assertion(client_id, alg=alg))

    assert response.status_code == 200, response.text
    claims = jwt.decode(response.json()["access_token"], options={"verify_signature": False})
    assert (claims["appid"], claims["roles"]) == (client_id, [WRITE])


def test_the_same_assertion_twice_is_accepted_as_msal_reuses_it(
    secure: TestClient, client_id: str
) -> None:
    signed = assertion(client_id)

    assert grant(secure, client_id, signed).status_code == 200
    assert grant(secure, client_id, signed).status_code == 200


def test_the_v1_token_endpoint_is_an_audience_too(secure: TestClient, client_id: str) -> None:
    v1 = f"http://testserver/{TENANT_A}/oauth2/token"
    response = grant(secure, client_id, assertion(client_id, claims={"aud": v1}))

    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"header": {"x5t#S256": _thumbprint(hashes.SHA256(), OTHER_CERTIFICATE)}}, 700027),
        ({"key": OTHER_KEY}, 700027),
        ({"header": {"kid": "no thumbprint"}}, 700027),
        ({"claims": {"exp": int(time.time()) - 3600}}, 700024),
        ({"claims": {"nbf": int(time.time()) + 3600}}, 700024),
        ({"claims": {"aud": COMMON}}, 700023),
        ({"claims": {"iss": "someone-else"}}, 700021),
        ({"claims": {"sub": "someone-else"}}, 700021),
        ({"claims": {"jti": None}}, 50027),
        ({"claims": {"exp": None}}, 50027),
        ({"alg": "HS256", "key": "a shared secret of at least 32 bytes!!"}, 50027),
    ],
    ids=["other-certificate", "other-key", "no-thumbprint", "expired", "not-yet-valid",
         "other-audience", "other-issuer", "other-subject", "no-jti", "no-exp", "hmac"],
)  # fmt: skip
def test_refused_assertions_name_the_reason_as_entra_does(
    secure: TestClient, client_id: str, change: dict[str, Any], code: int
) -> None:
    overrides = dict(change)
    if overrides.get("alg") == "HS256":
        overrides["header"] = {"x5t#S256": _thumbprint(hashes.SHA256())}
    response = grant(secure, client_id, assertion(client_id, **overrides))

    entra_error(response, 401, "invalid_client", code)


def test_garbage_is_a_malformed_token(secure: TestClient, client_id: str) -> None:
    entra_error(grant(secure, client_id, "not.a.jwt"), 401, "invalid_client", 50027)


def test_a_certificate_app_has_no_secret(secure: TestClient, client_id: str) -> None:
    response = secure.post(
        TOKEN,
        data={"grant_type": "client_credentials", "scope": GRAPH_DEFAULT,
              "client_id": client_id, "client_secret": ""},
    )  # fmt: skip
    entra_error(response, 401, "invalid_client", 7000216)


def test_a_secret_app_has_no_certificate(secure: TestClient) -> None:
    database: Database = secure.app.state.database  # type: ignore[attr-defined]
    registered, _ = register_app(
        database, tenant_id=TENANT_A, display_name="SOAR", roles=frozenset({WRITE})
    )

    response = grant(secure, registered.client_id, assertion(registered.client_id))

    entra_error(response, 401, "invalid_client", 700027)


def test_another_assertion_type_is_no_credential(secure: TestClient, client_id: str) -> None:
    response = grant(
        secure, client_id, assertion(client_id), client_assertion_type="urn:example:saml"
    )
    entra_error(response, 401, "invalid_client", 7000216)


def test_discovery_offers_private_key_jwt(secure: TestClient) -> None:
    document = secure.get(f"/{TENANT_A}/v2.0/.well-known/openid-configuration").json()
    assert "private_key_jwt" in document["token_endpoint_auth_methods_supported"]


def test_cli_app_create_with_a_certificate(tmp_path: Path) -> None:
    url, pem = f"sqlite:///{tmp_path / 'x.db'}", tmp_path / "app.pem"
    pem.write_text(CERTIFICATE)

    result = CliRunner().invoke(
        cli, ["app", "create", "--db", url, "--name", "SOAR", "--certificate", str(pem)]
    )

    assert result.exit_code == 0, result.output
    lines = dict(line.split("=", 1) for line in result.output.splitlines() if "=" in line)
    assert set(lines) == {"client_id", "thumbprint"}
    sha1 = base64.urlsafe_b64decode(_thumbprint(hashes.SHA1())).hex().upper()
    assert lines["thumbprint"] == sha1


def test_cli_app_create_refuses_a_file_without_a_certificate(tmp_path: Path) -> None:
    pem = tmp_path / "key.pem"
    pem.write_text(KEY)

    result = CliRunner().invoke(
        cli, ["app", "create", "--db", f"sqlite:///{tmp_path / 'x.db'}", "--name", "SOAR",
              "--certificate", str(pem)],
    )  # fmt: skip

    assert result.exit_code == 2
    assert "no PEM certificate found" in " ".join(result.output.split())


def described(response: Any, code: int, description: str) -> None:
    entra_error(response, 401, "invalid_client", code)
    assert response.json()["error_description"].startswith(f"AADSTS{code}: {description} ")


@pytest.mark.parametrize(
    "header",
    [
        {"alg": "PS256", "kid": 5},  # the JOSE library refuses these before any key is looked up
        {"alg": "PS256", "kid": ["k"]},
        {"alg": "PS256", "crit": ["x5t"]},
        {"alg": "PS256", "crit": []},
        {"alg": "PS256", "crit": "b64"},
    ],
    ids=value_id,
)
def test_a_header_the_jose_library_refuses_is_a_malformed_token(
    secure: TestClient, client_id: str, header: dict[str, Any]
) -> None:
    header = {**header, "x5t#S256": _thumbprint(hashes.SHA256())}
    signed = forged(header, {"iss": client_id, "sub": client_id})
    described(grant(secure, client_id, signed), 50027, "Invalid JWT token. The token is malformed.")


def test_values_quoted_from_the_header_stay_valid_utf8(secure: TestClient, client_id: str) -> None:
    """JSON text may carry a lone surrogate as an escape; the UTF-8 answer shows the escape."""
    signed = forged({"alg": "PS256\ud800"}, {})
    message = "Invalid JWT token. Unsupported signing algorithm 'PS256\\ud800'."
    described(grant(secure, client_id, signed), 50027, message)
    response = grant(secure, client_id, forged({"alg": "PS256", "x5t#S256": "\udfff"}, {}))
    entra_error(response, 401, "invalid_client", 700027)
    assert "Thumbprint of key used by client: '\\udfff'" in response.json()["error_description"]


@pytest.mark.parametrize(
    "value",
    [str(int(time.time()) + 600), True, float("nan"), float("inf"), 10**400, [1]],
    ids=value_id,
)
@pytest.mark.parametrize("name", ["exp", "nbf", "iat"])
def test_a_lifetime_claim_must_be_a_json_number(
    secure: TestClient, client_id: str, name: str, value: Any
) -> None:
    """RFC 7519 NumericDate, as for access tokens: a numeric string or a boolean is refused."""
    signed = assertion(client_id, claims={name: value})
    message = f"Invalid JWT token. The '{name}' claim is not a NumericDate."
    described(grant(secure, client_id, signed), 50027, message)
