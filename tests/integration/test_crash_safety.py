"""Crash safety at small scale: 60 bids through one SIGKILL of the service and one PostgreSQL restart.

The scenario is bench/crash_bids.py's own `run` (the service started as a user starts it, with its
embedded PostgreSQL in a fresh folder), so the test and the benchmark cannot drift apart.
"""

import shutil
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import crash_bids  # noqa: E402 (bench/ is put on the path just above)


def test_every_receipt_survives_a_sigkill_and_a_database_restart() -> None:
    # Not tmp_path: pytest keeps its root private (0700), and PostgreSQL runs as another user when root.
    folder = Path(tempfile.mkdtemp(prefix="dpr-crash-test-"))
    try:
        result = crash_bids.run(
            suppliers=40,
            clients=8,
            rate=15,
            faults=((0.2, "kill"), (0.5, "db")),
            folder=folder,
            # Two processes: the SIGKILL hits the supervisor, whose workers must end with it.
            workers=2,
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(result)  # shown when an assertion fails
    assert (result["kills"], result["db_restarts"]) == (1, 1)
    # 40 first bids and 20 resubmissions, each answered with a receipt despite the faults.
    assert result["bids_planned"] == 60
    assert result["receipts_checked"] >= 60
    assert result["distinct_versions"] == 60
    assert result["replayed"] >= 6  # a tenth sent again after the faults: the same receipts
    assert result["stored_versions"] == 60
    assert result["lost"] == []
    assert result["corrupt"] == []
    assert all(n == 0 for n in result["half_written"].values()), result["half_written"]
    assert result["audit"].startswith("OK:"), result["audit"]
    assert result["unexpected"] == []
    assert "500" not in result["statuses"]
    # While PostgreSQL was down, every answer was a 503 problem with Retry-After, and then the same
    # service process served again.
    assert result["503_while_db_down"] > 0
    assert result["not_503_while_db_down"] == []
    assert result["db_restart_recovered"] is True
