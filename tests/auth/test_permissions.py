"""Authorization: Graph permissions for app-only tokens, scopes and directory roles for users."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from idprotect.issuer.keys import SigningKey
from tests.auth.issuers import claims, sign_builtin
from tests.auth.jose import value_id
from tests.auth.tokens import (
    ADMIN_ROLE,
    EVENTS,
    FAILURE,
    READ,
    TENANT_A,
    TENANT_B,
    WRITE,
    app_bearer,
    seed_risky_user,
    unauthenticated,
    user_bearer,
)

V1 = "/v1.0/identityProtection"
MISSING = "You cannot perform the requested operation, required scopes are missing in the token."
ANALYST = "11111111-2222-4333-8444-555555555555"


def forbidden(response: Any, message: str = MISSING, code: str = "Forbidden") -> None:
    assert response.status_code == 403, response.text
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"] == message


def dismiss(client: TestClient, user_id: str, headers: dict[str, str]) -> Any:
    return client.post(f"{V1}/riskyUsers/dismiss", json={"userIds": [user_id]}, headers=headers)


def analyst(client: TestClient, *roles: str, scopes: tuple[str, ...] = (WRITE,)) -> dict[str, str]:
    return user_bearer(client, TENANT_A, scopes=scopes, roles=roles, oid=ANALYST)


def test_app_token_with_read_only_cannot_dismiss(secure: TestClient) -> None:
    user_id = seed_risky_user(secure, TENANT_A)
    headers = app_bearer(secure, TENANT_A, READ)
    assert secure.get(f"{V1}/riskyUsers/{user_id}", headers=headers).status_code == 200
    forbidden(dismiss(secure, user_id, headers))


def test_app_token_with_read_write_dismisses_and_reads(secure: TestClient) -> None:
    user_id = seed_risky_user(secure, TENANT_A)
    headers = app_bearer(secure, TENANT_A, WRITE)
    assert dismiss(secure, user_id, headers).status_code == 204
    assert secure.get(f"{V1}/riskyUsers/{user_id}", headers=headers).json()["riskState"] == (
        "dismissed"
    )


def test_app_token_without_the_risk_event_permission_cannot_list_detections(
    secure: TestClient,
) -> None:
    forbidden(secure.get(f"{V1}/riskDetections", headers=app_bearer(secure, TENANT_A, WRITE)))
    listed = secure.get(f"{V1}/riskDetections", headers=app_bearer(secure, TENANT_A, EVENTS))
    assert listed.status_code == 200


def test_token_with_neither_scp_nor_roles(secure: TestClient) -> None:
    forbidden(
        secure.get(f"{V1}/riskyUsers", headers=app_bearer(secure, TENANT_A)),
        "Either scp or roles claim need to be present in the token.",
        code="AccessDenied",
    )


def test_delegated_token_with_the_scope_but_no_role(secure: TestClient) -> None:
    user_id = seed_risky_user(secure, TENANT_A)
    headers = analyst(secure)
    forbidden(secure.get(f"{V1}/riskyUsers", headers=headers))
    forbidden(dismiss(secure, user_id, headers))


def test_delegated_token_with_the_role_but_no_scope(secure: TestClient) -> None:
    headers = analyst(secure, "Security Administrator", scopes=("User.Read",))
    forbidden(secure.get(f"{V1}/riskyUsers", headers=headers))


@pytest.mark.parametrize(
    "role", ["Security Reader", "Global Reader", "Security Operator", "Security Administrator"]
)
def test_read_roles_may_read(secure: TestClient, role: str) -> None:
    user_id = seed_risky_user(secure, TENANT_A)
    headers = analyst(secure, role, scopes=(READ, EVENTS))
    assert secure.get(f"{V1}/riskyUsers/{user_id}", headers=headers).status_code == 200
    assert secure.get(f"{V1}/riskyUsers/{user_id}/history", headers=headers).status_code == 200
    assert secure.get(f"{V1}/riskDetections", headers=headers).status_code == 200


@pytest.mark.parametrize("role", ["Security Reader", "Global Reader", "Security Operator"])
def test_read_roles_may_not_dismiss(secure: TestClient, role: str) -> None:
    user_id = seed_risky_user(secure, TENANT_A)
    forbidden(dismiss(secure, user_id, analyst(secure, role)))


@pytest.mark.parametrize("role", ["Security Administrator", "Global Administrator"])
def test_write_roles_dismiss_and_history_names_the_analyst(secure: TestClient, role: str) -> None:
    user_id = seed_risky_user(secure, TENANT_A)
    headers = analyst(secure, role)
    assert dismiss(secure, user_id, headers).status_code == 204
    history = secure.get(f"{V1}/riskyUsers/{user_id}/history", headers=headers).json()["value"]
    assert history[0]["initiatedBy"] == ANALYST


def test_read_write_scope_satisfies_reads(secure: TestClient) -> None:
    headers = analyst(secure, "Security Reader", scopes=(WRITE,))
    assert secure.get(f"{V1}/riskyUsers", headers=headers).status_code == 200


def test_app_initiated_history_names_the_service_principal(secure: TestClient) -> None:
    user_id = seed_risky_user(secure, TENANT_A)
    headers = app_bearer(secure, TENANT_A, WRITE, client_id="soar-playbook")
    assert (
        secure.post(
            f"{V1}/riskyUsers/confirmCompromised", json={"userIds": [user_id]}, headers=headers
        ).status_code
        == 204
    )
    history = secure.get(f"{V1}/riskyUsers/{user_id}/history", headers=headers).json()["value"]
    import uuid

    expected = str(uuid.uuid5(uuid.NAMESPACE_URL, f"idprotect:{TENANT_A}:soar-playbook"))
    assert history[0]["initiatedBy"] == expected


def test_graph_permissions_do_not_open_the_admin_api(secure: TestClient) -> None:
    headers = app_bearer(secure, TENANT_A, WRITE, EVENTS)
    response = secure.put(f"/_admin/tenants/{TENANT_A}", json={"licence": "P1"}, headers=headers)
    forbidden(response)


def test_an_admin_of_one_tenant_cannot_administer_another(secure: TestClient) -> None:
    headers = app_bearer(secure, TENANT_A, ADMIN_ROLE)
    response = secure.put(f"/_admin/tenants/{TENANT_B}", json={"licence": "P1"}, headers=headers)
    forbidden(response, "The token's tenant does not administer this tenant.")


def test_the_admin_api_needs_a_token_too(secure: TestClient) -> None:
    response = secure.put(f"/_admin/tenants/{TENANT_A}", json={"licence": "P1"})
    assert response.status_code == 401


def test_an_app_only_tokens_scp_grants_nothing(secure: TestClient, builtin_key: SigningKey) -> None:
    """`idtyp: app` marks an app-only token: its application permissions are its roles, and a
    `scp` beside them counts for nothing."""
    user_id = seed_risky_user(secure, TENANT_A)
    token = sign_builtin(builtin_key, claims(TENANT_A, roles=[READ], scp=WRITE))
    headers = {"Authorization": f"Bearer {token}"}
    assert secure.get(f"{V1}/riskyUsers/{user_id}", headers=headers).status_code == 200
    forbidden(dismiss(secure, user_id, headers))
    only_scp = sign_builtin(builtin_key, claims(TENANT_A, roles=None, scp=WRITE))
    forbidden(
        secure.get(f"{V1}/riskyUsers", headers={"Authorization": f"Bearer {only_scp}"}),
        "Either scp or roles claim need to be present in the token.",
        code="AccessDenied",
    )


def test_a_delegated_tokens_roles_are_not_application_permissions(
    secure: TestClient, builtin_key: SigningKey
) -> None:
    """`idtyp: user` without `scp`: a user's app role assignments grant no Graph permission."""
    token = sign_builtin(builtin_key, claims(TENANT_A, idtyp="user", roles=[READ]))
    forbidden(secure.get(f"{V1}/riskyUsers", headers={"Authorization": f"Bearer {token}"}))


@pytest.mark.parametrize("oid", ["o" * 129, "a\x00b", "\ud800"], ids=value_id)
def test_an_oid_history_could_not_keep_is_refused(
    secure: TestClient, builtin_key: SigningKey, oid: str
) -> None:
    user_id = seed_risky_user(secure, TENANT_A)
    token = sign_builtin(builtin_key, claims(TENANT_A, roles=[WRITE], oid=oid))
    response = dismiss(secure, user_id, {"Authorization": f"Bearer {token}"})
    unauthenticated(response, f"{FAILURE}: the 'oid' claim is not an object id.")
