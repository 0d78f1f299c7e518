"""Thousands of generated histories through the real close on PostgreSQL, against the reference model (issue 16).

Starts an embedded PostgreSQL in a temporary directory, gives each worker process a database built by the
migrations, and runs history after history (seeds 0…N−1) through the real services: participants,
referrals, starts, claims verified out of order, voids before and after payment, clawbacks and reclaims,
neutral exits verified or not, contracts completed, and a year of monthly periods closed, approved and
exported one after another. Each history runs in a transaction that is rolled back. Every period's lines
are compared per (participant, contract, component, kind, period) with tests/reference/model.py, and every
event's final state too. The last output line is one JSON object.
Run: .venv/bin/python bench/payments_fuzz.py   (FUZZ_HISTORIES=200 for a quick run, FUZZ_WORKERS=2)
"""

from __future__ import annotations

import base64
import json
import multiprocessing
import os
import random
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg
from sqlmodel import Session

from migrations.runner import upgrade_head
from procurement.core.db import make_engine
from procurement.core.embedded import EmbeddedPostgres
from procurement.core.settings import Settings
from tests.reference.harness import compare
from tests.reference.history import generate

HISTORIES = int(os.environ.get("FUZZ_HISTORIES", "2000"))
WORKERS = int(os.environ.get("FUZZ_WORKERS", "2"))
SHOWN = 5  # mismatching histories printed in full


def log(message: str) -> None:
    print(message, flush=True)


def _key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def work(url: str, seeds: list[int], folder: str) -> dict[str, Any]:
    """Run the given seeds on one database; returns counts and the first mismatches."""
    engine = make_engine(url, pool_size=1)
    settings = Settings(
        env="test",
        data_dir=Path(folder),
        pseudonym_key=_key(),
        sealing_key=_key(),
        database_url=None,  # type: ignore[arg-type]
    )
    done = compared = mismatches = 0
    failures: list[dict[str, Any]] = []
    started = time.perf_counter()
    with engine.connect() as connection:
        for seed in seeds:
            history = generate(random.Random(seed))
            transaction = connection.begin()
            try:
                with Session(bind=connection, join_transaction_mode="create_savepoint") as session:
                    result = compare(session, settings, history)
            except Exception as exc:
                failures.append({"seed": seed, "error": f"{type(exc).__name__}: {exc}"[:2000]})
                mismatches += 1
                result = None
            finally:
                transaction.rollback()
            done += 1
            if result is not None:
                compared += result.lines_compared
                if result.mismatches:
                    mismatches += len(result.mismatches)
                    failures.append({"seed": seed, "mismatches": result.mismatches[:20]})
            if done % 50 == 0:
                rate = done / (time.perf_counter() - started)
                log(
                    f"  worker {os.getpid()}: {done}/{len(seeds)} histories, {rate:.2f}/s, {len(failures)} failing"
                )
    engine.dispose()
    return {"histories": done, "lines_compared": compared, "mismatches": mismatches, "failures": failures}


def _scratch_database(server_uri: str, name: str) -> str:
    with psycopg.connect(
        server_uri.replace("postgresql+psycopg://", "postgresql://"), autocommit=True
    ) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, query = server_uri.partition("?")
    url = f"{base.rsplit('/', 1)[0]}/{name}" + (f"?{query}" if query else "")
    upgrade_head(url)
    return url


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="dpr-bench-fuzz-"))
    server = EmbeddedPostgres(folder / "data")
    uri = server.start()
    log(f"{HISTORIES} histories over {WORKERS} worker processes")
    started = time.perf_counter()
    try:
        urls = [_scratch_database(uri, f"fuzz_{i}") for i in range(WORKERS)]
        parts = [list(range(i, HISTORIES, WORKERS)) for i in range(WORKERS)]
        context = multiprocessing.get_context("spawn")
        with context.Pool(WORKERS) as pool:
            results = pool.starmap(
                work,
                [
                    (url, seeds, str(folder / f"w{i}"))
                    for i, (url, seeds) in enumerate(zip(urls, parts, strict=True))
                ],
            )
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
    histories = sum(r["histories"] for r in results)
    compared = sum(r["lines_compared"] for r in results)
    failures = [f for r in results for f in r["failures"]]
    mismatches = sum(r["mismatches"] for r in results)
    for failure in sorted(failures, key=lambda f: f["seed"])[:SHOWN]:
        log(json.dumps(failure, ensure_ascii=False, default=str))
    log(
        f"{histories} histories, {compared} line totals compared, {len(failures)} failing, {time.perf_counter() - started:.0f} s"
    )
    print(json.dumps({"histories": histories, "lines_compared": compared, "mismatches": mismatches}))


if __name__ == "__main__":
    main()
