"""What risky service principals and agents refuse, alike: callers without the permission or
directory role, other tenants' principals, tenants without the licence, action bodies Graph
refuses, deleted principals, routes Graph does not have, query options outside a collection's
surface and unknown entities; and the requests that are not refused (repeats, unknown ids).

Each test runs for every kind (and, where it matters, every version serving it); the kinds'
own behaviour is in test_service_principals.py and test_agents.py."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from idprotect.store.engine import Database
from tests.api.expect import bad_request, graph_error, odata_json
from tests.auth.tokens import (
    EVENTS,
    TENANT_A,
    TENANT_B,
    admin,
    app_bearer,
    user_bearer,
)
from tests.conftest import FakeClock, make_client
from tests.factories import (
    BETA,
    TENANT,
    V1,
    act,
    act_on_service_principals,
    add_agent_detections,
    add_agents,
    add_service_principal_detections,
    add_service_principals,
    agent_detection,
    delete_agent,
    delete_service_principal,
    directory_agent,
    directory_service_principal,
    new_id,
    risky_agent,
    risky_service_principal,
    risky_user,
    service_principal_detection,
)

INCLUDE_UNKNOWN = {"Prefer": "include-unknown-enum-members"}
MISSING = "You cannot perform the requested operation, required scopes are missing in the token."
NOT_LICENSED = "Your tenant is not licensed for this feature."
METHOD_NOT_ALLOWED = "Specified HTTP method is not allowed for the request target."
UNREADABLE = (
    "Unable to read JSON request payload. Please ensure Content-Type header is set and "
    "payload is of valid JSON format."
)
JSON = {"Content-Type": "application/json"}
ANALYST = "11111111-2222-4333-8444-555555555555"
T0_TICKS = 639079542001234560  # the ticks of the clock's start


@dataclass(frozen=True, slots=True)
class Kind:
    """A principal kind as its API is called: paths, names, permissions and factories."""

    name: str
    roots: tuple[str, ...]  # the versions serving it, the documented first
    set: str  # riskyServicePrincipals
    entity: str  # riskyServicePrincipal
    plural: str  # service principals
    ids_field: str  # servicePrincipalIds
    detections: str  # servicePrincipalRiskDetections
    detection_entity: str  # servicePrincipalRiskDetection
    read: str
    write: str
    actions: tuple[str, ...]
    has_history: bool
    risky: Callable[..., str]  # (client, *, tenant, headers, **detection fields) -> id
    directory: Callable[..., dict[str, Any]]  # a directory principal's /_admin body
    add_directory: Callable[..., None]  # (client, *bodies, tenant, headers)
    delete: Callable[..., None]  # (client, id, tenant)
    detection: Callable[..., dict[str, Any]]  # a detection's /_admin body
    add_detections: Callable[..., list[dict[str, Any]]]  # (client, *bodies, tenant, headers)
    admin_set: str  # servicePrincipals: its collection under /_admin/tenants/{id}

    @property
    def root(self) -> str:
        return self.roots[0]

    @property
    def id_field(self) -> str:
        """How its detections name it: servicePrincipalId."""
        return self.ids_field[:-1]

    def url(self, path: str = "", root: str | None = None) -> str:
        return f"{root or self.root}/{self.set}{path}"

    def detections_url(self, path: str = "", root: str | None = None) -> str:
        return f"{root or self.root}/{self.detections}{path}"

    def act(
        self,
        client: TestClient,
        action: str,
        ids: list[str],
        *,
        root: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        return client.post(
            self.url(f"/{action}", root), json={self.ids_field: ids}, headers=headers
        )


SERVICE_PRINCIPALS = Kind(
    name="servicePrincipal",
    roots=(V1, BETA),
    set="riskyServicePrincipals",
    entity="riskyServicePrincipal",
    plural="service principals",
    ids_field="servicePrincipalIds",
    detections="servicePrincipalRiskDetections",
    detection_entity="servicePrincipalRiskDetection",
    read="IdentityRiskyServicePrincipal.Read.All",
    write="IdentityRiskyServicePrincipal.ReadWrite.All",
    actions=("dismiss", "confirmCompromised"),
    has_history=True,
    risky=risky_service_principal,
    directory=directory_service_principal,
    add_directory=add_service_principals,
    delete=delete_service_principal,
    detection=service_principal_detection,
    add_detections=add_service_principal_detections,
    admin_set="servicePrincipals",
)
AGENTS = Kind(
    name="agent",
    roots=(BETA,),
    set="riskyAgents",
    entity="riskyAgent",
    plural="agents",
    ids_field="agentIds",
    detections="agentRiskDetections",
    detection_entity="agentRiskDetection",
    read="IdentityRiskyAgent.Read.All",
    write="IdentityRiskyAgent.ReadWrite.All",
    actions=("dismiss", "confirmCompromised", "confirmSafe"),
    has_history=False,
    risky=risky_agent,
    directory=directory_agent,
    add_directory=add_agents,
    delete=delete_agent,
    detection=agent_detection,
    add_detections=add_agent_detections,
    admin_set="agents",
)
KINDS = [pytest.param(k, id=k.name) for k in (SERVICE_PRINCIPALS, AGENTS)]
# Every version serving each kind.
ROOTED = [
    pytest.param(k, root, id=f"{k.name}-{root.split('/')[1]}")
    for k in (SERVICE_PRINCIPALS, AGENTS)
    for root in k.roots
]
# Every action of every kind, on every version serving it.
ACTIONS = [
    pytest.param(k, root, action, id=f"{k.name}-{root.split('/')[1]}-{action}")
    for k in (SERVICE_PRINCIPALS, AGENTS)
    for root in k.roots
    for action in k.actions
]
KIND_ACTIONS = [
    pytest.param(k, action, id=f"{k.name}-{action}")
    for k in (SERVICE_PRINCIPALS, AGENTS)
    for action in k.actions
]


def snapshot(client: TestClient, kind: Kind, *ids: str, **headers: str) -> list[Any]:
    """Everything an action could change for these principals, to compare before and after."""
    seen: list[Any] = []
    for principal_id in ids:
        found = client.get(kind.url(f"/{principal_id}"), headers={**INCLUDE_UNKNOWN, **headers})
        seen.append((found.status_code, found.json()))
        if kind.has_history:
            items = client.get(kind.url(f"/{principal_id}/history"), headers=headers)
            seen.append((items.status_code, items.json()))
    detections = client.get(kind.detections_url("?$top=500"), headers=headers)
    seen.append((detections.status_code, detections.json()))
    return seen


def read_urls(kind: Kind, principal_id: str, root: str | None = None) -> list[str]:
    """The kind's reads of risky principals (not of detections) that name this one."""
    urls = [kind.url("", root), kind.url("/$count", root), kind.url(f"/{principal_id}", root)]
    if kind.has_history:
        urls += [
            kind.url(f"/{principal_id}/history", root),
            kind.url(f"/{principal_id}/history/{principal_id}", root),
        ]
    return urls


@pytest.fixture
def strict_client(database: Database, clock: FakeClock) -> TestClient:
    """Refuses action requests naming unknown ids (SQLite and PostgreSQL)."""
    return make_client(database, clock, strict_actions=True)


# -- permissions: app-only callers ---------------------------------------------------------------


@pytest.fixture
def secure(sqlite_database: Database, clock: FakeClock) -> TestClient:
    """Tokens verified; the built-in issuer mints them (tests/auth/tokens.py)."""
    return make_client(sqlite_database, clock, auth="on")


def seeded(client: TestClient, kind: Kind, tenant: str = TENANT_A) -> tuple[str, str]:
    """A risky principal of the tenant and the id of its detection, seeded by its admin."""
    body = kind.detection()
    (created,) = kind.add_detections(client, body, tenant=tenant, headers=admin(client, tenant))
    return body[kind.id_field], created["id"]


def forbidden(response: httpx.Response, message: str = MISSING) -> None:
    graph_error(response, 403, "Forbidden", message)


@pytest.mark.parametrize("kind", KINDS)
def test_the_read_permission_reads_but_does_not_act(secure: TestClient, kind: Kind) -> None:
    principal_id, _ = seeded(secure, kind)
    headers = app_bearer(secure, TENANT_A, kind.read)

    for url in read_urls(kind, principal_id):
        assert secure.get(url, headers=headers).status_code == 200, url
    for action in kind.actions:
        forbidden(kind.act(secure, action, [principal_id], headers=headers))
    # Detections need their own permission.
    forbidden(secure.get(kind.detections_url(), headers=headers))


@pytest.mark.parametrize(("kind", "action"), KIND_ACTIONS)
def test_the_read_write_permission_acts_and_reads(
    secure: TestClient, kind: Kind, action: str
) -> None:
    principal_id, _ = seeded(secure, kind)
    headers = app_bearer(secure, TENANT_A, kind.write)

    assert kind.act(secure, action, [principal_id], headers=headers).status_code == 204
    for url in read_urls(kind, principal_id):
        assert secure.get(url, headers=headers).status_code == 200, url


@pytest.mark.parametrize("kind", KINDS)
def test_the_risk_event_permission_reads_detections_only(secure: TestClient, kind: Kind) -> None:
    principal_id, detection_id = seeded(secure, kind)
    headers = app_bearer(secure, TENANT_A, EVENTS)

    assert secure.get(kind.detections_url(), headers=headers).status_code == 200
    assert secure.get(kind.detections_url(f"/{detection_id}"), headers=headers).status_code == 200
    for url in read_urls(kind, principal_id):
        forbidden(secure.get(url, headers=headers))


@pytest.mark.parametrize("kind", KINDS)
def test_other_kinds_permissions_open_nothing(secure: TestClient, kind: Kind) -> None:
    principal_id, _ = seeded(secure, kind)
    others = {
        "IdentityRiskyUser.ReadWrite.All",
        SERVICE_PRINCIPALS.write,
        AGENTS.write,
    } - {kind.write}
    headers = app_bearer(secure, TENANT_A, *others)

    for url in read_urls(kind, principal_id):
        forbidden(secure.get(url, headers=headers))
    for action in kind.actions:
        forbidden(kind.act(secure, action, [principal_id], headers=headers))


@pytest.mark.parametrize("kind", KINDS)
def test_an_app_acting_is_named_by_the_history_it_writes(secure: TestClient, kind: Kind) -> None:
    principal_id, _ = seeded(secure, kind)
    headers = app_bearer(secure, TENANT_A, kind.write, client_id="soar-playbook")

    assert (
        kind.act(secure, "confirmCompromised", [principal_id], headers=headers).status_code == 204
    )

    if kind.has_history:
        items = secure.get(kind.url(f"/{principal_id}/history"), headers=headers).json()["value"]
        expected = str(uuid.uuid5(uuid.NAMESPACE_URL, f"idprotect:{TENANT_A}:soar-playbook"))
        assert items[0]["initiatedBy"] == expected
    found = secure.get(kind.url(f"/{principal_id}"), headers=headers).json()
    assert found["riskState"] == "confirmedCompromised"


# -- permissions: delegated callers and their directory roles -------------------------------------


def analyst(
    client: TestClient, kind: Kind, *roles: str, scopes: tuple[str, ...] = ()
) -> dict[str, str]:
    return user_bearer(
        client, TENANT_A, scopes=scopes or (kind.write, EVENTS), roles=roles, oid=ANALYST
    )


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("role", ["Security Reader", "Global Reader", "Security Operator"])
def test_read_roles_read_everything_but_cannot_act(
    secure: TestClient, kind: Kind, role: str
) -> None:
    principal_id, detection_id = seeded(secure, kind)
    headers = analyst(secure, kind, role)
    before = snapshot(secure, kind, principal_id, **headers)

    for url in [
        *read_urls(kind, principal_id),
        kind.detections_url(),
        kind.detections_url(f"/{detection_id}"),
    ]:
        assert secure.get(url, headers=headers).status_code == 200, url
    for action in kind.actions:
        forbidden(kind.act(secure, action, [principal_id], headers=headers))
    assert snapshot(secure, kind, principal_id, **headers) == before


@pytest.mark.parametrize(("kind", "action"), KIND_ACTIONS)
@pytest.mark.parametrize("role", ["Security Administrator", "Global Administrator"])
def test_write_roles_act_and_the_history_names_the_analyst(
    secure: TestClient, kind: Kind, action: str, role: str
) -> None:
    principal_id, _ = seeded(secure, kind)
    headers = analyst(secure, kind, role)

    assert kind.act(secure, action, [principal_id], headers=headers).status_code == 204

    found = secure.get(kind.url(f"/{principal_id}"), headers=headers).json()
    assert found["riskState"] != "atRisk"
    if kind.has_history:
        items = secure.get(kind.url(f"/{principal_id}/history"), headers=headers).json()["value"]
        assert items[0]["initiatedBy"] == ANALYST


@pytest.mark.parametrize("kind", KINDS)
def test_a_delegated_scope_without_a_role_opens_nothing(secure: TestClient, kind: Kind) -> None:
    principal_id, detection_id = seeded(secure, kind)
    headers = analyst(secure, kind)

    for url in [*read_urls(kind, principal_id), kind.detections_url(f"/{detection_id}")]:
        forbidden(secure.get(url, headers=headers))
    forbidden(kind.act(secure, "dismiss", [principal_id], headers=headers))


@pytest.mark.parametrize("kind", KINDS)
def test_a_role_without_the_delegated_scope_opens_nothing(secure: TestClient, kind: Kind) -> None:
    principal_id, _ = seeded(secure, kind)
    headers = analyst(secure, kind, "Security Administrator", scopes=(kind.read, "User.Read"))

    assert secure.get(kind.url(), headers=headers).status_code == 200
    forbidden(kind.act(secure, "dismiss", [principal_id], headers=headers))
    forbidden(secure.get(kind.detections_url(), headers=headers))


@pytest.mark.parametrize("kind", KINDS)
def test_each_sub_request_of_a_batch_is_authorized_on_its_own(
    secure: TestClient, kind: Kind
) -> None:
    principal_id, _ = seeded(secure, kind)
    version = kind.root.split("/")[1]
    base = f"/identityProtection/{kind.set}"
    requests = [
        {
            "id": "1",
            "method": "POST",
            "url": f"{base}/dismiss",
            "headers": {"Content-Type": "application/json"},
            "body": {kind.ids_field: [principal_id]},
        },
        {"id": "2", "method": "GET", "url": f"{base}/{principal_id}"},
    ]

    response = secure.post(
        f"/{version}/$batch",
        json={"requests": requests},
        headers=app_bearer(secure, TENANT_A, kind.read),
    )

    refused, read = odata_json(response)["responses"]
    assert (refused["status"], refused["body"]["error"]["message"]) == (403, MISSING)
    assert (read["status"], read["body"]["riskState"]) == (200, "atRisk")


# -- tenants: every endpoint sees only the caller's tenant ---------------------------------------


@pytest.fixture
def any_secure(database: Database, clock: FakeClock) -> TestClient:
    """Tokens verified, on SQLite and on PostgreSQL."""
    return make_client(database, clock, auth="on")


@dataclass(frozen=True, slots=True)
class Tenants:
    a: dict[str, str]  # tenant A's writer
    b: dict[str, str]  # tenant B's writer
    a_principal: str  # risky, with two history items
    a_detection: str
    b_principal: str


def two_tenants(client: TestClient, clock: FakeClock, kind: Kind) -> Tenants:
    a = app_bearer(client, TENANT_A, kind.write, EVENTS)
    a_principal, a_detection = seeded(client, kind, TENANT_A)
    clock.advance(minutes=1)
    assert kind.act(client, "confirmCompromised", [a_principal], headers=a).status_code == 204
    b_principal, _ = seeded(client, kind, TENANT_B)
    return Tenants(
        a=a,
        b=app_bearer(client, TENANT_B, kind.write, EVENTS),
        a_principal=a_principal,
        a_detection=a_detection,
        b_principal=b_principal,
    )


@pytest.mark.parametrize(("kind", "root"), ROOTED)
def test_lists_and_counts_show_only_the_callers_tenant(
    any_secure: TestClient, clock: FakeClock, kind: Kind, root: str
) -> None:
    tenants = two_tenants(any_secure, clock, kind)

    principals = any_secure.get(kind.url("", root), headers=tenants.b).json()["value"]
    counted = any_secure.get(kind.url("/$count", root), headers=tenants.b).text
    counted_all = any_secure.get(kind.url("?$count=true", root), headers=tenants.b).json()
    detections = any_secure.get(kind.detections_url("", root), headers=tenants.b).json()["value"]

    assert [p["id"] for p in principals] == [tenants.b_principal]
    assert (counted, counted_all["@odata.count"]) == ("1", 1)
    assert {d[kind.id_field] for d in detections} == {tenants.b_principal}


def entity_paths(kind: Kind) -> list[str]:
    paths = ["/{set}/{principal}", "/{detections}/{detection}"]
    if kind.has_history:
        paths += [
            "/{set}/{principal}/history",
            "/{set}/{principal}/history/{principal}",
            "/{set}/{principal}/history/{principal}{ticks}",
        ]
    return paths


@pytest.mark.parametrize(
    ("kind", "path"),
    [
        pytest.param(k, path, id=f"{k.name}-{path}")
        for k in (SERVICE_PRINCIPALS, AGENTS)
        for path in entity_paths(k)
    ],
)
def test_another_tenants_entities_are_not_found(
    any_secure: TestClient, clock: FakeClock, kind: Kind, path: str
) -> None:
    tenants = two_tenants(any_secure, clock, kind)
    url = kind.root + path.format(
        set=kind.set,
        detections=kind.detections,
        principal=tenants.a_principal,
        detection=tenants.a_detection,
        ticks=T0_TICKS,
    )

    assert any_secure.get(url, headers=tenants.a).status_code == 200
    response = any_secure.get(url, headers=tenants.b)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NotFound"


@pytest.mark.parametrize(("kind", "action"), KIND_ACTIONS)
def test_actions_cannot_touch_another_tenants_principals(
    any_secure: TestClient, clock: FakeClock, kind: Kind, action: str
) -> None:
    tenants = two_tenants(any_secure, clock, kind)
    before = snapshot(any_secure, kind, tenants.a_principal, **tenants.a)
    clock.advance(minutes=1)

    response = kind.act(any_secure, action, [tenants.a_principal], headers=tenants.b)

    assert response.status_code == 204  # an id unknown to the caller's tenant is ignored
    assert snapshot(any_secure, kind, tenants.a_principal, **tenants.a) == before


@pytest.mark.parametrize("kind", KINDS)
def test_a_skiptoken_of_one_tenant_is_refused_to_another(
    any_secure: TestClient, clock: FakeClock, kind: Kind
) -> None:
    tenants = two_tenants(any_secure, clock, kind)
    seeded(any_secure, kind, TENANT_A)
    urls = [kind.url("?$top=1"), kind.detections_url("?$top=1")]
    if kind.has_history:
        urls.append(kind.url(f"/{tenants.a_principal}/history?$top=1"))

    for url in urls:
        next_link = any_secure.get(url, headers=tenants.a).json()["@odata.nextLink"]
        bad_request(any_secure.get(next_link, headers=tenants.b), "The $skiptoken is not valid.")


@pytest.mark.parametrize("kind", KINDS)
def test_an_admin_of_one_tenant_cannot_seed_another(any_secure: TestClient, kind: Kind) -> None:
    principal_id, _ = seeded(any_secure, kind, TENANT_B)
    headers = admin(any_secure, TENANT_A)
    base = f"/_admin/tenants/{TENANT_B}"

    for method, path, body in (
        ("POST", kind.admin_set, {"value": [kind.directory()]}),
        ("POST", kind.detections, {"value": [kind.detection()]}),
        ("DELETE", f"{kind.admin_set}/{principal_id}", None),
    ):
        response = any_secure.request(method, f"{base}/{path}", json=body, headers=headers)
        forbidden(response, "The token's tenant does not administer this tenant.")
    tenant_b = app_bearer(any_secure, TENANT_B, kind.read)
    assert odata_json(any_secure.get(kind.url(), headers=tenant_b))["value"][0]["id"] == (
        principal_id
    )


# -- licences -------------------------------------------------------------------------------------


def set_tenant(client: TestClient, **update: Any) -> None:
    response = client.put(f"/_admin/tenants/{TENANT}", json=update)
    assert response.status_code == 204, response.text


def every_endpoint(client: TestClient, kind: Kind, principal_id: str) -> list[httpx.Response]:
    """The kind's every operation, on every version serving it; `principal_id` has one
    detection."""
    (detection,) = kind.add_detections(client, kind.detection(**{kind.id_field: principal_id}))
    detection_urls = [kind.detections_url(), kind.detections_url(f"/{detection['id']}")]
    return [
        *(
            client.get(url)
            for root in kind.roots
            for url in [*read_urls(kind, principal_id, root), *detection_urls]
        ),
        *(
            kind.act(client, action, [principal_id], root=root)
            for root in kind.roots
            for action in kind.actions
        ),
    ]


@pytest.mark.parametrize("kind", KINDS)
def test_a_free_tenant_is_refused_everything(any_client: TestClient, kind: Kind) -> None:
    principal_id = kind.risky(any_client)
    set_tenant(any_client, licence="Free")

    for response in every_endpoint(any_client, kind, principal_id):
        forbidden(response, NOT_LICENSED)
    set_tenant(any_client, licence="P2")
    assert odata_json(any_client.get(kind.url(f"/{principal_id}")))["riskState"] == "atRisk"


def test_agents_need_p2(any_client: TestClient) -> None:
    agent_id = risky_agent(any_client)
    set_tenant(any_client, licence="P1")

    for response in every_endpoint(any_client, AGENTS, agent_id):
        forbidden(response, NOT_LICENSED)


@pytest.mark.parametrize("root", SERVICE_PRINCIPALS.roots)
@pytest.mark.parametrize("action", SERVICE_PRINCIPALS.actions)
def test_without_workload_identities_premium_service_principal_actions_are_refused(
    any_client: TestClient, clock: FakeClock, root: str, action: str
) -> None:
    principal_id = risky_service_principal(any_client)
    set_tenant(any_client, workloadIdentities=False)
    before = snapshot(any_client, SERVICE_PRINCIPALS, principal_id)
    clock.advance(minutes=1)

    response = act_on_service_principals(any_client, action, [principal_id], root=root)

    forbidden(response, NOT_LICENSED)
    assert snapshot(any_client, SERVICE_PRINCIPALS, principal_id) == before
    # Refused before the ids are looked at: unknown ids too.
    forbidden(act_on_service_principals(any_client, action, [new_id()], root=root), NOT_LICENSED)


# -- action bodies -------------------------------------------------------------------------------


def body_refusals(kind: Kind, action: str) -> list[tuple[Any, str]]:
    """(body, message) pairs: bodies the action refuses, and Graph's messages for them."""
    field = kind.ids_field
    other = "agentIds" if field == "servicePrincipalIds" else "servicePrincipalIds"
    return [
        ({"userIds": [new_id()]}, _not_a_parameter("userIds", action)),
        ({other: [new_id()]}, _not_a_parameter(other, action)),
        ({field: [new_id()], "reason": "benign"}, _not_a_parameter("reason", action)),
        ({}, f"The parameter '{field}' is required for the operation '{action}'."),
        ({field: []}, f"The parameter '{field}' must hold at least one id."),
        (
            {field: [new_id() for _ in range(61)]},
            f"The parameter '{field}' can hold at most 60 ids; 61 were given.",
        ),
        ({field: [new_id(), 42]}, f"{field}[1] must be a non-empty string."),
        ({field: [None]}, f"{field}[0] must be a non-empty string."),
        ({field: [{"id": new_id()}]}, f"{field}[0] must be a non-empty string."),
        ({field: [new_id(), new_id(), ""]}, f"{field}[2] must be a non-empty string."),
        ({field: ["   "]}, f"{field}[0] must be a non-empty string."),
        ({field: new_id()}, f"The parameter '{field}' must be an array of strings."),
        ({field: None}, f"The parameter '{field}' must be an array of strings."),
        ([new_id()], f"The request body must be a JSON object with a '{field}' array."),
        (None, f"The request body must be a JSON object with a '{field}' array."),
    ]


def _not_a_parameter(name: str, action: str) -> str:
    return (
        f"The parameter '{name}' in the request payload is not a valid parameter for the "
        f"operation '{action}'."
    )


@pytest.mark.parametrize(("kind", "root", "action"), ACTIONS)
def test_refused_bodies_say_why(client: TestClient, kind: Kind, root: str, action: str) -> None:
    url = kind.url(f"/{action}", root)

    for body, message in body_refusals(kind, action):
        bad_request(client.post(url, content=json.dumps(body), headers=JSON), message)


@pytest.mark.parametrize(("kind", "root", "action"), ACTIONS)
def test_bodies_that_are_not_json_are_refused(
    client: TestClient, kind: Kind, root: str, action: str
) -> None:
    url = kind.url(f"/{action}", root)
    body = json.dumps({kind.ids_field: [new_id()]}).encode()

    bad_request(client.post(url, content=body), UNREADABLE)
    bad_request(client.post(url, content=body, headers={"Content-Type": "text/plain"}), UNREADABLE)
    bad_request(client.post(url, content=body[:-2], headers=JSON), UNREADABLE)
    bad_request(
        client.post(url, content=b" ", headers=JSON), "Empty Payload. JSON content expected."
    )


@pytest.mark.parametrize(("kind", "root", "action"), ACTIONS)
def test_sixty_ids_and_instance_annotations_are_accepted(
    client: TestClient, kind: Kind, root: str, action: str
) -> None:
    ids = [new_id() for _ in range(60)]
    body = {"@odata.type": f"#microsoft.graph.{action}", kind.ids_field: ids}

    assert client.post(kind.url(f"/{action}", root), json=body).status_code == 204


@pytest.mark.parametrize(("kind", "action"), KIND_ACTIONS)
def test_a_refused_body_changes_nothing(any_client: TestClient, kind: Kind, action: str) -> None:
    principal_id = kind.risky(any_client)
    before = snapshot(any_client, kind, principal_id)

    for ids in ([principal_id, *(new_id() for _ in range(60))], [principal_id, 7]):
        response = any_client.post(kind.url(f"/{action}"), json={kind.ids_field: ids})
        assert response.status_code == 400

    assert snapshot(any_client, kind, principal_id) == before


# -- ids that name no principal of the kind ------------------------------------------------------


def foreign_ids(client: TestClient, kind: Kind) -> list[str]:
    """Ids of the tenant's risky principals of other kinds (a user's, and the other kind's)."""
    other = risky_agent if kind is SERVICE_PRINCIPALS else risky_service_principal
    return [risky_user(client), other(client)]


@pytest.mark.parametrize(("kind", "action"), KIND_ACTIONS)
def test_ids_of_other_kinds_and_unknown_ids_are_ignored(
    any_client: TestClient, clock: FakeClock, kind: Kind, action: str
) -> None:
    principal_id = kind.risky(any_client)
    user_id, other_id = foreign_ids(any_client, kind)
    other_kind = AGENTS if kind is SERVICE_PRINCIPALS else SERVICE_PRINCIPALS
    before = [
        snapshot(any_client, kind, principal_id),
        snapshot(any_client, other_kind, other_id),
        odata_json(any_client.get(f"{V1}/riskyUsers/{user_id}")),
    ]
    clock.advance(minutes=1)

    response = kind.act(any_client, action, [user_id, other_id, new_id(), "not-a-guid", "a\0b"])

    assert response.status_code == 204
    assert [
        snapshot(any_client, kind, principal_id),
        snapshot(any_client, other_kind, other_id),
        odata_json(any_client.get(f"{V1}/riskyUsers/{user_id}")),
    ] == before


@pytest.mark.parametrize(("kind", "action"), KIND_ACTIONS)
def test_strict_actions_refuse_ids_of_other_kinds_and_change_nothing(
    strict_client: TestClient, clock: FakeClock, kind: Kind, action: str
) -> None:
    principal_id = kind.risky(strict_client)
    user_id, other_id = foreign_ids(strict_client, kind)
    unknown = new_id()
    before = snapshot(strict_client, kind, principal_id)
    clock.advance(minutes=1)

    response = kind.act(strict_client, action, [principal_id, user_id, other_id, unknown])

    missing = f"{user_id}, {other_id}, {unknown}"  # as the request names them
    bad_request(response, f"These {kind.ids_field} do not exist in your tenant: {missing}.")
    assert snapshot(strict_client, kind, principal_id) == before


@pytest.mark.parametrize("kind", KINDS)
def test_strict_actions_accept_known_ids_in_any_case(strict_client: TestClient, kind: Kind) -> None:
    principal_id = kind.risky(strict_client)

    assert kind.act(strict_client, "dismiss", [principal_id.upper()]).status_code == 204

    found = odata_json(strict_client.get(kind.url(f"/{principal_id}")))
    assert (found["riskLevel"], found["riskState"]) == ("none", "dismissed")


def test_a_user_action_ignores_service_principal_and_agent_ids(any_client: TestClient) -> None:
    principal_id, agent_id = risky_service_principal(any_client), risky_agent(any_client)

    assert act(any_client, "confirmCompromised", [principal_id, agent_id]).status_code == 204

    for kind, found_id in ((SERVICE_PRINCIPALS, principal_id), (AGENTS, agent_id)):
        assert odata_json(any_client.get(kind.url(f"/{found_id}")))["riskState"] == "atRisk"
    assert odata_json(any_client.get(f"{V1}/riskyUsers"))["value"] == []


# -- repeats and duplicates: never refused, never twice ------------------------------------------


@pytest.mark.parametrize(("kind", "action"), KIND_ACTIONS)
def test_repeating_an_action_changes_nothing(
    any_client: TestClient, clock: FakeClock, kind: Kind, action: str
) -> None:
    principal_id = kind.risky(any_client)
    clock.advance(minutes=1)
    assert kind.act(any_client, action, [principal_id]).status_code == 204
    before = snapshot(any_client, kind, principal_id)
    clock.advance(minutes=1)

    assert kind.act(any_client, action, [principal_id]).status_code == 204
    assert kind.act(any_client, action, [principal_id.upper()]).status_code == 204

    assert snapshot(any_client, kind, principal_id) == before


@pytest.mark.parametrize("kind", KINDS)
def test_duplicate_ids_act_once(any_client: TestClient, clock: FakeClock, kind: Kind) -> None:
    principal_id = kind.risky(any_client)
    clock.advance(minutes=1)

    response = kind.act(
        any_client, "confirmCompromised", [principal_id, principal_id.upper(), principal_id]
    )

    assert response.status_code == 204
    detections = odata_json(any_client.get(kind.detections_url()))["value"]
    assert len(detections) == 2  # the one that made it risky, and the one the action recorded
    if kind.has_history:
        assert len(odata_json(any_client.get(kind.url(f"/{principal_id}/history")))["value"]) == 2


# -- deleted principals: the whole request is refused --------------------------------------------


@pytest.mark.parametrize(("kind", "action"), KIND_ACTIONS)
def test_a_deleted_principal_among_the_ids_refuses_the_request_and_changes_nothing(
    any_client: TestClient, clock: FakeClock, kind: Kind, action: str
) -> None:
    alive, deleted = kind.risky(any_client), kind.risky(any_client)
    kind.delete(any_client, deleted)
    before = snapshot(any_client, kind, alive, deleted)
    clock.advance(minutes=1)

    response = kind.act(any_client, action, [alive, deleted, new_id()])

    bad_request(
        response,
        f"{action} cannot be applied to deleted {kind.plural}. "
        f"These {kind.ids_field} belong to deleted {kind.plural}: {deleted}.",
    )
    assert snapshot(any_client, kind, alive, deleted) == before


@pytest.mark.parametrize("kind", KINDS)
def test_deleted_principals_are_named_before_unknown_ids_in_strict_mode(
    strict_client: TestClient, kind: Kind
) -> None:
    first, second = sorted([kind.risky(strict_client), kind.risky(strict_client)])
    kind.delete(strict_client, first)
    kind.delete(strict_client, second)

    bad_request(
        kind.act(strict_client, "dismiss", [second.upper(), new_id(), first]),
        f"dismiss cannot be applied to deleted {kind.plural}. "
        f"These {kind.ids_field} belong to deleted {kind.plural}: {second}, {first}.",
    )


@pytest.mark.parametrize("kind", KINDS)
def test_a_deleted_directory_principal_that_was_never_risky_is_refused_too(
    client: TestClient, kind: Kind
) -> None:
    body = kind.directory()
    kind.add_directory(client, body)
    kind.delete(client, body["id"])

    bad_request(
        kind.act(client, "confirmCompromised", [body["id"]]),
        f"confirmCompromised cannot be applied to deleted {kind.plural}. "
        f"These {kind.ids_field} belong to deleted {kind.plural}: {body['id']}.",
    )
    assert client.get(kind.url(f"/{body['id']}")).status_code == 404


@pytest.mark.parametrize("kind", KINDS)
def test_detections_for_a_deleted_principal_are_refused(client: TestClient, kind: Kind) -> None:
    principal_id = kind.risky(client)
    kind.delete(client, principal_id)
    response = client.post(
        f"/_admin/tenants/{TENANT}/{kind.detections}",
        json={"value": [kind.detection(**{kind.id_field: principal_id})]},
    )

    bad_request(response, f"Detections cannot be added for deleted {kind.plural}: {principal_id}.")


# -- routes Graph does not have ------------------------------------------------------------------


@pytest.mark.parametrize("root", SERVICE_PRINCIPALS.roots)
@pytest.mark.parametrize("segment", ["confirmSafe", "microsoft.graph.confirmSafe", "CONFIRMSAFE"])
def test_confirm_safe_is_no_service_principal_action(
    any_client: TestClient, root: str, segment: str
) -> None:
    principal_id = risky_service_principal(any_client)
    before = snapshot(any_client, SERVICE_PRINCIPALS, principal_id)
    url = f"{root}/riskyServicePrincipals/{segment}"

    for body in ({"servicePrincipalIds": [principal_id]}, {"userIds": []}, None):
        bad_request(
            any_client.post(url, content=json.dumps(body), headers=JSON),
            "Resource not found for the segment 'confirmSafe'.",
        )
    assert snapshot(any_client, SERVICE_PRINCIPALS, principal_id) == before


def test_confirm_safe_on_service_principals_needs_a_reader_to_be_told_it_is_no_route(
    secure: TestClient,
) -> None:
    """docs/compatibility.md: 400 once the caller may read risky service principals."""
    url = f"{V1}/riskyServicePrincipals/confirmSafe"
    body = {"servicePrincipalIds": [new_id()]}
    segment = "Resource not found for the segment 'confirmSafe'."

    graph_error(
        secure.post(url, json=body), 401, "InvalidAuthenticationToken", "Access token is empty."
    )
    forbidden(
        secure.post(
            url, json=body, headers=app_bearer(secure, TENANT_A, "IdentityRiskyUser.ReadWrite.All")
        )
    )
    for permission in (SERVICE_PRINCIPALS.read, SERVICE_PRINCIPALS.write):
        headers = app_bearer(secure, TENANT_A, permission)
        bad_request(secure.post(url, json=body, headers=headers), segment)
    response = secure.get(url, headers=app_bearer(secure, TENANT_A, SERVICE_PRINCIPALS.read))
    graph_error(response, 405, "Request_BadRequest", METHOD_NOT_ALLOWED)
    assert response.headers["allow"] == "POST"


@pytest.mark.parametrize(
    ("url", "segment"),
    [
        (f"{V1}/riskyAgents", "riskyAgents"),
        (f"{V1}/agentRiskDetections", "agentRiskDetections"),
        ("/beta/riskyAgents", "riskyAgents"),
        ("/beta/agentRiskDetections", "agentRiskDetections"),
        ("/beta/riskyServicePrincipals", "riskyServicePrincipals"),
        ("/beta/servicePrincipalRiskDetections", "servicePrincipalRiskDetections"),
        ("/v1.0/riskyServicePrincipals", "riskyServicePrincipals"),
        (f"{BETA}/riskyAgents/{{agent}}/history", "history"),
        (f"{BETA}/riskyAgents/{{agent}}/devices", "devices"),
    ],
)
def test_paths_no_version_serves_are_a_bad_request_naming_the_segment(
    client: TestClient, url: str, segment: str
) -> None:
    agent_id = risky_agent(client)

    bad_request(
        client.get(url.format(agent=agent_id)), f"Resource not found for the segment '{segment}'."
    )


@pytest.mark.parametrize(
    ("method", "url", "segment"),
    [
        ("GET", f"{V1}/riskyAgents/{{agent}}", "riskyAgents"),
        ("GET", f"{V1}/riskyAgents/$count", "riskyAgents"),
        ("POST", f"{V1}/riskyAgents/dismiss", "riskyAgents"),
        ("GET", "/beta/riskyServicePrincipals/{agent}", "riskyServicePrincipals"),
        ("GET", f"{BETA}/riskyAgents/{{agent}}/history/{{agent}}", "history"),
        ("GET", "/v1.0/riskyUsers/{agent}", "riskyUsers"),
    ],
)
def test_a_collection_a_root_lacks_is_named_whatever_follows_it(
    client: TestClient, method: str, url: str, segment: str
) -> None:
    agent_id = risky_agent(client)

    response = client.request(method, url.format(agent=agent_id), json={"agentIds": [agent_id]})

    bad_request(response, f"Resource not found for the segment '{segment}'.")


def wrong_methods(kind: Kind) -> list[tuple[str, str, str]]:
    """(method, path, the methods the path answers)."""
    found = [(m, f"/{kind.set}/{a}", "POST") for a in kind.actions for m in ("GET", "PUT")]
    found += [
        ("POST", f"/{kind.set}", "GET"),
        ("POST", f"/{kind.set}/{{id}}", "GET"),  # an unknown action names a principal
        ("PATCH", f"/{kind.set}/{{id}}", "GET"),
        ("DELETE", f"/{kind.set}/{{id}}", "GET"),
        ("POST", f"/{kind.detections}", "GET"),
        ("DELETE", f"/{kind.detections}/{{id}}", "GET"),
    ]
    if kind.has_history:
        found += [("POST", f"/{kind.set}/{{id}}/history", "GET")]
    return found


@pytest.mark.parametrize(
    ("kind", "method", "path", "allow"),
    [
        pytest.param(k, method, path, allow, id=f"{k.name}-{method}-{path}")
        for k in (SERVICE_PRINCIPALS, AGENTS)
        for method, path, allow in wrong_methods(k)
    ],
)
def test_a_wrong_method_is_method_not_allowed(
    client: TestClient, kind: Kind, method: str, path: str, allow: str
) -> None:
    principal_id = kind.risky(client)
    url = kind.root + path.replace("{id}", principal_id)

    response = client.request(method, url, json={kind.ids_field: [principal_id]})

    graph_error(response, 405, "Request_BadRequest", METHOD_NOT_ALLOWED)
    assert response.headers["allow"] == allow


def test_an_unknown_action_names_a_principal_and_is_method_not_allowed(
    client: TestClient,
) -> None:
    for url in (f"{V1}/riskyServicePrincipals/remediate", f"{BETA}/riskyAgents/restore"):
        response = client.post(url, json={})
        graph_error(response, 405, "Request_BadRequest", METHOD_NOT_ALLOWED)
        assert response.headers["allow"] == "GET"


# -- query options outside each collection's surface ---------------------------------------------


QUERY_REFUSALS = [
    # (kind, path, query, message)
    *(
        (k, f"/{k.set}", q, m)
        for k in (SERVICE_PRINCIPALS, AGENTS)
        for q, m in [
            ("$filter=riskLevel gt 'low'", "Invalid filter clause: operator 'gt' is not "
             "supported on 'riskLevel' (supported: eq, in, ne) at column 11."),
            ("$filter=userDisplayName eq 'x'", "Invalid filter clause: unknown property "
             "'userDisplayName' at column 1."),
            ("$filter=contains(id,'a')", "Invalid filter clause: function 'contains' is not "
             "supported at column 1."),
            ("$filter=riskState eq 'remediate'", "Invalid filter clause: 'remediate' is not a "
             "member of riskState (valid members: atRisk, confirmedCompromised, confirmedSafe, "
             "dismissed, none, remediated, unknownFutureValue) at column 14."),
            ("$orderby=id,riskLevel", "Invalid $orderby clause: only one property can be given "
             "(ties are ordered by id)."),
            ("$top=0", "Invalid value '0' for query option '$top': it must be a whole number "
             "from 1 to 500."),
            ("$top=501", "Invalid value '501' for query option '$top': it must be a whole number "
             "from 1 to 500."),
            ("$count=yes", "Invalid value 'yes' for query option '$count': it must be true or "
             "false."),
            ("$skip=1", "Query option '$skip' is not supported."),
            ("$expand=history", "Query option '$expand' is not supported."),
            ("$search=x", "Query option '$search' is not supported."),
            ("$top=1&top=2", "Query option '$top' was specified more than once."),
            ("$skiptoken=garbage", "The $skiptoken is not valid."),
        ]
    ),
    *(
        (k, f"/{k.set}/$count", f"{q}=x", f"Query option '{q}' is not allowed with /$count.")
        for k in (SERVICE_PRINCIPALS, AGENTS)
        for q in ("$top", "$select", "$orderby", "$count")
    ),
    *(
        (k, f"/{k.detections}", q, m)
        for k in (SERVICE_PRINCIPALS, AGENTS)
        for q, m in [
            ("$count=true", f"Query option '$count' is not supported on {k.detections}."),
            ("$orderby=riskLevel", "Invalid $orderby clause: 'riskLevel' cannot be ordered by "
             f"(sortable: detectedDateTime, activityDateTime, "
             f"{'lastUpdatedDateTime' if k is SERVICE_PRINCIPALS else 'lastModifiedDateTime'})."),
            ("$filter=userId eq 'x'", "Invalid filter clause: unknown property 'userId' at "
             "column 1."),
        ]
    ),
    (SERVICE_PRINCIPALS, "/riskyServicePrincipals", "$orderby=riskLevel",
     "Invalid $orderby clause: 'riskLevel' cannot be ordered by (sortable: "
     "riskLastUpdatedDateTime, displayName)."),
    (SERVICE_PRINCIPALS, "/riskyServicePrincipals", "$orderby=riskLastModifiedDateTime",
     "Invalid $orderby clause: 'riskLastModifiedDateTime' cannot be ordered by (sortable: "
     "riskLastUpdatedDateTime, displayName)."),
    (SERVICE_PRINCIPALS, "/riskyServicePrincipals", "$filter=id eq 'not-a-guid'",
     "Invalid filter clause: expected a value of type Guid for 'id', found string "
     "'not-a-guid' at column 7."),
    (SERVICE_PRINCIPALS, "/riskyServicePrincipals", "$filter=isDeleted eq false",
     "Invalid filter clause: unknown property 'isDeleted' at column 1."),
    (SERVICE_PRINCIPALS, "/riskyServicePrincipals", "$filter=riskDetail eq "
     "'adminDismissedAllRiskForServicePrincipal'", "Invalid filter clause: "
     "'adminDismissedAllRiskForServicePrincipal' is an evolvable member of riskDetail; send the "
     "header 'Prefer: include-unknown-enum-members' to filter on it."),
    (SERVICE_PRINCIPALS, "/riskyServicePrincipals", "$select=accountEnabled",
     "Could not find a property named 'accountEnabled' on type "
     "'microsoft.graph.riskyServicePrincipal'."),
    (SERVICE_PRINCIPALS, "/riskyServicePrincipals", "$select=isDeleted",
     "Could not find a property named 'isDeleted' on type "
     "'microsoft.graph.riskyServicePrincipal'."),
    (SERVICE_PRINCIPALS, "/servicePrincipalRiskDetections", "$select=mitreTechniqueId",
     "Could not find a property named 'mitreTechniqueId' on type "
     "'microsoft.graph.servicePrincipalRiskDetection'."),
    (SERVICE_PRINCIPALS, "/servicePrincipalRiskDetections", "$filter=activity eq "
     "'servicePrincipal'", "Invalid filter clause: 'servicePrincipal' is an evolvable member of "
     "activityType; send the header 'Prefer: include-unknown-enum-members' to filter on it."),
    (AGENTS, "/riskyAgents", "$orderby=riskLastUpdatedDateTime",
     "Invalid $orderby clause: 'riskLastUpdatedDateTime' cannot be ordered by (sortable: "
     "riskLastModifiedDateTime, agentDisplayName)."),
    (AGENTS, "/riskyAgents", "$filter=riskLastUpdatedDateTime eq null",
     "Invalid filter clause: unknown property 'riskLastUpdatedDateTime' at column 1."),
    (AGENTS, "/riskyAgents", "$select=displayName,riskLastUpdatedDateTime",
     "Could not find a property named 'displayName' on type 'microsoft.graph.riskyAgent'."),
    (AGENTS, "/riskyAgents", "$filter=identityType eq 'user'",
     "Invalid filter clause: 'user' is not a member of agentIdentityType (valid members: "
     "agentIdentity, agentIdentityBlueprintPrincipal, agentUser, unknownFutureValue) at "
     "column 17."),
    (AGENTS, "/agentRiskDetections", "$select=lastUpdatedDateTime",
     "Could not find a property named 'lastUpdatedDateTime' on type "
     "'microsoft.graph.agentRiskDetection'."),
    (AGENTS, "/agentRiskDetections", "$filter=riskEvidence gt 'a'",
     "Invalid filter clause: operator 'gt' is not supported on 'riskEvidence' (supported: eq, "
     "in, ne, startswith) at column 14."),
]  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "path", "query", "message"),
    [
        pytest.param(k, path, query, message, id=f"{k.name}{path}?{query}")
        for k, path, query, message in QUERY_REFUSALS
    ],
)
def test_a_query_outside_the_collections_surface_is_a_bad_request(
    client: TestClient, kind: Kind, path: str, query: str, message: str
) -> None:
    bad_request(client.get(f"{kind.root}{path}?{query}"), message)


def history_refusals() -> list[tuple[str, str]]:
    return [
        ("$orderby=riskLevel", "Query option '$orderby' is not supported on history."),
        ("$count=true", "Query option '$count' is not supported on history."),
        ("$filter=id eq 'x'", "Invalid filter clause: unknown property 'id' at column 1."),
        (
            "$filter=userId eq null",
            "Invalid filter clause: unknown property 'userId' at column 1.",
        ),
        (
            "$select=accountEnabled",
            "Could not find a property named 'accountEnabled' on type "
            "'microsoft.graph.riskyServicePrincipalHistoryItem'.",
        ),
    ]


@pytest.mark.parametrize(("query", "message"), history_refusals())
def test_a_query_outside_the_history_surface_is_a_bad_request(
    client: TestClient, query: str, message: str
) -> None:
    principal_id = risky_service_principal(client)

    bad_request(client.get(f"{V1}/riskyServicePrincipals/{principal_id}/history?{query}"), message)


def test_the_count_segments_graph_does_not_serve_are_refused(client: TestClient) -> None:
    principal_id = risky_service_principal(client)

    bad_request(
        client.get(f"{V1}/riskyServicePrincipals/{principal_id}/history/$count"),
        "The /$count segment is not supported on history.",
    )
    for kind in (SERVICE_PRINCIPALS, AGENTS):
        bad_request(
            client.get(kind.detections_url("/$count")),
            f"The /$count segment is not supported on {kind.detections}.",
        )


@pytest.mark.parametrize("kind", KINDS)
def test_a_next_link_of_one_collection_is_refused_by_another(
    client: TestClient, kind: Kind
) -> None:
    for _ in range(2):
        kind.risky(client)
        risky_user(client)
    principals = odata_json(client.get(kind.url("?$top=1")))["@odata.nextLink"]
    users = odata_json(client.get(f"{V1}/riskyUsers?$top=1"))["@odata.nextLink"]
    principals_token = httpx.URL(principals).params["$skiptoken"]
    users_token = httpx.URL(users).params["$skiptoken"]

    other_collection = "The $skiptoken is not valid for this collection."
    other_query = (
        "The $skiptoken belongs to another query: $filter, $orderby and $select must stay as "
        "they were on the first page."
    )

    for url, params, message in (
        (f"{V1}/riskyUsers", {"$skiptoken": principals_token}, other_collection),
        (kind.url(), {"$skiptoken": users_token}, other_collection),
        (kind.detections_url(), {"$skiptoken": principals_token}, other_collection),
        (kind.url(), {"$skiptoken": principals_token, "$select": "id"}, other_query),
        (kind.url(), {"$skiptoken": principals_token, "$filter": "riskLevel ne null"}, other_query),
    ):
        bad_request(client.get(url, params={"$top": "1", **params}), message)
    # $top aside: a page size may change on the way.
    assert odata_json(client.get(kind.url(), params={"$top": "5", "$skiptoken": principals_token}))


# -- unknown entities ----------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "root"), ROOTED)
def test_unknown_and_never_risky_principals_are_not_found(
    client: TestClient, kind: Kind, root: str
) -> None:
    kind.risky(client)
    plain = kind.directory()
    kind.add_directory(client, plain)
    urls = ["{id}"] + (["{id}/history"] if kind.has_history else [])

    for principal_id in (new_id(), plain["id"], "not-a-guid"):
        for url in urls:
            graph_error(
                client.get(kind.url("/" + url.format(id=principal_id), root)),
                404,
                "NotFound",
                f"The {kind.entity} '{principal_id}' was not found.",
            )


@pytest.mark.parametrize(("kind", "root"), ROOTED)
@pytest.mark.parametrize("detection_id", ["0" * 64, "not-an-id", "x" * 300])
def test_an_unknown_detection_is_not_found(
    client: TestClient, kind: Kind, root: str, detection_id: str
) -> None:
    kind.risky(client)

    graph_error(
        client.get(kind.detections_url(f"/{detection_id}", root)),
        404,
        "NotFound",
        f"The {kind.detection_entity} '{detection_id}' was not found.",
    )


def test_detections_of_one_kind_are_not_found_among_another_kinds(client: TestClient) -> None:
    (principal_detection,) = add_service_principal_detections(client, service_principal_detection())
    (agent_detection_found,) = add_agent_detections(client, agent_detection())

    for url in (
        f"{BETA}/agentRiskDetections/{principal_detection['id']}",
        f"{BETA}/riskDetections/{principal_detection['id']}",
        f"{BETA}/servicePrincipalRiskDetections/{agent_detection_found['id']}",
    ):
        assert client.get(url).status_code == 404, url


HISTORY_ITEM_SUFFIXES = [
    "1",
    str(T0_TICKS + 1),
    "0" + str(T0_TICKS),
    "abc",
    "9" * 20,
    "9" * 5000,
    "-1",
    " 1",
    "\u0661",
]


@pytest.mark.parametrize("suffix", HISTORY_ITEM_SUFFIXES)
def test_an_unknown_history_item_is_not_found(any_client: TestClient, suffix: str) -> None:
    principal_id = risky_service_principal(any_client)
    item_id = f"{principal_id}{suffix}"

    graph_error(
        any_client.get(f"{V1}/riskyServicePrincipals/{principal_id}/history/{item_id}"),
        404,
        "NotFound",
        f"The riskyServicePrincipalHistoryItem '{item_id}' was not found.",
    )


def test_a_history_item_of_another_principal_is_not_found(client: TestClient) -> None:
    first, second = risky_service_principal(client), risky_service_principal(client)
    url = f"{V1}/riskyServicePrincipals/{first}/history"

    for item_id in (second, f"{second}{T0_TICKS}", new_id()):
        graph_error(
            client.get(f"{url}/{item_id}"),
            404,
            "NotFound",
            f"The riskyServicePrincipalHistoryItem '{item_id}' was not found.",
        )
    assert odata_json(client.get(f"{url}/{first}{T0_TICKS}"))["id"] == first


def test_a_history_next_link_is_refused_for_another_principals_history(
    client: TestClient, clock: FakeClock
) -> None:
    first, second = risky_service_principal(client), risky_service_principal(client)
    clock.advance(minutes=1)
    act_on_service_principals(client, "dismiss", [first, second])
    link = odata_json(client.get(f"{V1}/riskyServicePrincipals/{first}/history?$top=1"))[
        "@odata.nextLink"
    ]

    bad_request(
        client.get(link.replace(first, second)), "The $skiptoken is not valid for this collection."
    )
    assert len(odata_json(client.get(link.replace(first, first.upper())))["value"]) == 1
