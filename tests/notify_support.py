"""Real receivers for notification tests: an HTTP server on a loopback port and an in-process SMTP server."""

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    """One request a receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Receiver:
    """What each path answers (a status, after an optional sleep) and everything it received."""

    answers: dict[str, Callable[[int], tuple[int, float]]] = field(default_factory=dict)
    got: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    port: int = 0

    def url(self, path: str) -> str:
        """The receiver's URL for a path."""
        return f"http://127.0.0.1:{self.port}{path}"

    def on(self, path: str) -> list[Received]:
        """What arrived at one path, in order."""
        with self.lock:
            return [r for r in self.got if r.path == path]


@contextmanager
def http_receiver() -> Iterator[Receiver]:
    """A threading HTTP server on a free loopback port, stopped afterwards."""
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            with receiver.lock:
                receiver.got.append(
                    Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.time())
                )
                msg_id = self.headers.get("webhook-id")  # tries of the same event
                count = sum(
                    1 for r in receiver.got if r.path == self.path and r.headers.get("webhook-id") == msg_id
                )
            status, sleep = receiver.answers.get(self.path, lambda n: (200, 0.0))(count)
            time.sleep(sleep)
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def smtp_server() -> Iterator[tuple[int, list[Any]]]:
    """aiosmtpd on a free loopback port; yields the port and the list of received messages."""
    import socket
    from email import message_from_bytes, policy

    from aiosmtpd.controller import Controller

    messages: list[Any] = []

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            mail = message_from_bytes(envelope.content, policy=policy.default)
            messages.append((list(envelope.rcpt_tos), mail))
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, messages
    finally:
        controller.stop()


def wait_for(check: Callable[[], bool], *, timeout: float = 20.0) -> None:
    """Poll until the check holds; fail with the timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")
