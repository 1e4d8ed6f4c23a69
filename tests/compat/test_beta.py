"""msgraph-beta-sdk against the live server: the identityProtection paths and the legacy root
paths (`/beta/riskyUsers`, `/beta/riskDetections`) that older integrations still call."""

from __future__ import annotations

import pytest
from msgraph_beta import GraphServiceClient
from msgraph_beta.generated.identity_protection.risky_users.confirm_compromised.confirm_compromised_post_request_body import (  # noqa: E501
    ConfirmCompromisedPostRequestBody,
)
from msgraph_beta.generated.identity_protection.risky_users.confirm_safe.confirm_safe_post_request_body import (  # noqa: E501
    ConfirmSafePostRequestBody,
)
from msgraph_beta.generated.models.risk_level import RiskLevel
from msgraph_beta.generated.models.risk_state import RiskState
from msgraph_beta.generated.models.risky_user import RiskyUser
from msgraph_beta.generated.risky_users.dismiss.dismiss_post_request_body import (
    DismissPostRequestBody,
)
from msgraph_core.tasks.page_iterator import PageIterator

from tests.compat.conftest import Tenant
from tests.compat.loop import Loop
from tests.compat.sdk import beta_client, credential

pytestmark = pytest.mark.slow  # a server process


@pytest.fixture
def client(tenant: Tenant, loop: Loop) -> GraphServiceClient:
    return beta_client(tenant, credential(tenant, loop), loop)


def test_list_and_get_risky_users(tenant: Tenant, client: GraphServiceClient, loop: Loop):
    seeded = tenant.add_risky_users(5, riskLevel="medium")
    risky_users = client.identity_protection.risky_users

    async def list_all_then_get() -> tuple[list[RiskyUser], RiskyUser | None]:
        first = await risky_users.get()
        users: list[RiskyUser] = []
        await PageIterator(first, client.request_adapter).iterate(lambda u: users.append(u) or True)
        return users, await risky_users.by_risky_user_id(seeded[0]).get()

    users, one = loop.run(list_all_then_get())

    assert sorted(u.id for u in users if u.id) == sorted(seeded)
    assert one is not None
    assert one.risk_level == RiskLevel.Medium
    assert one.risk_state == RiskState.AtRisk


def test_confirm_safe_and_confirm_compromised(
    tenant: Tenant, client: GraphServiceClient, loop: Loop
):
    safe, compromised = tenant.add_risky_users(2)
    risky_users = client.identity_protection.risky_users

    async def act_then_read() -> list[RiskyUser | None]:
        await risky_users.confirm_safe.post(ConfirmSafePostRequestBody(user_ids=[safe]))
        await risky_users.confirm_compromised.post(
            ConfirmCompromisedPostRequestBody(user_ids=[compromised])
        )
        return [await risky_users.by_risky_user_id(uid).get() for uid in (safe, compromised)]

    after_safe, after_compromised = loop.run(act_then_read())

    assert after_safe is not None
    assert after_safe.risk_state == RiskState.ConfirmedSafe
    assert after_compromised is not None
    assert after_compromised.risk_state == RiskState.ConfirmedCompromised
    assert after_compromised.risk_level == RiskLevel.High


def test_legacy_root_paths(tenant: Tenant, client: GraphServiceClient, loop: Loop):
    (user_id,) = tenant.add_risky_users(1, riskEventType="leakedCredentials")

    async def dismiss_then_read() -> tuple[RiskyUser | None, list]:
        await client.risky_users.dismiss.post(DismissPostRequestBody(user_ids=[user_id]))
        detections = await client.risk_detections.get()
        assert detections is not None
        return await client.risky_users.by_risky_user_id(user_id).get(), detections.value or []

    user, detections = loop.run(dismiss_then_read())

    assert user is not None
    assert user.risk_state == RiskState.Dismissed
    assert [d.risk_event_type for d in detections] == ["leakedCredentials"]
    assert detections[0].user_id == user_id
