"""The read services over a store in memory: licences per tenant, history item ids, P1's view."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, cast

import pytest

from idprotect.domain import detections, risky_users
from idprotect.domain.clock import MAX_TICKS, to_ticks
from idprotect.domain.enums import (
    ActivityType,
    RiskDetail,
    RiskDetectionTimingType,
    RiskLevel,
    RiskState,
)
from idprotect.domain.models import HistoryItem, RiskDetection, RiskyUser, UserActivity, UserRisk
from idprotect.domain.paging import Page, PageRequest
from idprotect.domain.ports import RiskStore
from idprotect.domain.tenants import (
    Licence,
    as_seen_with,
    require_detections_licence,
    require_risky_users_licence,
)
from idprotect.errors import Forbidden, NotFound

USER = "8a1b0000-0000-4000-8000-00000000000a"
WHEN = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
NOT_LICENSED = "Your tenant is not licensed for this feature."
PAGE = PageRequest(limit=20)


def risky(user_id: str = USER) -> RiskyUser:
    risk = UserRisk(RiskLevel.HIGH, RiskState.AT_RISK, RiskDetail.NONE, WHEN)
    return RiskyUser(user_id, "U", "u@contoso.com", False, False, risk)


def item(ticks: int, user_id: str = USER) -> HistoryItem:
    return HistoryItem(user_id, ticks, risky(user_id), UserActivity(detail=None), None)


def detection(event_type: str = "unlikelyTravel") -> RiskDetection:
    return RiskDetection(
        id="d" * 64,
        user_id=USER,
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


@dataclass
class MemoryStore:
    """The reads of a RiskStore, for one user in tenant "p2" and the same user elsewhere."""

    licences: dict[str, Licence] = field(default_factory=dict)
    history: list[HistoryItem] = field(default_factory=list)
    found: list[RiskDetection] = field(default_factory=lambda: [detection()])
    licence_listed_with: list[Licence] = field(default_factory=list)

    def tenant_licence(self, tenant_id: str) -> Licence | None:
        return self.licences.get(tenant_id)

    def get_risky_user(self, tenant_id: str, user_id: str) -> RiskyUser | None:
        return risky() if user_id == USER else None

    def list_risky_users(self, tenant_id: str, page: PageRequest) -> Page[RiskyUser]:
        return Page(items=[risky()], next_after=(USER,), count=1)

    def count_risky_users(self, tenant_id: str, filter: object) -> int:
        return 1

    def latest_history_ticks(self, tenant_id: str, user_ids: Sequence[str]) -> dict[str, int]:
        mine = [i.ticks for i in self.history if i.user_id in user_ids]
        return {USER: max(mine)} if mine else {}

    def list_history(self, tenant_id: str, user_id: str, page: PageRequest) -> Page[HistoryItem]:
        newest_first = sorted(self.history, key=lambda i: -i.ticks)
        return Page(items=newest_first, next_after=(7,), count=len(newest_first))

    def get_history_item(self, tenant_id: str, user_id: str, ticks: int) -> HistoryItem | None:
        return next((i for i in self.history if i.ticks == ticks), None)

    def get_risk_detection(self, tenant_id: str, detection_id: str) -> RiskDetection | None:
        return next((d for d in self.found if d.id == detection_id), None)

    def list_risk_detections(
        self, tenant_id: str, page: PageRequest, *, licence: Licence = Licence.P2
    ) -> Page[RiskDetection]:
        self.licence_listed_with.append(licence)
        return Page(items=list(self.found), next_after=("x",), count=len(self.found))


def store(**licences: Licence) -> RiskStore:
    return cast(RiskStore, MemoryStore(licences=licences, history=[item(636901020140973557)]))


RISKY_USER_READS: list[Callable[[RiskStore, str], Any]] = [
    lambda s, t: risky_users.list_risky_users(s, tenant_id=t, page=PAGE),
    lambda s, t: risky_users.count_risky_users(s, tenant_id=t, filter=None),
    lambda s, t: risky_users.get_risky_user(s, tenant_id=t, user_id=USER),
    lambda s, t: risky_users.list_risky_user_history(s, tenant_id=t, user_id=USER, page=PAGE),
    lambda s, t: risky_users.get_risky_user_history_item(
        s, tenant_id=t, user_id=USER, item_id=USER
    ),
]
DETECTION_READS: list[Callable[[RiskStore, str], Any]] = [
    lambda s, t: detections.list_risk_detections(s, tenant_id=t, page=PAGE),
    lambda s, t: detections.get_risk_detection(s, tenant_id=t, detection_id="d" * 64),
]


@pytest.mark.parametrize("read", RISKY_USER_READS)
@pytest.mark.parametrize("licence", [Licence.P1, Licence.FREE])
def test_risky_user_reads_need_the_callers_tenant_to_hold_p2(
    read: Callable[[RiskStore, str], Any], licence: Licence
) -> None:
    memory = store(other=licence, p2=Licence.P2)

    with pytest.raises(Forbidden) as raised:
        read(memory, "other")
    assert (raised.value.code, raised.value.message) == ("Forbidden", NOT_LICENSED)
    assert read(memory, "p2") is not None
    assert read(memory, "a-tenant-with-no-row-yet") is not None  # the default licence, P2


@pytest.mark.parametrize("read", DETECTION_READS)
def test_detection_reads_need_p1_or_p2_in_the_callers_tenant(
    read: Callable[[RiskStore, str], Any],
) -> None:
    memory = store(free=Licence.FREE, p1=Licence.P1, p2=Licence.P2)

    with pytest.raises(Forbidden) as raised:
        read(memory, "free")
    assert raised.value.message == NOT_LICENSED
    for tenant in ("p1", "p2", "no-row"):
        assert read(memory, tenant) is not None


def test_p1_lists_detections_as_it_sees_them_and_the_store_filters_so() -> None:
    memory = MemoryStore(licences={"p1": Licence.P1}, found=[detection(), detection("generic")])
    page = detections.list_risk_detections(cast(RiskStore, memory), tenant_id="p1", page=PAGE)

    assert [(d.risk_event_type, d.risk_level, d.risk_detail) for d in page.items] == [
        ("generic", RiskLevel.HIDDEN, RiskDetail.HIDDEN),
        ("generic", RiskLevel.HIDDEN, RiskDetail.HIDDEN),
    ]
    assert (page.next_after, page.count) == (("x",), 2)
    assert memory.licence_listed_with == [Licence.P1]


def test_p1_gets_one_detection_as_it_sees_it_and_an_unknown_one_is_not_found() -> None:
    memory = cast(RiskStore, MemoryStore(licences={"p1": Licence.P1}))

    seen = detections.get_risk_detection(memory, tenant_id="p1", detection_id="d" * 64)
    assert (seen.risk_event_type, seen.risk_level) == ("generic", RiskLevel.HIDDEN)
    assert detections.get_risk_detection(memory, tenant_id="p2", detection_id="d" * 64) == (
        detection()
    )
    with pytest.raises(NotFound, match=r"^The riskDetection 'x' was not found\.$"):
        detections.get_risk_detection(memory, tenant_id="p2", detection_id="x")


# -- history items, by id ----------------------------------------------------------------------

OLDER = 636901020140973557  # 18 digits: Graph's sample


def history_store(*ticks: int) -> RiskStore:
    return cast(RiskStore, MemoryStore(history=[item(t) for t in ticks]))


def get_item(memory: RiskStore, item_id: str) -> HistoryItem:
    return risky_users.get_risky_user_history_item(
        memory, tenant_id="t", user_id=USER, item_id=item_id
    )


@pytest.mark.parametrize(
    "ticks", [0, 7, OLDER, 10**18, to_ticks(datetime(5000, 1, 1, tzinfo=UTC)), MAX_TICKS - 1]
)
def test_an_older_item_is_found_by_the_user_id_and_its_ticks(ticks: int) -> None:
    memory = history_store(ticks, MAX_TICKS)

    found = get_item(memory, f"{USER}{ticks}")

    assert (found.ticks, found.is_current, found.id) == (ticks, False, f"{USER}{ticks}")


def test_the_item_of_the_last_moment_is_the_newest_and_found_by_either_id() -> None:
    memory = history_store(OLDER, MAX_TICKS)

    by_ticks = get_item(memory, f"{USER}{MAX_TICKS}")
    by_user = get_item(memory, USER.upper())

    assert by_ticks == by_user
    assert (by_ticks.ticks, by_ticks.is_current, by_ticks.id) == (MAX_TICKS, True, USER)


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
        get_item(memory, f"{USER}{suffix}")
    assert raised.value.message == f"The riskyUserHistoryItem '{USER}{suffix}' was not found."


def test_a_history_page_marks_only_its_newest_item_and_keeps_the_position_and_count() -> None:
    memory = history_store(OLDER, OLDER + 1, OLDER + 2)

    page = risky_users.list_risky_user_history(memory, tenant_id="t", user_id=USER, page=PAGE)

    assert [(i.ticks, i.is_current) for i in page.items] == [
        (OLDER + 2, True),
        (OLDER + 1, False),
        (OLDER, False),
    ]
    assert (page.next_after, page.count) == ((7,), 3)


def test_a_user_never_risky_has_no_history() -> None:
    other = "8a1b0000-0000-4000-8000-00000000000b"
    with pytest.raises(NotFound, match=rf"^The riskyUser '{other}' was not found\.$"):
        risky_users.list_risky_user_history(
            history_store(OLDER), tenant_id="t", user_id=other, page=PAGE
        )


# -- what a licence lets a tenant see --------------------------------------------------------


@pytest.mark.parametrize(
    ("licence", "expected"),
    [
        (Licence.P2, ("unlikelyTravel", RiskLevel.HIGH, RiskDetail.NONE)),
        (Licence.FREE, ("unlikelyTravel", RiskLevel.HIGH, RiskDetail.NONE)),
        (Licence.P1, ("generic", RiskLevel.HIDDEN, RiskDetail.HIDDEN)),
    ],
)
def test_a_premium_detection_as_each_licence_sees_it(
    licence: Licence, expected: tuple[str, RiskLevel, RiskDetail]
) -> None:
    seen = as_seen_with(detection(), licence)
    assert (seen.risk_event_type, seen.risk_level, seen.risk_detail) == expected
    assert seen == replace(
        detection(), risk_event_type=expected[0], risk_level=expected[1], risk_detail=expected[2]
    )


@pytest.mark.parametrize(
    "event_type", ["leakedCredentials", "anonymizedIPAddress", "adminConfirmedUserCompromised"]
)
def test_p1_sees_nonpremium_event_types_by_name(event_type: str) -> None:
    seen = as_seen_with(detection(event_type), Licence.P1)
    assert (seen.risk_event_type, seen.risk_level, seen.risk_detail) == (
        event_type,
        RiskLevel.HIDDEN,
        RiskDetail.HIDDEN,
    )


@pytest.mark.parametrize(
    ("require", "refused", "allowed"),
    [
        (require_risky_users_licence, [Licence.P1, Licence.FREE], [Licence.P2]),
        (require_detections_licence, [Licence.FREE], [Licence.P1, Licence.P2]),
    ],
)
def test_what_each_licence_opens(
    require: Callable[[Licence], None], refused: list[Licence], allowed: list[Licence]
) -> None:
    for licence in refused:
        with pytest.raises(Forbidden) as raised:
            require(licence)
        assert (raised.value.status, raised.value.message) == (403, NOT_LICENSED)
    for licence in allowed:
        require(licence)
