"""time_of_change: the time of a change, read under its locks, never before the last one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from idprotect.domain.clock import fixed_clock, to_ticks
from idprotect.domain.enums import RiskDetail, RiskLevel, RiskState
from idprotect.domain.history import time_of_change
from idprotect.domain.models import Risk, User

NOW = datetime(2026, 3, 1, 9, 30, 0, 123456, tzinfo=UTC)
US = timedelta(microseconds=1)


def _user(uid: str, last_updated: datetime | None) -> User:
    risk = (
        Risk(RiskLevel.HIGH, RiskState.AT_RISK, RiskDetail.NONE, last_updated)
        if last_updated is not None
        else None
    )
    return User(id=uid, risk=risk)


def test_the_clock_when_every_earlier_change_is_older() -> None:
    users = [_user("a", NOW - timedelta(hours=1)), _user("b", None)]
    assert time_of_change(fixed_clock(NOW), users, {"a": to_ticks(NOW) - 1}) == NOW


def test_just_after_the_latest_risk_of_any_user_when_the_clock_is_behind() -> None:
    users = [_user("a", NOW - US), _user("b", NOW + timedelta(seconds=3)), _user("c", NOW)]
    assert time_of_change(fixed_clock(NOW), users, {}) == NOW + timedelta(seconds=3) + US


def test_a_risk_dated_exactly_now_moves_the_change_on() -> None:
    assert time_of_change(fixed_clock(NOW), [_user("a", NOW)], {}) == NOW + US


def test_just_after_the_newest_history_item_even_within_a_microsecond() -> None:
    # Ticks are 100 ns: an item 50 ns after NOW still needs the change a microsecond later.
    latest = {"a": to_ticks(NOW) + 5, "b": to_ticks(NOW) - 10}
    moment = time_of_change(fixed_clock(NOW), [_user("a", None)], latest)
    assert moment == NOW + US
    assert to_ticks(moment) > max(latest.values())


def test_the_clock_is_read_once() -> None:
    readings: list[datetime] = []

    def clock() -> datetime:
        readings.append(NOW)
        return NOW

    time_of_change(clock, [_user("a", None), _user("b", None)], {})
    assert readings == [NOW]


def test_the_last_representable_moment_does_not_overflow() -> None:
    last = datetime.max.replace(tzinfo=UTC)
    assert time_of_change(fixed_clock(NOW), [_user("a", last)], {}) == last
