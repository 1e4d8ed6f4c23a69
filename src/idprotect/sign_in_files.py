"""Reading what `idprotect signins` imports: sign-ins as JSON Lines (Graph's signIn shape or
Keycloak's events), threat lists (Tor's exit lists, CIDR ranges) and breach corpora (SHA-1
digests, or the k-anonymity range files of the breached-password range API)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Literal

from pydantic import ValidationError

from idprotect.domain.signins import SignIn
from idprotect.keycloak import NotASignIn, is_keycloak_event, sign_in_event
from idprotect.sign_in_events import SignInEvent, network

Format = Literal["graph", "keycloak", "auto"]

# Lines of Tor's exit-addresses document that name no address.
_TOR_HEADERS = frozenset({"ExitNode", "Published", "LastStatus"})
_DIGEST = re.compile(r"([0-9A-Fa-f]{40})(?::[0-9]+)?")
_RANGE_LINE = re.compile(r"([0-9A-Fa-f]{35}):([0-9]+)")
_PREFIX = re.compile(r"[0-9A-Fa-f]{5}")


class MalformedLine(ValueError):
    """A line that cannot be read: where it is and why."""

    def __init__(self, where: str, line: int, reason: str) -> None:
        super().__init__(f"{where + ' ' if where else ''}line {line}: {reason}")
        self.line = line


def read_sign_ins(
    lines: Iterable[bytes], format: Format
) -> Iterator[tuple[int, SignIn | NotASignIn]]:
    """Each sign-in (or other event) with its line number; blank lines are skipped, and a line
    may also hold a JSON array of them (as Keycloak's admin API answers)."""
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            items = _sign_ins(line, format)
        except ValueError as exc:
            raise MalformedLine("", number, _reason(exc)) from None
        for item in items:
            yield number, item


def _sign_ins(line: bytes, format: Format) -> list[SignIn | NotASignIn]:
    try:
        value = json.loads(line)
    except ValueError as exc:
        raise ValueError(f"not JSON ({exc})") from None
    return [_sign_in(item, format) for item in (value if isinstance(value, list) else [value])]


def _sign_in(value: object, format: Format) -> SignIn | NotASignIn:
    if not isinstance(value, dict):
        raise ValueError("a sign-in is a JSON object")
    if format == "auto":
        format = _format_of(value)
    if format == "graph":
        return SignInEvent.model_validate(value).to_domain()
    event = sign_in_event(value)
    return event if isinstance(event, NotASignIn) else event.to_domain()


def _format_of(value: Mapping[str, object]) -> Format:
    if "createdDateTime" in value:
        return "graph"
    if is_keycloak_event(value):
        return "keycloak"
    raise ValueError(
        "neither a Graph signIn (it has no createdDateTime) nor a Keycloak event (no type or "
        "operationType, and time)"
    )


def _reason(exc: ValueError) -> str:
    if not isinstance(exc, ValidationError):
        return str(exc)
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"])
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where}: {error['msg']}{more}" if where else f"{error['msg']}{more}"


def read_networks(lines: Iterable[str], where: str = "") -> list[str]:
    """Addresses and CIDR ranges, one a line, `#` starting a comment: Tor's bulk exit list
    (torbulkexitlist) is one; the ExitAddress lines of Tor's exit-addresses are read too."""
    found = []
    for number, line in enumerate(lines, 1):
        words = line.split("#", 1)[0].split()
        if not words or words[0] in _TOR_HEADERS:
            continue
        if words[0] == "ExitAddress" and len(words) >= 2:
            words = words[1:2]
        if len(words) != 1:
            raise MalformedLine(where, number, "an address or CIDR range is one word")
        try:
            found.append(network(words[0]))
        except ValueError as exc:
            raise MalformedLine(where, number, f"{words[0]!r} {exc}") from None
    return found


def read_digests(path: Path) -> Iterator[str]:
    """SHA-1 digests from a file, or from each file of a directory (range files): lines of
    40 hex digits (with `:COUNT` or not), or `SUFFIX:COUNT` in a file named by its 5-digit
    prefix (PREFIX or PREFIX.txt). Entries of count 0 are the range API's padding."""
    if not path.is_dir():
        yield from _digest_file(path, _prefix_of(path))
        return
    for file in sorted(path.iterdir()):
        if file.name.startswith("."):
            continue
        prefix = _prefix_of(file)
        if prefix is None or not file.is_file():
            raise ValueError(
                f"{file}: a directory holds range files, each named by its prefix of 5 hex "
                "digits (PREFIX or PREFIX.txt)"
            )
        yield from _digest_file(file, prefix)


def _prefix_of(path: Path) -> str | None:
    name = path.name.removesuffix(".txt")
    return name.upper() if _PREFIX.fullmatch(name) else None


def _digest_file(path: Path, prefix: str | None) -> Iterator[str]:
    with path.open(encoding="ascii", errors="replace") as lines:
        for number, raw in enumerate(lines, 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            digest = _digest(line, prefix)
            if digest is None:
                raise MalformedLine(path.name, number, _digest_help(line, prefix))
            if digest:
                yield digest


def _digest(line: str, prefix: str | None) -> str | None:
    """The line's digest; "" for padding; None if it is none."""
    if match := _DIGEST.fullmatch(line):
        return match.group(1).upper()
    if prefix is not None and (match := _RANGE_LINE.fullmatch(line)):
        return prefix + match.group(1).upper() if int(match.group(2)) else ""
    return None


def _digest_help(line: str, prefix: str | None) -> str:
    shown = line if len(line) <= 60 else line[:57] + "..."
    if prefix is None and _RANGE_LINE.fullmatch(line):
        return f"{shown!r} is a SUFFIX:COUNT line: its file must be named by its prefix"
    expected = "40 hex digits" + (", or SUFFIX:COUNT (35 hex digits)" if prefix else "")
    return f"{shown!r} is not a SHA-1 digest: {expected}"
