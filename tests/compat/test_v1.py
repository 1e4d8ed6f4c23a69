"""msgraph-sdk (v1.0) against the live server: paging, get, the three actions, history,
detections, all through the SDK's own request builders and models."""

from __future__ import annotations

from datetime import datetime

import pytest
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph import GraphServiceClient
from msgraph.generated.identity_protection.risk_detections.risk_detections_request_builder import (
    RiskDetectionsRequestBuilder,
)
from msgraph.generated.identity_protection.risky_users.confirm_compromised.confirm_compromised_post_request_body import (  # noqa: E501
    ConfirmCompromisedPostRequestBody,
)
from msgraph.generated.identity_protection.risky_users.confirm_safe.confirm_safe_post_request_body import (  # noqa: E501
    ConfirmSafePostRequestBody,
)
from msgraph.generated.identity_protection.risky_users.dismiss.dismiss_post_request_body import (
    DismissPostRequestBody,
)
from msgraph.generated.identity_protection.risky_users.risky_users_request_builder import (
    RiskyUsersRequestBuilder,
)
from msgraph.generated.models.risk_detail import RiskDetail
from msgraph.generated.models.risk_detection import RiskDetection
from msgraph.generated.models.risk_level import RiskLevel
from msgraph.generated.models.risk_state import RiskState
from msgraph.generated.models.risky_user import RiskyUser
from msgraph.generated.models.token_issuer_type import TokenIssuerType
from msgraph_core.tasks.page_iterator import PageIterator

from tests.compat.conftest import Tenant
from tests.compat.loop import Loop
from tests.compat.sdk import credential, v1_client

pytestmark = pytest.mark.slow  # a server process

RiskyUsersQuery = RiskyUsersRequestBuilder.RiskyUsersRequestBuilderGetQueryParameters
DetectionsQuery = RiskDetectionsRequestBuilder.RiskDetectionsRequestBuilderGetQueryParameters


@pytest.fixture
def client(tenant: Tenant, loop: Loop) -> GraphServiceClient:
    return v1_client(tenant, credential(tenant, loop), loop)


async def _all_risky_users(client: GraphServiceClient, top: int) -> tuple[int, list[RiskyUser]]:
    """Every risky user, page by page (`$top`), as the SDK's PageIterator follows nextLinks."""
    config = RequestConfiguration(query_parameters=RiskyUsersQuery(top=top))
    first = await client.identity_protection.risky_users.get(request_configuration=config)
    assert first is not None
    assert first.value is not None
    assert len(first.value) == top
    assert first.odata_next_link is not None
    assert first.odata_next_link.startswith(client.request_adapter.base_url.removesuffix("/v1.0"))
    users: list[RiskyUser] = []
    iterator = PageIterator(first, client.request_adapter)
    await iterator.iterate(lambda user: users.append(user) or True)
    return len(first.value), users


def test_list_risky_users_follows_every_next_link(
    tenant: Tenant, client: GraphServiceClient, loop: Loop
):
    seeded = tenant.add_risky_users(7)

    _, users = loop.run(_all_risky_users(client, top=3))

    assert sorted(u.id for u in users if u.id) == sorted(seeded)
    assert all(isinstance(u, RiskyUser) for u in users)


def test_get_risky_user_parses_every_property(
    tenant: Tenant, client: GraphServiceClient, loop: Loop
):
    (user_id,) = tenant.add_risky_users(1, riskLevel="high")

    user = loop.run(client.identity_protection.risky_users.by_risky_user_id(user_id).get())

    assert user is not None
    assert user.id == user_id
    assert user.risk_level == RiskLevel.High
    assert user.risk_state == RiskState.AtRisk
    assert user.risk_detail == RiskDetail.None_
    assert user.is_deleted is False
    assert user.is_processing is False
    assert isinstance(user.risk_last_updated_date_time, datetime)
    assert user.risk_last_updated_date_time.tzinfo is not None
    assert user.user_principal_name == f"user.{user_id[:8]}@contoso.com"


@pytest.mark.parametrize(
    ("action", "body", "state", "detail"),
    [
        ("dismiss", DismissPostRequestBody, RiskState.Dismissed,
         RiskDetail.AdminDismissedAllRiskForUser),
        ("confirm_compromised", ConfirmCompromisedPostRequestBody,
         RiskState.ConfirmedCompromised, RiskDetail.AdminConfirmedUserCompromised),
        ("confirm_safe", ConfirmSafePostRequestBody, RiskState.ConfirmedSafe, None),
    ],
)  # fmt: skip
def test_actions_change_the_risk_state(
    tenant: Tenant, client: GraphServiceClient, loop: Loop, action: str, body: type,
    state: RiskState, detail: RiskDetail | None,
):  # fmt: skip
    acted, untouched = tenant.add_risky_users(2)
    risky_users = client.identity_protection.risky_users

    async def act_then_read() -> tuple[RiskyUser | None, RiskyUser | None]:
        await getattr(risky_users, action).post(body(user_ids=[acted]))
        return (
            await risky_users.by_risky_user_id(acted).get(),
            await risky_users.by_risky_user_id(untouched).get(),
        )

    after, other = loop.run(act_then_read())

    assert after is not None
    assert other is not None
    assert after.risk_state == state
    assert detail is None or after.risk_detail == detail
    assert other.risk_state == RiskState.AtRisk


def test_history_records_the_dismissal(tenant: Tenant, client: GraphServiceClient, loop: Loop):
    (user_id,) = tenant.add_risky_users(1)
    risky_users = client.identity_protection.risky_users

    async def dismiss_then_history() -> list:
        await risky_users.dismiss.post(DismissPostRequestBody(user_ids=[user_id]))
        page = await risky_users.by_risky_user_id(user_id).history.get()
        assert page is not None
        assert page.value is not None
        return page.value

    history = loop.run(dismiss_then_history())

    assert len(history) == 2
    assert {item.user_id for item in history} == {user_id}
    current = next(item for item in history if item.id == user_id)
    assert current.risk_state == RiskState.Dismissed
    assert current.activity is not None
    assert current.activity.detail == RiskDetail.AdminDismissedAllRiskForUser
    assert current.initiated_by  # the app's service principal


def test_risk_detections_list_pages_and_get(tenant: Tenant, client: GraphServiceClient, loop: Loop):
    tenant.add_risky_users(3, riskEventType="anonymizedIPAddress")
    detections = client.identity_protection.risk_detections

    async def list_then_get() -> tuple[list[RiskDetection], RiskDetection | None]:
        config = RequestConfiguration(query_parameters=DetectionsQuery(top=2))
        first = await detections.get(request_configuration=config)
        found: list[RiskDetection] = []
        await PageIterator(first, client.request_adapter).iterate(lambda d: found.append(d) or True)
        return found, await detections.by_risk_detection_id(found[0].id or "").get()

    found, one = loop.run(list_then_get())

    assert len(found) == 3
    assert one is not None
    assert one.id == found[0].id
    assert one.risk_event_type == "anonymizedIPAddress"
    assert one.risk_level == RiskLevel.High
    assert one.token_issuer_type == TokenIssuerType.AzureAD
    assert one.location is not None
    assert one.location.city == "Lyon"
    assert isinstance(one.detected_date_time, datetime)


def test_a_repeated_action_changes_nothing_more(
    tenant: Tenant, client: GraphServiceClient, loop: Loop
):
    """The SDK's retry handler resends a POST after a 429/503/504: the repeat must be harmless."""
    (user_id,) = tenant.add_risky_users(1)
    risky_users = client.identity_protection.risky_users

    async def dismiss_twice() -> tuple[RiskyUser | None, RiskyUser | None, int]:
        await risky_users.dismiss.post(DismissPostRequestBody(user_ids=[user_id]))
        first = await risky_users.by_risky_user_id(user_id).get()
        await risky_users.dismiss.post(DismissPostRequestBody(user_ids=[user_id]))
        second = await risky_users.by_risky_user_id(user_id).get()
        history = await risky_users.by_risky_user_id(user_id).history.get()
        assert history is not None
        return first, second, len(history.value or [])

    first, second, items = loop.run(dismiss_twice())

    assert first is not None
    assert second is not None
    assert second.risk_state == RiskState.Dismissed
    assert second.risk_last_updated_date_time == first.risk_last_updated_date_time
    assert items == 2  # the detection's, and one dismissal
