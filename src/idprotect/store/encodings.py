"""How the bulk tables store values compactly, as column types that queries never see through.

Queries compare, filter and order these columns with the values the domain speaks (an enum's
name, an aware datetime, a tenant id, a detection's additionalInfo) and read those values back;
the conversion happens here, or for keys in SQL, so every query, the store's or not, stays right.

- Enums are stored as codes: a member's position in a frozen list of names (never reordered,
  only appended to), one byte where the name took up to 40.
- Moments are integers of microseconds since 1970 on SQLite (8 bytes, ordered as the moments
  are) where SQLAlchemy's DATETIME text took 26; PostgreSQL keeps its own 8-byte timestamp.
- A tenant, and a detection's additionalInfo, are stored as the key of their row in a small
  table (`KeyOf`): a comparison looks the key up in a scalar subquery, a read looks the value
  up in a correlated one. Most detections repeat one of a few additionalInfo texts.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    DateTime,
    Dialect,
    Integer,
    LargeBinary,
    SmallInteger,
    TypeDecorator,
    select,
    type_coerce,
)
from sqlalchemy.types import TypeEngine

# Codes by position, as Graph's CSDL orders each enum's members (riskLevel's codes are its
# ranks, which `$orderby=riskLevel` walks). Frozen: a new member is appended, never inserted.
RISK_LEVELS = ("low", "medium", "high", "hidden", "none", "unknownFutureValue")
RISK_STATES = (
    "none", "confirmedSafe", "remediated", "dismissed", "atRisk", "confirmedCompromised",
    "unknownFutureValue",
)  # fmt: skip
RISK_DETAILS = (
    "none", "adminGeneratedTemporaryPassword", "userPerformedSecuredPasswordChange",
    "userPerformedSecuredPasswordReset", "adminConfirmedSigninSafe", "aiConfirmedSigninSafe",
    "userPassedMFADrivenByRiskBasedPolicy", "adminDismissedAllRiskForUser",
    "adminConfirmedSigninCompromised", "hidden", "adminConfirmedUserCompromised",
    "unknownFutureValue", "m365DAdminDismissedDetection",
    "adminConfirmedServicePrincipalCompromised", "adminDismissedAllRiskForServicePrincipal",
    "userChangedPasswordOnPremises", "adminDismissedRiskForSignIn", "adminConfirmedAccountSafe",
    "microsoftRevokedSessions", "adminConfirmedAgentSafe", "adminConfirmedAgentCompromised",
    "adminDismissedRiskForAgent",
)  # fmt: skip
TIMING_TYPES = ("notDefined", "realtime", "nearRealtime", "offline", "unknownFutureValue")
ACTIVITY_TYPES = ("signin", "user", "unknownFutureValue", "servicePrincipal")
AGENT_IDENTITY_TYPES = (
    "agentIdentity", "agentUser", "unknownFutureValue", "agentIdentityBlueprintPrincipal",
)  # fmt: skip
TOKEN_ISSUER_TYPES = (
    "AzureAD", "ADFederationServices", "UnknownFutureValue", "AzureADBackupAuth",
    "ADFederationServicesMFAAdapter", "NPSExtension",
)  # fmt: skip


def codes_of(names: tuple[str, ...]) -> dict[str, int]:
    """Name -> code. An enum member looks itself up by its name (a StrEnum hashes as one)."""
    return {name: code for code, name in enumerate(names)}


class EnumCode(TypeDecorator[str]):
    """An enum member, stored as its code; read back as its name."""

    impl = SmallInteger
    cache_ok = True

    def __init__(self, names: tuple[str, ...]) -> None:
        super().__init__()
        self.names = names
        self._codes = codes_of(names)

    def process_bind_param(self, value: str | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        try:
            return self._codes[value]
        except KeyError:
            raise ValueError(f"{value!r} is none of {', '.join(self.names)}") from None

    def process_result_value(self, value: int | None, dialect: Dialect) -> str | None:
        return None if value is None else self.names[value]


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def utc(moment: datetime) -> datetime:
    if moment.tzinfo is UTC:
        return moment
    if moment.tzinfo is None:
        raise ValueError("naive datetime given where an aware UTC datetime is required")
    return moment.astimezone(UTC)


def to_micros(moment: datetime) -> int:
    """Microseconds since 1970-01-01 UTC, exactly (no float on the way)."""
    delta = utc(moment) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


class Moment(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out: microseconds since 1970 on SQLite, naive UTC elsewhere."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        impl: TypeEngine[Any] = BigInteger() if dialect.name == "sqlite" else DateTime()
        return dialect.type_descriptor(impl)

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return to_micros(value)
        return utc(value).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return from_micros(value)
        return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]


def info_digest(text: str) -> bytes:
    """What finds an additionalInfo's row: its SHA-256 (an index on the text itself would
    refuse long texts on PostgreSQL)."""
    return hashlib.sha256(text.encode()).digest()


class InfoDigest(TypeDecorator[str]):
    """An additionalInfo text, bound as its digest."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> bytes | None:
        return None if value is None else info_digest(value)


class KeyOf(TypeDecorator[str]):
    """A value stored as the key of its row in a small table (`key`, `value`): bound as the
    value, whose key a scalar subquery finds by `found_by` (bound as `found_as`), and read back
    as the value. A value that has no row yet is NULL: its row is written first."""

    impl = Integer
    cache_ok = True

    def __init__(
        self,
        key: ColumnElement[int],
        value: ColumnElement[str],
        *,
        found_by: ColumnElement[Any],
        found_as: TypeEngine[Any],
    ) -> None:
        super().__init__()
        self.key = key
        self.value = value
        self.found_by = found_by
        self.found_as = found_as

    def bind_expression(self, bindvalue: Any) -> ColumnElement[str]:
        found = self.found_by == type_coerce(bindvalue, self.found_as)
        key: ColumnElement[Any] = select(self.key).where(found).scalar_subquery()
        return key

    def column_expression(self, column: Any) -> ColumnElement[str]:
        return select(self.value).where(self.key == column).scalar_subquery()
