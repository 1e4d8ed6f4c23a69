"""What a JWT's values must be before they are compared or quoted back to the caller."""

from __future__ import annotations

# RFC 7519 2: a NumericDate is a JSON number of seconds since 1970. The last second a date can
# hold (9999-12-31T23:59:59Z) bounds it, so every lifetime compares as a finite number.
LAST_NUMERIC_DATE = 253_402_300_799


def is_numeric_date(value: object) -> bool:
    """A JSON number from 1970 to the end of 9999: never a string, nor a boolean (which Python
    counts as an int), NaN, an infinity or a number no date can hold."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return 0 <= value <= LAST_NUMERIC_DATE  # false for NaN too


def quoted(value: object) -> str:
    """A value from a token as a message may quote it: a lone surrogate (JSON text can carry
    one as an escape) is written as its escape, so the message stays valid UTF-8."""
    return str(value).encode("utf-8", "backslashreplace").decode("utf-8")
