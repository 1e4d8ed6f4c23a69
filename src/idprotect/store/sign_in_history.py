"""The history the detectors read (engine/ports.py) from a tenant's sign_ins: a user's reads
are each one indexed seek; an address's windows are read for a whole batch at once
(read_ahead), and counted in memory."""

from __future__ import annotations

import bisect
from collections import defaultdict, namedtuple
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, case, false, func, or_, select, tuple_
from sqlalchemy.sql.elements import BindParameter

from idprotect.domain.kinds import USER
from idprotect.domain.signins import SignIn
from idprotect.engine.ports import FEATURES, ReadAhead
from idprotect.store.compiled import CompiledSelect
from idprotect.store.signins import sign_in_from_row
from idprotect.store.tables import sign_ins

_s = sign_ins.c
_TENANT: BindParameter[str] = bindparam("tenant")
_USER: BindParameter[str] = bindparam("user")
_BEFORE: BindParameter[datetime] = bindparam("before")
_CHUNK = 500

_COLUMNS = [c for c in sign_ins.c if c.name != "tenant_id"]
_PREVIOUS_SUCCESS = CompiledSelect(
    select(*_COLUMNS)
    .where(
        _s.tenant_id == _TENANT,
        _s.user_id == _USER,
        _s.error_code == 0,
        _s.created_at >= bindparam("since"),
        # Before it in event time; at the same moment, by id. As a row value, the one range
        # of ix_sign_ins_tenant_user_created that is read backwards from the sign-in.
        tuple_(_s.created_at, _s.id)
        < tuple_(bindparam("before", type_=_s.created_at.type), bindparam("id", type_=_s.id.type)),
    )
    .order_by(_s.created_at.desc(), _s.id.desc())
    .limit(1)
)
_LEARNED = CompiledSelect(
    select(func.count(), func.min(_s.created_at)).where(  # type: ignore[arg-type]
        _s.tenant_id == _TENANT, _s.user_id == _USER, _s.created_at < _BEFORE
    )
)
_SEEN = {
    feature: CompiledSelect(
        select(_s.id)
        .where(
            _s.tenant_id == _TENANT,
            _s.user_id == _USER,
            _s.created_at < _BEFORE,
            _s[feature] == bindparam("value"),
        )
        .limit(1)
    )
    for feature in FEATURES
}
_Row = namedtuple("_Row", [c.name for c in _COLUMNS])  # type: ignore[misc]
_SIGN_INS_FROM = CompiledSelect(
    select(*_COLUMNS)
    .where(
        _s.tenant_id == _TENANT,
        _s.ip_address == bindparam("ip"),
        and_(_s.created_at >= bindparam("start"), _s.created_at <= bindparam("end")),
    )
    .order_by(_s.created_at, _s.id)
)
# Spray counts accounts, which are users: a service principal's sign-in is none.
_USERS = _s.principal_kind == USER.name
_SUCCEEDED = case((and_(_USERS, _s.error_code == 0), _s.user_id))


class SqlSignInHistory:
    """engine.ports.SignInHistory over one tenant's sign_ins."""

    def __init__(self, connection: Connection, tenant_id: str) -> None:
        self._connection = connection
        self._tenant = tenant_id
        self._read: _Window | None = None
        self._seen: dict[tuple[str, datetime, str, str], bool] = {}

    def previous_success(self, sign_in: SignIn, since: datetime) -> SignIn | None:
        values = {
            "tenant": self._tenant,
            "user": sign_in.principal_id,
            "since": since,
            "before": sign_in.created_at,
            "id": sign_in.id,
        }
        row = _PREVIOUS_SUCCESS.first(self._connection, values)
        return sign_in_from_row(row) if row is not None else None

    def learned(self, user_id: str, before: datetime) -> tuple[int, datetime | None]:
        values = {"tenant": self._tenant, "user": user_id, "before": before}
        row = _LEARNED.first(self._connection, values)
        return int(row[0]), row[1]

    def seen(self, user_id: str, before: datetime, feature: str, value: str) -> bool:
        # Two detectors may ask the same (newCountry and unfamiliarFeatures, of the country):
        # asked once. The history does not change while a batch is evaluated.
        key = (user_id, before, feature, value)
        found = self._seen.get(key)
        if found is None:
            values = {"tenant": self._tenant, "user": user_id, "before": before, "value": value}
            found = self._seen[key] = _SEEN[feature].first(self._connection, values) is not None
        return found

    def sign_ins_from(self, ip_address: str, start: datetime, end: datetime) -> list[SignIn]:
        rows = self._read.of(ip_address, start, end) if self._read else None
        if rows is None:
            values = {"tenant": self._tenant, "ip": ip_address, "start": start, "end": end}
            rows = _SIGN_INS_FROM.rows(self._connection, values)
        return [sign_in_from_row(row) for row in rows]

    def read_ahead(self, batch: ReadAhead) -> None:
        found: dict[str, list[Any]] = defaultdict(list)
        for row in self._rows_of(_s.ip_address, batch.ips, batch.since, batch.until):
            found[row.ip_address].append(row)
        for rows in found.values():
            rows.sort(key=lambda r: (r.created_at, r.id))  # as a window is read
        self._read = _Window(batch.since, batch.until, batch.ips, found)

    def later_sign_ins(
        self, start: datetime, end: datetime, *, user_ids: Sequence[str], ips: Sequence[str]
    ) -> list[SignIn]:
        # Those of the users, then those from the addresses: a sign-in found by both is made
        # into a SignIn once.
        found = {row.id: row for row in self._rows_of(_s.user_id, user_ids, start, end)}
        for row in self._rows_of(_s.ip_address, ips, start, end):
            found.setdefault(row.id, row)
        later = [sign_in_from_row(row) for row in found.values()]
        return sorted(later, key=lambda s: (s.created_at, s.id))

    def _rows_of(
        self, column: Any, keys: Iterable[str], start: datetime, end: datetime
    ) -> Iterable[Any]:
        """The rows in [start, end] whose `column` is one of `keys`, as named tuples (a Row's
        attributes cost more), a few hundred keys to a statement."""
        ordered = sorted(set(keys))
        for at in range(0, len(ordered), _CHUNK):
            query = select(*_COLUMNS).where(
                _s.tenant_id == self._tenant,
                column.in_(ordered[at : at + _CHUNK]),
                and_(_s.created_at >= start, _s.created_at <= end),
            )
            yield from map(_Row._make, self._connection.execute(query))

    def lock(self) -> None:
        # SQLite's writers are one at a time already (BEGIN IMMEDIATE); PostgreSQL's wait here
        # for the tenant's other batch to commit, and then read what it wrote.
        if self._connection.dialect.name == "postgresql":
            key = func.hashtextextended(self._tenant, 0)
            self._connection.execute(select(func.pg_advisory_xact_lock(key)))

    def previous_from(self, ip_address: str, sign_in: SignIn) -> datetime | None:
        # Two seeks along ix_sign_ins_tenant_ip_created: a sign-in at the same moment, first
        # by id, then the latest before it.
        values = {"tenant": self._tenant, "ip": ip_address, "at": sign_in.created_at}
        if _TIED_FROM.first(self._connection, {**values, "id": sign_in.id}) is not None:
            return sign_in.created_at
        found: datetime | None = _LATEST_FROM.first(self._connection, values)[0]
        return found

    def spray_accounts_from(
        self, ip_address: str, start: datetime, end: datetime, failures: Iterable[int]
    ) -> tuple[int, int]:
        codes = frozenset(failures)
        rows = self._read.of(ip_address, start, end) if self._read else None
        if rows is not None:
            users = [r for r in rows if r.principal_kind == USER.name]
            failed = {r.user_id for r in users if r.error_code in codes}
            return len(failed), len({r.user_id for r in users if r.error_code == 0})
        values = {"tenant": self._tenant, "ip": ip_address, "start": start, "end": end}
        row = _spray_accounts_from(tuple(sorted(codes))).first(self._connection, values)
        return int(row[0]), int(row[1])


@dataclass(frozen=True, slots=True)
class _Window:
    """The rows of some keys (the batch's addresses) in [start, end], read at once; each key's in
    event time."""

    start: datetime
    end: datetime
    keys: frozenset[str]
    rows: dict[str, list[Any]]

    def of(self, key: str, start: datetime, end: datetime) -> list[Any] | None:
        """The key's rows in [start, end]; None if they were not read ahead."""
        if key not in self.keys or start < self.start or end > self.end:
            return None
        rows = self.rows.get(key, [])
        first = bisect.bisect_left(rows, start, key=_created_at)
        return rows[first : bisect.bisect_right(rows, end, lo=first, key=_created_at)]


def _created_at(row: Any) -> datetime:
    return row.created_at  # type: ignore[no-any-return]


_FROM_IP = (_s.tenant_id == _TENANT, _s.ip_address == bindparam("ip"))
_TIED_FROM = CompiledSelect(
    select(_s.id)
    .where(*_FROM_IP, _s.created_at == bindparam("at"), _s.id < bindparam("id"))
    .limit(1)
)
_LATEST_FROM = CompiledSelect(
    select(func.max(_s.created_at)).where(*_FROM_IP, _s.created_at < bindparam("at"))
)
# By the failure codes a spray is made of (a setting): each set's statement compiled once.
_SPRAY_ACCOUNTS_FROM: dict[tuple[int, ...], CompiledSelect] = {}


def _spray_accounts_from(codes: tuple[int, ...]) -> CompiledSelect:
    found = _SPRAY_ACCOUNTS_FROM.get(codes)
    if found is None:
        # Equalities, not IN: an IN list's parameters are expanded at each execution.
        failing = or_(false(), *(_s.error_code == code for code in codes))
        failed = case((and_(_USERS, failing), _s.user_id))
        found = CompiledSelect(
            select(func.count(failed.distinct()), func.count(_SUCCEEDED.distinct())).where(  # type: ignore[arg-type]
                *_FROM_IP, _s.created_at >= bindparam("start"), _s.created_at <= bindparam("end")
            )
        )
        _SPRAY_ACCOUNTS_FROM[codes] = found
    return found
