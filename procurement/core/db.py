"""The database: one engine per app, one session per request, the driver connection under a session."""

import logging
import os
import select
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import psycopg
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlmodel import Session

SessionFactory = Callable[[], Session]

log = logging.getLogger(__name__)


class Watchdog:
    """Cuts a pooled connection held by one checkout longer than a limit, so a request never hangs.

    A server that accepts connections but answers nothing (stopped, swapping, a frozen VM) leaves a
    request blocked in recv() for ever: the server-side statement timeout cannot fire and TCP keepalives
    are answered by the kernel. Shutting the socket down from this thread makes that recv() fail, the
    request answers 503 and the pool replaces the connection; once the server answers again, so does
    the service.
    """

    def __init__(self, limit_s: float, *, period_s: float = 0.5) -> None:
        self.limit_s, self.period_s = limit_s, period_s
        self._held: dict[int, tuple[float, Any]] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()

    def checkout(self, dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        """A request took the connection: start its clock."""
        with self._lock:
            self._held[id(dbapi_connection)] = (time.monotonic() + self.limit_s, dbapi_connection)
            if self._thread is None:
                self._thread = threading.Thread(target=self._watch, name="dpr-db-watchdog", daemon=True)
                self._thread.start()

    def checkin(self, dbapi_connection: Any, _record: Any) -> None:
        """The connection is back in the pool."""
        with self._lock:
            self._held.pop(id(dbapi_connection), None)

    def stop(self) -> None:
        """End the watching thread (the engine is being disposed)."""
        self._stopped.set()

    def _watch(self) -> None:
        while not self._stopped.wait(self.period_s):
            now = time.monotonic()
            with self._lock:
                overdue = [(key, conn) for key, (deadline, conn) in self._held.items() if deadline <= now]
                for key, _ in overdue:
                    self._held.pop(key, None)
            for _, conn in overdue:
                _cut(conn)


def _cut(dbapi_connection: Any) -> None:
    """Shut the connection's socket down under the thread blocked on it (its fd stays the driver's)."""
    try:
        duplicate = os.dup(dbapi_connection.fileno())
    except (OSError, ValueError, AttributeError):
        return  # already closed
    with socket.socket(fileno=duplicate) as sock:
        try:
            sock.shutdown(socket.SHUT_RDWR)
            log.warning(
                "a database connection held past the client timeout was cut (the request answers 503)"
            )
        except OSError:
            pass


def make_engine(
    url: str, *, pool_size: int = 20, statement_timeout_s: float = 0, watchdog: Watchdog | None = None
) -> Engine:
    """An engine that survives a restarted database and never lets a request wait on it unbounded."""
    # A checkout refuses a connection the server has closed (see _check_alive), connecting
    # gives up after 5 s, TCP keepalives notice a vanished host, a checkout waits at most 10 s for a
    # free connection. Each failure is an OperationalError or a pool timeout: the app answers 503.
    connect_args: dict[str, object] = {
        "connect_timeout": 5,
        "keepalives": 1,
        "keepalives_idle": 30,
        "keepalives_interval": 10,
        "keepalives_count": 3,
    }
    if statement_timeout_s > 0:
        connect_args["options"] = f"-c statement_timeout={int(statement_timeout_s * 1000)}"
    engine = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_timeout=10,
        connect_args=connect_args,
    )
    event.listen(engine, "checkout", _check_alive)
    if watchdog is not None:
        event.listen(engine, "checkout", watchdog.checkout)
        event.listen(engine, "checkin", watchdog.checkin)
    return engine


def _check_alive(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    """Refuse a pooled connection the server has closed, without a round trip when it is healthy.

    An idle connection's socket has nothing to read unless the server sent something: a restart
    or a terminated backend leaves EOF or an error there. Only then is a real query tried (the
    pool's `pre_ping` would add a round trip to every request). The pool replaces a refused one.
    """
    if dbapi_connection.closed or dbapi_connection.broken:
        raise DisconnectionError("the connection is closed")
    readable, _, _ = select.select([dbapi_connection.fileno()], [], [], 0)
    if not readable:
        return
    try:
        dbapi_connection.execute("SELECT 1")
        dbapi_connection.rollback()
    except psycopg.Error as exc:
        raise DisconnectionError("the server closed the connection") from exc


def driver_connection(session: Session) -> psycopg.Connection[Any]:
    """The psycopg connection under the session, inside its transaction, for statements that skip
    SQLAlchemy's statement layer (hot paths, COPY, set-based statements, many-row results)."""
    session.flush()  # what the session holds is written first, so these statements see it
    driver = session.connection().connection.driver_connection
    assert driver is not None  # noqa: S101 (a checked-out connection)
    return driver
