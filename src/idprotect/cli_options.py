"""What the commands share: their common options, the checks of the values they are given,
and the opening of their database.

A value that is out of range, unknown or malformed is refused before anything starts, as a bad
parameter (an `Error:` line and exit code 2); each check is written once, here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Annotated, Any

import typer

from idprotect.api.rich_notifications import resource_data
from idprotect.auth.permissions import PERMISSIONS
from idprotect.auth.principal import DEMO_TENANT_ID
from idprotect.auth.roles import ROLE_NAMES
from idprotect.domain.ids import is_guid
from idprotect.store.engine import Database, make_engine
from idprotect.store.migrate import upgrade_database

_DURATION = re.compile(r"([0-9]+)([smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
LONGEST_DURATION = timedelta(days=365)
DAY = 24 * 60 * 60  # seconds: the longest timeout
GIB = 1024**3  # the largest body limit
# Spellings as given (any case) -> as tokens carry them.
_PERMISSIONS = {name.lower(): name for name in PERMISSIONS}
_DIRECTORY_ROLES = {
    **{name.lower(): role_id for name, role_id in ROLE_NAMES.items()},
    **{role_id: role_id for role_id in ROLE_NAMES.values()},
}


def tenant_id(value: str | None) -> str | None:
    """A tenant id is a GUID, as Entra's are; kept in lower case, as tokens carry it."""
    if value is None:
        return None
    if not is_guid(value):
        raise typer.BadParameter(f"{value!r} is not a tenant id (a GUID such as {DEMO_TENANT_ID}).")
    return value.lower()


def object_id(value: str | None) -> str | None:
    """A user's object id is a GUID, as Entra's are; kept in lower case, as tokens carry it."""
    if value is None:
        return None
    if not is_guid(value):
        raise typer.BadParameter(
            f"{value!r} is not an object id (a GUID such as 8f5c0a4e-1b2d-4c3e-9f60-7a8b9c0d1e2f)."
        )
    return value.lower()


DbUrl = Annotated[
    str,
    typer.Option(
        "--db", envvar="IDPROTECT_DATABASE_URL", metavar="URL", help="SQLAlchemy database URL."
    ),
]
TenantId = Annotated[
    str, typer.Option("--tenant", metavar="GUID", callback=tenant_id, help="Tenant id.")
]
Port = Annotated[int, typer.Option(metavar="PORT", min=1, max=65535, help="Port to listen on.")]
AsJson = Annotated[bool, typer.Option("--json", help="JSON, for scripts.")]


def seconds(help: str, *, whole: bool = False) -> Any:
    """An option in seconds: more than none, at most a day."""
    return typer.Option(metavar="SECONDS", min=1 if whole else 0.001, max=DAY, help=help)


def byte_count(help: str) -> Any:
    """An option in bytes: at least one, at most a GiB."""
    return typer.Option(metavar="BYTES", min=1, max=GIB, help=help)


def parse_duration(text: str) -> timedelta:
    """`90s`, `15m`, `1h`, `7d`: at most a year."""
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        raise typer.BadParameter(f"{text!r} is not a duration such as 90s, 15m, 1h or 7d.")
    digits, unit = match.group(1).lstrip("0") or "0", match.group(2)
    # Nine digits at most: timedelta's own limit is 999,999,999 days.
    duration = timedelta(**{_UNITS[unit]: int(digits)}) if len(digits) <= 9 else None
    if duration is None or duration > LONGEST_DURATION:
        raise typer.BadParameter(f"{text!r} is longer than a year (365d).")
    return duration


def lifetime(text: str) -> str:
    """A token's lifetime: a duration of at least a second."""
    if not parse_duration(text):
        raise typer.BadParameter(f"{text!r} is no time at all: a token lives 1s at least.")
    return text


def grace(text: str) -> str:
    """How long rotated-out keys keep verifying: a duration, 0s included."""
    parse_duration(text)
    return text


def app_roles(text: str) -> frozenset[str]:
    """App roles (application permissions), comma-separated: the ones idprotect checks."""
    return _known(text, _PERMISSIONS, "app role", ", ".join(sorted(PERMISSIONS)))


def scopes(text: str) -> frozenset[str]:
    """Delegated scopes, comma-separated: the permissions idprotect checks."""
    return _known(text, _PERMISSIONS, "scope", ", ".join(sorted(PERMISSIONS)))


def directory_roles(text: str) -> frozenset[str]:
    """Directory roles by name ("Security Administrator") or template id: their template ids."""
    names = ", ".join(sorted(ROLE_NAMES))
    return _known(text, _DIRECTORY_ROLES, "directory role", f"{names}, or their template ids")


def _known(text: str, spellings: Mapping[str, str], kind: str, known: str) -> frozenset[str]:
    given = [item.strip() for item in text.split(",") if item.strip()]
    unknown = [item for item in given if item.lower() not in spellings]
    if unknown:
        raise typer.BadParameter(f"unknown {kind} {unknown[0]!r}; the known ones: {known}.")
    return frozenset(spellings[item.lower()] for item in given)


def open_database(url: str) -> Database:
    """The database at `url`, migrated first (ForeignDatabase if it is another application's)."""
    migrate(url)
    database = Database(make_engine(url))
    database.render_resources(resource_data)  # what a command changes may be notified richly
    return database


def migrate(url: str) -> None:
    """Migrate the database at `url`, and say which indexes were built again: those a bulk load
    dropped and did not live to build (store/loading.py)."""
    built = upgrade_database(url)
    if built:
        typer.echo(f"Built {len(built)} missing indexes: {', '.join(built)}.", err=True)


def positive_duration(text: str) -> timedelta:
    """A duration of at least a second."""
    duration = parse_duration(text)
    if not duration:
        raise typer.BadParameter(f"{text!r} is no time at all: give 1s at least.")
    return duration


def _engine_option(name: str, metavar: str, help: str, **limits: Any) -> Any:
    """A risk engine threshold: on `serve` and `signins import`, or in its environment
    variable; unset, the engine's default (engine/settings.py)."""
    env = "IDPROTECT_" + name.replace("-", "_").upper()
    return typer.Option(f"--{name}", envvar=env, metavar=metavar, help=help, **limits)


LearningSignIns = Annotated[
    int | None,
    _engine_option(
        "learning-sign-ins",
        "N",
        "The risk engine knows a user's behaviour after N sign-ins [default: 10].",
        min=1,
        max=1_000_000,
    ),
]
LearningPeriod = Annotated[
    timedelta | None,
    _engine_option(
        "learning-period",
        "DURATION",
        "...or this long after their first one [default: 14d].",
        parser=positive_duration,
    ),
]
FamiliarityPeriod = Annotated[
    timedelta | None,
    _engine_option(
        "familiarity-period",
        "DURATION",
        "unfamiliarFeatures learns a user's sign-ins this long at least [default: 5d].",
        parser=positive_duration,
    ),
]
TravelSpeed = Annotated[
    float | None,
    _engine_option(
        "travel-speed",
        "KMH",
        "unlikelyTravel: travel faster than this, in km/h [default: 900].",
        min=1,
        max=1e6,
    ),
]
TravelMinDistance = Annotated[
    float | None,
    _engine_option(
        "travel-min-distance",
        "KM",
        "unlikelyTravel: over this distance at least [default: 500].",
        min=0,
        max=40_075,
    ),
]
SprayAccounts = Annotated[
    int | None,
    _engine_option(
        "spray-accounts",
        "N",
        "passwordSpray: N accounts failing from one address [default: 5].",
        min=1,
        max=1_000_000,
    ),
]
SprayWindow = Annotated[
    timedelta | None,
    _engine_option(
        "spray-window",
        "DURATION",
        "passwordSpray: within this long [default: 20m].",
        parser=positive_duration,
    ),
]
Lateness = Annotated[
    timedelta | None,
    _engine_option(
        "lateness",
        "DURATION",
        "Sign-ins may arrive this late and still be evaluated in order [default: 1h].",
        parser=parse_duration,
    ),
]


def engine_thresholds(
    *,
    learning_sign_ins: int | None,
    learning_period: timedelta | None,
    familiarity_period: timedelta | None,
    travel_speed: float | None,
    travel_min_distance: float | None,
    spray_accounts: int | None,
    spray_window: timedelta | None,
    lateness: timedelta | None,
) -> dict[str, Any]:
    """The thresholds given, as Settings' fields; the others keep their defaults."""
    given: dict[str, float | timedelta | None] = {
        "learning_sign_ins": learning_sign_ins,
        "learning_period_seconds": learning_period,
        "familiarity_period_seconds": familiarity_period,
        "travel_speed_kmh": travel_speed,
        "travel_min_km": travel_min_distance,
        "spray_accounts": spray_accounts,
        "spray_window_seconds": spray_window,
        "lateness_seconds": lateness,
    }
    return {
        name: value.total_seconds() if isinstance(value, timedelta) else value
        for name, value in given.items()
        if value is not None
    }
