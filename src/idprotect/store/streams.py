"""Streams and subscriptions (signals/streams.py) in SQL: each tenant sees only its own."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, and_, delete, func, insert, select, update

from idprotect.signals.events import Target
from idprotect.signals.streams import WEBHOOK, Stream
from idprotect.signals.subscriptions import API_VERSION
from idprotect.store.tables import signal_outbox, signal_streams, signal_subjects

_S, _O = signal_streams.c, signal_outbox.c


def _values(stream: Stream) -> dict[str, Any]:
    return {
        "delivery": stream.delivery,
        "status": stream.status,
        "reason": stream.reason,
        "config": orjson.dumps(stream.config).decode(),
        "expires_at": stream.expires_at,
        "inactivity_timeout": stream.inactivity_timeout,
        "inactive_at": stream.inactive_at,
        "authorized_until": stream.authorized_until,
        "reauthorize_at": stream.reauthorize_at,
    }


def add_stream(connection: Connection, stream: Stream) -> None:
    row = {"id": stream.id, "tenant_id": stream.tenant_id, "created_at": stream.created_at}
    connection.execute(insert(signal_streams).values(**row, **_values(stream)))


def save_stream(connection: Connection, stream: Stream) -> None:
    """Its configuration, status and expiry; a failed delivery is tried again at once."""
    query = update(signal_streams).where(_S.id == stream.id, _S.tenant_id == stream.tenant_id)
    connection.execute(query.values(**_values(stream), next_attempt_at=None, attempts=0))


def record_activity(connection: Connection, stream: Stream) -> None:
    """The stream's inactivity timeout and when it runs out, alone: its delivery (attempts,
    backoff) is left as it is."""
    query = update(signal_streams).where(_S.id == stream.id, _S.tenant_id == stream.tenant_id)
    connection.execute(
        query.values(inactivity_timeout=stream.inactivity_timeout, inactive_at=stream.inactive_at)
    )


def inactive_streams(connection: Connection, now: datetime) -> list[Stream]:
    """SSF streams whose inactivity timeout ran out, every tenant's, but those disabled."""
    query = select(signal_streams).where(_S.inactive_at <= now, _S.status != "disabled")
    return [_stream(row) for row in connection.execute(query.order_by(_S.inactive_at))]


def disable_inactive(connection: Connection, stream: Stream, now: datetime, reason: str) -> bool:
    """Disable the stream if it is still inactive now; whether it was (another deliverer may
    have done it first, or the receiver acted meanwhile)."""
    query = update(signal_streams).where(
        _S.id == stream.id, _S.inactive_at <= now, _S.status != "disabled"
    )
    result = connection.execute(query.values(status="disabled", reason=reason, inactive_at=None))
    return bool(result.rowcount == 1)


def _stream(row: Any) -> Stream:
    return Stream(
        id=row.id,
        tenant_id=row.tenant_id,
        delivery=row.delivery,
        status=row.status,
        config=orjson.loads(row.config),
        created_at=row.created_at,
        reason=row.reason,
        expires_at=row.expires_at,
        attempts=row.attempts,
        last_error=row.last_error,
        inactivity_timeout=row.inactivity_timeout,
        inactive_at=row.inactive_at,
        authorized_until=row.authorized_until,
        reauthorize_at=row.reauthorize_at,
    )


def get_stream(
    connection: Connection, tenant_id: str | None, stream_id: str, *, lock: bool = False
) -> Stream | None:
    """The stream, if it is the tenant's (any tenant's when `tenant_id` is None)."""
    query = select(signal_streams).where(_S.id == stream_id)
    if tenant_id is not None:
        query = query.where(_S.tenant_id == tenant_id)
    if lock and connection.dialect.name == "postgresql":
        query = query.with_for_update()
    row = connection.execute(query).first()
    return _stream(row) if row is not None else None


def list_streams(connection: Connection, tenant_id: str, *, webhooks: bool) -> list[Stream]:
    """The tenant's SSF streams, or (webhooks) its subscriptions, oldest first."""
    kind = _S.delivery == WEBHOOK if webhooks else _S.delivery != WEBHOOK
    query = select(signal_streams).where(_S.tenant_id == tenant_id, kind)
    return [_stream(row) for row in connection.execute(query.order_by(_S.created_at, _S.id))]


def delete_stream(connection: Connection, stream: Stream) -> None:
    """The stream, its subjects and its undelivered events."""
    connection.execute(delete(signal_outbox).where(signal_outbox.c.stream_id == stream.id))
    connection.execute(delete(signal_subjects).where(signal_subjects.c.stream_id == stream.id))
    connection.execute(
        delete(signal_streams).where(_S.id == stream.id, _S.tenant_id == stream.tenant_id)
    )


def exclude_subject(connection: Connection, stream_id: str, subject: str) -> None:
    present = select(signal_subjects.c.subject).where(
        signal_subjects.c.stream_id == stream_id, signal_subjects.c.subject == subject
    )
    if connection.execute(present).first() is None:
        connection.execute(insert(signal_subjects).values(stream_id=stream_id, subject=subject))


def include_subject(connection: Connection, stream_id: str, subject: str) -> None:
    connection.execute(
        delete(signal_subjects).where(
            signal_subjects.c.stream_id == stream_id, signal_subjects.c.subject == subject
        )
    )


# The deliverers' upkeep (signals/upkeep.py), by name: what is due now.
INACTIVE, EXPIRED, REMINDERS, REFUSED = "inactive", "expired", "reminders", "refused"


def upkeep_due(connection: Connection, now: datetime) -> frozenset[str]:
    """Which of the upkeep's jobs have something to do now: a read, so that an idle deliverer
    takes no write lock."""
    webhook = _S.delivery == WEBHOOK
    refused = (
        select(_O.id)
        .join(signal_streams, _S.id == _O.stream_id)
        .where(webhook, _O.rejected.is_(True), _O.id > func.coalesce(_S.missed_through, 0))
    )
    checks = {
        INACTIVE: select(_S.id).where(_S.inactive_at <= now, _S.status != "disabled"),
        EXPIRED: select(_S.id).where(webhook, _S.expires_at <= now),
        REMINDERS: select(_S.id).where(webhook, _S.reauthorize_at <= now, _S.expires_at > now),
        REFUSED: refused,
    }
    return frozenset(
        name for name, query in checks.items() if connection.execute(query.limit(1)).first()
    )


def due_reminders(connection: Connection, now: datetime) -> list[Stream]:
    """Live subscriptions whose reauthorizationRequired notification is due, every tenant's."""
    due = and_(_S.delivery == WEBHOOK, _S.reauthorize_at <= now, _S.expires_at > now)
    return [_stream(row) for row in connection.execute(select(signal_streams).where(due))]


def remind(connection: Connection, stream: Stream, following: datetime | None) -> bool:
    """Move the subscription's reminder on to `following`, if it is still the one read; whether
    it was (with several deliverers, one of them reminds it)."""
    query = update(signal_streams).where(
        _S.id == stream.id, _S.reauthorize_at == stream.reauthorize_at
    )
    return bool(connection.execute(query.values(reauthorize_at=following)).rowcount == 1)


def refused_notifications(connection: Connection) -> list[tuple[Stream, int | None, int]]:
    """Subscriptions with notifications refused for good (the receiver answered 4xx) since
    their last `missed` lifecycle notification: each, with the last refused one reported
    before (None: none) and the last now."""
    last = (
        select(func.max(_O.id))
        .where(_O.stream_id == _S.id, _O.rejected.is_(True))
        .scalar_subquery()
    )
    query = select(signal_streams, last.label("last_refused")).where(
        _S.delivery == WEBHOOK, last > func.coalesce(_S.missed_through, 0)
    )
    return [
        (_stream(row), row.missed_through, row.last_refused) for row in connection.execute(query)
    ]


def report_missed(
    connection: Connection, stream_id: str, previous: int | None, through: int
) -> bool:
    """Record that the refusals up to `through` are reported, if none reported them since
    `previous`; whether this did."""
    same = _S.missed_through.is_(None) if previous is None else _S.missed_through == previous
    query = update(signal_streams).where(_S.id == stream_id, same)
    return bool(connection.execute(query.values(missed_through=through)).rowcount == 1)


def expired_subscriptions(connection: Connection, now: datetime) -> list[Stream]:
    """Subscriptions past their expirationDateTime, every tenant's (the deliverer ends them)."""
    query = select(signal_streams).where(_S.delivery == WEBHOOK, _S.expires_at <= now)
    return [_stream(row) for row in connection.execute(query)]


def target_of(row: Any, excluded: frozenset[str]) -> Target:
    """What the outbox writer needs of a stream row."""
    config = orjson.loads(row.config)
    if row.delivery == WEBHOOK:
        return Target(
            stream_id=row.id,
            delivery=WEBHOOK,
            resource=config["resource"],
            change_types=frozenset(config["changeType"].split(",")),
            client_state=config.get("clientState"),
            tenant_id=row.tenant_id,
            expires_at=row.expires_at,
            authorized_until=row.authorized_until,
            certificate=config.get("encryptionCertificate")
            if config.get("includeResourceData")
            else None,
            certificate_id=config.get("encryptionCertificateId") or "",
            version=config.get(API_VERSION) or "v1.0",
        )
    return Target(
        stream_id=row.id,
        delivery=row.delivery,
        iss=config["iss"],
        aud=config["aud"],
        events=frozenset(config.get("events_delivered", ())),
        excluded=excluded,
        tenant_id=row.tenant_id,
    )


def stream_lease(connection: Connection, stream_id: str) -> tuple[str | None, datetime | None]:
    row = connection.execute(
        select(_S.lease_owner, _S.lease_until).where(_S.id == stream_id)
    ).first()
    return (row.lease_owner, row.lease_until) if row is not None else (None, None)
