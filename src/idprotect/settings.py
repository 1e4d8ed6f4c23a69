"""Typed, frozen settings: built once (by the CLI or a test) and passed down, never global."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

DEFAULT_DATABASE_URL = "sqlite:///./idprotect.db"
_ENV = "IDPROTECT_SETTINGS"

AuthMode = Literal["on", "off"]


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    # "on": bearer tokens are verified. "off" (development only): every caller is the local
    # Security Administrator of the demo tenant.
    auth: AuthMode = "on"
    # Issuers trusted besides the built-in one: JWKS URLs and files (Entra-shaped issuers),
    # and OpenID discovery documents (their own issuer).
    trusted_jwks_urls: tuple[str, ...] = ()
    trusted_jwks_files: tuple[str, ...] = ()
    trusted_discovery_urls: tuple[str, ...] = ()
    audiences: tuple[str, ...] = (
        "https://graph.microsoft.com",
        "00000003-0000-0000-c000-000000000000",
    )
    clock_skew_seconds: int = 120
    # An unknown kid reloads a remote key set at most this often.
    key_refresh_seconds: float = 30.0
    token_cache_size: int = 10_000
    # Refuse action requests that name ids unknown to the tenant (Graph ignores them).
    strict_actions: bool = False
    # Page size when a request gives no $top (riskyUsers, history and riskDetections).
    default_page_size: int = 20
    # Answer `GET …/riskyUsers/{id}` ahead of the routers (api/fast_get.py); off, every request
    # takes the normal path. The answers are the same either way.
    fast_get: bool = True
    # How long a request waits for a database lock before it answers 503 ServiceUnavailable
    # (SQLite's busy timeout, PostgreSQL's lock_timeout).
    busy_timeout_seconds: float = 30.0

    def __post_init__(self) -> None:
        if self.auth not in ("on", "off"):
            raise ValueError(f"unknown auth mode {self.auth!r}")
        if not 1 <= self.default_page_size <= 500:
            raise ValueError("default_page_size must be from 1 to 500")
        if not self.busy_timeout_seconds > 0:
            raise ValueError("busy_timeout_seconds must be positive")
        if not self.audiences:
            raise ValueError("at least one audience is needed")

    def to_environ(self) -> dict[str, str]:
        """These settings as one environment variable, for server worker processes."""
        return {_ENV: json.dumps(asdict(self))}

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        raw = environ.get(_ENV)
        if not raw:
            return cls()
        values: dict[str, Any] = {
            k: tuple(v) if isinstance(v, list) else v for k, v in json.loads(raw).items()
        }
        return cls(**values)
