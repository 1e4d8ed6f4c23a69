"""The push client (signals/posting.py) against scripted receivers: what each answer shape
gives, which connections are kept, and when a request is sent again."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from idprotect.signals.posting import Connections, ReceiverError


@dataclass
class Scripted:
    port: int
    accepted: int = 0  # connections


@contextmanager
def scripted(
    answers: list[bytes], *, close_after: frozenset[int] = frozenset()
) -> Iterator[Scripted]:
    """A server that answers the n-th request with answers[n] and closes the connection after
    the requests in `close_after`."""
    server = socket.create_server(("127.0.0.1", 0))
    found = Scripted(server.getsockname()[1])
    served = iter(range(len(answers)))

    def handle(connection: socket.socket) -> None:
        with connection:
            pending = b""
            while True:
                while b"\r\n\r\n" not in pending:
                    data = connection.recv(65536)
                    if not data:
                        return
                    pending += data
                head, pending = pending.split(b"\r\n\r\n", 1)
                length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
                while len(pending) < length:
                    pending += connection.recv(65536)
                pending = pending[length:]
                index = next(served)
                connection.sendall(answers[index])
                if index in close_after:
                    return

    def serve() -> None:
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            found.accepted += 1
            threading.Thread(target=handle, args=(connection,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield found
    finally:
        server.close()


OK = b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n"
JSON = {"Content-Type": "application/json"}


def _post(port: int, connections: Connections, body: bytes = b"{}") -> tuple[int, str]:
    return connections.post(f"http://127.0.0.1:{port}/events?x=1", body, JSON)


def test_a_kept_connection_carries_every_request() -> None:
    connections = Connections(timeout=5)
    with scripted([OK] * 5) as server:
        assert [_post(server.port, connections) for _ in range(5)] == [(202, "")] * 5
    connections.close()
    assert server.accepted == 1


def test_answers_of_every_framing_give_status_and_body() -> None:
    chunked = (
        b'HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{"er\r\n0\r\n\r\n'
    )
    until_close = b"HTTP/1.0 400 Bad Request\r\n\r\n" + b"r" * 3000
    close = b"HTTP/1.1 503 Unavailable\r\nConnection: close\r\nContent-Length: 4\r\n\r\nbusy"
    connections = Connections(timeout=5)
    with scripted([chunked, until_close, close, OK], close_after=frozenset({1, 2})) as server:
        assert _post(server.port, connections) == (400, '{"er')
        status, body = _post(server.port, connections)
        assert (status, body) == (400, "r" * 2000)  # the start of a long reason is kept
        assert _post(server.port, connections) == (503, "busy")
        assert _post(server.port, connections) == (202, "")
    connections.close()
    assert server.accepted == 3  # new connections after the two closes


def test_a_kept_connection_the_receiver_closed_is_opened_again_once() -> None:
    connections = Connections(timeout=5)
    with scripted([OK, OK], close_after=frozenset({0})) as server:
        assert _post(server.port, connections) == (202, "")
        assert _post(server.port, connections) == (202, "")  # the first write found it closed
    connections.close()
    assert server.accepted == 2


@pytest.mark.parametrize(
    "answer", [b"garbage\r\n\r\n", b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", b""]
)
def test_an_unreadable_answer_is_an_os_error(answer: bytes) -> None:
    connections = Connections(timeout=5)
    closing = frozenset({0, 1})
    with scripted([answer] * 2, close_after=closing) as server, pytest.raises(ReceiverError):
        _post(server.port, connections)
    connections.close()


def test_nothing_listening_is_an_os_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(ConnectionRefusedError):
        _post(port, Connections(timeout=5))


def test_a_receiver_that_never_answers_times_out() -> None:
    server = socket.create_server(("127.0.0.1", 0))
    try:
        with pytest.raises(TimeoutError):
            _post(server.getsockname()[1], Connections(timeout=0.2))
    finally:
        server.close()


def test_the_request_is_one_post_with_the_headers_given() -> None:
    seen: list[bytes] = []
    server = socket.create_server(("127.0.0.1", 0))

    def answer() -> None:
        connection, _ = server.accept()
        with connection:
            seen.append(connection.recv(65536))
            connection.sendall(OK)

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.getsockname()[1]}/push/a%20b?k=v"
    connections = Connections(timeout=5)
    status = connections.post(url, b"token", {"Authorization": "Bearer s"})
    connections.close()
    thread.join(timeout=5)
    server.close()
    assert status == (202, "")
    head, body = seen[0].split(b"\r\n\r\n")
    assert head.split(b"\r\n") == [
        b"POST /push/a%20b?k=v HTTP/1.1",
        f"Host: 127.0.0.1:{url.split(':')[2].split('/')[0]}".encode(),
        b"Content-Length: 5",
        b"Authorization: Bearer s",
    ]
    assert body == b"token"
