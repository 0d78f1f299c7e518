"""Backup and restore times: the demo, and the payments bench's database of a million events (issue 17).

1. The demo: `dpr demo` into a fresh data directory, `dpr backup`, `dpr restore` into another one
   (each the command as an operator runs it), row counts compared.
2. The payments bench's data (bench/payments.py's world and COPY load: 100 000 participants, 300 000
   referrals, 1 000 000 verified events; the period is not closed here) in an
   embedded server, `procurement.app.backup.backup` and `restore_embedded` timed, row counts compared.
Run: .venv/bin/python bench/backup_restore.py   (BENCH_PARTICIPANTS=10000 for a quick run; the last
output line is one JSON object)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg

from procurement.app import backup as backups
from procurement.core.embedded import EmbeddedPostgres

ROOT = Path(__file__).resolve().parents[1]


def log(message: str) -> None:
    print(message, flush=True)


def counts(url: str) -> dict[str, int]:
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://", 1)) as conn:
        tables = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in sorted(tables)}  # type: ignore[index]


def dpr(*args: str, data_dir: Path) -> tuple[float, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DPR_")}
    env["DPR_DATA_DIR"] = str(data_dir)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "procurement.app.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"dpr {' '.join(args)} failed: {done.stderr[-2000:]}")
    return time.perf_counter() - started, done.stdout


def embedded_counts(data_dir: Path) -> dict[str, int]:
    server = EmbeddedPostgres(data_dir)
    try:
        return counts(server.start())
    finally:
        server.stop()


def demo(folder: Path) -> dict[str, float | int | bool]:
    live, fresh, dump = folder / "demo-live", folder / "demo-fresh", folder / "demo.dump"
    load_s, _ = dpr("demo", data_dir=live)
    before = embedded_counts(live)
    backup_s, out = dpr("backup", "--out", str(dump), data_dir=live)
    fresh.mkdir()
    shutil.copy(live / "secrets.json", fresh / "secrets.json")
    restore_s, restored = dpr("restore", str(dump), data_dir=fresh)
    same = embedded_counts(fresh) == before
    inner_backup = json.loads(out.strip().splitlines()[-1])["seconds"]
    inner_restore = json.loads(restored.strip().splitlines()[-1])["seconds"]
    log(
        f"demo: {sum(before.values())} rows; dpr backup {backup_s:.1f} s (pg_dump {inner_backup:.2f} s),"
        f" {dump.stat().st_size} bytes; dpr restore {restore_s:.1f} s (pg_restore {inner_restore:.2f} s,"
        f" the rest a new server's initdb and start); identical counts {same}"
    )
    return {
        "demo_rows": sum(before.values()),
        "demo_backup_s": round(backup_s, 2),
        "demo_pg_dump_s": inner_backup,
        "demo_restore_s": round(restore_s, 2),
        "demo_pg_restore_s": inner_restore,
        "demo_dump_bytes": dump.stat().st_size,
        "demo_identical": same,
        "demo_load_s": round(load_s, 1),
    }


def million(folder: Path) -> dict[str, float | int | bool]:
    import payments  # bench/payments.py: the same world and load

    from migrations.runner import upgrade_head
    from procurement.core.db import make_engine

    server = EmbeddedPostgres(folder / "big-live")
    url = server.start()
    try:
        upgrade_head(url)
        engine = make_engine(url, pool_size=2)
        started = time.perf_counter()
        events = payments.load(url, payments.world(engine))
        engine.dispose()
        log(f"loaded {events} events in {time.perf_counter() - started:.0f} s")
        before = counts(url)
        made = backups.backup(url, folder / "big.dump")
    finally:
        server.stop()
    log(f"million: backup {made.seconds:.1f} s, {made.size_bytes} bytes")
    restored = backups.restore_embedded(made.path, data_dir=folder / "big-fresh")
    log(f"million: restore {restored.seconds:.1f} s")
    after = embedded_counts(folder / "big-fresh")
    return {
        "million_events": events,
        "million_rows": sum(before.values()),
        "million_backup_s": round(made.seconds, 1),
        "million_dump_bytes": made.size_bytes,
        "million_restore_s": round(restored.seconds, 1),
        "million_identical": after == before,
    }


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="dpr-bench-backup-"))
    try:
        result = demo(folder)
        if os.environ.get("BENCH_BACKUP_SKIP_MILLION") != "1":
            result |= million(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
