"""Identifiers: Graph object ids (GUIDs, compared without regard to case) and detection ids."""

from __future__ import annotations

import re
import secrets

# Matched whole (fullmatch): `$` would also accept a GUID followed by a newline.
_GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")


def normalize_object_id(value: str) -> str:
    """GUIDs in lower case, as Graph writes them; any other id as given."""
    return value.lower() if _GUID.fullmatch(value) else value


def is_guid(value: str) -> bool:
    return _GUID.fullmatch(value) is not None


def new_detection_id() -> str:
    """64 hex characters, the shape of Graph's riskDetection ids."""
    return secrets.token_hex(32)
