"""A pooled connection the server has closed is replaced at checkout, without a ping per request."""

import time

import psycopg

from procurement.core.db import make_engine


def _backend_pid(engine) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return int(conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())


def test_a_terminated_pooled_connection_is_replaced(server_uri: str, database_url: str) -> None:
    engine = make_engine(database_url, pool_size=1)
    try:
        first = _backend_pid(engine)
        assert _backend_pid(engine) == first  # a healthy connection is reused
        with psycopg.connect(server_uri, autocommit=True) as admin:
            assert admin.execute("SELECT pg_terminate_backend(%s)", (first,)).fetchone() == (True,)
            while admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (first,)).fetchone():
                time.sleep(0.01)
        # The next checkout finds the closed socket and connects anew instead of failing the request.
        second = _backend_pid(engine)
        assert second != first
        assert _backend_pid(engine) == second
    finally:
        engine.dispose()
