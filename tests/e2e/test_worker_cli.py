"""`dpr worker` and `dpr outbox status` as an operator runs them: the dispatcher leads, builds the releases
of what is in the outbox, and the status shows the backlog drained and who leads."""

import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg

from tests.conftest import libpq_uri, run_cli


def _emit(url: str) -> None:
    with psycopg.connect(libpq_uri(url)) as conn:
        conn.execute(
            "INSERT INTO outbox_event (event_id, kind, subject_type, subject_id, at, public, data)"
            " VALUES (gen_random_uuid(), 'competition.deadline_reminder', 'competition',"
            " gen_random_uuid()::text, now(), false, '{}')"
        )


def test_worker_leads_drains_the_backlog_and_status_shows_it(
    scratch_database_url: str, tmp_path: Path
) -> None:
    env = {"DPR_DATABASE_URL": scratch_database_url, "DPR_DATA_DIR": str(tmp_path / "data")}
    _emit(scratch_database_url)
    before = run_cli("outbox", "status", env=env)
    assert before.returncode == 0, before.stderr
    assert "dispatcher: none running" in before.stdout
    worker = subprocess.Popen(
        [sys.executable, "-m", "procurement.app.cli", "worker"],
        env={**{k: v for k, v in __import__("os").environ.items() if not k.startswith("DPR_")}, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status = run_cli("outbox", "status", env=env).stdout
            if "leads" in status and "notifications: 0 events behind" in status:
                break
            time.sleep(0.5)
        assert "leads" in status, status
        assert "notifications: 0 events behind" in status and "publication: 0 events behind" in status
        assert status.splitlines()[0].startswith("outbox: newest ")
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
    assert worker.returncode == 0
    after = run_cli("outbox", "status", env=env)
    assert "dispatcher: none running" in after.stdout
