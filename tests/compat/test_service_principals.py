"""Risky service principals through msgraph-sdk (v1.0) and msgraph-beta-sdk: list with query
options, get, history and a history item, dismiss and confirmCompromised with the SDKs' request
bodies, and servicePrincipalRiskDetections. Every model is checked against the JSON it was read
from: each property parsed, enums as the SDK's members."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

import pytest
from azure.core.credentials import TokenCredential

from tests.compat.conftest import Tenant
from tests.compat.kinds import (
    ROLES,
    add_detections,
    add_risky_service_principals,
    all_items,
    assert_parsed,
    config,
    raw_json,
    sp_detection,
)
from tests.compat.loop import Loop
from tests.compat.sdk import beta_client, credential, v1_client

pytestmark = pytest.mark.slow  # a server process

ACTIONS = {
    "dismiss": ("dismissed", "adminDismissedAllRiskForServicePrincipal"),
    "confirm_compromised": ("confirmedCompromised", "adminConfirmedServicePrincipalCompromised"),
}
BODIES = {
    "dismiss": ("dismiss.dismiss_post_request_body", "DismissPostRequestBody"),
    "confirm_compromised": (
        "confirm_compromised.confirm_compromised_post_request_body",
        "ConfirmCompromisedPostRequestBody",
    ),
}
# The v1.0 CSDL (and so msgraph-sdk's model) has no servicePrincipalId on a history item; the
# v1.0 documentation page lists it, and beta declares it.
V1_HISTORY_EXTRA = frozenset({"servicePrincipalId"})


@dataclass(frozen=True)
class Api:
    """One SDK (v1.0 or beta), signed in as an app granted the service principal roles."""

    version: str
    client: Any
    credential: TokenCredential
    tenant: Tenant

    def generated(self, module: str, name: str) -> Any:
        """A class of the SDK's generated code: the same module path in either package."""
        package = "msgraph" if self.version == "v1.0" else "msgraph_beta"
        return getattr(importlib.import_module(f"{package}.generated.{module}"), name)

    def enum(self, module: str, name: str, value: str) -> Any:
        return self.generated(f"models.{module}", name)(value)

    @property
    def risky_service_principals(self) -> Any:
        return self.client.identity_protection.risky_service_principals

    @property
    def detections(self) -> Any:
        return self.client.identity_protection.service_principal_risk_detections

    def list_query(self, **options: Any) -> Any:
        builder = self.generated(
            "identity_protection.risky_service_principals.risky_service_principals_request_builder",
            "RiskyServicePrincipalsRequestBuilder",
        )
        return builder.RiskyServicePrincipalsRequestBuilderGetQueryParameters(**options)

    def detections_query(self, **options: Any) -> Any:
        builder = self.generated(
            "identity_protection.service_principal_risk_detections."
            "service_principal_risk_detections_request_builder",
            "ServicePrincipalRiskDetectionsRequestBuilder",
        )
        return builder.ServicePrincipalRiskDetectionsRequestBuilderGetQueryParameters(**options)

    def action_body(self, action: str, ids: list[str]) -> Any:
        module, name = BODIES[action]
        body = self.generated(f"identity_protection.risky_service_principals.{module}", name)
        return body(service_principal_ids=ids)

    def raw(self, path: str, *, prefer: bool = False) -> dict[str, Any]:
        return raw_json(
            self.tenant,
            self.credential,
            f"/{self.version}/identityProtection/{path}",
            prefer=prefer,
        )

    async def all_items(self, first_page: Any, *, prefer: bool = False) -> list[Any]:
        return await all_items(self.client.request_adapter, first_page, prefer=prefer)

    @property
    def history_extra(self) -> frozenset[str]:
        return V1_HISTORY_EXTRA if self.version == "v1.0" else frozenset()


@pytest.fixture(params=["v1.0", "beta"])
def api(request: pytest.FixtureRequest, tenant: Tenant, loop: Loop) -> Api:
    signed_in = credential(tenant, loop, *ROLES)
    client = (v1_client if request.param == "v1.0" else beta_client)(tenant, signed_in, loop)
    return Api(request.param, client, signed_in, tenant)


def test_list_with_filter_top_select_and_count(tenant: Tenant, api: Api, loop: Loop):
    high = add_risky_service_principals(tenant, 5, riskLevel="high")
    add_risky_service_principals(tenant, 3, riskLevel="medium")
    query = api.list_query(
        filter="riskLevel eq 'high'", top=2, select=["id", "riskLevel", "displayName"], count=True
    )

    async def list_all() -> tuple[Any, list[Any], int | None]:
        first = await api.risky_service_principals.get(request_configuration=config(query))
        total = await api.risky_service_principals.count.get()
        return first, await api.all_items(first), total

    first, principals, total = loop.run(list_all())

    assert first.odata_count == 5
    assert len(first.value) == 2
    assert first.odata_next_link is not None
    assert total == 8
    assert sorted(p.id for p in principals) == sorted(high)
    high_level = api.enum("risk_level", "RiskLevel", "high")
    for principal in principals:
        assert principal.risk_level == high_level
        assert principal.display_name == f"App {principal.id[:8]}"
        assert principal.risk_state is None  # not selected
        assert principal.app_id is None
        assert principal.additional_data == {}


@pytest.mark.parametrize("prefer", [False, True], ids=["plain", "include_unknown"])
def test_get_parses_every_property(tenant: Tenant, api: Api, loop: Loop, prefer: bool):
    (sp_id,) = add_risky_service_principals(tenant, 1, riskLevel="medium")

    by_id = api.risky_service_principals.by_risky_service_principal_id
    principal = loop.run(by_id(sp_id).get(request_configuration=config(prefer=prefer)))

    assert_parsed(principal, api.raw(f"riskyServicePrincipals/{sp_id}", prefer=prefer))
    assert principal.id == sp_id
    assert principal.risk_level == api.enum("risk_level", "RiskLevel", "medium")
    assert principal.risk_state == api.enum("risk_state", "RiskState", "atRisk")
    assert principal.risk_detail == api.enum("risk_detail", "RiskDetail", "none")
    assert principal.is_enabled is True
    assert principal.is_processing is False
    assert principal.service_principal_type == "Application"
    assert principal.risk_last_updated_date_time.tzinfo is not None
    if api.version == "beta":
        assert principal.account_enabled is True  # deprecated, still served on beta


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_actions_with_the_sdk_request_bodies(tenant: Tenant, api: Api, loop: Loop, action: str):
    acted, untouched = add_risky_service_principals(tenant, 2, riskLevel="medium")
    risky = api.risky_service_principals

    async def act_then_read() -> list[Any]:
        await getattr(risky, action).post(api.action_body(action, [acted]))
        by_id = risky.by_risky_service_principal_id
        return [
            await by_id(acted).get(request_configuration=config(prefer=True)),
            await by_id(acted).get(),
            await by_id(untouched).get(),
        ]

    after, after_plain, other = loop.run(act_then_read())

    state, detail = ACTIONS[action]
    assert after.risk_state == api.enum("risk_state", "RiskState", state)
    assert after.risk_detail == api.enum("risk_detail", "RiskDetail", detail)
    level = "none" if action == "dismiss" else "high"
    assert after.risk_level == api.enum("risk_level", "RiskLevel", level)
    # Without the Prefer header the evolvable member is unknownFutureValue, which the SDK knows.
    assert after_plain.risk_detail == api.enum("risk_detail", "RiskDetail", "unknownFutureValue")
    assert other.risk_state == api.enum("risk_state", "RiskState", "atRisk")


def test_history_and_history_item(tenant: Tenant, api: Api, loop: Loop):
    (sp_id,) = add_risky_service_principals(tenant, 1)
    risky = api.risky_service_principals

    async def dismiss_then_history() -> tuple[list[Any], Any]:
        await risky.dismiss.post(api.action_body("dismiss", [sp_id]))
        history = risky.by_risky_service_principal_id(sp_id).history
        page = await history.get(request_configuration=config(prefer=True))
        earlier = next(item for item in page.value if item.id != sp_id)
        item = await history.by_risky_service_principal_history_item_id(earlier.id).get(
            request_configuration=config(prefer=True)
        )
        return page.value, item

    items, item = loop.run(dismiss_then_history())

    raw_items = api.raw(f"riskyServicePrincipals/{sp_id}/history", prefer=True)["value"]
    assert len(items) == len(raw_items) == 2
    for parsed, raw in zip(items, raw_items, strict=True):
        assert_parsed(parsed, raw, beyond_sdk=api.history_extra)
    current = next(i for i in items if i.id == sp_id)
    assert current.risk_state == api.enum("risk_state", "RiskState", "dismissed")
    dismissed = api.enum("risk_detail", "RiskDetail", "adminDismissedAllRiskForServicePrincipal")
    assert current.activity.detail == dismissed
    assert current.initiated_by  # the app's service principal
    raw_item = api.raw(f"riskyServicePrincipals/{sp_id}/history/{item.id}", prefer=True)
    assert_parsed(item, raw_item, beyond_sdk=api.history_extra)
    assert item.risk_state == api.enum("risk_state", "RiskState", "atRisk")
    assert item.activity.risk_event_types == ["leakedCredentials"]
    if api.version == "beta":
        assert {i.service_principal_id for i in items} == {sp_id}
    else:
        # Kiota reads an undeclared GUID string as a UUID.
        assert {str(i.additional_data["servicePrincipalId"]) for i in items} == {sp_id}


@pytest.mark.parametrize("prefer", [False, True], ids=["plain", "include_unknown"])
def test_detections_list_and_get(tenant: Tenant, api: Api, loop: Loop, prefer: bool):
    sp_id = add_risky_service_principals(tenant, 1)[0]
    located = {"city": "Lyon", "countryOrRegion": "FR", "geoCoordinates": {"latitude": 45.76}}
    add_detections(
        tenant,
        "servicePrincipalRiskDetections",
        sp_detection(
            servicePrincipalId=sp_id,
            riskEventType="suspiciousSignins",
            riskLevel="medium",
            activity="signin",
            ipAddress="203.0.113.7",
            location=located,
        ),
        sp_detection(servicePrincipalId=sp_id, riskEventType="maliciousApplication"),
    )
    add_risky_service_principals(tenant, 2)  # others', filtered out
    query = api.detections_query(filter=f"servicePrincipalId eq '{sp_id}'", top=2)

    async def list_then_get() -> tuple[list[Any], Any]:
        first = await api.detections.get(request_configuration=config(query, prefer=prefer))
        found = await api.all_items(first, prefer=prefer)
        one = api.detections.by_service_principal_risk_detection_id(found[0].id)
        return found, await one.get(request_configuration=config(prefer=prefer))

    found, one = loop.run(list_then_get())

    assert len(found) == 3
    raw = {
        d["id"]: d
        for d in api.raw(
            f"servicePrincipalRiskDetections?$filter=servicePrincipalId eq '{sp_id}'", prefer=prefer
        )["value"]
    }
    for detection in found:
        assert_parsed(detection, raw[detection.id])
    assert_parsed(one, api.raw(f"servicePrincipalRiskDetections/{one.id}", prefer=prefer))
    by_type = {d.risk_event_type: d for d in found}
    signin = by_type["suspiciousSignins"]
    assert signin.location.city == "Lyon"
    assert signin.location.geo_coordinates.latitude == 45.76
    assert signin.activity == api.enum("activity_type", "ActivityType", "signin")
    assert signin.token_issuer_type == api.enum("token_issuer_type", "TokenIssuerType", "AzureAD")
    offline = api.enum("risk_detection_timing_type", "RiskDetectionTimingType", "offline")
    assert {d.detection_timing_type for d in found} == {offline}
    leaked = by_type["leakedCredentials"]
    assert leaked.key_ids
    assert leaked.app_id
    assert leaked.service_principal_display_name
    activity = "servicePrincipal" if prefer else "unknownFutureValue"
    assert leaked.activity == api.enum("activity_type", "ActivityType", activity)
