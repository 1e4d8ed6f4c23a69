"""`idprotect signals deliver`, and serve's --ssf-transmitter checked before anything starts."""

from __future__ import annotations

from typer.testing import CliRunner

from idprotect.cli import app
from idprotect.store.engine import Database, make_engine
from tests.conftest import FakeClock, make_client
from tests.factories import risky_user
from tests.signals.helpers import push_stream
from tests.signals.receiver import running_receiver

runner = CliRunner()


def test_deliver_once_delivers_what_waits_and_exits(sqlite_url: str, clock: FakeClock) -> None:
    database = Database(make_engine(sqlite_url))
    client = make_client(database, clock)
    with running_receiver() as receiver:
        push_stream(client, receiver)
        risky_user(client)
        result = runner.invoke(app, ["signals", "deliver", "--db", sqlite_url, "--once"])
        assert result.exit_code == 0, result.output
        assert len(receiver.wait_for(1)) == 1
    database.dispose()


def test_serve_refuses_a_transmitter_without_its_configuration(sqlite_url: str) -> None:
    result = runner.invoke(app, ["serve", "--db", sqlite_url, "--ssf-transmitter", "tenant=x"])
    assert result.exit_code == 2
    assert "a transmitter needs tenant= and config=: 'tenant=x'" in result.output
