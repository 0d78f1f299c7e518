"""The database: one engine per app, one session per request, the driver connection under a session."""

import select
from collections.abc import Callable
from typing import Any

import psycopg
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlmodel import Session

SessionFactory = Callable[[], Session]


def make_engine(url: str, *, pool_size: int = 20, statement_timeout_s: float = 0) -> Engine:
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
