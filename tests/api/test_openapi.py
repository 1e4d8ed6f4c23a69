"""/openapi.json against the operation table: it lists exactly the operations served, named
by kind and version; each names its security and errors; each kind's entities declare what its
$select names, and its actions' bodies take its ids. Real answers: tests/openapi/."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from starlette.routing import Route
from starlette.testclient import TestClient

from idprotect.api.kinds import API_KINDS
from idprotect.domain.kinds import MAX_ACTION_IDS


def _template(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    ]


def test_documents_exactly_the_served_operations(client: TestClient) -> None:
    """The operation table and the other routes (legacy aliases, 'not an action' routes and
    $count refusals hidden) against the document."""
    document = client.get("/openapi.json").json()
    served = {
        (operation.method.lower(), _template(operation.path))
        for operation in client.app.router.operations  # type: ignore[attr-defined]
        if operation.documented
    }
    served |= {
        (method.lower(), _template(route.path))
        for route in client.app.other_routes.routes  # type: ignore[attr-defined]
        if isinstance(route, Route)
        and route.path not in ("/openapi.json", "/docs")
        and not route.path.startswith("/console")  # the console's page: not an API
        for method in route.methods or ()
        if method != "HEAD"
    }
    documented = {(method, _template(path)) for method, path, _ in _operations(document)}
    assert documented == served


def test_every_operation_names_its_security_and_errors(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    for method, path, operation in _operations(document):
        where = f"{method.upper()} {path}"
        assert operation["operationId"], where
        if "issuer" in operation["tags"]:
            assert operation["security"] == [], where
            continue
        assert operation["security"][0].keys() == {"bearer"}, where
        assert {"400", "401", "403", "503"} <= operation["responses"].keys(), where
    ids = Counter(operation["operationId"] for _, _, operation in _operations(document))
    assert [name for name, count in ids.items() if count > 1] == []


def test_operations_are_named_by_kind_and_version(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    ids = {operation["operationId"]: path for _, path, operation in _operations(document)}
    root = "/{}/identityProtection/"
    assert {
        "list_risky_service_principals_v1_0": root.format("v1.0") + "riskyServicePrincipals",
        "confirm_compromised_risky_service_principals_beta": (
            root.format("beta") + "riskyServicePrincipals/confirmCompromised"
        ),
        "get_risky_service_principal_history_item_v1_0": (
            root.format("v1.0") + "riskyServicePrincipals/{riskyServicePrincipal-id}"
            "/history/{riskyServicePrincipalHistoryItem-id}"
        ),
        "get_service_principal_risk_detection_beta": (
            root.format("beta")
            + "servicePrincipalRiskDetections/{servicePrincipalRiskDetection-id}"
        ),
        "count_risky_agents_beta": root.format("beta") + "riskyAgents/$count",
        "dismiss_risky_agents_beta": root.format("beta") + "riskyAgents/dismiss",
        "confirm_safe_risky_agents_beta": root.format("beta") + "riskyAgents/confirmSafe",
        "list_agent_risk_detections_beta": root.format("beta") + "agentRiskDetections",
        "confirm_safe_risky_users_v1_0": root.format("v1.0") + "riskyUsers/confirmSafe",
        "add_service_principal_risk_detections": (
            "/_admin/tenants/{tenantId}/servicePrincipalRiskDetections"
        ),
        "delete_agent": "/_admin/tenants/{tenantId}/agents/{agentId}",
        "list_sign_ins_v1_0": "/v1.0/auditLogs/signIns",
        "get_sign_in_beta": "/beta/auditLogs/signIns/{signIn-id}",
        "confirm_compromised_sign_ins_v1_0": "/v1.0/auditLogs/signIns/confirmCompromised",
        "confirm_safe_sign_ins_beta": "/beta/auditLogs/signIns/confirmSafe",
        "dismiss_sign_ins_v1_0": "/v1.0/auditLogs/signIns/dismiss",
        "add_sign_ins": "/_admin/tenants/{tenantId}/signIns",
        "replace_threat_list": "/_admin/tenants/{tenantId}/threatLists/{list}",
        "add_leaked_credentials": "/_admin/tenants/{tenantId}/leakedCredentials",
    }.items() <= ids.items()
    # Graph binds no confirmSafe to service principals, and serves agents on beta only.
    assert "confirm_safe_risky_service_principals_v1_0" not in ids
    assert not [name for name in ids if "agent" in name and name.endswith("v1_0")]


def _schema(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][_name(schema)]
    return schema


def _name(schema: dict[str, Any]) -> str:
    return str(schema.get("$ref", "")).rsplit("/", 1)[-1]


def _entities(document: dict[str, Any], answer: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The entity schemas of a 200 answer (a page's items, or one entity, inline), by name;
    an abstract entity as its subtypes."""
    schema = _schema(document, answer["content"]["application/json"]["schema"])
    if "value" in schema.get("properties", {}):
        schema = schema["properties"]["value"]["items"]
    subtypes = _schema(document, schema).get("oneOf", [schema])
    return {_name(one) or f"inline {i}": _schema(document, one) for i, one in enumerate(subtypes)}


def test_entity_properties_are_the_selectable_ones(client: TestClient) -> None:
    """What each GET answers declares exactly the properties its $select names, and
    annotations: every kind's entities, on every version serving them."""
    document = client.get("/openapi.json").json()
    checked = set()
    for _, path, operation in _operations(document):
        select = [p for p in operation.get("parameters", []) if p["name"] == "$select"]
        if not select:
            continue
        names = set(select[0]["schema"]["items"]["enum"])
        for name, entity in _entities(document, operation["responses"]["200"]).items():
            declared = {prop for prop in entity["properties"] if prop[0] != "@"}
            assert declared == names, f"{path}: {name}"
            checked.add(name)
    graph = "microsoft.graph."
    entities = {
        *(f"{graph}{name}" for name in ("riskyUser", "riskyServicePrincipal")),
        *(f"{graph}riskyAgent{subtype}" for subtype in ("User", "Identity",
            "IdentityBlueprintPrincipal")),
        *(f"{version}{graph}{name}" for version in ("", "beta.") for name in (
            "riskyUserHistoryItem", "riskDetection", "riskyServicePrincipalHistoryItem",
            "servicePrincipalRiskDetection")),
        f"beta.{graph}riskyServicePrincipal",
        f"{graph}agentRiskDetection",
        f"{graph}signIn",
        f"beta.{graph}signIn",
    }  # fmt: skip
    assert {name for name in checked if not name.startswith("inline")} == entities


def test_action_bodies_take_each_kinds_ids(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    ids_fields = {api.set_name: api.kind.ids_field for api in API_KINDS}
    actions = [
        (path, operation)
        for method, path, operation in _operations(document)
        if method == "post" and "/identityProtection/" in path
    ]
    assert len(actions) == 2 * 3 + 2 * 2 + 3
    for path, operation in actions:
        field = ids_fields[path.split("/")[-2]]
        body = _schema(document, operation["requestBody"]["content"]["application/json"]["schema"])
        assert body["required"] == [field], path
        assert body["properties"][field]["maxItems"] == MAX_ACTION_IDS, path


def test_sign_in_action_bodies_take_request_ids(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    actions = [
        (path, operation)
        for method, path, operation in _operations(document)
        if method == "post" and "/auditLogs/signIns/" in path
    ]
    assert len(actions) == 2 * 3
    for path, operation in actions:
        body = _schema(document, operation["requestBody"]["content"]["application/json"]["schema"])
        assert body["required"] == ["requestIds"], path
        assert body["properties"]["requestIds"]["maxItems"] == MAX_ACTION_IDS, path
