"""Service principals and agents in a compatibility tenant: seeded through /_admin, read as raw
Graph JSON with the SDK's own token, and the check that an SDK model kept all of that JSON."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from enum import Enum
from typing import Any

from azure.core.credentials import TokenCredential
from kiota_abstractions.base_request_configuration import RequestConfiguration
from kiota_abstractions.request_adapter import RequestAdapter
from msgraph_core.tasks.page_iterator import PageIterator

from idprotect.testing.graph import DEFAULT_APP_ROLES
from tests.compat.conftest import Tenant
from tests.compat.sdk import GRAPH_SCOPES

# What a SOAR integration is granted: read and act on every kind, read detections.
ROLES = DEFAULT_APP_ROLES
# Graph returns the members declared after unknownFutureValue (the service principals' and
# agents' riskDetail values, activity servicePrincipal, identityType
# agentIdentityBlueprintPrincipal) only to a request that asks for them.
PREFER_UNKNOWN = {"Prefer": "include-unknown-enum-members"}


def sp_detection(**fields: Any) -> dict[str, Any]:
    """A service principal's detection as /_admin takes it, for a new service principal."""
    sp_id = fields.get("servicePrincipalId") or str(uuid.uuid4())
    return {
        "servicePrincipalId": sp_id,
        "servicePrincipalDisplayName": f"App {sp_id[:8]}",
        "appId": str(uuid.uuid5(uuid.NAMESPACE_OID, sp_id)),
        "riskEventType": "leakedCredentials",
        "riskLevel": "high",
        "keyIds": [str(uuid.uuid4())],
        "additionalInfo": '[{"Key":"alertUrl","Value":null}]',
        **fields,
    }


def agent_detection(**fields: Any) -> dict[str, Any]:
    """An agent's detection as /_admin takes it, for a new agent identity."""
    agent_id = fields.get("agentId") or str(uuid.uuid4())
    return {
        "agentId": agent_id,
        "agentDisplayName": f"Agent {agent_id[:8]}",
        "blueprintId": str(uuid.uuid5(uuid.NAMESPACE_OID, "blueprint")),
        "riskEventType": "unfamiliarResourceAccess",
        "riskLevel": "high",
        "riskEvidence": "Agent targeted resources that it does not usually access.",
        **fields,
    }


def add_detections(tenant: Tenant, collection: str, *detections: dict[str, Any]) -> list[Any]:
    """Record detections of the `/_admin` collection (servicePrincipalRiskDetections,
    agentRiskDetections); answers them as Graph shows them."""
    response = tenant.admin.post(
        f"/_admin/tenants/{tenant.tenant_id}/{collection}", json={"value": list(detections)}
    )
    assert response.status_code == 201, response.text
    created: list[Any] = response.json()["value"]
    return created


def add_risky_service_principals(tenant: Tenant, count: int, **fields: Any) -> list[str]:
    created = add_detections(
        tenant,
        "servicePrincipalRiskDetections",
        *(sp_detection(**fields) for _ in range(count)),
    )
    return [d["servicePrincipalId"] for d in created]


def add_risky_agents(tenant: Tenant, count: int, **fields: Any) -> list[str]:
    created = add_detections(
        tenant, "agentRiskDetections", *(agent_detection(**fields) for _ in range(count))
    )
    return [d["agentId"] for d in created]


def raw_json(
    tenant: Tenant, credential: TokenCredential, path: str, *, prefer: bool = False
) -> dict[str, Any]:
    """GET `path` with the token the SDK signs in with: the JSON the SDK parsed."""
    token = credential.get_token(*GRAPH_SCOPES).token
    headers = {"Authorization": f"Bearer {token}", **(PREFER_UNKNOWN if prefer else {})}
    response = tenant.admin.get(path, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def config(query: Any = None, *, prefer: bool = False) -> RequestConfiguration[Any]:
    """A request configuration with `query` parameters and, if asked, the Prefer header."""
    configuration: RequestConfiguration[Any] = RequestConfiguration(query_parameters=query)
    if prefer:
        configuration.headers.add(*next(iter(PREFER_UNKNOWN.items())))
    return configuration


async def all_items(adapter: RequestAdapter, first_page: Any, *, prefer: bool) -> list[Any]:
    """The items of `first_page` and of every page its nextLinks lead to, as the SDK's
    PageIterator reads them; it sends the Prefer header again if asked (it does not carry the
    first request's headers on)."""
    items: list[Any] = []
    iterator = PageIterator(first_page, adapter)
    for name, value in (PREFER_UNKNOWN if prefer else {}).items():
        # Not set_headers: msgraph-core 1.5 passes the dict on as keyword arguments.
        iterator.headers.add(name, value)
    await iterator.iterate(lambda item: items.append(item) or True)
    return items


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _moment(text: str) -> datetime:
    """Graph's DateTimeOffset (seven fractional digits, `Z`) as a datetime, to the microsecond."""
    head, _, fraction = text.removesuffix("Z").partition(".")
    return datetime.fromisoformat(f"{head}.{(fraction or '0')[:6].ljust(6, '0')}+00:00")


def assert_parsed(model: Any, raw: dict[str, Any], *, beyond_sdk: frozenset[str] = frozenset()):
    """`model` (an SDK model read from `raw`) holds every property of `raw` with its value:
    enums as members of the SDK's enum, moments as aware datetimes, objects recursively. Only
    the properties `beyond_sdk` (that the SDK's model does not declare) and annotations other
    than @odata.type may be left in its additional_data."""
    extra = set(getattr(model, "additional_data", {}) or {})
    annotations = {name for name in extra if name.startswith("@") and name != "@odata.type"}
    assert extra - annotations == {name for name in beyond_sdk if name in raw}, extra
    for name, value in raw.items():
        if name in beyond_sdk or name in annotations:
            continue
        if name.startswith("@") and name != "@odata.type":
            continue
        attribute = "odata_type" if name == "@odata.type" else _snake(name)
        assert hasattr(model, attribute), f"{type(model).__name__} has no {attribute}"
        _assert_value(getattr(model, attribute), value, f"{type(model).__name__}.{name}")


def _assert_value(parsed: Any, value: Any, where: str) -> None:
    if value is None:
        assert parsed is None, where
    elif isinstance(parsed, Enum):
        assert parsed.value == value, where
    elif isinstance(parsed, datetime):
        assert parsed.tzinfo is not None, where
        assert parsed == _moment(value), where
    elif isinstance(value, dict):
        assert parsed is not None, where
        assert_parsed(parsed, value)
    else:
        # A value the SDK could not read as its type (an unknown enum member) is None.
        assert parsed == value, f"{where}: {parsed!r} != {value!r}"
