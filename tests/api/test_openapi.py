"""/openapi.json tells the truth: the routes it lists are the routes served, and real answers
(every shape: v1.0 and beta, $select, evolvable enums, errors) validate against its schemas."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from idprotect.auth.principal import DEMO_TENANT_ID
from idprotect.odata.collections import HISTORY, RISK_DETECTIONS, RISKY_USERS
from idprotect.seeding.demo import load_demo_tenant
from idprotect.store.engine import Database, make_engine
from tests.conftest import FakeClock, make_client

ROOTS = {"v1.0": "/v1.0/identityProtection", "beta": "/beta/identityProtection"}
UNKNOWN_ENUMS = {"Prefer": "include-unknown-enum-members"}


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


def _template(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def test_documents_exactly_the_served_operations(demo: Any) -> None:
    """The operation table and the other routes (legacy aliases and the front door hidden)
    against the document."""
    client, document = demo
    served = {
        (operation.method.lower(), _template(operation.path))
        for operation in client.app.router.operations  # type: ignore[attr-defined]
        if operation.documented
    }
    served |= {
        (method.lower(), _template(route.path))
        for route in client.app.other_routes.routes  # type: ignore[attr-defined]
        if isinstance(route, Route) and route.path not in ("/openapi.json", "/docs")
        for method in route.methods or ()
        if method != "HEAD"
    }
    documented = {
        (method, _template(path))
        for path, operations in document["paths"].items()
        for method in operations
    }
    assert documented == served


def test_every_operation_names_its_security_and_errors(demo: Any) -> None:
    _, document = demo
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            assert operation["operationId"], where
            if "issuer" in operation["tags"]:
                assert operation["security"] == [], where
                continue
            assert operation["security"][0].keys() == {"bearer"}, where
            assert {"400", "401", "403", "503"} <= operation["responses"].keys(), where


@pytest.mark.parametrize(
    ("schema", "collection", "version"),
    [
        ("microsoft.graph.riskyUser", RISKY_USERS, "v1.0"),
        ("microsoft.graph.riskyUserHistoryItem", HISTORY, "v1.0"),
        ("beta.microsoft.graph.riskyUserHistoryItem", HISTORY, "beta"),
        ("microsoft.graph.riskDetection", RISK_DETECTIONS, "v1.0"),
        ("beta.microsoft.graph.riskDetection", RISK_DETECTIONS, "beta"),
    ],
)
def test_entity_properties_are_the_selectable_ones(
    demo: Any, schema: str, collection: Any, version: str
) -> None:
    _, document = demo
    properties = document["components"]["schemas"][schema]["properties"]
    assert set(properties) == set(collection.selectable(version))


def _validate(document: dict[str, Any], path: str, method: str, response: Any) -> None:
    """The answer against the document's schema for its path, method, status and media type."""
    operation = document["paths"][path][method]
    answer = operation["responses"][str(response.status_code)]
    if "$ref" in answer:
        answer = document["components"]["responses"][answer["$ref"].rsplit("/", 1)[-1]]
    if response.status_code == 204:
        assert response.content == b""
        assert "content" not in answer
        return
    media_type = response.headers["content-type"].split(";")[0]
    (declared,) = answer["content"]
    assert media_type == declared
    body = response.json() if media_type.endswith("json") else response.text
    schema = {**answer["content"][declared]["schema"], "components": document["components"]}
    jsonschema_rs.validator_for(schema).validate(body)


def _first_id(client: TestClient, path: str) -> str:
    first: str = client.get(path, params={"$top": 1}).json()["value"][0]["id"]
    return first


@pytest.mark.parametrize("version", ["v1.0", "beta"])
@pytest.mark.parametrize("headers", [{}, UNKNOWN_ENUMS])
def test_real_answers_validate(demo: Any, version: str, headers: dict[str, str]) -> None:
    client, document = demo
    root = ROOTS[version]
    user_id = _first_id(client, f"{root}/riskyUsers")
    item_id = _first_id(client, f"{root}/riskyUsers/{user_id}/history")
    detection_id = _first_id(client, f"{root}/riskDetections")
    reads = {
        "/riskyUsers": ("", {"$top": 500, "$count": "true"}),
        "/riskyUsers/$count": ("", {"$filter": "riskLevel eq 'high'"}),
        "/riskyUsers/{riskyUser-id}": (f"/riskyUsers/{user_id}", {}),
        "/riskyUsers/{riskyUser-id}/history": (f"/riskyUsers/{user_id}/history", {}),
        "/riskyUsers/{riskyUser-id}/history/{riskyUserHistoryItem-id}": (
            f"/riskyUsers/{user_id}/history/{item_id}",
            {"$select": "id,activity"},
        ),
        "/riskDetections": ("", {"$top": 500}),
        "/riskDetections/{riskDetection-id}": (f"/riskDetections/{detection_id}", {}),
    }
    for template, (concrete, params) in reads.items():
        path = root + (concrete or template)
        response = client.get(path, params=params, headers=headers)
        assert response.status_code == 200, response.text
        _validate(document, root + template, "get", response)


@pytest.mark.parametrize("version", ["v1.0", "beta"])
def test_action_and_batch_answers_validate(demo: Any, version: str) -> None:
    client, document = demo
    root = ROOTS[version]
    user_id = _first_id(client, f"{root}/riskyUsers")
    for action in ("confirmCompromised", "dismiss"):
        response = client.post(f"{root}/riskyUsers/{action}", json={"userIds": [user_id]})
        assert response.status_code == 204
        _validate(document, f"{root}/riskyUsers/{action}", "post", response)
    batch = {
        "requests": [
            {"id": "1", "method": "GET", "url": f"/identityProtection/riskyUsers/{user_id}"}
        ]
    }
    response = client.post(f"/{version}/$batch", json=batch)
    assert response.status_code == 200
    _validate(document, f"/{version}/$batch", "post", response)


@pytest.mark.parametrize(
    ("method", "path", "status", "kwargs"),
    [
        ("get", "/riskyUsers", 400, {"params": {"$filter": "nonsense"}}),
        ("get", "/riskyUsers/{riskyUser-id}", 404, {}),
        ("post", "/riskyUsers/dismiss", 400, {"json": {"userIds": []}}),
        ("get", "/riskDetections/{riskDetection-id}", 404, {}),
    ],
)
def test_error_answers_validate(
    demo: Any, method: str, path: str, status: int, kwargs: dict[str, Any]
) -> None:
    client, document = demo
    root = ROOTS["v1.0"]
    concrete = re.sub(r"\{[^}]+\}", "00000000-0000-0000-0000-000000000000", path)
    response = client.request(method, root + concrete, **kwargs)
    assert response.status_code == status
    _validate(document, root + path, method, response)
