"""Real answers of every principal kind validate against /openapi.json: every shape (v1.0
and beta, $select, evolvable enums, riskyAgent's subtypes), the actions, $batch, /_admin and
errors. The document against the operation table: tests/api/test_openapi.py."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from starlette.testclient import TestClient

from idprotect.api.admin import ADMIN_KINDS, AdminKind
from idprotect.api.kinds import API_KINDS, ApiKind
from idprotect.auth.principal import DEMO_TENANT_ID
from idprotect.domain.kinds import MAX_ACTION_IDS
from idprotect.seeding.demo import load_demo_tenant
from idprotect.store.engine import Database, make_engine
from tests.conftest import FakeClock, make_client
from tests.openapi.document import validate

UNKNOWN_ENUMS = {"Prefer": "include-unknown-enum-members"}
NO_SUCH_ID = "00000000-0000-0000-0000-000000000000"
ADMIN_TENANT = "7d6c5b4a-3928-4716-a5f4-e3d2c1b0a998"


@pytest.fixture(scope="module")
def demo(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A client on the demo tenant (auth off), and the document the app serves."""
    path = tmp_path_factory.mktemp("openapi") / "demo.db"
    shutil.copy(sqlite_template, path)
    database = Database(make_engine(f"sqlite:///{path}"))
    clock = FakeClock()
    load_demo_tenant(database, tenant_id=DEMO_TENANT_ID, now=clock())
    client = make_client(database, clock)
    yield client, client.get("/openapi.json").json()
    database.dispose()


def _first_id(client: TestClient, path: str) -> str:
    first: str = client.get(path, params={"$top": 1}).json()["value"][0]["id"]
    return first


def _kinds(version: str) -> list[ApiKind]:
    return [api for api in API_KINDS if f"/{version}/identityProtection" in api.roots]


def _reads(client: TestClient, api: ApiKind, root: str) -> list[tuple[str, dict[str, Any]]]:
    """A kind's GETs of every shape: pages, $count, one, $select, its history, detections."""
    base = f"{root}/{api.set_name}"
    principal_id = _first_id(client, base)
    reads: list[tuple[str, dict[str, Any]]] = [
        (base, {"$top": 500, "$count": "true"}),
        (base, {"$select": "id,riskLevel"}),
        (f"{base}/$count", {"$filter": "riskLevel eq 'high'"}),
        (f"{base}/{principal_id}", {}),
    ]
    if api.history is not None:
        history = f"{base}/{principal_id}/history"
        item_id = _first_id(client, history)
        reads += [(history, {}), (f"{history}/{item_id}", {"$select": "id,activity"})]
    detections = f"{root}/{api.detections_set}"
    detection_id = _first_id(client, detections)
    return [*reads, (detections, {"$top": 500}), (f"{detections}/{detection_id}", {})]


@pytest.mark.parametrize("version", ["v1.0", "beta"])
@pytest.mark.parametrize("headers", [{}, UNKNOWN_ENUMS])
def test_real_answers_validate(demo: Any, version: str, headers: dict[str, str]) -> None:
    client, document = demo
    for api in _kinds(version):
        for path, params in _reads(client, api, f"/{version}/identityProtection"):
            response = client.get(path, params=params, headers=headers)
            assert response.status_code == 200, response.text
            validate(document, "get", response)


def test_every_agent_subtype_is_answered_and_declared(demo: Any) -> None:
    client, document = demo
    mapping = document["components"]["schemas"]["microsoft.graph.riskyAgent"]["discriminator"]
    response = client.get("/beta/identityProtection/riskyAgents", params={"$top": 500})
    sent = {agent["@odata.type"] for agent in response.json()["value"]}
    assert sent == set(mapping["mapping"])


@pytest.mark.parametrize("version", ["v1.0", "beta"])
def test_action_and_batch_answers_validate(demo: Any, version: str) -> None:
    client, document = demo
    root = f"/{version}/identityProtection"
    for api in _kinds(version):
        principal_id = _first_id(client, f"{root}/{api.set_name}")
        for action in api.kind.actions:
            body = {api.kind.ids_field: [principal_id]}
            response = client.post(f"{root}/{api.set_name}/{action.name}", json=body)
            assert response.status_code == 204, response.text
            validate(document, "post", response)
    # The url's leading / is optional.
    urls = [f"/identityProtection/{api.set_name}" for api in _kinds(version)]
    urls.append(urls[0].lstrip("/"))
    batch = {"requests": [{"id": str(i), "method": "GET", "url": u} for i, u in enumerate(urls)]}
    request = document["components"]["schemas"]["batchRequest"]
    jsonschema_rs.validator_for({**request, "components": document["components"]}).validate(batch)
    response = client.post(f"/{version}/$batch", json=batch)
    assert response.status_code == 200
    assert {answer["status"] for answer in response.json()["responses"]} == {200}
    validate(document, "post", response)


@pytest.mark.parametrize("kind", ADMIN_KINDS, ids=lambda kind: kind.principals)
def test_admin_answers_validate(demo: Any, kind: AdminKind) -> None:
    client, document = demo
    tenant = f"/_admin/tenants/{ADMIN_TENANT}"
    principal_id = "4b3a2918-0706-4f5e-8d7c-6b5a49382716"
    detection = {
        kind.api.kind.id_field: principal_id,
        "riskEventType": "investigationsThreatIntelligence",
        "riskLevel": "high",
    }
    requests = [
        ("put", tenant, {"licence": "P2", "workloadIdentities": True}, 204),
        ("post", f"{tenant}/{kind.principals}", {"value": [{"id": principal_id}]}, 204),
        ("post", f"{tenant}/{kind.api.detections_set}", {"value": [detection]}, 201),
        ("delete", f"{tenant}/{kind.principals}/{principal_id}", None, 204),
        ("delete", f"{tenant}/{kind.principals}/{NO_SUCH_ID}", None, 404),
    ]
    for method, path, body, status in requests:
        response = client.request(method, path, json=body)
        assert response.status_code == status, response.text
        validate(document, method, response)


@pytest.mark.parametrize(
    ("method", "path", "status", "body"),
    [
        ("get", "/v1.0/identityProtection/riskyUsers?$filter=nonsense", 400, None),
        ("get", "/v1.0/identityProtection/riskyUsers/{id}", 404, None),
        ("post", "/v1.0/identityProtection/riskyUsers/dismiss", 400, {"userIds": []}),
        ("get", "/v1.0/identityProtection/riskDetections/{id}", 404, None),
        ("get", "/v1.0/identityProtection/riskyServicePrincipals/{id}", 404, None),
        ("get", "/beta/identityProtection/riskyServicePrincipals/{id}/history", 404, None),
        (
            "post",
            "/v1.0/identityProtection/riskyServicePrincipals/dismiss",
            400,
            {"servicePrincipalIds": ["x"] * (MAX_ACTION_IDS + 1)},
        ),
        ("get", "/beta/identityProtection/servicePrincipalRiskDetections/{id}", 404, None),
        ("get", "/beta/identityProtection/riskyAgents?$select=nonsense", 400, None),
        ("get", "/beta/identityProtection/riskyAgents/{id}", 404, None),
        ("post", "/beta/identityProtection/riskyAgents/confirmSafe", 400, {"userIds": ["x"]}),
        ("get", "/beta/identityProtection/agentRiskDetections/{id}", 404, None),
    ],
)
def test_error_answers_validate(
    demo: Any, method: str, path: str, status: int, body: dict[str, Any] | None
) -> None:
    client, document = demo
    response = client.request(method, path.replace("{id}", NO_SUCH_ID), json=body)
    assert response.status_code == status, response.text
    validate(document, method, response)


_TOR_EXIT = "198.51.100.66"


def _sign_ins(tenant: str) -> list[dict[str, Any]]:
    """A risky sign-in (from a Tor exit) and a failed one, ingested for `tenant`."""
    events = [
        {
            "id": f"{tenant}-risky",
            "createdDateTime": "2026-02-20T08:00:00Z",
            "userId": "6d5c4b3a-2918-4716-a5f4-e3d2c1b0a997",
            "ipAddress": _TOR_EXIT,
            "location": {"city": "Lyon", "geoCoordinates": {"latitude": 45.7, "longitude": 4.8}},
            "deviceDetail": {"browser": "Firefox", "isCompliant": False},
        },
        {
            "id": f"{tenant}-failed",
            "createdDateTime": "2026-02-20T09:00:00Z",
            "userId": "6d5c4b3a-2918-4716-a5f4-e3d2c1b0a997",
            "status": {"errorCode": 50126, "failureReason": "Invalid password."},
        },
    ]
    return events


def test_sign_in_answers_validate(demo: Any) -> None:
    client, document = demo
    tenant = f"/_admin/tenants/{DEMO_TENANT_ID}"
    requests = [
        ("put", f"{tenant}/threatLists/anonymizer", {"value": [_TOR_EXIT]}, 200),
        ("put", f"{tenant}/threatLists/nothing", {"value": []}, 404),
        ("post", f"{tenant}/leakedCredentials", {"value": ["0" * 40]}, 200),
        ("post", f"{tenant}/signIns", {"value": _sign_ins(DEMO_TENANT_ID)}, 200),
    ]
    for method, path, body, status in requests:
        response = client.request(method, path, json=body)
        assert response.status_code == status, response.text
        validate(document, method, response)
    for version in ("v1.0", "beta"):
        base = f"/{version}/auditLogs/signIns"
        for headers in ({}, UNKNOWN_ENUMS):
            for path, params in [
                (base, {"$top": 1}),
                (base, {"$select": "id,riskState,location"}),
                (base, {"$filter": "riskState eq 'atRisk'"}),
                (f"{base}/{DEMO_TENANT_ID}-risky", {}),
                (f"{base}/{DEMO_TENANT_ID}-failed", {"$select": "status,deviceDetail"}),
            ]:
                response = client.get(path, params=params, headers=headers)
                assert response.status_code == 200, response.text
                validate(document, "get", response)
        for action in ("confirmCompromised", "confirmSafe", "dismiss"):
            body = {"requestIds": [f"{DEMO_TENANT_ID}-risky"]}
            response = client.post(f"{base}/{action}", json=body)
            assert response.status_code == 204, response.text
            validate(document, "post", response)
        for path, body, status in [
            (f"{base}/dismiss", {"requestIds": ["no such sign-in"]}, 400),
            (f"{base}/confirmSafe", {"userIds": ["x"]}, 400),
        ]:
            response = client.post(path, json=body)
            assert response.status_code == status, response.text
            validate(document, "post", response)
        response = client.get(f"{base}/{NO_SUCH_ID}")
        assert response.status_code == 404
        validate(document, "get", response)
