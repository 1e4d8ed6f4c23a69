"""In-memory fakes of the engine's ports, and a sign-in factory, for the detector tests."""

from __future__ import annotations

import ipaddress
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from idprotect.domain.kinds import USER
from idprotect.domain.models import Location
from idprotect.domain.signins import SignIn
from idprotect.engine.detectors.familiarity import features
from idprotect.engine.findings import Context, Finding
from idprotect.engine.ports import ReadAhead
from idprotect.engine.settings import DEFAULT_SETTINGS, EngineSettings

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
NEW_YORK = Location(city="New York", country_or_region="US", latitude=40.7128, longitude=-74.006)
BOSTON = Location(city="Boston", country_or_region="US", latitude=42.3601, longitude=-71.0589)
LONDON = Location(city="London", country_or_region="GB", latitude=51.5074, longitude=-0.1278)
PARIS = Location(city="Paris", country_or_region="FR", latitude=48.8566, longitude=2.3522)


def sign_in(n: int | str, at: datetime | timedelta = timedelta(0), **overrides: Any) -> SignIn:
    """A successful sign-in of user-1 from New York; `at` is a moment or an offset from T0."""
    values: dict[str, Any] = {
        "id": f"s-{n}",
        "created_at": at if isinstance(at, datetime) else T0 + at,
        "user_id": "user-1",
        "ip_address": "203.0.113.10",
        "location": NEW_YORK,
        "browser": "Edge 120",
        "operating_system": "Windows 11",
    }
    return SignIn(**{**values, **overrides})


def _order(s: SignIn) -> tuple[datetime, str]:
    return s.created_at, s.id


class FakeHistory:
    """engine.ports.SignInHistory over a list, with the store's semantics."""

    def __init__(self, sign_ins: Sequence[SignIn] = ()) -> None:
        self.sign_ins = list(sign_ins)

    def previous_success(self, sign_in: SignIn, since: datetime) -> SignIn | None:
        earlier = [
            s
            for s in self.sign_ins
            if s.principal_id == sign_in.principal_id
            and s.succeeded
            and since <= s.created_at
            and _order(s) < _order(sign_in)
        ]
        return max(earlier, key=_order, default=None)

    def learned(self, user_id: str, before: datetime) -> tuple[int, datetime | None]:
        times = [
            s.created_at
            for s in self.sign_ins
            if s.principal_id == user_id and s.created_at < before
        ]
        return len(times), min(times, default=None)

    def seen(self, user_id: str, before: datetime, feature: str, value: str) -> bool:
        return any(
            s.principal_id == user_id and s.created_at < before and features(s)[feature] == value
            for s in self.sign_ins
        )

    def spray_accounts_from(
        self, ip_address: str, start: datetime, end: datetime, failures: Iterable[int]
    ) -> tuple[int, int]:
        window = [s for s in self.sign_ins_from(ip_address, start, end) if s.kind is USER]
        failed = {s.user_id for s in window if s.error_code in set(failures)}
        succeeded = {s.user_id for s in window if s.succeeded}
        return len(failed), len(succeeded)

    def sign_ins_from(self, ip_address: str, start: datetime, end: datetime) -> list[SignIn]:
        found = [
            s for s in self.sign_ins if s.ip_address == ip_address and start <= s.created_at <= end
        ]
        return sorted(found, key=_order)

    def previous_from(self, ip_address: str, sign_in: SignIn) -> datetime | None:
        earlier = [
            s.created_at
            for s in self.sign_ins
            if s.ip_address == ip_address and _order(s) < _order(sign_in)
        ]
        return max(earlier, default=None)

    def later_sign_ins(
        self, start: datetime, end: datetime, *, user_ids: Sequence[str], ips: Sequence[str]
    ) -> list[SignIn]:
        found = [
            s
            for s in self.sign_ins
            if start <= s.created_at <= end and (s.principal_id in user_ids or s.ip_address in ips)
        ]
        return sorted(found, key=_order)

    def read_ahead(self, batch: ReadAhead) -> None:
        pass

    def lock(self) -> None:
        pass


@dataclass
class FakeLists:
    """engine.ports.ThreatLists over sets."""

    anonymizers: list[str] = field(default_factory=list)
    malicious: list[str] = field(default_factory=list)
    leaked: set[str] = field(default_factory=set)

    def is_anonymizer(self, ip_address: str) -> bool:
        return _match(self.anonymizers, ip_address) is not None

    def malicious_range(self, ip_address: str) -> str | None:
        return _match(self.malicious, ip_address)

    def is_leaked(self, sha1_hex: str) -> bool:
        return sha1_hex.upper() in self.leaked

    def read_ahead(self, digests: Collection[str]) -> None:
        pass


def _match(networks: list[str], ip_address: str) -> str | None:
    try:
        address = ipaddress.ip_address(ip_address)
    except ValueError:
        return None
    parsed = (ipaddress.ip_network(n, strict=False) for n in networks)
    return next((str(n) for n in parsed if address in n), None)


def context(
    history: Sequence[SignIn] = (),
    *,
    lists: FakeLists | None = None,
    settings: EngineSettings = DEFAULT_SETTINGS,
    **overrides: Any,
) -> Context:
    """The detectors' context over `history` (which should hold the evaluated sign-in too, as
    the store does: a batch is stored before it is evaluated)."""
    if overrides:
        settings = replace(settings, **overrides)
    return Context(FakeHistory(history), lists or FakeLists(), settings)


def kinds(findings: Sequence[Finding]) -> list[tuple[str, str]]:
    return [(f.risk_event_type, f.risk_level.value) for f in findings]


def workload_sign_in(
    n: int | str, at: datetime | timedelta = timedelta(0), **overrides: Any
) -> SignIn:
    """A successful sign-in of service principal sp-1 (a client credentials grant) from its
    hosting range; `at` as sign_in's."""
    values: dict[str, Any] = {
        "user_id": "",
        "service_principal_id": "sp-1",
        "service_principal_name": "payroll-sync",
        "service_principal_credential_key_id": "key-1",
        "app_id": "app-1",
        "browser": None,
        "operating_system": None,
        "user_agent": "python-requests/2.32",
        "is_interactive": False,
    }
    return sign_in(n, at, **{**values, **overrides})
