"""Real answers of the directory audit log and of a tenant's throttling and faults validate
against /openapi.json, errors included."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from idprotect.store.engine import Database
from tests.conftest import FakeClock, make_client
from tests.factories import TENANT, act, risky_user
from tests.openapi.document import validate

ADMIN = f"/_admin/tenants/{TENANT}"
NO_SUCH_ID = "00000000-0000-0000-0000-000000000000"


@pytest.fixture
def client(sqlite_database: Database, clock: FakeClock) -> TestClient:
    return make_client(sqlite_database, clock)


def _check(client: TestClient, requests: list[tuple[str, str, Any, int]]) -> None:
    document = client.get("/openapi.json").json()
    for method, path, body, status in requests:
        params = body if method == "get" else None
        json = None if method == "get" else body
        response = client.request(method, path, params=params, json=json)
        assert response.status_code == status, f"{method} {path}: {response.text}"
        validate(document, method, response)


def test_the_settings_answers_validate(client: TestClient) -> None:
    bucket = {"name": "b", "operations": ["GET /v1.0/*"], "requests": 5, "seconds": 1}
    rule = {"operations": ["POST */dismiss"], "errorRates": {"503": 0.5}, "latency": {
        "uniformMs": {"min": 1, "max": 2}}}  # fmt: skip
    _check(client, [
        ("get", f"{ADMIN}/throttle", None, 200),
        ("put", f"{ADMIN}/throttle", {"profile": "custom", "buckets": [bucket]}, 204),
        ("get", f"{ADMIN}/throttle", None, 200),
        ("put", f"{ADMIN}/throttle", {"profile": "fast"}, 400),
        ("get", f"{ADMIN}/faults", None, 200),
        ("put", f"{ADMIN}/faults", {"rules": [rule]}, 200),
        ("get", f"{ADMIN}/faults", None, 200),
        ("put", f"{ADMIN}/faults", {"rules": [{"failStatus": 404}]}, 400),
        ("delete", f"{ADMIN}/faults", None, 204),
        ("put", f"{ADMIN}/throttle", {"profile": "default"}, 204),
    ])  # fmt: skip


@pytest.mark.parametrize("version", ["v1.0", "beta"])
def test_directory_audit_answers_validate(client: TestClient, version: str) -> None:
    act(client, "dismiss", [risky_user(client)])
    client.put(ADMIN, json={"licence": "P2"})
    base = f"/{version}/auditLogs/directoryAudits"
    records = client.get(base).json()["value"]
    names = {record["activityDisplayName"] for record in records}
    assert names >= {"Dismiss user risk", "Update tenant licences"}
    target = records[-1]["targetResources"][0]["id"]
    _check(client, [
        ("get", base, {"$top": "1", "$orderby": "activityDateTime asc"}, 200),
        ("get", base, {"$select": "id,initiatedBy,targetResources"}, 200),
        ("get", base, {"$filter": f"targetResources/any(t: t/id eq '{target}') and "
                       "category eq 'Other'"}, 200),
        ("get", base, {"$filter": "initiatedBy/user/id eq 'x' or result eq 'failure'"}, 200),
        ("get", f"{base}/{records[0]['id']}", None, 200),
        ("get", f"{base}/{records[0]['id']}", {"$select": "additionalDetails"}, 200),
        ("get", base, {"$filter": "targetResources/any(t: t/type eq 'User')"}, 400),
        ("get", base, {"$count": "true"}, 400),
        ("get", f"{base}/{NO_SUCH_ID}", None, 404),
    ])  # fmt: skip
