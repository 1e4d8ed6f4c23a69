"""The SOAR playbook of the acceptance scenario, against `idprotect serve --demo`: list the risky
users, service principals and agents (every page), dismiss some of each and confirm one agent
safe, then read the users' and service principals' history and find the new items. Run once
through the official SDKs and once over plain HTTP, with the same assertions."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from azure.identity import ClientSecretCredential
from msgraph.generated.identity_protection.risky_service_principals.dismiss.dismiss_post_request_body import (  # noqa: E501
    DismissPostRequestBody as ServicePrincipalsDismissBody,
)
from msgraph.generated.identity_protection.risky_users.dismiss.dismiss_post_request_body import (
    DismissPostRequestBody as UsersDismissBody,
)
from msgraph_beta.generated.identity_protection.risky_agents.confirm_safe.confirm_safe_post_request_body import (  # noqa: E501
    ConfirmSafePostRequestBody,
)
from msgraph_beta.generated.identity_protection.risky_agents.dismiss.dismiss_post_request_body import (  # noqa: E501
    DismissPostRequestBody as AgentsDismissBody,
)

from idprotect.auth.principal import DEMO_TENANT_ID
from idprotect.issuer.apps import unregistered_app
from idprotect.issuer.service import app_token
from idprotect.store.engine import Database, make_engine
from tests.compat.conftest import ADMIN_ROLE, Tenant
from tests.compat.kinds import PREFER_UNKNOWN, ROLES, config
from tests.compat.loop import Loop
from tests.compat.sdk import GRAPH_SCOPES, beta_client, v1_client
from tests.system.server import ServerProcess

pytestmark = pytest.mark.slow  # a server process of its own, with the demo tenant

KINDS = ("riskyUsers", "riskyServicePrincipals", "riskyAgents")
DISMISSED = {
    "riskyUsers": "adminDismissedAllRiskForUser",
    "riskyServicePrincipals": "adminDismissedAllRiskForServicePrincipal",
    "riskyAgents": "adminDismissedRiskForAgent",
}
# How many at-risk principals of each kind the playbook dismisses.
TO_DISMISS = {"riskyUsers": 3, "riskyServicePrincipals": 2, "riskyAgents": 2}


@dataclass(frozen=True)
class App:
    """The playbook's app registration in the demo tenant."""

    client_id: str
    secret: str
    object_id: str  # what history items name as initiatedBy


@dataclass
class Outcome:
    """What a playbook saw, in Graph's own values, for the shared assertions."""

    listed: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)  # (level, state)
    pages: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    dismissed: dict[str, list[str]] = field(default_factory=dict)
    confirmed_safe: str = ""
    history_before: dict[str, int] = field(default_factory=dict)
    history_after: dict[str, int] = field(default_factory=dict)
    # The newest history item (the one whose id is the principal's): its riskState, activity
    # detail and initiatedBy.
    newest: dict[str, tuple[str, str | None, str | None]] = field(default_factory=dict)
    after: dict[str, tuple[str, str]] = field(default_factory=dict)  # (state, detail)

    def choose(self) -> None:
        """Which principals to act on: the first at risk of each kind, by id."""
        for kind, count in TO_DISMISS.items():
            listed = self.listed[kind].items()
            at_risk = sorted(pid for pid, (_, state) in listed if state == "atRisk")
            self.dismissed[kind] = at_risk[:count]
            if kind == "riskyAgents":
                self.confirmed_safe = at_risk[count]

    @property
    def with_history(self) -> list[tuple[str, str]]:
        return [(kind, pid) for kind in KINDS[:2] for pid in self.dismissed[kind]]


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Tenant]:
    """`idprotect serve --demo --tls`, tokens verified, and an admin door to its demo tenant."""
    server = ServerProcess(
        f"sqlite:///{tmp_path / 'idprotect.db'}", tmp_path, "--demo", auth="on",
        tls_dir=tmp_path / "tls",
    )  # fmt: skip
    database = Database(make_engine(server.db_url))
    try:
        server.start(timeout=60)  # the demo loads before the server listens
        token = app_token(
            database,
            unregistered_app(DEMO_TENANT_ID, "playbook-admin"),
            now=datetime.now(UTC),
            lifetime=timedelta(hours=1),
            roles=frozenset({ADMIN_ROLE}),
        )
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(
            base_url=server.base_url, headers=headers, verify=server.ssl_context()
        ) as admin:
            yield Tenant(server, DEMO_TENANT_ID, admin)
    finally:
        database.dispose()
        server.stop()


def _register(demo: Tenant) -> App:
    body = {"displayName": "SOAR playbook", "roles": list(ROLES)}
    response = demo.admin.post(f"/_admin/tenants/{demo.tenant_id}/applications", json=body)
    assert response.status_code == 201, response.text
    created = response.json()
    return App(created["clientId"], created["clientSecret"], created["objectId"])


# -- the playbook through msgraph-sdk (v1.0) and msgraph-beta-sdk (agents) -------------------


class SdkPlaybook:
    """v1.0 for users and service principals, beta for agents (served there only)."""

    def __init__(self, demo: Tenant, app: App, loop: Loop) -> None:
        signed_in = ClientSecretCredential(
            demo.tenant_id, app.client_id, app.secret,
            authority=demo.server.base_url.removeprefix("https://"),
            disable_instance_discovery=True,
            connection_verify=str(demo.server.ca_certfile),
        )  # fmt: skip
        loop.close_later(signed_in.close)
        self.v1 = v1_client(demo, signed_in, loop).identity_protection
        self.beta = beta_client(demo, signed_in, loop).identity_protection
        self.outcome = Outcome()

    def builder(self, kind: str) -> Any:
        return {
            "riskyUsers": self.v1.risky_users,
            "riskyServicePrincipals": self.v1.risky_service_principals,
            "riskyAgents": self.beta.risky_agents,
        }[kind]

    def item(self, kind: str, pid: str) -> Any:
        if kind == "riskyUsers":
            return self.v1.risky_users.by_risky_user_id(pid)
        if kind == "riskyServicePrincipals":
            return self.v1.risky_service_principals.by_risky_service_principal_id(pid)
        return self.beta.risky_agents.by_risky_agent_id(pid)

    async def run(self) -> Outcome:
        for kind in KINDS:
            await self.list_all(kind)
        self.outcome.choose()
        await self.read_history(self.outcome.history_before)
        await self.act()
        await self.read_history(self.outcome.history_after)
        await self.read_back()
        return self.outcome

    async def list_all(self, kind: str) -> None:
        builder = self.builder(kind)
        pages = await _sdk_pages(builder)
        items = [item for page in pages for item in page.value]
        self.outcome.listed[kind] = {i.id: (i.risk_level.value, i.risk_state.value) for i in items}
        self.outcome.pages[kind] = len(pages)
        self.outcome.counts[kind] = await builder.count.get()

    async def act(self) -> None:
        dismissed = self.outcome.dismissed
        await self.v1.risky_users.dismiss.post(UsersDismissBody(user_ids=dismissed["riskyUsers"]))
        await self.v1.risky_service_principals.dismiss.post(
            ServicePrincipalsDismissBody(service_principal_ids=dismissed["riskyServicePrincipals"])
        )
        await self.beta.risky_agents.dismiss.post(
            AgentsDismissBody(agent_ids=dismissed["riskyAgents"])
        )
        await self.beta.risky_agents.confirm_safe.post(
            ConfirmSafePostRequestBody(agent_ids=[self.outcome.confirmed_safe])
        )

    async def read_history(self, into: dict[str, int]) -> None:
        for kind, pid in self.outcome.with_history:
            pages = await _sdk_pages(self.item(kind, pid).history)
            items = [item for page in pages for item in page.value]
            into[pid] = len(items)
            newest = next(item for item in items if item.id == pid)
            detail = newest.activity.detail  # None on an item a detection wrote
            self.outcome.newest[pid] = (
                newest.risk_state.value,
                detail and detail.value,
                newest.initiated_by,
            )

    async def read_back(self) -> None:
        acted = [(kind, pid) for kind, ids in self.outcome.dismissed.items() for pid in ids]
        for kind, pid in [*acted, ("riskyAgents", self.outcome.confirmed_safe)]:
            found = await self.item(kind, pid).get(request_configuration=config(prefer=True))
            self.outcome.after[pid] = (found.risk_state.value, found.risk_detail.value)


async def _sdk_pages(builder: Any) -> list[Any]:
    """Every page, the nextLinks followed with the builder's with_url, each asking for the
    evolvable enum members."""
    page = await builder.get(request_configuration=config(prefer=True))
    pages = [page]
    while page.odata_next_link:
        page = await builder.with_url(page.odata_next_link).get(
            request_configuration=config(prefer=True)
        )
        pages.append(page)
    return pages


# -- the same playbook over plain HTTP --------------------------------------------------------


# Where each kind is served: agents only on beta.
ROOTS = {"riskyUsers": "v1.0", "riskyServicePrincipals": "v1.0", "riskyAgents": "beta"}
IDS_FIELDS = {
    "riskyUsers": "userIds",
    "riskyServicePrincipals": "servicePrincipalIds",
    "riskyAgents": "agentIds",
}


class HttpPlaybook:
    """The same steps with httpx: query strings, bodies and nextLinks as Graph documents them;
    every request asks for the evolvable enum members."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.outcome = Outcome()

    def url(self, kind: str, path: str = "") -> str:
        return f"/{ROOTS[kind]}/identityProtection/{kind}{path}"

    def run(self) -> Outcome:
        for kind in KINDS:
            self.list_all(kind)
        self.outcome.choose()
        self.read_history(self.outcome.history_before)
        for kind, ids in self.outcome.dismissed.items():
            self.act(kind, "dismiss", ids)
        self.act("riskyAgents", "confirmSafe", [self.outcome.confirmed_safe])
        self.read_history(self.outcome.history_after)
        self.read_back()
        return self.outcome

    def list_all(self, kind: str) -> None:
        pages = self.pages(self.url(kind, "?$count=true"))
        items = [item for page in pages for item in page["value"]]
        self.outcome.listed[kind] = {i["id"]: (i["riskLevel"], i["riskState"]) for i in items}
        self.outcome.pages[kind] = len(pages)
        self.outcome.counts[kind] = pages[0]["@odata.count"]

    def act(self, kind: str, action: str, ids: list[str]) -> None:
        response = self.client.post(self.url(kind, f"/{action}"), json={IDS_FIELDS[kind]: ids})
        assert response.status_code == 204, response.text

    def read_history(self, into: dict[str, int]) -> None:
        for kind, pid in self.outcome.with_history:
            items = [
                i for page in self.pages(self.url(kind, f"/{pid}/history")) for i in page["value"]
            ]
            into[pid] = len(items)
            newest = next(item for item in items if item["id"] == pid)
            self.outcome.newest[pid] = (
                newest["riskState"],
                newest["activity"]["detail"],
                newest["initiatedBy"],
            )

    def read_back(self) -> None:
        acted = [(kind, pid) for kind, ids in self.outcome.dismissed.items() for pid in ids]
        for kind, pid in [*acted, ("riskyAgents", self.outcome.confirmed_safe)]:
            found = self.client.get(self.url(kind, f"/{pid}")).raise_for_status().json()
            self.outcome.after[pid] = (found["riskState"], found["riskDetail"])

    def pages(self, url: str) -> list[dict[str, Any]]:
        found = [self.client.get(url).raise_for_status().json()]
        while next_link := found[-1].get("@odata.nextLink"):
            found.append(self.client.get(next_link).raise_for_status().json())
        return found


def _http_client(demo: Tenant, app: App) -> httpx.Client:
    """Signed in with the client-credentials grant, as a playbook's HTTP step does."""
    verify = demo.server.ssl_context()
    grant = {"grant_type": "client_credentials", "client_id": app.client_id,
             "client_secret": app.secret, "scope": GRAPH_SCOPES[0]}  # fmt: skip
    token_url = f"{demo.server.base_url}/{demo.tenant_id}/oauth2/v2.0/token"
    token = httpx.post(token_url, data=grant, verify=verify).raise_for_status().json()
    headers = {"Authorization": f"Bearer {token['access_token']}", **PREFER_UNKNOWN}
    return httpx.Client(base_url=demo.server.base_url, headers=headers, verify=verify)


# -- the scenario -----------------------------------------------------------------------------


@pytest.mark.parametrize("client", ["sdk", "http"])
def test_playbook_against_the_demo_tenant(demo: Tenant, loop: Loop, client: str):
    app = _register(demo)

    if client == "sdk":
        outcome = loop.run(SdkPlaybook(demo, app, loop).run())
    else:
        with _http_client(demo, app) as http:
            outcome = HttpPlaybook(http).run()

    for kind in KINDS:
        assert outcome.pages[kind] > 1, kind  # every page was read
        assert len(outcome.listed[kind]) == outcome.counts[kind], kind
        levels = {level for level, _ in outcome.listed[kind].values()}
        assert {"low", "medium", "high"} <= levels, kind  # the demo has every level
        for pid in outcome.dismissed[kind]:
            assert outcome.listed[kind][pid][1] == "atRisk"
            assert outcome.after[pid] == ("dismissed", DISMISSED[kind])
    assert [len(outcome.dismissed[kind]) for kind in KINDS] == list(TO_DISMISS.values())
    assert outcome.after[outcome.confirmed_safe] == ("confirmedSafe", "adminConfirmedAgentSafe")
    for kind, pid in outcome.with_history:
        assert outcome.history_after[pid] == outcome.history_before[pid] + 1
        assert outcome.newest[pid] == ("dismissed", DISMISSED[kind], app.object_id)
