"""What the detectors read: a tenant's sign-in history and the deployment's threat lists, both
as of an event's time. The store implements them; tests may fake them."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from idprotect.domain.signins import SignIn

# The features the familiarity detectors compare (unfamiliarFeatures, suspiciousSignins), as
# SignInHistory.seen names them.
FEATURES = ("ip_prefix", "country_or_region", "browser", "operating_system", "user_agent")


@dataclass(frozen=True, slots=True)
class ReadAhead:
    """The windows a batch's detectors read: the sign-ins from `ips` in [since, until]
    (passwordSpray)."""

    ips: frozenset[str]
    since: datetime
    until: datetime


class SignInHistory(Protocol):
    """One tenant's sign-ins. `before` is event time: what came after an event never counts.
    A principal's reads take its object id (`SignIn.principal_id`), a user's or a service
    principal's: object ids are unique across a directory's users and service principals."""

    def previous_success(self, sign_in: SignIn, since: datetime) -> SignIn | None:
        """The user's latest successful sign-in before `sign_in` (ties broken by id), if it
        was at `since` or after."""
        ...

    def learned(self, user_id: str, before: datetime) -> tuple[int, datetime | None]:
        """How many sign-ins the user made before `before`, and when the first was."""
        ...

    def seen(self, user_id: str, before: datetime, feature: str, value: str) -> bool:
        """Whether one of the user's sign-ins before `before` had `feature` (of FEATURES) =
        `value`."""
        ...

    def spray_accounts_from(
        self, ip_address: str, start: datetime, end: datetime, failures: Iterable[int]
    ) -> tuple[int, int]:
        """The distinct accounts (users) that failed with one of the `failures` error codes, and
        that succeeded, from the IP in [start, end]."""
        ...

    def sign_ins_from(self, ip_address: str, start: datetime, end: datetime) -> list[SignIn]:
        """The sign-ins from the IP in [start, end], in event time (ties by id)."""
        ...

    def previous_from(self, ip_address: str, sign_in: SignIn) -> datetime | None:
        """When the latest sign-in from the IP before `sign_in` was (ties broken by id)."""
        ...

    def later_sign_ins(
        self, start: datetime, end: datetime, *, user_ids: Sequence[str], ips: Sequence[str]
    ) -> list[SignIn]:
        """The sign-ins in [start, end] of the users or from the addresses, in event time: those
        a late sign-in of theirs may change the findings of."""
        ...

    def read_ahead(self, batch: ReadAhead) -> None:
        """What a batch's detectors will read may be read now, at once, and their reads within
        it answered from memory: one statement for the batch, not one per sign-in. What they
        find is the same either way. Called after the batch is stored, before it is
        evaluated."""
        ...

    def lock(self) -> None:
        """Hold the tenant's history until the unit of work ends: a tenant's batches are taken
        one at a time, each seeing all of the one before."""
        ...


class ThreatLists(Protocol):
    def is_anonymizer(self, ip_address: str) -> bool:
        """Whether the address is an anonymizer's (a Tor exit, a known anonymous proxy)."""
        ...

    def malicious_range(self, ip_address: str) -> str | None:
        """The listed malicious range holding the address, if one does."""
        ...

    def is_leaked(self, sha1_hex: str) -> bool:
        """Whether the credential's SHA-1 digest is in the imported breach corpus."""
        ...

    def read_ahead(self, digests: Collection[str]) -> None:
        """The digests may be looked up now, at once (as read_ahead of the history)."""
        ...
