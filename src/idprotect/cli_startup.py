"""Why a command could not start, in one line: the one place start-up failures are mapped.

A database URL that is not valid or names an unknown driver, a database that cannot be reached
or refuses the connection, a SQLite file that cannot be opened or written, another application's
database, a port in use, a certificate that cannot be used: each is one line on stderr and exit
code 1, for every command. Anything else (a bug) keeps its traceback; a reader that closed the
output early (`idprotect --help | head`) ends the command quietly. `serve` tries its port and
its certificate here first (`check_port`, `tls_files`), so that neither fails once it started.
"""

from __future__ import annotations

import os
import re
import socket
import ssl
from pathlib import Path
from typing import Any

import typer
from sqlalchemy.engine import make_url
from sqlalchemy.exc import (
    ArgumentError,
    DatabaseError,
    DBAPIError,
    InterfaceError,
    NoSuchModuleError,
    OperationalError,
)
from typer.core import TyperGroup

from idprotect.errors import ServiceUnavailable
from idprotect.settings import DEFAULT_DATABASE_URL
from idprotect.store.migrate import ForeignDatabase
from idprotect.tls import resolve_tls

_DATABASE_OPTION = "--db"
_DATABASE_ENVIRON = "IDPROTECT_DATABASE_URL"
_INSUFFICIENT_PRIVILEGE = "42501"  # PostgreSQL's SQLSTATE: "permission denied for ..."
_PASSWORD = re.compile(r"(//[^/:@]*:)[^/@]*@")


class StartupError(Exception):
    """A failure to start, said already in one line (a port in use, an unusable certificate)."""


class Commands(TyperGroup):
    """idprotect's commands, whose start-up failures `startup_failure` says in one line."""

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        database_url = _given_database_url(ctx.args)
        try:
            return super().invoke(ctx)
        except Exception as exc:
            line = startup_failure(exc, database_url)
            if line is None:
                raise
            typer.echo(f"Error: {line}", err=True)
            raise typer.Exit(1) from None


def tls_files(
    tls: bool, tls_dir: Path | None, cert: Path | None, key: Path | None, db: str, host: str
) -> tuple[str | None, str | None]:
    """The certificate and key files for uvicorn, from the TLS options (None: plain HTTP)."""
    files = resolve_tls(  # ValueError: options that do not go together
        tls=tls, tls_dir=tls_dir, tls_cert=cert, tls_key=key, database_url=db, host=host
    )
    if files is None:
        return None, None
    try:  # as uvicorn will, so that a certificate it cannot use is said before it starts
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(files.certfile, files.keyfile, password=lambda: b"")
    except ssl.SSLError as exc:
        raise StartupError(
            f"cannot serve HTTPS with {files.certfile}: it is not a PEM certificate with its "
            f"unencrypted private key ({exc.strerror})"
        ) from None
    if files.ca_certfile is not None:
        typer.echo(
            f"Development CA certificate (let clients trust it): {files.ca_certfile}", err=True
        )
    return str(files.certfile), str(files.keyfile) if files.keyfile else None


def check_port(host: str, port: int) -> None:
    """Bind as uvicorn will, so that a port in use is said before anything starts."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
    except OSError as exc:
        raise StartupError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def startup_failure(exc: BaseException, database_url: str) -> str | None:
    """One line saying why a command could not start; None when `exc` is not about its setup."""
    if isinstance(exc, ServiceUnavailable) and exc.__cause__ is not None:
        exc = exc.__cause__  # a unit of work that could not open the database
    if isinstance(exc, StartupError):
        return str(exc)
    if isinstance(exc, BrokenPipeError):
        return None  # said by nobody: Typer ends the command quietly
    database = shown_url(database_url)
    if isinstance(exc, ForeignDatabase):
        return (
            f"the database {database} is not empty and not this idprotect's ({exc}): "
            "idprotect migrates only an empty database or its own"
        )
    if isinstance(exc, NoSuchModuleError) or _missing_module(exc):
        return f"the database URL {database} names an unknown or missing driver: {exc}"
    if isinstance(exc, ArgumentError):
        return f"the database URL {database} is not valid: {exc}"
    if isinstance(exc, DBAPIError) and _cannot_use(exc):
        return f"cannot use the database {database}: {_one_line(exc.orig or exc)}"
    if isinstance(exc, OSError):
        return f"{exc.strerror}: {exc.filename}" if exc.filename else _one_line(exc)
    return None


def _cannot_use(exc: DBAPIError) -> bool:
    """The driver could not connect (bad options in the URL too), was refused, or found no
    usable database there."""
    if isinstance(exc, OperationalError | InterfaceError) or type(exc) is DatabaseError:
        return True  # DatabaseError itself: SQLite's "file is not a database"
    if exc.statement is None:
        return True  # raised while connecting, by no statement
    return getattr(exc.orig, "sqlstate", None) == _INSUFFICIENT_PRIVILEGE


def _missing_module(exc: BaseException) -> bool:
    """A database driver that is not installed (`mysql://` without MySQLdb)."""
    return isinstance(exc, ModuleNotFoundError) and not (exc.name or "").startswith("idprotect")


def _one_line(exc: BaseException) -> str:
    return " ".join(part.strip() for part in str(exc).splitlines() if part.strip())


def _given_database_url(args: list[str]) -> str:
    """The --db a command was given (or would use), from its arguments not yet parsed."""
    for index, arg in enumerate(args):
        if arg == _DATABASE_OPTION and index + 1 < len(args):
            return args[index + 1]
        if arg.startswith(f"{_DATABASE_OPTION}="):
            return arg.split("=", 1)[1]
    return os.environ.get(_DATABASE_ENVIRON, DEFAULT_DATABASE_URL)


def shown_url(url: str) -> str:
    """The URL as it may be printed: without its password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return _PASSWORD.sub(r"\1***@", url)
