"""Structured logs: one line per request, as JSON or text; the server's own lines alike.

A request's line names its ids, tenant, caller, operation, status and duration, and nothing
it carried (no header, no body, no query string): no token or secret can reach a log.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import orjson

REQUESTS = "idprotect.requests"
_FIELDS = "fields"  # the LogRecord attribute a request line's fields travel in
_TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """A log record as one JSON object: time, level, logger, message, then its fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(getattr(record, _FIELDS, {}))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


class TextFormatter(logging.Formatter):
    """A log record as text; a request line's fields as `name=value` after the message."""

    def __init__(self) -> None:
        super().__init__(_TEXT)

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        fields = getattr(record, _FIELDS, None)
        if not fields:
            return text
        return text + " " + " ".join(f"{name}={value}" for name, value in fields.items())


def formatter(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else TextFormatter()


def uvicorn_log_config(log_format: str) -> dict[str, Any]:
    """uvicorn's `log_config`: its loggers and idprotect's, on stderr, in one format."""
    factory = f"{__name__}.{'JsonFormatter' if log_format == 'json' else 'TextFormatter'}"
    handler = {"class": "logging.StreamHandler", "formatter": "line", "stream": "ext://sys.stderr"}
    loggers = ("uvicorn", "uvicorn.error", "idprotect")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"line": {"()": factory}},
        "handlers": {"stderr": handler},
        "loggers": {
            name: {"handlers": ["stderr"], "level": "INFO", "propagate": False} for name in loggers
        },
    }


def request_line(fields: dict[str, Any]) -> None:
    """Logs one request's line (`fields`: request-id, tenant, caller, operation, status...)."""
    logger = logging.getLogger(REQUESTS)
    if logger.isEnabledFor(logging.INFO):
        logger.info("request", extra={_FIELDS: fields})
