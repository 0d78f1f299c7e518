"""A real streaming replica of the test server, made with the embedded server's own binaries.

`pg_basebackup -R` copies the running primary over the replication protocol into a second data
directory and writes the standby's connection to the primary; `pg_ctl start` runs it on a socket and
port of its own. As root the embedded server runs as the `pgserver` user, so the standby does too.
"""

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict

from procurement.app.backup import tools_dir

SYSTEM_USER = "pgserver"  # the embedded server's user when the tests run as root


@dataclass
class Standby:
    """A running standby: its data directory, socket directory and port, and how to reach a database."""

    pgdata: Path
    socket_dir: Path
    port: int

    def url(self, database: str) -> str:
        """A SQLAlchemy URL of a database on the standby."""
        return f"postgresql+psycopg://postgres:@/{database}?host={self.socket_dir}&port={self.port}"

    def conninfo(self, database: str = "postgres") -> str:
        return f"host={self.socket_dir} port={self.port} user=postgres dbname={database}"

    def stop(self) -> None:
        """Stop the standby (fast: open connections are ended), as a crash or maintenance would."""
        if (self.pgdata / "postmaster.pid").exists():
            _pg("pg_ctl", "-D", str(self.pgdata), "-m", "fast", "-w", "stop")


def primary_ready(server_uri: str) -> str | None:
    """Why the primary cannot feed a standby, or None when it can."""
    with psycopg.connect(server_uri, autocommit=True) as conn:
        wal_level = conn.execute("SHOW wal_level").fetchone()
        senders = conn.execute("SHOW max_wal_senders").fetchone()
    if wal_level is None or wal_level[0] not in ("replica", "logical"):
        return f"wal_level is {wal_level}, a standby needs 'replica'"
    if senders is None or int(senders[0]) < 1:
        return "max_wal_senders is 0"
    return None


@contextmanager
def streaming_replica(server_uri: str, *, port: int = 55433) -> Iterator[Standby]:
    """A standby of the server at `server_uri`, in recovery and caught up; stopped and removed after."""
    primary = conninfo_to_dict(server_uri)
    # A short path: a Unix socket's name must fit in 107 bytes.
    root = Path(tempfile.mkdtemp(prefix="dpr-standby-"))
    standby = Standby(pgdata=root / "pg", socket_dir=root, port=port)
    _own(root)
    try:
        source = f"host={primary['host']} port={primary.get('port') or 5432} user={primary['user']}"
        _pg("pg_basebackup", "-D", str(standby.pgdata), "-R", "-X", "stream", "-c", "fast", "-d", source)
        options = f'-h "" -k {root} -p {port} -c hot_standby=on'
        log = root / "standby.log"
        _pg("pg_ctl", "-D", str(standby.pgdata), "-o", options, "-l", str(log), "-w", "-t", "30", "start")
        _wait_streaming(standby, server_uri)
        yield standby
    finally:
        standby.stop()
        shutil.rmtree(root, ignore_errors=True)


def _wait_streaming(standby: Standby, server_uri: str, *, timeout_s: float = 30) -> None:
    """Until the standby is in recovery, streams from the primary and has replayed what it had flushed."""
    with psycopg.connect(server_uri, autocommit=True) as conn:
        target = conn.execute("SELECT pg_current_wal_flush_lsn()").fetchone()
    assert target is not None
    deadline = time.monotonic() + timeout_s
    while True:
        with psycopg.connect(standby.conninfo(), autocommit=True) as conn:
            row = conn.execute(
                "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn() >= %s,"
                " EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming')",
                (target[0],),
            ).fetchone()
        if row == (True, True, True):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"the standby did not catch up: {row}")
        time.sleep(0.05)


def wait_replayed(standby: Standby, server_uri: str, *, timeout_s: float = 15) -> None:
    """Until the standby has replayed everything the primary has flushed now."""
    _wait_streaming(standby, server_uri, timeout_s=timeout_s)


def _pg(tool: str, *args: str) -> None:
    """Run one of the embedded server's programs (as its user when we are root)."""
    user = SYSTEM_USER if os.geteuid() == 0 else None
    done = subprocess.run(
        [str(tools_dir() / tool), *args], capture_output=True, text=True, timeout=60, user=user, check=False
    )
    if done.returncode != 0:
        raise AssertionError(f"{tool} failed ({done.returncode}): {done.stderr.strip()}")


def _own(path: Path) -> None:
    """As root, the standby's folder belongs to the server's user (initdb and postgres refuse root)."""
    if os.geteuid() == 0:
        shutil.chown(path, user=SYSTEM_USER)
