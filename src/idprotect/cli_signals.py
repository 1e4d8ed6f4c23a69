"""Signals commands: `signals deliver`, the outbox's deliverer as a process of its own."""

from __future__ import annotations

import signal
from dataclasses import replace
from types import FrameType
from typing import Annotated

import typer

from idprotect.cli_options import DbUrl, open_database, seconds
from idprotect.settings import DEFAULT_DATABASE_URL, Settings
from idprotect.signals.delivery import Deliverer
from idprotect.signals.process import lower_priority, watch_parent
from idprotect.signals.settings import parse_transmitter

signals_app = typer.Typer(
    help="Shared Signals and change notifications (docs/signals.md).",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@signals_app.command("deliver")
def deliver(
    db: DbUrl = DEFAULT_DATABASE_URL,
    once: Annotated[
        bool, typer.Option(help="Deliver what waits now, then exit (0 when none is left).")
    ] = False,
    idle: Annotated[
        float | None, seconds("How long an idle deliverer waits before looking again [0.05].")
    ] = None,
    backoff: Annotated[
        float | None, seconds("The first retry's delay after a receiver failed [1].")
    ] = None,
    nice: Annotated[
        int,
        typer.Option(min=0, max=19, metavar="N", help="Lower this process's CPU priority by N."),
    ] = 0,
    parent: Annotated[int | None, typer.Option(hidden=True)] = None,  # serve's: end with it
) -> None:
    """Deliver the outbox to push receivers and webhook subscribers until stopped (SIGTERM or
    Ctrl-C). Any number may run beside the servers: each stream is delivered by one at a time."""
    settings = Settings(database_url=db)
    if idle is not None:
        settings = replace(settings, signals_idle_seconds=idle)
    if backoff is not None:
        settings = replace(settings, signals_backoff_seconds=backoff)
    lower_priority(nice)
    database = open_database(db)
    deliverer = Deliverer(database, settings.delivery_settings())
    try:
        if once:
            while deliverer.deliver_once():
                pass
            return
        _stop_on_signals(deliverer)
        if parent is not None:
            watch_parent(parent, deliverer.request_stop)
        deliverer.run()
    finally:
        deliverer.stop()
        database.dispose()


def _stop_on_signals(deliverer: Deliverer) -> None:
    def stop(_signum: int, _frame: FrameType | None) -> None:
        deliverer.request_stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)


def check_transmitters(entries: list[str] | None) -> list[str] | None:
    """serve --ssf-transmitter: each entry names its tenant and configuration URL."""
    for entry in entries or ():
        try:
            parse_transmitter(entry)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from None
    return entries


def register(app: typer.Typer) -> None:
    app.add_typer(signals_app, name="signals")
