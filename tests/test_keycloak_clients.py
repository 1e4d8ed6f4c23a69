"""Keycloak's CLIENT_LOGIN and CLIENT_LOGIN_ERROR (the client credentials grant) as service
principals' sign-ins: the service principal's id made from the realm and the client, its name,
failures, and events that are malformed or name no client."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from idprotect.domain.kinds import SERVICE_PRINCIPAL
from idprotect.domain.signins import SignIn, SignInEventType
from idprotect.keycloak import SERVICE_PRINCIPALS, KeycloakEventError, NotASignIn, sign_in_event
from tests.test_keycloak import AT, REALM, TIME_MS

SERVICE_ACCOUNT = "5a1f3c7e-2b4d-4e6f-8a9c-0b1d2e3f4a5b"
PAYROLL = str(uuid.uuid5(SERVICE_PRINCIPALS, f"{REALM}\x00payroll-sync"))


def client_login(**overrides: Any) -> dict[str, Any]:
    """A CLIENT_LOGIN as GET /admin/realms/corp/events returns it (Keycloak 24): the client's
    service account is its userId."""
    event: dict[str, Any] = {
        "id": "7e1d2c3b-4a5f-4e6d-9c8b-7a6f5e4d3c2b",
        "time": TIME_MS,
        "type": "CLIENT_LOGIN",
        "realmId": REALM,
        "clientId": "payroll-sync",
        "userId": SERVICE_ACCOUNT,
        "ipAddress": "10.20.30.40",
        "details": {
            "grant_type": "client_credentials",
            "scope": "profile email",
            "token_id": "onrtcc:0d6c2a3b-1f4e-4d5c-8b7a-6e5f4d3c2b1a",
            "client_auth_method": "client-secret",
            "username": "service-account-payroll-sync",
        },
    }
    return event | overrides


def client_login_error(error: str, **overrides: Any) -> dict[str, Any]:
    """A CLIENT_LOGIN_ERROR: a wrong secret names no service account."""
    details = {"grant_type": "client_credentials", "client_auth_method": "client-secret"}
    return (
        client_login(id=None, type="CLIENT_LOGIN_ERROR", userId=None, error=error, details=details)
        | overrides
    )


def converted(event: dict[str, Any]) -> SignIn:
    found = sign_in_event(event)
    assert not isinstance(found, NotASignIn)
    return found.to_domain()


def test_a_client_login_is_its_service_principals_successful_sign_in() -> None:
    found = converted(client_login())

    assert found.kind is SERVICE_PRINCIPAL
    assert (found.user_id, found.service_principal_id) == ("", PAYROLL)
    assert found.service_principal_name == "payroll-sync"
    assert (found.app_id, found.app_display_name) == ("payroll-sync", "payroll-sync")
    assert found.event_type is SignInEventType.SERVICE_PRINCIPAL
    assert (found.id, found.created_at, found.ip_address) == (
        "7e1d2c3b-4a5f-4e6d-9c8b-7a6f5e4d3c2b",
        AT,
        "10.20.30.40",
    )
    assert (found.succeeded, found.is_interactive) == (True, False)
    assert found.user_principal_name is None  # the service account is not a user


def test_a_client_login_error_is_a_failure_of_the_same_service_principal() -> None:
    found = converted(client_login_error("invalid_client_credentials"))

    assert found.service_principal_id == PAYROLL
    assert found.error_code == 7000215
    assert found.failure_reason == (
        "Invalid client secret provided. (Keycloak: invalid_client_credentials)"
    )


def test_a_client_has_one_service_principal_per_realm() -> None:
    other_realm = converted(client_login(realmId="0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"))
    other_client = converted(client_login(clientId="billing-export"))

    assert other_realm.service_principal_id != PAYROLL
    assert other_client.service_principal_id != PAYROLL
    assert converted(client_login(id="again")).service_principal_id == PAYROLL


def test_a_client_login_error_of_no_client_is_no_sign_in() -> None:
    assert sign_in_event(client_login_error("client_not_found", clientId=None)) == NotASignIn(
        "CLIENT_LOGIN_ERROR of no client"
    )


@pytest.mark.parametrize("client", [None, ""])
def test_a_client_login_must_name_its_client(client: str | None) -> None:
    with pytest.raises(KeycloakEventError, match=r"must name its client \(clientId\)"):
        sign_in_event(client_login(clientId=client))
