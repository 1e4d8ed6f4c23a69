"""Plain factory functions with keyword overrides: ids, detections, seeding through the API."""

from __future__ import annotations

import uuid
from typing import Any

from starlette.testclient import TestClient

from idprotect.auth.principal import DEMO_TENANT_ID, LOCAL_ADMIN_OBJECT_ID
from idprotect.odata.skiptoken import TokenBinding, encode_skiptoken

TENANT = DEMO_TENANT_ID
ACTOR = LOCAL_ADMIN_OBJECT_ID
V1 = "/v1.0/identityProtection"
BETA = "/beta/identityProtection"


def new_id() -> str:
    return str(uuid.uuid4())


def detection(**overrides: Any) -> dict[str, Any]:
    """A detection as the /_admin API takes it (Graph field names)."""
    user_id = overrides.pop("userId", None) or new_id()
    body: dict[str, Any] = {
        "userId": user_id,
        "userDisplayName": f"User {user_id[:4]}",
        "userPrincipalName": f"user.{user_id[:8]}@contoso.com",
        "riskEventType": "unfamiliarFeatures",
        "riskLevel": "medium",
        "ipAddress": "203.0.113.7",
        "location": {
            "city": "Lyon",
            "state": "Auvergne-Rhone-Alpes",
            "countryOrRegion": "FR",
            "geoCoordinates": {"latitude": 45.76, "longitude": 4.83, "altitude": None},
        },
    }
    body.update(overrides)
    return body


def add_detections(
    client: TestClient, *detections: dict[str, Any], tenant: str = TENANT
) -> list[dict[str, Any]]:
    response = client.post(f"/_admin/tenants/{tenant}/riskDetections", json={"value": detections})
    assert response.status_code == 201, response.text
    created: list[dict[str, Any]] = response.json()["value"]
    return created


def risky_user(client: TestClient, **overrides: Any) -> str:
    """A user made risky by one detection; returns the user id."""
    created = add_detections(client, detection(**overrides))
    user_id: str = created[0]["userId"]
    return user_id


def add_users(client: TestClient, *users: dict[str, Any], tenant: str = TENANT) -> None:
    response = client.post(f"/_admin/tenants/{tenant}/users", json={"value": users})
    assert response.status_code == 204, response.text


def act(client: TestClient, action: str, user_ids: list[str], root: str = V1) -> Any:
    return client.post(f"{root}/riskyUsers/{action}", json={"userIds": user_ids})


def directory_user(**overrides: Any) -> dict[str, Any]:
    """A directory user as the /_admin API takes it; never risky unless risk fields are given."""
    user_id = overrides.pop("id", None) or new_id()
    body: dict[str, Any] = {
        "id": user_id,
        "displayName": f"Directory {user_id[:4]}",
        "userPrincipalName": f"dir.{user_id[:8]}@contoso.com",
    }
    body.update(overrides)
    return body


def plain_user(client: TestClient, **overrides: Any) -> str:
    """A directory user who has never been risky; returns the user id."""
    body = directory_user(**overrides)
    add_users(client, body)
    user_id: str = body["id"]
    return user_id


def delete_user(client: TestClient, user_id: str, tenant: str = TENANT) -> None:
    response = client.delete(f"/_admin/tenants/{tenant}/users/{user_id}")
    assert response.status_code == 204, response.text


def signed_skiptoken(
    client: TestClient,
    *position: str | int | None,
    collection: str = "riskyUsers",
    query: str = "\n\n",
    tenant: str = TENANT,
) -> str:
    """A $skiptoken signed with the deployment's key, as the service writes them: so tests can
    put any position, collection or query in one (the query as QueryOptions.canonical_query)."""
    key = client.app.state.database.skiptoken_key()  # type: ignore[attr-defined]
    return encode_skiptoken(position, TokenBinding(key, tenant, collection, query))


# -- service principals and agents -------------------------------------------------------------


def _post_value(
    client: TestClient,
    path: str,
    bodies: tuple[dict[str, Any], ...],
    *,
    status: int,
    headers: dict[str, str] | None,
) -> Any:
    response = client.post(path, json={"value": list(bodies)}, headers=headers)
    assert response.status_code == status, response.text
    return response.json() if status == 201 else None


def service_principal_detection(**overrides: Any) -> dict[str, Any]:
    """A service principal's detection as the /_admin API takes it (Graph field names)."""
    principal_id = overrides.pop("servicePrincipalId", None) or new_id()
    body: dict[str, Any] = {
        "servicePrincipalId": principal_id,
        "servicePrincipalDisplayName": f"App {principal_id[:4]}",
        "appId": f"app-{principal_id[:8]}",
        "riskEventType": "leakedCredentials",
        "riskLevel": "medium",
    }
    body.update(overrides)
    return body


def add_service_principal_detections(
    client: TestClient,
    *detections: dict[str, Any],
    tenant: str = TENANT,
    headers: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    path = f"/_admin/tenants/{tenant}/servicePrincipalRiskDetections"
    created: list[dict[str, Any]] = _post_value(
        client, path, detections, status=201, headers=headers
    )["value"]
    return created


def risky_service_principal(
    client: TestClient,
    *,
    tenant: str = TENANT,
    headers: dict[str, str] | None = None,
    **overrides: Any,
) -> str:
    """A service principal made risky by one detection; returns its id."""
    body = service_principal_detection(**overrides)
    add_service_principal_detections(client, body, tenant=tenant, headers=headers)
    principal_id: str = body["servicePrincipalId"]
    return principal_id


def directory_service_principal(**overrides: Any) -> dict[str, Any]:
    """A service principal as the /_admin API takes it; never risky unless risk fields are
    given."""
    principal_id = overrides.pop("id", None) or new_id()
    body: dict[str, Any] = {
        "id": principal_id,
        "displayName": f"Directory app {principal_id[:4]}",
        "appId": f"app-{principal_id[:8]}",
    }
    body.update(overrides)
    return body


def add_service_principals(
    client: TestClient,
    *principals: dict[str, Any],
    tenant: str = TENANT,
    headers: dict[str, str] | None = None,
) -> None:
    path = f"/_admin/tenants/{tenant}/servicePrincipals"
    _post_value(client, path, principals, status=204, headers=headers)


def delete_service_principal(client: TestClient, principal_id: str, tenant: str = TENANT) -> None:
    response = client.delete(f"/_admin/tenants/{tenant}/servicePrincipals/{principal_id}")
    assert response.status_code == 204, response.text


def act_on_service_principals(
    client: TestClient,
    action: str,
    principal_ids: list[str],
    root: str = V1,
    headers: dict[str, str] | None = None,
) -> Any:
    return client.post(
        f"{root}/riskyServicePrincipals/{action}",
        json={"servicePrincipalIds": principal_ids},
        headers=headers,
    )


def agent_detection(**overrides: Any) -> dict[str, Any]:
    """An agent's detection as the /_admin API takes it (Graph field names)."""
    agent_id = overrides.pop("agentId", None) or new_id()
    body: dict[str, Any] = {
        "agentId": agent_id,
        "agentDisplayName": f"Agent {agent_id[:4]}",
        "blueprintId": f"blueprint-{agent_id[:8]}",
        "identityType": "agentIdentity",
        "riskEventType": "unfamiliarResourceAccess",
        "riskLevel": "medium",
        "riskEvidence": "Agent targeted resources that it does not usually access.",
    }
    body.update(overrides)
    return body


def add_agent_detections(
    client: TestClient,
    *detections: dict[str, Any],
    tenant: str = TENANT,
    headers: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    path = f"/_admin/tenants/{tenant}/agentRiskDetections"
    created: list[dict[str, Any]] = _post_value(
        client, path, detections, status=201, headers=headers
    )["value"]
    return created


def risky_agent(
    client: TestClient,
    *,
    tenant: str = TENANT,
    headers: dict[str, str] | None = None,
    **overrides: Any,
) -> str:
    """An agent made risky by one detection; returns its id."""
    body = agent_detection(**overrides)
    add_agent_detections(client, body, tenant=tenant, headers=headers)
    agent_id: str = body["agentId"]
    return agent_id


def directory_agent(**overrides: Any) -> dict[str, Any]:
    """An agent as the /_admin API takes it; never risky unless risk fields are given."""
    agent_id = overrides.pop("id", None) or new_id()
    body: dict[str, Any] = {
        "id": agent_id,
        "agentDisplayName": f"Directory agent {agent_id[:4]}",
        "blueprintId": f"blueprint-{agent_id[:8]}",
    }
    body.update(overrides)
    return body


def add_agents(
    client: TestClient,
    *agents: dict[str, Any],
    tenant: str = TENANT,
    headers: dict[str, str] | None = None,
) -> None:
    _post_value(client, f"/_admin/tenants/{tenant}/agents", agents, status=204, headers=headers)


def delete_agent(client: TestClient, agent_id: str, tenant: str = TENANT) -> None:
    response = client.delete(f"/_admin/tenants/{tenant}/agents/{agent_id}")
    assert response.status_code == 204, response.text


def act_on_agents(
    client: TestClient,
    action: str,
    agent_ids: list[str],
    root: str = BETA,
    headers: dict[str, str] | None = None,
) -> Any:
    return client.post(
        f"{root}/riskyAgents/{action}", json={"agentIds": agent_ids}, headers=headers
    )
