"""Keycloak's login events as sign-ins: LOGIN and LOGIN_ERROR as Keycloak writes them (its
admin events API and event listeners), each error's code, events that are no sign-ins, and
events that are malformed."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from idprotect.domain.signins import SignIn
from idprotect.keycloak import (
    ERROR_CODES,
    KeycloakEventError,
    NotASignIn,
    event_digest,
    is_keycloak_event,
    sign_in_event,
)

ALICE = "0f8fad5b-d9cb-469f-a165-70867728950e"
REALM = "9e2a5f3c-1d7b-4c8e-a6f0-3b5d7c9e1a2f"
SESSION = "6d3b2a1c-8e7f-4a9b-b0c1-d2e3f4a5b6c7"
# 2026-03-01T09:30:00.123Z, in milliseconds as Keycloak writes `time`.
TIME_MS = 1_772_357_400_123
AT = datetime(2026, 3, 1, 9, 30, 0, 123000, tzinfo=UTC)


def login(**overrides: Any) -> dict[str, Any]:
    """A LOGIN as GET /admin/realms/corp/events returns it (Keycloak 24)."""
    event: dict[str, Any] = {
        "id": "3c6f0a2e-5b1d-4e8f-9a7c-2d4b6e8f0a1c",
        "time": TIME_MS,
        "type": "LOGIN",
        "realmId": REALM,
        "clientId": "account-console",
        "userId": ALICE,
        "sessionId": SESSION,
        "ipAddress": "198.51.100.23",
        "details": {
            "auth_method": "openid-connect",
            "auth_type": "code",
            "redirect_uri": "https://sso.example.com/realms/corp/account/#/",
            "consent": "no_consent_required",
            "code_id": SESSION,
            "username": "alice",
        },
    }
    return event | overrides


def login_error(error: str, **overrides: Any) -> dict[str, Any]:
    """A LOGIN_ERROR: no session was made; the user is named when Keycloak found them."""
    details = {
        "auth_method": "openid-connect",
        "auth_type": "code",
        "redirect_uri": "https://sso.example.com/realms/corp/account/#/",
        "code_id": "a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d",
        "username": "alice",
    }
    return login(type="LOGIN_ERROR", sessionId=None, error=error, details=details) | overrides


def converted(event: dict[str, Any]) -> SignIn:
    found = sign_in_event(event)
    assert not isinstance(found, NotASignIn)
    return found.to_domain()


def test_a_login_is_a_successful_sign_in() -> None:
    assert converted(login()) == SignIn(
        id="3c6f0a2e-5b1d-4e8f-9a7c-2d4b6e8f0a1c",
        created_at=AT,
        user_id=ALICE,
        user_principal_name="alice",
        app_id="account-console",
        app_display_name="account-console",
        ip_address="198.51.100.23",
        correlation_id=SESSION,
        error_code=0,
    )


def test_user_ids_are_lower_case_as_graph_writes_them() -> None:
    assert converted(login(userId=ALICE.upper())).user_id == ALICE


@pytest.mark.parametrize(
    ("error", "code"),
    [
        ("invalid_user_credentials", 50126),
        ("user_not_found", 50034),
        ("user_disabled", 50057),
        ("user_temporarily_disabled", 50053),
        ("invalid_client_credentials", 7000215),
        ("client_not_found", 700016),
        ("client_disabled", 7000112),
        ("consent_denied", 65004),
        ("expired_code", 70008),
    ],
)
def test_a_login_error_is_a_failure_with_entras_code(error: str, code: int) -> None:
    sign_in = converted(login_error(error))

    assert (sign_in.error_code, sign_in.succeeded) == (code, False)
    assert sign_in.failure_reason == f"{ERROR_CODES[error][1]} (Keycloak: {error})"
    # No session was made: the authentication's code id correlates the attempt.
    assert sign_in.correlation_id == "a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d"


def test_every_error_of_the_table_is_tested() -> None:
    assert len(ERROR_CODES) == 9


@pytest.mark.parametrize("error", ["different_user_authenticated", "invalid_code", None])
def test_other_errors_are_entras_catch_all_failure(error: str | None) -> None:
    sign_in = converted(login_error("x") | {"error": error})

    assert sign_in.error_code == 50000
    assert sign_in.failure_reason == f"The sign-in failed. (Keycloak: {error or 'unknown_error'})"


def test_an_unknown_user_has_one_id_per_realm_and_username() -> None:
    attempt = login_error("user_not_found", userId=None)
    first = converted(attempt)
    again = converted(
        attempt | {"id": "other", "details": attempt["details"] | {"username": "ALICE"}}
    )
    other_realm = converted(attempt | {"realmId": "another-realm"})
    other_name = converted(attempt | {"details": attempt["details"] | {"username": "bob"}})

    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", first.user_id
    )
    assert again.user_id == first.user_id  # usernames are compared without regard to case
    assert len({first.user_id, other_realm.user_id, other_name.user_id}) == 3
    assert first.user_principal_name == "alice"


def test_an_error_of_no_user_is_no_sign_in() -> None:
    attempt = login_error("client_not_found", userId=None, details={"redirect_uri": "x"})

    assert sign_in_event(attempt) == NotASignIn("LOGIN_ERROR of no user")


@pytest.mark.parametrize(
    "kind",
    ["LOGOUT", "CODE_TO_TOKEN", "REFRESH_TOKEN", "REGISTER", "UPDATE_PASSWORD"],
)
def test_other_event_types_are_no_sign_ins(kind: str) -> None:
    assert sign_in_event(login(type=kind)) == NotASignIn(kind)


def test_an_admin_event_is_no_sign_in() -> None:
    admin = {
        "time": TIME_MS,
        "realmId": REALM,
        "authDetails": {"realmId": REALM, "clientId": "admin-cli", "userId": ALICE},
        "operationType": "UPDATE",
        "resourceType": "USER",
        "resourcePath": f"users/{ALICE}",
    }

    assert is_keycloak_event(admin)
    assert sign_in_event(admin) == NotASignIn("admin")


def test_an_event_without_an_id_gets_a_stable_digest() -> None:
    event = login()
    del event["id"]
    digest = converted(event).id

    assert digest == event_digest(event) == converted(dict(reversed(event.items()))).id
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert converted(event | {"time": TIME_MS + 1}).id != digest


def test_what_a_listener_adds_is_read() -> None:
    details = login()["details"] | {
        "user_agent": "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Firefox/128.0",
        "browser": "Firefox 128.0",
        "os": "Linux",
    }
    sign_in = converted(login(details=details))

    assert sign_in.user_agent == "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Firefox/128.0"
    assert (sign_in.browser, sign_in.operating_system) == ("Firefox 128.0", "Linux")


def test_newer_fields_are_ignored() -> None:
    assert converted(login(representation="{}", resourceType="USER")).id == login()["id"]


def test_a_login_may_have_no_details_nor_address() -> None:
    sign_in = converted(login(details=None, ipAddress=None, clientId=None))

    assert (sign_in.user_principal_name, sign_in.ip_address, sign_in.app_id) == (None, None, None)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"time": None}, "time"),
        ({"time": "1772357400123"}, "time"),
        ({"time": -1}, "time"),
        ({"type": None}, "type"),
        ({"userId": 42}, "userId"),
        ({"ipAddress": "x" * 65}, "ipAddress"),
    ],
)
def test_malformed_fields_are_refused(change: dict[str, Any], message: str) -> None:
    event = {k: v for k, v in (login() | change).items() if v is not None}

    with pytest.raises(ValidationError, match=message):
        sign_in_event(event)


def test_a_login_must_name_its_user() -> None:
    with pytest.raises(KeycloakEventError, match=r"LOGIN event must name its user \(userId\)"):
        sign_in_event(login(userId=None))


def test_details_read_are_strings() -> None:
    with pytest.raises(KeycloakEventError, match=r"details\.username must be a string"):
        sign_in_event(login(details={"username": ["alice"]}))


def test_graph_sign_ins_are_not_keycloak_events() -> None:
    graph = {"id": "1", "createdDateTime": "2026-03-01T09:30:00Z", "userId": ALICE}

    assert not is_keycloak_event(graph)
    assert is_keycloak_event(login())
