"""Receivers' URLs and the header values sent to them, checked when a stream or a subscription
names them, so that what is stored can always be sent (posting.py writes them as they are), and
only to the hosts the operator allows (`serve --signals-allowed-host`; any host by default)."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from idprotect.errors import BadRequest

MAX_URL = 2048
MAX_HEADER_VALUE = 4096


def receiver_url(value: object, name: str, allowed_hosts: Sequence[str] = ()) -> str:
    """An absolute http or https URL with a host (and a valid port): printable ASCII, no user
    information (credentials go in a header), no fragment; its host one of `allowed_hosts`
    when there are any."""
    refusal = BadRequest(
        f"{name} must be an absolute http or https URL of at most {MAX_URL - 1} characters, "
        "with a host and neither user information nor a fragment."
    )
    if not isinstance(value, str) or not _printable(value) or " " in value:
        raise refusal
    if len(value) >= MAX_URL:
        raise refusal
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (a port out of range raises)
    except ValueError:
        raise refusal from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise refusal
    if "@" in parts.netloc or parts.fragment or "#" in value:
        raise refusal
    if not host_allowed(parts.hostname, allowed_hosts):
        raise BadRequest(f"{name} names a host this service does not send to: '{parts.hostname}'.")
    return value


def host_allowed(host: str, allowed_hosts: Sequence[str]) -> bool:
    """Any host when none are listed; else one listed (case aside), or one below a listed
    `*.example.com`."""
    host = host.lower()
    return not allowed_hosts or any(
        host == entry or (entry.startswith("*.") and host.endswith(entry[1:]))
        for entry in (listed.lower() for listed in allowed_hosts)
    )


def header_value(value: object, name: str) -> str:
    """A header's value as sent: printable ASCII on one line."""
    if not isinstance(value, str) or not _printable(value) or len(value) > MAX_HEADER_VALUE:
        raise BadRequest(
            f"{name} must be a string of printable ASCII of at most {MAX_HEADER_VALUE} characters."
        )
    return value


def _printable(text: str) -> bool:
    """ASCII from space to tilde: no control character (CR, LF, tab, NUL...)."""
    return text.isascii() and text.isprintable()
