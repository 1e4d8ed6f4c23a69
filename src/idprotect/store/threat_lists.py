"""A tenant's threat lists and breach corpus in SQL: what `signins lists` and `/_admin` load,
and what the detectors match sign-ins against (engine.ports.ThreatLists)."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Collection, Iterable

from sqlalchemy import Connection, bindparam, insert, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.elements import BindParameter

from idprotect.store.compiled import CompiledSelect
from idprotect.store.tables import ip_ranges, leaked_credentials

_TENANT: BindParameter[str] = bindparam("tenant")
_CHUNK = 5_000
_PAIRS = 400  # digests to a statement: two parameters each, within SQLite's limit

# Lists of ip_ranges.
ANONYMIZER, MALICIOUS = "anonymizer", "malicious"

# A list's networks by IP version and prefix length: each by its first address, as an int.
_Networks = dict[tuple[int, int], dict[int, str]]
_LIST = CompiledSelect(
    select(ip_ranges.c.network).where(
        ip_ranges.c.tenant_id == _TENANT, ip_ranges.c.list == bindparam("list")
    )
)
_LEAKED = CompiledSelect(
    select(leaked_credentials.c.prefix).where(
        leaked_credentials.c.tenant_id == _TENANT,
        leaked_credentials.c.prefix == bindparam("prefix"),
        leaked_credentials.c.suffix == bindparam("suffix"),
    )
)


def _address(ip_address: str) -> tuple[int, int, int] | None:
    """An address's IP version, value and width in bits; None if it is not an address. The
    engine sends addresses in normal form: the C parser reads them ten times faster."""
    for family, version, bits in ((socket.AF_INET, 4, 32), (socket.AF_INET6, 6, 128)):
        try:
            return version, int.from_bytes(socket.inet_pton(family, ip_address)), bits
        except (OSError, ValueError):
            continue
    return None


class SqlThreatLists:
    """engine.ports.ThreatLists of one tenant: a list's networks are read once, grouped by
    prefix length, so an address is matched with one lookup per length the list uses (a few),
    whatever its size; the leaked digests are looked up one by one (a corpus holds millions)."""

    def __init__(self, connection: Connection, tenant_id: str) -> None:
        self._connection = connection
        self._tenant = tenant_id
        self._lists: dict[str, _Networks] = {}
        self._leaked: dict[str, bool] = {}  # digests read ahead

    def _networks(self, name: str) -> _Networks:
        found = self._lists.get(name)
        if found is None:
            found = {}
            values = {"tenant": self._tenant, "list": name}
            for row in _LIST.rows(self._connection, values):
                start, _, length = row.network.partition("/")  # stored in normal form
                first = _address(start)
                if first is not None:
                    found.setdefault((first[0], int(length)), {})[first[1]] = row.network
            # The most specific range first: the one an address is reported by.
            self._lists[name] = found = dict(sorted(found.items(), key=lambda i: -i[0][1]))
        return found

    def _match(self, name: str, ip_address: str) -> str | None:
        networks = self._networks(name)
        if not networks:
            return None
        parsed = _address(ip_address)
        if parsed is None:
            return None
        version, value, bits = parsed
        for (listed, length), by_start in networks.items():
            if listed == version:
                host_bits = bits - length
                network = by_start.get(value >> host_bits << host_bits)
                if network is not None:
                    return network
        return None

    def is_anonymizer(self, ip_address: str) -> bool:
        return self._match(ANONYMIZER, ip_address) is not None

    def malicious_range(self, ip_address: str) -> str | None:
        return self._match(MALICIOUS, ip_address)

    def is_leaked(self, sha1_hex: str) -> bool:
        digest = sha1_hex.upper()
        known = self._leaked.get(digest)
        if known is not None:
            return known
        values = {"tenant": self._tenant, "prefix": digest[:5], "suffix": digest[5:]}
        return _LEAKED.first(self._connection, values) is not None

    def read_ahead(self, digests: Collection[str]) -> None:
        c = leaked_credentials.c
        upper = {d.upper() for d in digests}
        pairs = sorted((d[:5], d[5:]) for d in upper)
        for at in range(0, len(pairs), _PAIRS):
            query = select(c.prefix, c.suffix).where(
                c.tenant_id == self._tenant,
                tuple_(c.prefix, c.suffix).in_(pairs[at : at + _PAIRS]),
            )
            self._leaked.update((p + s, True) for p, s in self._connection.execute(query))
        self._leaked.update((p + s, False) for p, s in pairs if p + s not in self._leaked)


def replace_ip_list(
    connection: Connection, tenant_id: str, name: str, networks: Iterable[str]
) -> int:
    """The tenant's list `name` becomes `networks` (CIDR ranges or addresses, checked by the
    caller; normalized here); how many it holds."""
    normalized = sorted({str(ipaddress.ip_network(n, strict=False)) for n in networks})
    c = ip_ranges.c
    connection.execute(ip_ranges.delete().where(c.tenant_id == tenant_id, c.list == name))
    if normalized:
        rows = [{"tenant_id": tenant_id, "list": name, "network": n} for n in normalized]
        connection.execute(insert(ip_ranges), rows)
    return len(normalized)


def add_leaked_credentials(connection: Connection, tenant_id: str, digests: Iterable[str]) -> int:
    """Add SHA-1 digests (40 hex digits, checked by the caller) to the corpus; those already
    there are kept once. How many were given."""
    rows = [
        {"tenant_id": tenant_id, "prefix": d[:5].upper(), "suffix": d[5:].upper()}
        for d in sorted({d.upper() for d in digests})
    ]
    dialect_insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    statement = dialect_insert(leaked_credentials).on_conflict_do_nothing()
    for start in range(0, len(rows), _CHUNK):
        connection.execute(statement, rows[start : start + _CHUNK])
    return len(rows)
