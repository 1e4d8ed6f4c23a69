"""OData query options through the SDKs' own query parameter classes, on v1.0 and beta:
`$filter` with `$top` and paging, `$select`, `$orderby`, `$count` and `/$count`, and the
ODataError a filter outside the supported subset raises."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from kiota_abstractions.base_request_configuration import RequestConfiguration

from tests.compat.conftest import Tenant, detection
from tests.compat.loop import Loop
from tests.compat.versions import Sdk, raised, signed_in_sdk

pytestmark = pytest.mark.slow  # a server process


@pytest.fixture(params=["v1.0", "beta"])
def api(request: pytest.FixtureRequest, tenant: Tenant, loop: Loop) -> Sdk:
    return signed_in_sdk(request.param, tenant, loop)


def _query(query_class: type, **options: Any) -> RequestConfiguration[Any]:
    return RequestConfiguration(query_parameters=query_class(**options))


def _odata_literal(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _with_upns(tenant: Tenant, *upns: str) -> dict[str, str]:
    """Users with these principal names, by name."""
    created = tenant.add_risk_detections(*(detection(userPrincipalName=upn) for upn in upns))
    return {d["userPrincipalName"]: d["userId"] for d in created}


def test_filter_with_top_pages_through_every_next_link_keeping_the_filter(
    tenant: Tenant, api: Sdk, loop: Loop
):
    high = tenant.add_risky_users(5, riskLevel="high")
    tenant.add_risky_users(3, riskLevel="medium")
    config = _query(api.risky_users_query, filter="riskLevel eq 'high'", top=2)

    async def list_all() -> tuple[Any, list[Any]]:
        first = await api.risky_users.get(request_configuration=config)
        return first, await api.all_items(first)

    first, users = loop.run(list_all())

    assert len(first.value) == 2
    next_query = parse_qs(urlsplit(first.odata_next_link).query)
    assert next_query["$filter"] == ["riskLevel eq 'high'"]
    assert next_query["$top"] == ["2"]
    assert sorted(u.id for u in users) == sorted(high)
    assert {u.risk_level.value for u in users} == {"high"}


def test_filter_on_state_and_last_update(tenant: Tenant, api: Sdk, loop: Loop):
    tenant.add_risky_users(2)  # at risk, but updated before the cut
    dismissed, *at_risk = tenant.add_risky_users(3)

    async def dismiss_then_list() -> list[Any]:
        cut = await api.risky_users.by_risky_user_id(at_risk[0]).get()
        dismiss = api.risky_users.dismiss
        await dismiss.post(api.dismiss_body(user_ids=[dismissed]))
        text = (
            f"riskState eq 'atRisk' and "
            f"riskLastUpdatedDateTime ge {_odata_literal(cut.risk_last_updated_date_time)}"
        )
        config = _query(api.risky_users_query, filter=text, top=1)
        return await api.all_items(await api.risky_users.get(request_configuration=config))

    users = loop.run(dismiss_then_list())

    assert sorted(u.id for u in users) == sorted(at_risk)
    assert {u.risk_state.value for u in users} == {"atRisk"}


def test_startswith_is_case_sensitive(tenant: Tenant, api: Sdk, loop: Loop):
    ids = _with_upns(tenant, "adele.v@contoso.com", "adele.w@contoso.com", "Adele.x@contoso.com")
    _with_upns(tenant, "alex.w@contoso.com")
    config = _query(api.risky_users_query, filter="startswith(userPrincipalName,'adele.')")

    page = loop.run(api.risky_users.get(request_configuration=config))

    assert sorted(u.user_principal_name for u in page.value) == [
        "adele.v@contoso.com",
        "adele.w@contoso.com",
    ]
    assert {u.id for u in page.value} == {ids["adele.v@contoso.com"], ids["adele.w@contoso.com"]}
    assert page.odata_next_link is None


def test_select_leaves_the_other_properties_unset(tenant: Tenant, api: Sdk, loop: Loop):
    (user_id,) = tenant.add_risky_users(1, riskLevel="medium")
    config = _query(api.risky_users_query, select=["id", "riskLevel"])

    page = loop.run(api.risky_users.get(request_configuration=config))

    (user,) = page.value
    assert user.id == user_id
    assert user.risk_level.value == "medium"
    assert user.risk_state is None
    assert user.risk_detail is None
    assert user.risk_last_updated_date_time is None
    assert user.user_principal_name is None
    assert user.is_deleted is None


def test_orderby_risk_level_follows_the_enum_across_pages(tenant: Tenant, api: Sdk, loop: Loop):
    levels = {level: tenant.add_risky_users(1, riskLevel=level)[0] for level in ("high", "low")}
    levels["medium"] = tenant.add_risky_users(1, riskLevel="medium")[0]
    config = _query(api.risky_users_query, orderby=["riskLevel desc"], top=1)

    async def list_all() -> list[Any]:
        return await api.all_items(await api.risky_users.get(request_configuration=config))

    users = loop.run(list_all())

    # Graph's member order (low, medium, high), not the alphabet (high, low, medium), reversed.
    assert [u.risk_level.value for u in users] == ["high", "medium", "low"]
    assert [u.id for u in users] == [levels["high"], levels["medium"], levels["low"]]


def test_orderby_principal_name_descending(tenant: Tenant, api: Sdk, loop: Loop):
    _with_upns(tenant, "b@contoso.com", "C@contoso.com", "a@contoso.com")
    config = _query(api.risky_users_query, orderby=["userPrincipalName desc"])

    page = loop.run(api.risky_users.get(request_configuration=config))

    # Code point order: upper case sorts before lower case.
    assert [u.user_principal_name for u in page.value] == [
        "b@contoso.com",
        "a@contoso.com",
        "C@contoso.com",
    ]


def test_count_true_counts_the_filtered_rows_not_the_page(tenant: Tenant, api: Sdk, loop: Loop):
    tenant.add_risky_users(4, riskLevel="high")
    tenant.add_risky_users(1, riskLevel="low")
    config = _query(api.risky_users_query, filter="riskLevel eq 'high'", count=True, top=3)

    page = loop.run(api.risky_users.get(request_configuration=config))

    assert page.odata_count == 4
    assert len(page.value) == 3
    assert parse_qs(urlsplit(page.odata_next_link).query)["$count"] == ["true"]


def test_count_segment_through_the_count_builder(tenant: Tenant, api: Sdk, loop: Loop):
    tenant.add_risky_users(3, riskLevel="high")
    tenant.add_risky_users(2, riskLevel="low")
    count = api.risky_users.count

    async def counts() -> tuple[int, int]:
        filtered = _query(api.count_query, filter="riskLevel eq 'low'")
        return await count.get(), await count.get(request_configuration=filtered)

    everyone, low = loop.run(counts())

    assert (everyone, low) == (5, 2)


def test_filter_risk_detections_by_user_and_event_type(tenant: Tenant, api: Sdk, loop: Loop):
    user_id = str(uuid.uuid4())
    tenant.add_risk_detections(
        detection(userId=user_id, riskEventType="unfamiliarFeatures"),
        detection(userId=user_id, riskEventType="leakedCredentials"),
        detection(riskEventType="leakedCredentials"),
    )

    async def both() -> tuple[list[Any], list[Any]]:
        mine = _query(
            api.detections_query,
            filter=f"userId eq '{user_id}' and riskEventType eq 'leakedCredentials'",
        )
        leaked = _query(api.detections_query, filter="riskEventType eq 'leakedCredentials'", top=1)
        return (
            (await api.risk_detections.get(request_configuration=mine)).value,
            await api.all_items(await api.risk_detections.get(request_configuration=leaked)),
        )

    mine, leaked = loop.run(both())

    assert [(d.user_id, d.risk_event_type) for d in mine] == [(user_id, "leakedCredentials")]
    assert len(leaked) == 2
    assert {d.risk_event_type for d in leaked} == {"leakedCredentials"}
    assert user_id in {d.user_id for d in leaked}


def test_filter_and_select_on_history(tenant: Tenant, api: Sdk, loop: Loop):
    (user_id,) = tenant.add_risky_users(1)
    user = api.risky_users.by_risky_user_id(user_id)

    async def dismiss_then_history() -> tuple[list[Any], list[Any]]:
        await api.risky_users.dismiss.post(api.dismiss_body(user_ids=[user_id]))
        dismissed = _query(
            api.history_query, filter="riskState eq 'dismissed'", select=["id", "riskState"]
        )
        at_risk = _query(api.history_query, filter="riskState eq 'atRisk'")
        return (
            (await user.history.get(request_configuration=dismissed)).value,
            (await user.history.get(request_configuration=at_risk)).value,
        )

    dismissed, at_risk = loop.run(dismiss_then_history())

    (newest,) = dismissed
    assert newest.id == user_id  # the newest item's id is the user id
    assert newest.risk_state.value == "dismissed"
    assert newest.activity is None  # not selected
    assert newest.user_principal_name is None
    (older,) = at_risk
    assert older.id != user_id
    assert older.id.startswith(user_id)
    assert older.user_id == user_id


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("contains(userPrincipalName,'adele')", "function 'contains' is not supported"),
        ("riskColour eq 'high'", "unknown property 'riskColour'"),
        ("riskLevel gt 'low'", "operator 'gt' is not supported on 'riskLevel'"),
        ("riskLevel eq 'high", "Invalid filter clause"),
    ],
)
def test_invalid_filter_raises_odata_error_400(
    tenant: Tenant, api: Sdk, loop: Loop, text: str, message: str
):
    config = _query(api.risky_users_query, filter=text)

    error = raised(loop, lambda: api.risky_users.get(request_configuration=config))

    assert error.response_status_code == 400
    assert error.error is not None
    assert error.error.code == "BadRequest"
    assert message in (error.error.message or "")


def test_risk_detections_are_not_countable(tenant: Tenant, api: Sdk, loop: Loop):
    """Graph declares riskDetections not countable: `$count=true` and `/$count` are 400s."""
    config = _query(api.detections_query, count=True)

    errors = [
        raised(loop, lambda: api.risk_detections.get(request_configuration=config)),
        raised(loop, api.risk_detections.count.get),
    ]

    assert [e.response_status_code for e in errors] == [400, 400]
    assert [e.error.code for e in errors if e.error] == ["BadRequest", "BadRequest"]
