"""Typed, frozen settings: built once (by the CLI or a test) and passed down, never global."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Literal

DEFAULT_DATABASE_URL = "sqlite:///./idprotect.db"
_ENV = "IDPROTECT_SETTINGS"

AuthMode = Literal["off"]


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    # "off": every caller is the local Security Administrator of the demo tenant.
    auth: AuthMode = "off"
    # Refuse action requests that name ids unknown to the tenant (Graph ignores them).
    strict_actions: bool = False
    # Page size when a request gives no $top (riskyUsers, history and riskDetections).
    default_page_size: int = 20

    def __post_init__(self) -> None:
        if self.auth != "off":
            raise ValueError(f"unknown auth mode {self.auth!r}")
        if not 1 <= self.default_page_size <= 500:
            raise ValueError("default_page_size must be from 1 to 500")

    def to_environ(self) -> dict[str, str]:
        """These settings as one environment variable, for server worker processes."""
        return {_ENV: json.dumps(asdict(self))}

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        raw = environ.get(_ENV)
        return cls(**json.loads(raw)) if raw else cls()
