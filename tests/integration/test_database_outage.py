"""A database that drops or stalls a request's connection: 503 with Retry-After, then recovery (issue 8)."""

import pytest
from litestar.testing import TestClient
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from procurement.app.factory import create_app
from procurement.core.db import make_engine
from procurement.core.settings import Settings
from tests.factories.core import bearer, make_token


def test_a_connection_lost_mid_request_is_a_503_and_the_pool_recovers(
    settings: Settings, scratch_database_url: str
) -> None:
    engine = make_engine(scratch_database_url, pool_size=2)
    app = create_app(settings, session_factory=sessionmaker(engine, class_=Session))
    with TestClient(app, raise_server_exceptions=False) as client:
        # Was a 500: the rollback on the dead connection failed too and hid the original error.
        lost = client.get("/_test/lost-connection")
        assert lost.status_code == 503, lost.text
        assert lost.headers["content-type"] == "application/problem+json"
        assert lost.headers["retry-after"] == "2"
        assert lost.json()["title"] == "Service unavailable"
        # The same app, without a restart: the pool replaced the dead connection.
        health = client.get("/health")
        assert health.status_code == 200, health.text
    engine.dispose()


def test_a_connection_lost_on_the_bid_path_is_a_503_too(
    settings: Settings, scratch_database_url: str
) -> None:
    # Bids take `in_one_transaction`, a transaction path of their own: a lost connection there must
    # be the same 503 problem, and the pool must recover the same way.
    engine = make_engine(scratch_database_url, pool_size=2)
    with Session(engine) as session:
        token = make_token(session, role="admin")
        session.commit()
    app = create_app(settings, session_factory=sessionmaker(engine, class_=Session))
    with TestClient(app, raise_server_exceptions=False) as client:
        lost = client.get("/_test/lost-connection-hot", headers=bearer(token))
        assert (lost.status_code, lost.headers["content-type"]) == (503, "application/problem+json"), (
            lost.text
        )
        assert client.get("/health").status_code == 200
    engine.dispose()


def test_a_statement_past_the_timeout_is_cancelled(scratch_database_url: str) -> None:
    engine = make_engine(scratch_database_url, pool_size=1, statement_timeout_s=0.2)
    with engine.connect() as conn:
        assert conn.execute(text("SHOW statement_timeout")).scalar_one() == "200ms"
        with pytest.raises(OperationalError, match="statement timeout"):
            conn.execute(text("SELECT pg_sleep(5)"))
    engine.dispose()
