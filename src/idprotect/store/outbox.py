"""The signals outbox: events written in the transaction of their change, and the statements
that deliver them (claim a stream, read its pending events in order, settle them)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Connection, and_, bindparam, delete, exists, insert, or_, select, update

from idprotect.domain.changes import Change, DetectionAdded
from idprotect.signals.events import Render, Target, events_for
from idprotect.signals.streams import PUSH, WEBHOOK
from idprotect.store.compiled import CompiledInsert, CompiledSelect
from idprotect.store.streams import target_of
from idprotect.store.tables import signal_outbox, signal_streams, signal_subjects
from idprotect.store.tables.signals import CONTROL

_S, _O = signal_streams.c, signal_outbox.c


@dataclass(frozen=True, slots=True)
class Pending:
    """An event waiting for its receiver."""

    id: int
    jti: str
    payload: dict[str, Any]
    created_at: datetime


def _time_of(change: Change) -> datetime:
    if isinstance(change, DetectionAdded):
        return change.detection.last_updated_at
    return change.at


# The tenant's streams, and the subjects their receivers removed: read with every change, so
# built and compiled once (compiled.py).
# `removes`: whether the stream's receiver removed any subject, so that a tenant whose receivers
# removed none (the usual case) is read in one statement.
_STREAMS = CompiledSelect(
    select(
        _S.id, _S.delivery, _S.config, _S.tenant_id, _S.status, _S.expires_at, _S.authorized_until,
        exists().where(signal_subjects.c.stream_id == _S.id).label("removes"),
    ).where(_S.tenant_id == bindparam("tenant"))
)  # fmt: skip
_REMOVED = CompiledSelect(
    select(signal_subjects.c.stream_id, signal_subjects.c.subject)
    .join(signal_streams, _S.id == signal_subjects.c.stream_id)
    .where(_S.tenant_id == bindparam("tenant"))
)
# The events: written with every change, so also built once; `control` is left to its default
# (false) but for a stream's own events.
_EVENT = ("stream_id", "jti", "payload", "created_at")
_EVENTS = CompiledInsert(insert(signal_outbox), _EVENT)
_CONTROL_EVENTS = CompiledInsert(insert(signal_outbox), (*_EVENT, "control"))


def targets(connection: Connection, tenant_id: str) -> list[Target]:
    """The tenant's streams that take events: every one but the disabled."""
    rows = [r for r in _STREAMS.rows(connection, {"tenant": tenant_id}) if r.status != "disabled"]
    if not rows:
        return []
    excluded: dict[str, set[str]] = defaultdict(set)
    if any(row.removes and row.delivery != WEBHOOK for row in rows):
        for stream_id, subject in _REMOVED.rows(connection, {"tenant": tenant_id}):
            excluded[stream_id].add(subject)
    return [target_of(row, frozenset(excluded[row.id])) for row in rows]


def enqueue(
    connection: Connection, changes: Sequence[Change], found: Sequence[Target],
    render: Render | None = None,
) -> int:  # fmt: skip
    """Write the events `changes` make on the streams `found` (the tenant's `targets`) that
    are live at the time of the change (a subscription neither expired nor past its
    authorization); how many. `render` gives rich notifications their resource."""
    rows = [
        _row(target.stream_id, payload, _time_of(change))
        for change in changes
        for target in found
        if _live(target, _time_of(change))
        for payload in events_for(change, target, render)
    ]
    _EVENTS.run(connection, rows)
    return len(rows)


def _live(target: Target, moment: datetime) -> bool:
    ends = (target.expires_at, target.authorized_until)
    return all(end is None or end > moment for end in ends)


def add_event(
    connection: Connection, stream_id: str, payload: dict[str, Any], at: datetime,
    *, control: bool = False,
) -> None:  # fmt: skip
    """One event of the stream itself (verification); a control event (stream-updated) goes
    whatever the stream's status."""
    _CONTROL_EVENTS.run(connection, [{**_row(stream_id, payload, at), "control": control}])


def _row(stream_id: str, payload: dict[str, Any], at: datetime) -> dict[str, Any]:
    jti = str(payload.get("jti") or uuid.uuid4().hex)
    return {
        "stream_id": stream_id,
        "jti": jti,
        "payload": orjson.dumps(payload).decode(),
        "created_at": at,
    }


def _deliverable(now: datetime, owner: str) -> Any:
    """Streams a deliverer may take now: push or webhook, live, with events waiting (any, when
    enabled; control events, whatever their status), neither held by another deliverer nor
    waiting out a backoff."""
    waiting = exists().where(_O.stream_id == _S.id, _O.rejected.is_(False))
    # A control event is never kept refused (reject), so none of them is: the partial index.
    control = exists().where(_O.stream_id == _S.id, CONTROL)
    return and_(
        or_(and_(_S.status == "enabled", waiting), control),
        _S.lease_owner.is_(None) | (_S.lease_until < now) | (_S.lease_owner == owner),
        _S.next_attempt_at.is_(None) | (_S.next_attempt_at <= now),
        _S.delivery.in_((PUSH, WEBHOOK)),
        or_(_S.expires_at.is_(None), _S.expires_at > now),
    )


def next_stream(
    connection: Connection, *, owner: str, now: datetime
) -> tuple[str, str | None, datetime | None] | None:
    """A stream that could be claimed now, with its lease (owner, until); a read, so that an
    idle deliverer takes no lock, and one that holds the stream's lease needs no write."""
    query = (
        select(_S.id, _S.lease_owner, _S.lease_until)
        .where(_deliverable(now, owner))
        .order_by(_S.lease_until.is_not(None), _S.lease_until)
        .limit(1)
    )
    row = connection.execute(query).first()
    return (str(row.id), row.lease_owner, row.lease_until) if row is not None else None


def claim_stream(
    connection: Connection, *, owner: str, now: datetime, lease: timedelta
) -> str | None:
    """A stream with events to push whose lease is free (or ours), leased to `owner` until
    `now + lease`; None when there is none. On PostgreSQL the candidate row is locked with
    SKIP LOCKED, so deliverers of several processes never wait for, nor take, the same one."""
    query = (
        select(_S.id)
        .where(_deliverable(now, owner))
        .order_by(_S.lease_until.is_not(None), _S.lease_until)
        .limit(1)
    )
    if connection.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=signal_streams)
    stream_id = connection.execute(query).scalar()
    if stream_id is None:
        return None
    connection.execute(
        update(signal_streams)
        .where(_S.id == stream_id)
        .values(lease_owner=owner, lease_until=now + lease)
    )
    return str(stream_id)


def extend_lease(connection: Connection, stream_id: str, owner: str, until: datetime) -> None:
    connection.execute(
        update(signal_streams)
        .where(_S.id == stream_id, _S.lease_owner == owner)
        .values(lease_until=until)
    )


def release(connection: Connection, stream_id: str, owner: str) -> None:
    connection.execute(
        update(signal_streams)
        .where(_S.id == stream_id, _S.lease_owner == owner)
        .values(lease_owner=None, lease_until=None)
    )


def pending(
    connection: Connection, stream_id: str, limit: int, *, after: int | None = None
) -> list[Pending]:
    """The stream's events not yet taken, oldest first (commit order for each principal),
    after the event `after` (the last one taken and not recorded yet: a deliverer takes a
    stream's events in order). One seek on the outbox's (stream_id, id) order, however many
    were taken."""
    query = (
        select(_O.id, _O.jti, _O.payload, _O.created_at)
        .where(_O.stream_id == stream_id, _O.rejected.is_(False), _sendable(stream_id))
        .order_by(_O.id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(_O.id > after)
    return [_pending(row) for row in connection.execute(query)]


def _sendable(stream_id: str) -> Any:
    """The events that may go now: any while the stream is enabled, else its control events
    alone (a paused stream holds the others; a disabled one has no others)."""
    enabled = exists().where(_S.id == stream_id, _S.status == "enabled")
    return or_(CONTROL, enabled)


def _pending(row: Any) -> Pending:
    return Pending(row.id, row.jti, orjson.loads(row.payload), row.created_at)


def delivered(connection: Connection, ids: Iterable[int]) -> None:
    chosen = list(ids)
    if chosen:
        connection.execute(delete(signal_outbox).where(_O.id.in_(chosen)))


def reject(connection: Connection, event_id: int, error: str) -> None:
    """The receiver refused the event for good: it stays, out of the queue, with the error;
    a control event is dropped (the stream's status endpoint says the same)."""
    connection.execute(delete(signal_outbox).where(_O.id == event_id, CONTROL))
    connection.execute(
        update(signal_outbox).where(_O.id == event_id).values(rejected=True, error=error)
    )


def record_attempt(
    connection: Connection,
    stream_id: str,
    *,
    attempts: int,
    retry_at: datetime | None,
    error: str | None,
) -> None:
    """The outcome of a push: the failures in a row, when to try again, the last error."""
    connection.execute(
        update(signal_streams)
        .where(_S.id == stream_id)
        .values(attempts=attempts, next_attempt_at=retry_at, last_error=error)
    )


def _to_hand_out(stream_id: str, now: datetime, redeliver: timedelta) -> Any:
    """A poll's events: never handed out, or handed out `redeliver` ago or more and not
    acknowledged since."""
    return and_(
        _O.stream_id == stream_id,
        _O.rejected.is_(False),
        or_(_O.polled_at.is_(None), _O.polled_at <= now - redeliver),
        _sendable(stream_id),
    )


def pollable(
    connection: Connection, stream_id: str, *, now: datetime, redeliver: timedelta
) -> bool:
    query = select(_O.id).where(_to_hand_out(stream_id, now, redeliver)).limit(1)
    return connection.execute(query).first() is not None


def poll(
    connection: Connection, stream_id: str, *, limit: int, now: datetime, redeliver: timedelta
) -> list[Pending]:
    """Up to `limit` events for a poll (RFC 8936), oldest first, marked as handed out."""
    query = (
        select(_O.id, _O.jti, _O.payload, _O.created_at)
        .where(_to_hand_out(stream_id, now, redeliver))
        .order_by(_O.id)
        .limit(limit)
    )
    found = [_pending(row) for row in connection.execute(query)]
    if found:
        handed = update(signal_outbox).where(_O.id.in_([p.id for p in found]))
        connection.execute(handed.values(polled_at=now))
    return found


def has_pending(connection: Connection, stream_id: str) -> bool:
    """Whether events wait that may go now, handed out or not."""
    waiting = and_(_O.stream_id == stream_id, _O.rejected.is_(False), _sendable(stream_id))
    query = select(_O.id).where(waiting).limit(1)
    return connection.execute(query).first() is not None


def acknowledge(connection: Connection, stream_id: str, jtis: Sequence[str]) -> None:
    if jtis:
        connection.execute(
            delete(signal_outbox).where(_O.stream_id == stream_id, _O.jti.in_(list(jtis)))
        )


def refuse_by_jti(connection: Connection, stream_id: str, errors: dict[str, str]) -> None:
    """Poll's setErrs: the receiver refused these events; they leave the queue."""
    for jti, error in errors.items():
        connection.execute(
            update(signal_outbox)
            .where(and_(_O.stream_id == stream_id, _O.jti == jti))
            .values(rejected=True, error=error)
        )


def drop_stream_events(connection: Connection, stream_id: str) -> None:
    connection.execute(delete(signal_outbox).where(_O.stream_id == stream_id))
