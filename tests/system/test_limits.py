"""`idprotect serve` against clients that send too much, too slowly, or not HTTP at all: over raw
sockets, with each HTTP parser. Every refusal is Graph's error body, and nobody holds a
connection open longer than the timeouts."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.system.server import ServerProcess

pytestmark = pytest.mark.slow

TIMEOUT = 1.0  # --header-timeout, --body-timeout and --keep-alive of the servers below
PATH = "/v1.0/identityProtection/riskyUsers"
DISMISS = f"{PATH}/dismiss"


@pytest.fixture(scope="module", params=["httptools", "h11"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    folder = tmp_path_factory.mktemp(f"limits-{request.param}")
    seconds = str(int(TIMEOUT))
    process = ServerProcess(
        f"sqlite:///{folder / 'idprotect.db'}",
        folder,
        *("--http", request.param, "--header-timeout", seconds),
        *("--body-timeout", seconds, "--keep-alive", seconds),
    ).start()
    yield process
    process.stop()


@dataclass
class Answer:
    status: int | None  # None: the connection closed without an answer
    headers: dict[str, str]
    body: bytes
    seconds: float  # from the last byte sent to the connection's close

    def graph_error(self, status: int, code: str) -> dict[str, Any]:
        assert self.status == status, (self.status, self.body)
        assert self.headers["content-type"] == "application/json"
        assert self.headers["connection"] == "close" or status in (400, 405)
        error: dict[str, Any] = json.loads(self.body)["error"]
        assert list(error) == ["code", "message", "innerError"]
        assert error["code"] == code, error
        assert error["innerError"]["request-id"] == self.headers["request-id"]
        return error


def connect(server: ServerProcess) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def read_answer(sock: socket.socket, started: float | None = None) -> Answer:
    """Everything the server sends until it closes the connection (10 s at most)."""
    started = time.monotonic() if started is None else started
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except ConnectionResetError:
        pass
    seconds = time.monotonic() - started
    sock.close()
    if not data:
        return Answer(None, {}, b"", seconds)
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines)}
    return Answer(int(status_line.split()[1]), headers, body, seconds)


def send(server: ServerProcess, data: bytes) -> Answer:
    sock = connect(server)
    sock.sendall(data)
    return read_answer(sock)


def request(method: str, target: str, *headers: str, body: bytes = b"") -> bytes:
    lines = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1", *headers, "Connection: close"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def test_an_unknown_method_is_answered_in_graph_shape(server: ServerProcess) -> None:
    answer = send(server, request("FOO", PATH))

    if "h11" in server.extra:  # the app sees it
        answer.graph_error(405, "Request_BadRequest")
        assert answer.headers["allow"] == "GET"
    else:  # llhttp refuses it before the app
        answer.graph_error(400, "BadRequest")


def test_a_method_the_parser_knows_reaches_the_app(server: ServerProcess) -> None:
    answer = send(server, request("PURGE", PATH))

    answer.graph_error(405, "Request_BadRequest")
    assert answer.headers["allow"] == "GET"


@pytest.mark.parametrize("length", [16 * 1024 + 1, 100_000, 1_000_000])
def test_a_url_over_16_kib_is_414(server: ServerProcess, length: int) -> None:
    target = f"{PATH}?x="
    answer = send(server, request("GET", target + "a" * (length - len(target))))

    error = answer.graph_error(414, "RequestUriTooLong")
    assert error["message"] == "The request URL is longer than the limit of 16384 bytes."


def test_a_url_of_16_kib_is_served(server: ServerProcess) -> None:
    target = f"{PATH}?x="
    answer = send(server, request("GET", target + "a" * (16 * 1024 - len(target))))

    assert answer.status == 200


@pytest.mark.parametrize("length", [70_000, 1_000_000])
def test_headers_over_64_kib_are_431(server: ServerProcess, length: int) -> None:
    answer = send(server, request("GET", PATH, f"X-Padding: {'a' * length}"))

    answer.graph_error(431, "RequestHeaderFieldsTooLarge")


def test_what_is_not_http_is_a_graph_400(server: ServerProcess) -> None:
    answer = send(server, b"HELLO THERE\r\n\r\n")

    answer.graph_error(400, "BadRequest")


def test_an_idle_connection_is_closed_within_the_header_timeout(server: ServerProcess) -> None:
    answer = read_answer(connect(server))

    assert answer.status is None
    assert TIMEOUT * 0.8 <= answer.seconds < TIMEOUT + 2


def test_a_head_sent_slowly_is_408(server: ServerProcess) -> None:
    sock = connect(server)
    started = time.monotonic()
    try:
        for byte in request("GET", PATH):  # a byte every 0.2 s: 10 s for the whole head
            sock.send(bytes([byte]))
            time.sleep(0.2)
    except (BrokenPipeError, ConnectionResetError):
        pass
    answer = read_answer(sock, started)

    answer.graph_error(408, "RequestTimeout")
    assert answer.seconds < TIMEOUT + 2


def test_a_kept_alive_connection_is_closed_when_idle(server: ServerProcess) -> None:
    sock = connect(server)
    sock.sendall(b"GET " + PATH.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    answer = read_answer(sock)

    assert answer.status == 200
    assert answer.seconds < TIMEOUT + 2


def test_a_body_sent_slowly_is_408(server: ServerProcess) -> None:
    head = request("POST", DISMISS, "Content-Type: application/json", "Content-Length: 100")
    answer = send(server, head + b'{"userIds": [')

    answer.graph_error(408, "RequestTimeout")
    assert TIMEOUT * 0.8 <= answer.seconds < TIMEOUT + 2


def test_a_content_length_over_4_mib_is_413_before_any_body_is_sent(
    server: ServerProcess,
) -> None:
    size = 50 * 1024 * 1024
    answer = send(
        server,
        request("POST", DISMISS, "Content-Type: application/json", f"Content-Length: {size}"),
    )

    error = answer.graph_error(413, "RequestEntityTooLarge")
    assert error["message"] == "The request body is larger than the limit of 4194304 bytes."
    assert answer.seconds < TIMEOUT  # answered at once, not after waiting for a body


def test_a_chunked_body_is_cut_off_past_4_mib(server: ServerProcess) -> None:
    sock = connect(server)
    head = request("POST", DISMISS, "Content-Type: application/json", "Transfer-Encoding: chunked")
    piece = b"10000\r\n" + b" " * 0x10000 + b"\r\n"  # 64 KiB chunks, 50 MiB in all
    sent = 0
    try:
        sock.sendall(head)
        while sent < 50 * 1024 * 1024:
            sock.sendall(piece)
            sent += 0x10000
    except (BrokenPipeError, ConnectionResetError):
        pass
    answer = read_answer(sock)

    # The server stopped reading soon after 4 MiB (the rest is what the sockets' buffers held).
    assert sent < 30 * 1024 * 1024
    assert answer.status in (413, None)  # the answer may be lost to the reset of unread data
