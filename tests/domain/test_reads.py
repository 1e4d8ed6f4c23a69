"""The read services over a store in memory: licences per tenant, history item ids, P1's view."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, cast

import pytest

from idprotect.domain import detections, principals
from idprotect.domain.clock import MAX_TICKS, to_ticks
from idprotect.domain.enums import (
    ActivityType,
    RiskDetail,
    RiskDetectionTimingType,
    RiskLevel,
    RiskState,
)
from idprotect.domain.kinds import AGENT, SERVICE_PRINCIPAL, USER, PrincipalKind
from idprotect.domain.models import (
    Activity,
    Detection,
    HistoryItem,
    Principal,
    Risk,
    RiskDetection,
    ServicePrincipalRiskDetection,
    User,
)
from idprotect.domain.paging import Page, PageRequest
from idprotect.domain.ports import RiskStore
from idprotect.domain.tenants import (
    Licence,
    Licences,
    View,
    agents_view,
    user_detections_view,
    users_view,
    workload_view,
)
from idprotect.errors import Forbidden, NotFound

USER_ID = "8a1b0000-0000-4000-8000-00000000000a"
WHEN = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
NOT_LICENSED = "Your tenant is not licensed for this feature."
PAGE = PageRequest(limit=20)


def risky(user_id: str = USER_ID) -> User:
    risk = Risk(RiskLevel.HIGH, RiskState.AT_RISK, RiskDetail.NONE, WHEN)
    return User(id=user_id, display_name="U", user_principal_name="u@contoso.com", risk=risk)


def item(ticks: int, user_id: str = USER_ID) -> HistoryItem:
    return HistoryItem(user_id, ticks, risky(user_id), Activity(detail=None), None)


def detection(event_type: str = "unlikelyTravel") -> RiskDetection:
    return RiskDetection(
        id="d" * 64,
        principal_id=USER_ID,
        user_display_name="U",
        user_principal_name="u@contoso.com",
        risk_event_type=event_type,
        risk_level=RiskLevel.HIGH,
        risk_state=RiskState.AT_RISK,
        risk_detail=RiskDetail.NONE,
        activity=ActivityType.SIGNIN,
        activity_at=WHEN,
        detected_at=WHEN,
        last_updated_at=WHEN,
        detection_timing_type=RiskDetectionTimingType.REALTIME,
    )


def licences(entra: Licence, workload_identities: bool = True) -> Licences:
    return Licences(entra, workload_identities)


@dataclass
class MemoryStore:
    """The reads of a RiskStore, for one principal in tenant "p2" and the same one elsewhere."""

    licences: dict[str, Licences] = field(default_factory=dict)
    history: list[HistoryItem] = field(default_factory=list)
    found: list[Detection] = field(default_factory=lambda: [detection()])
    listed_with: list[View] = field(default_factory=list)

    def tenant_licences(self, tenant_id: str) -> Licences | None:
        return self.licences.get(tenant_id)

    def get_risky_principal(
        self, kind: PrincipalKind, tenant_id: str, principal_id: str
    ) -> Principal | None:
        return risky() if principal_id == USER_ID else None

    def list_risky_principals(
        self, kind: PrincipalKind, tenant_id: str, page: PageRequest, view: View
    ) -> Page[Principal]:
        self.listed_with.append(view)
        return Page(items=[risky()], next_after=(USER_ID,), count=1)

    def count_risky_principals(
        self, kind: PrincipalKind, tenant_id: str, filter: object, view: View
    ) -> int:
        return 1

    def latest_history_ticks(
        self, kind: PrincipalKind, tenant_id: str, ids: Sequence[str]
    ) -> dict[str, int]:
        mine = [i.ticks for i in self.history if i.principal_id in ids]
        return {USER_ID: max(mine)} if mine else {}

    def list_history(
        self, kind: PrincipalKind, tenant_id: str, pid: str, page: PageRequest, view: View
    ) -> Page[HistoryItem]:
        newest_first = sorted(self.history, key=lambda i: -i.ticks)
        return Page(items=newest_first, next_after=(7,), count=len(newest_first))

    def get_history_item(
        self, kind: PrincipalKind, tenant_id: str, pid: str, ticks: int
    ) -> HistoryItem | None:
        return next((i for i in self.history if i.ticks == ticks), None)

    def get_risk_detection(
        self, kind: PrincipalKind, tenant_id: str, detection_id: str
    ) -> Detection | None:
        return next((d for d in self.found if d.id == detection_id), None)

    def list_risk_detections(
        self, kind: PrincipalKind, tenant_id: str, page: PageRequest, view: View
    ) -> Page[Detection]:
        self.listed_with.append(view)
        return Page(items=list(self.found), next_after=("x",), count=len(self.found))


def store(**by_tenant: Licences) -> RiskStore:
    return cast(RiskStore, MemoryStore(licences=by_tenant, history=[item(636901020140973557)]))


RISKY_USER_READS: list[Callable[[RiskStore, str], Any]] = [
    lambda s, t: principals.list_risky_principals(s, USER, tenant_id=t, page=PAGE),
    lambda s, t: principals.count_risky_principals(s, USER, tenant_id=t, filter=None),
    lambda s, t: principals.get_risky_principal(s, USER, tenant_id=t, principal_id=USER_ID),
    lambda s, t: principals.list_history(s, USER, tenant_id=t, principal_id=USER_ID, page=PAGE),
    lambda s, t: principals.get_history_item(
        s, USER, tenant_id=t, principal_id=USER_ID, item_id=USER_ID
    ),
]
DETECTION_READS: list[Callable[[RiskStore, str], Any]] = [
    lambda s, t: detections.list_risk_detections(s, USER, tenant_id=t, page=PAGE),
    lambda s, t: detections.get_risk_detection(s, USER, tenant_id=t, detection_id="d" * 64),
]


@pytest.mark.parametrize("read", RISKY_USER_READS)
@pytest.mark.parametrize("licence", [Licence.P1, Licence.FREE])
def test_risky_user_reads_need_the_callers_tenant_to_hold_p2(
    read: Callable[[RiskStore, str], Any], licence: Licence
) -> None:
    memory = store(other=licences(licence), p2=licences(Licence.P2))

    with pytest.raises(Forbidden) as raised:
        read(memory, "other")
    assert (raised.value.code, raised.value.message) == ("Forbidden", NOT_LICENSED)
    assert read(memory, "p2") is not None
    assert read(memory, "a-tenant-with-no-row-yet") is not None  # the default licence, P2


@pytest.mark.parametrize("read", DETECTION_READS)
def test_detection_reads_need_p1_or_p2_in_the_callers_tenant(
    read: Callable[[RiskStore, str], Any],
) -> None:
    memory = store(free=licences(Licence.FREE), p1=licences(Licence.P1), p2=licences(Licence.P2))

    with pytest.raises(Forbidden) as raised:
        read(memory, "free")
    assert raised.value.message == NOT_LICENSED
    for tenant in ("p1", "p2", "no-row"):
        assert read(memory, tenant) is not None


def test_p1_lists_detections_as_it_sees_them_and_the_store_filters_so() -> None:
    memory = MemoryStore(
        licences={"p1": licences(Licence.P1)}, found=[detection(), detection("generic")]
    )
    page = detections.list_risk_detections(cast(RiskStore, memory), USER, tenant_id="p1", page=PAGE)

    assert [(d.risk_event_type, d.risk_level, d.risk_detail) for d in page.items] == [
        ("generic", RiskLevel.HIDDEN, RiskDetail.HIDDEN),
        ("generic", RiskLevel.HIDDEN, RiskDetail.HIDDEN),
    ]
    assert (page.next_after, page.count) == (("x",), 2)
    assert memory.listed_with == [View.LIMITED]


def test_p1_gets_one_detection_as_it_sees_it_and_an_unknown_one_is_not_found() -> None:
    memory = cast(RiskStore, MemoryStore(licences={"p1": licences(Licence.P1)}))

    seen = detections.get_risk_detection(memory, USER, tenant_id="p1", detection_id="d" * 64)
    assert (seen.risk_event_type, seen.risk_level) == ("generic", RiskLevel.HIDDEN)
    found = detections.get_risk_detection(memory, USER, tenant_id="p2", detection_id="d" * 64)
    assert found == detection()
    with pytest.raises(NotFound, match=r"^The riskDetection 'x' was not found\.$"):
        detections.get_risk_detection(memory, USER, tenant_id="p2", detection_id="x")


@pytest.mark.parametrize(
    ("kind", "name"),
    [(SERVICE_PRINCIPAL, "servicePrincipalRiskDetection"), (AGENT, "agentRiskDetection")],
)
def test_an_unknown_detection_of_each_kind_is_named_as_its_type(
    kind: PrincipalKind, name: str
) -> None:
    memory = cast(RiskStore, MemoryStore())
    with pytest.raises(NotFound, match=rf"^The {name} 'x' was not found\.$"):
        detections.get_risk_detection(memory, kind, tenant_id="t", detection_id="x")


# -- history items, by id ----------------------------------------------------------------------

OLDER = 636901020140973557  # 18 digits: Graph's sample


def history_store(*ticks: int) -> RiskStore:
    return cast(RiskStore, MemoryStore(history=[item(t) for t in ticks]))


def get_item(memory: RiskStore, item_id: str) -> HistoryItem:
    return principals.get_history_item(
        memory, USER, tenant_id="t", principal_id=USER_ID, item_id=item_id
    )


@pytest.mark.parametrize(
    "ticks", [0, 7, OLDER, 10**18, to_ticks(datetime(5000, 1, 1, tzinfo=UTC)), MAX_TICKS - 1]
)
def test_an_older_item_is_found_by_the_user_id_and_its_ticks(ticks: int) -> None:
    memory = history_store(ticks, MAX_TICKS)

    found = get_item(memory, f"{USER_ID}{ticks}")

    assert (found.ticks, found.is_current, found.id) == (ticks, False, f"{USER_ID}{ticks}")


def test_the_item_of_the_last_moment_is_the_newest_and_found_by_either_id() -> None:
    memory = history_store(OLDER, MAX_TICKS)

    by_ticks = get_item(memory, f"{USER_ID}{MAX_TICKS}")
    by_user = get_item(memory, USER_ID.upper())

    assert by_ticks == by_user
    assert (by_ticks.ticks, by_ticks.is_current, by_ticks.id) == (MAX_TICKS, True, USER_ID)


@pytest.mark.parametrize(
    "suffix",
    [
        str(MAX_TICKS + 1),
        "9" * 19,
        "0" + str(OLDER),
        "00" + str(OLDER),
        "0" + str(MAX_TICKS),
        "9" * 20,
        "9" * 5000,
        "x",
        "-1",
        "+1",
        "\u0661",
    ],
)
def test_an_id_naming_no_item_is_not_found(suffix: str) -> None:
    memory = history_store(OLDER, MAX_TICKS)

    with pytest.raises(NotFound) as raised:
        get_item(memory, f"{USER_ID}{suffix}")
    assert raised.value.message == f"The riskyUserHistoryItem '{USER_ID}{suffix}' was not found."


def test_a_history_page_marks_only_its_newest_item_and_keeps_the_position_and_count() -> None:
    memory = history_store(OLDER, OLDER + 1, OLDER + 2)

    page = principals.list_history(memory, USER, tenant_id="t", principal_id=USER_ID, page=PAGE)

    assert [(i.ticks, i.is_current) for i in page.items] == [
        (OLDER + 2, True),
        (OLDER + 1, False),
        (OLDER, False),
    ]
    assert (page.next_after, page.count) == ((7,), 3)


def test_a_user_never_risky_has_no_history() -> None:
    other = "8a1b0000-0000-4000-8000-00000000000b"
    with pytest.raises(NotFound, match=rf"^The riskyUser '{other}' was not found\.$"):
        principals.list_history(
            history_store(OLDER), USER, tenant_id="t", principal_id=other, page=PAGE
        )


# -- what a licence lets a tenant see --------------------------------------------------------


@pytest.mark.parametrize(
    ("view", "expected"),
    [
        (View.FULL, ("unlikelyTravel", RiskLevel.HIGH, RiskDetail.NONE)),
        (View.LIMITED, ("generic", RiskLevel.HIDDEN, RiskDetail.HIDDEN)),
    ],
)
def test_a_premium_detection_as_each_view_shows_it(
    view: View, expected: tuple[str, RiskLevel, RiskDetail]
) -> None:
    seen = detections.as_seen(detection(), USER, view)
    assert (seen.risk_event_type, seen.risk_level, seen.risk_detail) == expected
    assert seen == replace(
        detection(), risk_event_type=expected[0], risk_level=expected[1], risk_detail=expected[2]
    )


@pytest.mark.parametrize(
    "event_type", ["leakedCredentials", "anonymizedIPAddress", "adminConfirmedUserCompromised"]
)
def test_p1_sees_nonpremium_event_types_by_name(event_type: str) -> None:
    seen = detections.as_seen(detection(event_type), USER, View.LIMITED)
    assert (seen.risk_event_type, seen.risk_level, seen.risk_detail) == (
        event_type,
        RiskLevel.HIDDEN,
        RiskDetail.HIDDEN,
    )


def test_a_service_principal_detection_keeps_its_event_type_when_limited() -> None:
    found = ServicePrincipalRiskDetection(
        **{name: getattr(detection(), name) for name in ("id", "principal_id", "activity_at",
            "detected_at", "last_updated_at", "detection_timing_type", "risk_state")},
        risk_event_type="suspiciousAPITraffic",
        risk_level=RiskLevel.HIGH,
        risk_detail=RiskDetail.NONE,
    )  # fmt: skip
    seen = detections.as_seen(found, SERVICE_PRINCIPAL, View.LIMITED)
    assert (seen.risk_event_type, seen.risk_level, seen.risk_detail) == (
        "suspiciousAPITraffic",
        RiskLevel.HIDDEN,
        RiskDetail.HIDDEN,
    )


P2, P1, FREE = Licences(Licence.P2), Licences(Licence.P1), Licences(Licence.FREE)
NO_WORKLOAD = Licences(Licence.P2, workload_identities=False)


@pytest.mark.parametrize(
    ("view_of", "refused", "limited", "full"),
    [
        (users_view, [P1, FREE], [], [P2, NO_WORKLOAD]),
        (user_detections_view, [FREE], [P1], [P2, NO_WORKLOAD]),
        (workload_view, [FREE, Licences(Licence.FREE, False)], [NO_WORKLOAD,
            Licences(Licence.P1, False)], [P2, Licences(Licence.P1, True)]),
        (agents_view, [P1, FREE], [], [P2, NO_WORKLOAD]),
    ],
)  # fmt: skip
def test_what_each_licence_opens(
    view_of: Callable[[Licences], View],
    refused: list[Licences],
    limited: list[Licences],
    full: list[Licences],
) -> None:
    for held in refused:
        with pytest.raises(Forbidden) as raised:
            view_of(held)
        assert (raised.value.status, raised.value.message) == (403, NOT_LICENSED)
    assert [view_of(held) for held in limited] == [View.LIMITED] * len(limited)
    assert [view_of(held) for held in full] == [View.FULL] * len(full)


def test_a_limited_view_hides_a_principals_level_and_detail() -> None:
    seen = principals.as_seen(risky(), View.LIMITED)
    assert seen.risk is not None
    assert (seen.risk.level, seen.risk.detail) == (RiskLevel.HIDDEN, RiskDetail.HIDDEN)
    assert principals.as_seen(risky(), View.FULL) == risky()
