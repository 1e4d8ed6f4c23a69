"""Time: aware UTC datetimes, and .NET ticks as Graph's history item ids use them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

Clock = Callable[[], datetime]

_TICKS_EPOCH = datetime(1, 1, 1, tzinfo=UTC)
TICKS_PER_SECOND = 10_000_000


def utc_now() -> datetime:
    return datetime.now(UTC)


def fixed_clock(moment: datetime) -> Clock:
    """A clock that always reads `moment`: for replaying changes at the times they happened."""
    return lambda: moment


def to_ticks(moment: datetime) -> int:
    """.NET ticks: 100-nanosecond intervals since 0001-01-01T00:00:00Z."""
    delta = moment - _TICKS_EPOCH
    return (delta.days * 86_400 + delta.seconds) * TICKS_PER_SECOND + delta.microseconds * 10


MAX_TICKS = to_ticks(datetime.max.replace(tzinfo=UTC))


def from_ticks(ticks: int) -> datetime:
    seconds, rest = divmod(ticks, TICKS_PER_SECOND)
    return _TICKS_EPOCH + timedelta(seconds=seconds, microseconds=rest // 10)
