"""/openapi.json against the operation table: it lists exactly the operations served but the
deliberate exceptions, named by kind and version; each names its security and errors; each
kind's entities declare what its $select names, and its actions' bodies take its ids. Real
answers: tests/openapi/."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from starlette.routing import Route
from starlette.testclient import TestClient

from idprotect.api.kinds import API_KINDS, LEGACY_BETA
from idprotect.api.routing import Caller, Operation
from idprotect.domain.kinds import MAX_ACTION_IDS

# Served, not documented: the probes and the front door (not an API), the `$count` segments of
# collections that refuse it, POSTs of actions a kind does not have (each a Graph 400), and
# beta's legacy root paths (`/beta/riskyUsers`: what old clients call).
PROBES = frozenset({"/", "/health", "/healthz", "/readyz", "/metrics"})
NOT_AN_ACTION = "_not_an_action"
# The roots below /beta that are not legacy ones.
BETA_ROOTS = ("identityProtection", "auditLogs", "subscriptions", "$batch")


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


def _deliberately_undocumented(operation: Operation) -> bool:
    legacy = operation.path.startswith(f"{LEGACY_BETA}/") and (
        operation.path.split("/")[2] not in BETA_ROOTS
    )
    refusal = operation.path.endswith("/$count") or (
        getattr(operation.answer, "__name__", "") == NOT_AN_ACTION
    )
    return operation.path in PROBES or refusal or legacy


def test_only_the_deliberate_exceptions_are_undocumented(client: TestClient) -> None:
    operations: tuple[Operation, ...] = client.app.router.operations  # type: ignore[attr-defined]
    hidden = [op for op in operations if not op.documented]
    assert [f"{op.method} {op.path}" for op in hidden if not _deliberately_undocumented(op)] == []
    assert {op.path for op in hidden} >= PROBES - {"/metrics"} | {
        "/beta/riskyUsers",
        "/v1.0/identityProtection/riskDetections/$count",
    }


def _public(client: TestClient) -> set[tuple[str, str]]:
    """The table's operations anybody may call (no token). The bare SSF configuration is the
    caller's tenant's: it takes the caller itself, from a token when tokens are on."""
    operations: tuple[Operation, ...] = client.app.router.operations  # type: ignore[attr-defined]
    return {
        (op.method.lower(), _template(op.path))
        for op in operations
        if op.caller is Caller.NONE and op.documented
    } - {("get", "/.well-known/ssf-configuration")}


def test_every_operation_names_its_security_and_errors(client: TestClient) -> None:
    """A bearer token and Graph's errors; no security for what anybody may call (the
    issuer's, the transmitter's configuration, the receiver's push endpoint)."""
    document = client.get("/openapi.json").json()
    public = _public(client)
    assert {("get", "/.well-known/ssf-configuration/ssf/{}"), ("post", "/ssf/{}/receiver")} <= (
        public
    )
    for method, path, operation in _operations(document):
        where = f"{method.upper()} {path}"
        assert operation["operationId"], where
        if "issuer" in operation["tags"]:
            assert operation["security"] == [], where
            continue
        if (method, _template(path)) in public:
            assert operation["security"] == [], where
            assert not {"401", "403"} & operation["responses"].keys(), where
            continue
        assert operation["security"], where
        assert all(option.keys() == {"bearer"} for option in operation["security"]), where
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
        "list_directory_audits_v1_0": "/v1.0/auditLogs/directoryAudits",
        "get_directory_audit_beta": "/beta/auditLogs/directoryAudits/{directoryAudit-id}",
        "create_subscription_v1_0": "/v1.0/subscriptions",
        "update_subscription_beta": "/beta/subscriptions/{subscription-id}",
        "tenant_ssf_configuration": "/.well-known/ssf-configuration/ssf/{tenantId}",
        "create_stream": "/ssf/{tenantId}/streams",
        "remove_subject": "/ssf/{tenantId}/subjects:remove",
        "poll_events": "/ssf/{tenantId}/poll/{stream_id}",
        "receive_set": "/ssf/{tenantId}/receiver",
        "set_throttle": "/_admin/tenants/{tenantId}/throttle",
        "clear_faults": "/_admin/tenants/{tenantId}/faults",
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
        f"{graph}directoryAudit",
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


def test_signals_audits_and_settings_name_their_permissions(client: TestClient) -> None:
    """The stream API takes either app role; a subscription, its resource's read permission;
    the log, AuditLog.Read.All; throttling and faults, /_admin's role. Tags group them."""
    document = client.get("/openapi.json").json()
    operations = {operation["operationId"]: operation for _, _, operation in _operations(document)}
    signals = [{"bearer": ["IdentityProtection.Signals"]}, {"bearer": ["IdentityProtection.Admin"]}]
    assert operations["poll_events"]["security"] == signals
    assert operations["create_subscription_beta"]["security"] == [
        {"bearer": ["IdentityRiskyUser.Read.All"]},
        {"bearer": ["IdentityRiskEvent.Read.All"]},
    ]
    assert operations["get_subscription_v1_0"]["security"] == [{"bearer": []}]
    assert operations["list_directory_audits_beta"]["security"] == [
        {"bearer": ["AuditLog.Read.All"]}
    ]
    assert operations["set_faults"]["security"] == [{"bearer": ["IdentityProtection.Admin"]}]
    assert operations["list_directory_audits_v1_0"]["tags"] == ["v1.0", "audit"]
    assert operations["delete_subscription_beta"]["tags"] == ["beta", "signals"]
    assert operations["request_verification"]["tags"] == ["signals"]
    assert operations["get_throttle"]["tags"] == ["admin"]


def test_directory_audits_take_the_allow_lists_options(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    listing = document["paths"]["/v1.0/auditLogs/directoryAudits"]["get"]
    options = {parameter["name"]: parameter for parameter in listing["parameters"]}
    assert set(options) == {"$filter", "$select", "$top", "$skiptoken", "$orderby", "Prefer"}
    assert "`initiatedBy/app/displayName` (eq, startswith)" in options["$filter"]["description"]
    assert "targetResources/any(t: t/id eq '{id}')" in options["$filter"]["description"]
    assert options["$select"]["schema"]["items"]["enum"][-1] == "additionalDetails"
