"""The authorization-code flow with PKCE: the sign-in page, codes, tokens and Entra's errors."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest
from starlette.testclient import TestClient

from idprotect.auth.roles import SECURITY_ADMINISTRATOR
from idprotect.issuer.code_flow import challenge_of
from idprotect.issuer.sign_in import CONSOLE_CLIENT_ID
from tests.issuer.conftest import ADMIN, CLIENT_ID, PASSWORD, READER, REDIRECT, TENANT

AUTHORIZE = f"/{TENANT}/oauth2/v2.0/authorize"
TOKEN = f"/{TENANT}/oauth2/v2.0/token"
VERIFIER = "v" * 43 + "-verifier"
SCOPE = "https://graph.microsoft.com/IdentityRiskyUser.ReadWrite.All openid profile"
USERS = "/v1.0/identityProtection/riskyUsers"


def asked(**overrides: str) -> dict[str, str]:
    return {
        "client_id": CLIENT_ID, "response_type": "code", "redirect_uri": REDIRECT,
        "scope": SCOPE, "state": "s1", "nonce": "n1", "code_challenge": challenge_of(VERIFIER),
        "code_challenge_method": "S256", **overrides,
    }  # fmt: skip


def sign_in(client: TestClient, user: str = ADMIN, password: str = PASSWORD, **over: str) -> Any:
    page = client.get(AUTHORIZE, params=asked(**over))
    assert page.status_code == 200, page.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None
    form = {**asked(**over), "csrf": csrf.group(1), "username": user, "password": password}
    return client.post(AUTHORIZE, data=form, follow_redirects=False)


def code_of(response: Any) -> str:
    assert response.status_code == 302, response.text
    query = parse_qs(urlsplit(response.headers["location"]).query)
    assert query["state"] == ["s1"]
    return query["code"][0]


def redeem(client: TestClient, code: str, /, **overrides: str) -> Any:
    form = {"grant_type": "authorization_code", "client_id": CLIENT_ID, "code": code,
        "redirect_uri": REDIRECT, "code_verifier": VERIFIER, **overrides}  # fmt: skip
    return client.post(TOKEN, data=form)


def entra_error(response: Any, status: int, error: str, code: int) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert (body["error"], body["error_codes"]) == (error, [code])
    assert body["error_description"].startswith(f"AADSTS{code}: ")


def test_a_signed_in_administrator_gets_a_delegated_token_that_acts(signed: TestClient) -> None:
    response = redeem(signed, code_of(sign_in(signed)))
    assert response.status_code == 200, response.text
    tokens = response.json()
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    assert (claims["tid"], claims["appid"], claims["idtyp"]) == (TENANT, CLIENT_ID, "user")
    assert claims["scp"] == "IdentityRiskyUser.ReadWrite.All"
    assert claims["wids"] == [SECURITY_ADMINISTRATOR]
    identity = jwt.decode(tokens["id_token"], options={"verify_signature": False})
    assert (identity["aud"], identity["nonce"], identity["preferred_username"]) == (
        CLIENT_ID, "n1", ADMIN,
    )  # fmt: skip
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    acted = signed.post(f"{USERS}/dismiss", json={"userIds": []}, headers=headers)
    assert acted.status_code in (204, 400), acted.text  # authorized: not 401/403
    assert signed.get(USERS, headers=headers).status_code == 200


def test_a_reader_reads_and_cannot_act(signed: TestClient) -> None:
    token = redeem(signed, code_of(sign_in(signed, READER))).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert signed.get(USERS, headers=headers).status_code == 200
    refused = signed.post(f"{USERS}/dismiss", json={"userIds": ["x"]}, headers=headers)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "Forbidden"


@pytest.mark.parametrize(
    ("user", "password"), [(ADMIN, "wrong password"), ("nobody@contoso.com", PASSWORD)]
)
def test_a_wrong_password_or_unknown_user_stays_on_the_page(
    signed: TestClient, user: str, password: str
) -> None:
    response = sign_in(signed, user, password)
    assert response.status_code == 400
    assert "AADSTS50126" in response.text
    assert "location" not in response.headers


def test_the_form_without_its_cookie_is_refused(signed: TestClient) -> None:
    form = {**asked(), "csrf": "forged", "username": ADMIN, "password": PASSWORD}
    response = signed.post(AUTHORIZE, data=form, follow_redirects=False)
    assert response.status_code == 400
    assert "location" not in response.headers


def test_the_page_has_a_strict_policy(signed: TestClient) -> None:
    page = signed.get(AUTHORIZE, params=asked())
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "script-src" not in policy
    assert "form-action 'self' http://localhost:8400" in policy
    assert "samesite=strict" in page.headers["set-cookie"].lower()


def test_a_code_is_single_use(signed: TestClient) -> None:
    code = code_of(sign_in(signed))
    assert redeem(signed, code).status_code == 200
    entra_error(redeem(signed, code), 400, "invalid_grant", 54005)


def test_a_code_expires(signed: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import timedelta

    from idprotect.issuer import endpoints

    code = code_of(sign_in(signed))
    later = endpoints.utc_now() + timedelta(minutes=11)
    monkeypatch.setattr(endpoints, "utc_now", lambda: later)
    entra_error(redeem(signed, code), 400, "invalid_grant", 70008)


@pytest.mark.parametrize(
    ("overrides", "error", "code"),
    [
        ({"code_verifier": "w" * 43}, "invalid_grant", 501481),
        ({"redirect_uri": "http://localhost:8400/other"}, "invalid_grant", 500112),
        ({"code": "not-a-code"}, "invalid_grant", 9002313),
        ({"code_verifier": ""}, "invalid_request", 900144),
        ({"client_id": "00000000-0000-4000-8000-000000000000"}, "invalid_grant", 70000),
    ],
)
def test_the_token_request_is_refused_as_entra_refuses_it(
    signed: TestClient, overrides: dict[str, str], error: str, code: int
) -> None:
    entra_error(redeem(signed, code_of(sign_in(signed)), **overrides), 400, error, code)


@pytest.mark.parametrize(
    ("overrides", "error", "code"),
    [
        ({"client_id": "00000000-0000-4000-8000-000000000000"}, "unauthorized_client", 700016),
        ({"redirect_uri": "https://evil.example/callback"}, "invalid_request", 50011),
        ({"client_id": ""}, "invalid_request", 900144),
    ],
)
def test_an_unknown_client_or_redirect_is_answered_here_never_redirected(
    signed: TestClient, overrides: dict[str, str], error: str, code: int
) -> None:
    response = signed.get(AUTHORIZE, params=asked(**overrides), follow_redirects=False)
    entra_error(response, 400, error, code)


@pytest.mark.parametrize(
    ("overrides", "error", "code"),
    [
        ({"code_challenge": ""}, "invalid_request", 9002325),
        ({"code_challenge_method": "plain"}, "invalid_request", 501491),
        ({"code_challenge": "short"}, "invalid_request", 501491),
        ({"response_type": "token"}, "unsupported_response_type", 700054),
        ({"scope": "https://graph.microsoft.com/User.Read"}, "invalid_scope", 70011),
        ({"scope": "IdentityProtection.Admin"}, "invalid_scope", 70011),
    ],
)
def test_a_bad_request_goes_back_to_the_client_with_entras_error(
    signed: TestClient, overrides: dict[str, str], error: str, code: int
) -> None:
    response = signed.get(AUTHORIZE, params=asked(**overrides), follow_redirects=False)
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith(REDIRECT + "?")
    query = parse_qs(urlsplit(location).query)
    assert (query["error"], query["state"]) == ([error], ["s1"])
    assert query["error_description"][0].startswith(f"AADSTS{code}: ")


def test_a_loopback_redirect_matches_on_any_port(signed: TestClient) -> None:
    response = sign_in(signed, redirect_uri="http://localhost:53117")
    assert urlsplit(response.headers["location"]).port == 53117


def test_the_console_is_a_client_of_every_tenant(signed: TestClient) -> None:
    redirect = "http://testserver/console/"
    page = signed.get(
        "/organizations/oauth2/v2.0/authorize",
        params=asked(client_id=CONSOLE_CLIENT_ID, redirect_uri=redirect),
    )
    assert page.status_code == 200
    assert 'name="password"' in page.text


def test_discovery_names_the_authorize_endpoint(signed: TestClient) -> None:
    document = signed.get(f"/{TENANT}/v2.0/.well-known/openid-configuration").json()
    assert document["authorization_endpoint"].endswith(AUTHORIZE)
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert "authorization_code" in document["grant_types_supported"]


def test_msal_public_client_signs_in_with_the_code_flow(signed: TestClient) -> None:
    import msal

    signed.base_url = httpx.URL("https://testserver")  # MSAL takes https authorities only
    app = msal.PublicClientApplication(
        CLIENT_ID, authority=f"https://testserver/{TENANT}", http_client=signed,
        instance_discovery=False,
    )  # fmt: skip
    flow = app.initiate_auth_code_flow(
        ["https://graph.microsoft.com/IdentityRiskyUser.Read.All"], redirect_uri=REDIRECT,
        response_mode="form_post",  # as MSAL's own interactive flow and azure-identity's ask
    )  # fmt: skip
    page = signed.get(flow["auth_uri"])
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None
    form = dict(parse_qs(urlsplit(flow["auth_uri"]).query))
    fields = {name: values[0] for name, values in form.items()}
    fields |= {"csrf": csrf.group(1), "username": ADMIN, "password": PASSWORD}
    back = signed.post(urlsplit(flow["auth_uri"]).path, data=fields, follow_redirects=False)
    assert f'action="{REDIRECT}"' in back.text
    answer = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', back.text))
    result = app.acquire_token_by_auth_code_flow(flow, answer)
    assert "access_token" in result, result
    assert result["id_token_claims"]["preferred_username"] == ADMIN
    assert app.get_accounts()[0]["username"] == ADMIN
    headers = {"Authorization": f"Bearer {result['access_token']}"}
    assert signed.get(USERS, headers=headers).status_code == 200
