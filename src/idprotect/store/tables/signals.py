"""The signals' tables: streams, their removed subjects, the outbox, SETs received."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    String,
    Table,
    Text,
    text,
)

from idprotect.store.tables.base import UtcDateTime, metadata

# Signals (signals/, docs/signals.md). A stream is an SSF event stream or a Graph-style
# subscription: where its events go (`config`, JSON) and who delivers them now (the lease).
signal_streams = Table(
    "signal_streams",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("tenant_id", String(64), nullable=False, index=True),
    Column("delivery", String(8), nullable=False),  # push, poll (SSF); webhook (Graph)
    Column("status", String(16), nullable=False),  # enabled, paused, disabled
    Column("reason", Text),
    Column("config", Text, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime()),  # a subscription's expirationDateTime
    # Delivery: one deliverer at a time holds the stream until lease_until.
    Column("lease_owner", String(64)),
    Column("lease_until", UtcDateTime()),
    Column("next_attempt_at", UtcDateTime()),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("last_error", Text),
    # SSF streams: the inactivity_timeout (seconds) and when it runs out unless the receiver
    # acts before; the deliverers disable the stream then (signals/upkeep.py).
    Column("inactivity_timeout", Integer),
    Column("inactive_at", UtcDateTime()),
    # Subscriptions: until when their notifications are authorized, when the next
    # reauthorizationRequired lifecycle notification is due, and the last refused notification
    # its `missed` lifecycle notification reported (signals/lifecycle.py).
    Column("authorized_until", UtcDateTime()),
    Column("reauthorize_at", UtcDateTime()),
    Column("missed_through", BigInteger().with_variant(Integer(), "sqlite")),
)
# Subjects a receiver removed from its stream (default_subjects is ALL), by subject key.
signal_subjects = Table(
    "signal_subjects",
    metadata,
    Column("stream_id", String(64), primary_key=True),
    Column("subject", String(512), primary_key=True),
)
# The outbox: each event, written in the transaction of the change that made it, waits here
# until its stream's receiver took it (push: a 2xx; poll: an acknowledgement).
signal_outbox = Table(
    "signal_outbox",
    metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
    Column("stream_id", String(64), nullable=False),
    Column("jti", String(64), nullable=False),
    Column("payload", Text, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("polled_at", UtcDateTime()),  # poll delivery: handed out, not yet acknowledged
    Column("rejected", Boolean, nullable=False, server_default=text("false")),
    Column("error", Text),  # the receiver's error body when it refused the event
    # An event about the stream itself (stream-updated): it goes whatever the stream's status,
    # where the others wait for the stream to be enabled (SSF 1.0 8.1.5).
    Column("control", Boolean, nullable=False, server_default=text("false")),
)
Index(
    "ix_signal_outbox_stream_id_rejected_id",
    signal_outbox.c.stream_id,
    signal_outbox.c.rejected,
    signal_outbox.c.id,
)
Index("ix_signal_outbox_stream_id_jti", signal_outbox.c.stream_id, signal_outbox.c.jti, unique=True)
# The few control events, found without reading a paused stream's held events: a query
# finds them with this very condition (store/outbox.py).
CONTROL = signal_outbox.c.control.is_(True)
Index(
    "ix_signal_outbox_control",
    signal_outbox.c.stream_id,
    sqlite_where=CONTROL,
    postgresql_where=CONTROL,
)
# SETs received from other transmitters, by issuer and jti: a replayed SET is ignored.
signal_received = Table(
    "signal_received",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("issuer", String(512), primary_key=True),
    Column("jti", String(256), primary_key=True),
    Column("received_at", UtcDateTime(), nullable=False),
)
