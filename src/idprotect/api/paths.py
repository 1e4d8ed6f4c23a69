"""Request paths as Graph clients send them, made canonical before routing.

Segments match without regard to case, doubled and trailing slashes are dropped, and the OData
forms `riskyUsers('id')` and `microsoft.graph.dismiss` become `riskyUsers/id` and `dismiss`.
"""

from __future__ import annotations

import re
from urllib.parse import quote

VERSIONS = ("v1.0", "beta")
COLLECTIONS = (
    "riskyUsers", "riskDetections", "history", "riskyServicePrincipals",
    "servicePrincipalRiskDetections", "riskyAgents", "agentRiskDetections", "tenants", "users",
    "servicePrincipals", "agents", "signIns", "threatLists", "leakedCredentials", "auditLogs",
    "directoryAudits",
)  # fmt: skip
ACTIONS = ("dismiss", "confirmCompromised", "confirmSafe")
_WORDS = (*VERSIONS, *COLLECTIONS, *ACTIONS, "identityProtection", "_admin", "$batch", "$count")
_CANONICAL = {word.lower(): word for word in _WORDS}
# An OData key segment, `riskyUsers('id')` or `riskyUsers(id)`: never an empty key, which would
# leave the collection itself (Graph answers `riskyUsers('')` with 400).
_KEY = re.compile(r"^([^(]+)\('?([^')]+)'?\)$")
_QUALIFIED = "microsoft.graph."
# Paths of the service itself (OpenAPI, docs, the console) are routed as they are.
UNTOUCHED = ("/openapi.json", "/docs", "/console")


def canonical_path(path: str) -> str:
    segments: list[str] = []
    for raw in path.split("/"):
        if not raw:
            continue
        key = _KEY.match(raw)
        if key:
            segments.extend((_canonical_word(key.group(1)), key.group(2)))
        else:
            segments.append(_canonical_word(raw))
    return "/" + "/".join(segments)


def _canonical_word(segment: str) -> str:
    lowered = segment.lower()
    if lowered.startswith(_QUALIFIED) and lowered[len(_QUALIFIED) :] in _CANONICAL:
        lowered = lowered[len(_QUALIFIED) :]
    return _CANONICAL.get(lowered, segment)


def is_plain_key(segment: str) -> bool:
    """A key segment that canonicalization leaves alone and that names no word of the API."""
    unchanged = _canonical_word(segment) == segment and not _KEY.match(segment)
    return unchanged and segment.lower() not in _CANONICAL


def quoted_path(path: str) -> bytes:
    """The canonical path as a raw request path (`scope["raw_path"]`)."""
    return quote(path, safe="/$'()!*,;=:@~").encode()
