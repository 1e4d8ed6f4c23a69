"""Ticks as Graph's history ids use them, and the evolvable-enum table."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from idprotect.domain.clock import from_ticks, to_ticks, utc_now
from idprotect.domain.enums import EVOLVABLE, ActivityType, RiskDetail, RiskState, TokenIssuerType
from idprotect.domain.ids import is_guid, new_detection_id, normalize_object_id


def test_ticks_match_graphs_history_sample() -> None:
    # graph-facts 2.3: ticks 636901020140973557 = 2019-04-05T23:00:14.0973557Z
    moment = from_ticks(636901020140973557)
    assert moment == datetime(2019, 4, 5, 23, 0, 14, 97355, tzinfo=UTC)
    assert to_ticks(moment) == 636901020140973550


def test_evolvable_members_map_to_their_types_sentinel() -> None:
    assert EVOLVABLE[(RiskDetail, RiskDetail.ADMIN_CONFIRMED_ACCOUNT_SAFE)] == "unknownFutureValue"
    assert EVOLVABLE[(ActivityType, ActivityType.SERVICE_PRINCIPAL)] == "unknownFutureValue"
    assert (
        EVOLVABLE[(TokenIssuerType, TokenIssuerType.NPS_EXTENSION)]
        is TokenIssuerType.UNKNOWN_FUTURE_VALUE
    )
    assert TokenIssuerType.UNKNOWN_FUTURE_VALUE.value == "UnknownFutureValue"


def test_members_before_the_sentinel_are_not_evolvable() -> None:
    assert (RiskDetail, RiskDetail.ADMIN_DISMISSED_ALL_RISK_FOR_USER) not in EVOLVABLE
    assert (RiskState, RiskState.CONFIRMED_SAFE) not in EVOLVABLE
    assert (ActivityType, ActivityType.SIGNIN) not in EVOLVABLE


def test_guids_compare_in_lower_case_and_other_ids_stay() -> None:
    assert normalize_object_id("04487EE0-F4F6-4E7F-8999-FACC5A30E232") == (
        "04487ee0-f4f6-4e7f-8999-facc5a30e232"
    )
    assert normalize_object_id("Not-A-Guid") == "Not-A-Guid"


def test_detection_ids_have_graphs_shape() -> None:
    detection_id = new_detection_id()
    assert len(detection_id) == 64
    int(detection_id, 16)


GUID = "04487EE0-F4F6-4E7F-8999-FACC5A30E232"


@pytest.mark.parametrize(
    ("value", "guid"),
    [
        (GUID, True),
        (GUID.lower(), True),
        (GUID + "\n", False),
        (GUID + "0", False),
        ("x" + GUID, False),
        (GUID.replace("-", ""), False),
        ("{" + GUID + "}", False),
        ("", False),
    ],
)
def test_only_a_whole_guid_is_a_guid(value: str, guid: bool) -> None:
    assert is_guid(value) is guid
    assert normalize_object_id(value) == (value.lower() if guid else value)


def test_the_clock_reads_aware_utc() -> None:
    now = utc_now()
    assert now.tzinfo is UTC
    assert abs(now - datetime.now(UTC)).total_seconds() < 60
