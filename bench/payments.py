"""Payments at scale: close a month of 1 000 000 verified events, then export the payment basis (issue 7)."""

# Starts an embedded PostgreSQL in a temporary directory (with production-like memory settings) and
# migrates it, builds a ring with 12 contracts (4 per category) through the test factories, and
# COPY-loads 100 000 participants, 300 000 referrals and 1 000 000 verified outcome events dated in
# last month (fixed seed). It closes the period through the service (timed, with the peak memory of
# the process tree sampled), approves it, and exports every format with `dpr period export` in a
# subprocess (its ru_maxrss is reported). In the same run it writes the same frame with plain pandas
# `to_csv` / `to_parquet` and with our export, taking turns, best of three each, for the ratios. The last
# output line is one JSON object.
# Run: .venv/bin/python bench/payments.py   (BENCH_PARTICIPANTS=10000 for a quick run)

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg
from sqlalchemy import text
from sqlmodel import Session

from migrations.runner import upgrade_head
from outcomes.payments import periods as payment_service
from outcomes.payments.basis import ExportFormat
from outcomes.payments.export import basis_frame, export_to_path
from outcomes.payments.files import batch_of
from outcomes.payments.models import PaymentPeriod
from outcomes.tracking.events import episode_id
from procurement.core.auth import Caller, create_principal
from procurement.core.clock import helsinki_today, utc_now
from procurement.core.db import make_engine
from procurement.core.embedded import EmbeddedPostgres
from tests.factories.outcomes import make_awarded, make_contract
from tests.factories.registry import admit, business_id, make_ring_world, make_supplier

SEED = 7
PARTICIPANTS = int(os.environ.get("BENCH_PARTICIPANTS", "100000"))
CONTRACTS_PER_CATEGORY = 4
MUNICIPALITIES = ("398", "016", "081", "098", "111", "142", "316", "560", "576", "781")
# Per category: the events after the start, in order (10 events per participant over three referrals).
PLAN = {
    "EMPLOYMENT": ("employment_start", "employed_3_months", "employed_6_months"),
    "COMPETENCE": ("qualification_completed", "job_or_studies_within_180_days"),
    "INCLUSION": ("step_up_held_30_days", "second_step_or_category_entry"),
}
SUSTAINMENT = {"employed_3_months", "employed_6_months"}
GIB = 1024**3
RATIO_RUNS = 3


def log(message: str) -> None:
    print(message, flush=True)


def last_month() -> tuple[date, date, str]:
    first = (helsinki_today(utc_now()).replace(day=1) - timedelta(days=1)).replace(day=1)
    end = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return first, end, first.strftime("%Y-%m")


def world(engine: Any) -> dict[str, Any]:
    """A ring, its lead authority's officer and finance, and 12 contracts at different prices."""
    with Session(engine, expire_on_commit=False) as session:
        rw = make_ring_world(session)
        now = utc_now()
        officer = create_principal(
            session, role="officer", name="bench officer", now=now, authority_id=rw.lead_id
        )
        finance = create_principal(
            session, role="finance", name="bench finance", now=now, authority_id=rw.lead_id
        )
        contracts: dict[str, list[tuple[str, str]]] = {}
        n = 0
        for category in PLAN:
            awarded = make_awarded(
                session,
                world=rw,
                created_by=officer.id,
                category=category,
                lots=(("ALL", MUNICIPALITIES, "general", 200_000),),
            )
            for k in range(CONTRACTS_PER_CATEGORY):
                n += 1
                supplier, _ = make_supplier(session, business_id=business_id(900 + n), name=f"Bench {n} Oy")
                admit(session, dps=rw.dps, supplier=supplier, categories=(category,))
                contract = make_contract(session, awarded=awarded, supplier=supplier)
                # One contract per category has a ceiling ~9 % under what its starts earn, so the ceiling
                # rule does real work near the end of the month.
                ceiling = PARTICIPANTS * 50_000 if k == 0 else 10_000_000_000
                session.execute(
                    text("UPDATE contract_lot SET unit_price_cents = :p WHERE contract_id = :c"),
                    {"p": 200_000 + 20_000 * k, "c": contract.id},
                )
                session.execute(
                    text("UPDATE contract SET value_ceiling_cents = :v WHERE id = :c"),
                    {"v": ceiling, "c": contract.id},
                )
                contracts.setdefault(category, []).append(
                    (str(contract.id), str(awarded.lots["ALL"].id), str(rw.lead_id), str(supplier.id))
                )
        session.commit()
        return {
            "officer": Caller(id=officer.id, role="officer", name=officer.name, authority_id=rw.lead_id),
            "finance": Caller(id=finance.id, role="finance", name=finance.name, authority_id=rw.lead_id),
            "contracts": contracts,
        }


def copy(conn: psycopg.Connection, table: str, columns: str, rows: io.StringIO) -> None:
    with conn.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as out:
        out.write(rows.getvalue())


def load(url: str, setup: dict[str, Any]) -> int:
    """COPY the participants, referrals and verified events; returns the number of events."""
    rng = random.Random(SEED)
    first, _, _ = last_month()
    officer = str(setup["officer"].id)
    at = datetime.combine(first, datetime.min.time(), tzinfo=UTC).isoformat()
    people, refs, evs = io.StringIO(), io.StringIO(), io.StringIO()
    count = 0
    for i in range(PARTICIPANTS):
        pid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        pseudonym = hashlib.sha256(f"bench|{SEED}|{i}".encode()).hexdigest()
        municipality, tier = rng.choice(MUNICIPALITIES), rng.choice(("T1", "T2", "T3", "T4"))
        partial = "t" if rng.random() < 0.05 else "f"
        people.write(f"{pid}\t{pseudonym}\t{municipality}\t{{}}\t{tier}\t{partial}\t{at}\t{at}\n")
        for category, steps in PLAN.items():
            contract_id, lot_id, authority_id, supplier_id = rng.choice(setup["contracts"][category])
            rid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            started = first + timedelta(days=rng.randrange(10))
            refs.write(
                f"{rid}\t{pid}\t{contract_id}\t{lot_id}\t{category}\tstarted\t{started}\t{at}\t{officer}\t"
                f"{municipality}\t{{}}\t{tier}\t{partial}\t{started}\t{authority_id}\t{supplier_id}\n"
            )
            day, job_day = started, None
            for kind in ("service_start", *steps):
                episode_day = job_day if kind in SUSTAINMENT and job_day else day
                if kind == "employment_start":
                    job_day = day
                eid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
                episode = episode_id(pseudonym=pseudonym, episode_start=episode_day)
                evs.write(
                    f"{eid}\t{rid}\t{pid}\t{kind}\t{day}\t{episode_day}\t{episode}\tf\tverified\tregister\t"
                    f"tulorekisteri\t{officer}\t{at}\t{officer}\t{at}\t{authority_id}\t{supplier_id}\n"
                )
                count += 1
                day += timedelta(days=rng.randrange(1, 4))
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        copy(
            conn,
            "participant",
            "id, pseudonym, home_municipality_code, target_groups, tier, partial_work_ability, created_at, updated_at",
            people,
        )
        copy(
            conn,
            "referral",
            "id, participant_id, contract_id, lot_id, category_code, state, referred_on, referred_at, referred_by,"
            " home_municipality_code, target_groups, tier, partial_work_ability, started_on, authority_id,"
            " supplier_id",
            refs,
        )
        copy(
            conn,
            "outcome_event",
            "id, referral_id, participant_id, event_type, event_date, episode_start, episode_id, pre_dates_referral,"
            " state, source,"
            " source_register, recorded_by, recorded_at, decided_by, decided_at, authority_id, supplier_id",
            evs,
        )
    # A month's events arrive over the month, and autovacuum and the checkpointer pass over them
    # meanwhile; right after a bulk load they have not yet (the first-step triggers left dead referral
    # rows, no page is all-visible, gigabytes of the load's pages are dirty in the buffers).
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        conn.execute("CHECKPOINT")
    return count


class TreeMemory:
    """Samples the resident memory of this process and all its descendants (the close's workers)."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self.peak = max(self.peak, sum(_rss(pid) for pid in _tree(os.getpid())))


def _tree(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                children = Path(f"/proc/{current}/task/{task}/children").read_text().split()
                todo.extend(int(c) for c in children)
        except OSError:
            continue
    return found


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return 0
    return 0


def timed(action: Any) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


# The embedded server starts with PostgreSQL's defaults (128 MB of shared buffers), too small for a
# million-row close; these are what a production server of this size would be given.
# min_wal_size keeps the WAL files a checkpoint retires for reuse (docs/operations.md).
SERVER_SETTINGS = {"shared_buffers": "2GB", "work_mem": "64MB", "max_wal_size": "8GB", "min_wal_size": "4GB"}


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="dpr-bench-payments-"))
    server = EmbeddedPostgres(folder / "data")
    url = server.start()
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        for name, value in SERVER_SETTINGS.items():
            conn.execute(f"ALTER SYSTEM SET {name} = '{value}'")
    server.stop()
    url = server.start()
    log("server: " + ", ".join(f"{k} {v}" for k, v in SERVER_SETTINGS.items()))
    try:
        run(url, folder)
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)  # a million-event database is several gigabytes


def run(url: str, folder: Path) -> None:
    upgrade_head(url)
    engine = make_engine(url, pool_size=2)
    setup = world(engine)
    started = time.perf_counter()
    events = load(url, setup)
    log(
        f"loaded {PARTICIPANTS} participants, {3 * PARTICIPANTS} referrals, {events} events in {time.perf_counter() - started:.1f} s"
    )
    _, _, month = last_month()
    finance, officer = setup["finance"], setup["officer"]
    with Session(engine) as session:
        period_id = payment_service.create_period(session, caller=finance, month=month, now=utc_now()).id
        session.commit()
    with TreeMemory() as tree, Session(engine) as session:
        close_s = timed(
            lambda: (
                payment_service.close_period(session, caller=finance, period_id=period_id, now=utc_now()),
                session.commit(),
            )
        )
    with Session(engine) as session:
        period = session.get(PaymentPeriod, period_id)
        assert period is not None
        log(
            f"closed {month}: {period.event_count} events -> {period.line_count} lines, payable {period.payable_cents} cents in {close_s:.1f} s (tree peak {tree.peak / GIB:.2f} GiB)"
        )
        payment_service.approve_period(session, caller=officer, period_id=period_id, now=utc_now())
        session.commit()
    exports, cli_rss = cli_exports(url, folder, period_id)
    ratios = pandas_ratios(engine, folder, period_id)
    self_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    log(
        f"peak rss: bench {self_rss / GIB:.2f} GiB, close tree {tree.peak / GIB:.2f} GiB, export subprocess {cli_rss / GIB:.2f} GiB"
    )
    engine.dispose()
    print(
        json.dumps(
            {
                "events": events,
                "close_s": round(close_s, 2),
                "peak_rss_gib": round(max(self_rss, tree.peak, cli_rss) / GIB, 2),
                "export_s": {name: round(exports[name], 2) for name in ("csv", "xlsx", "parquet")},
                "ratio_csv": round(ratios["csv"], 2),
                "ratio_parquet": round(ratios["parquet"], 2),
            }
        )
    )


def cli_exports(url: str, folder: Path, period_id: uuid.UUID) -> tuple[dict[str, float], int]:
    """`dpr period export` per format in a subprocess; the export module's write time of each."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DPR_")}
    env.update({"DPR_DATABASE_URL": url, "DPR_DATA_DIR": str(folder / "cli")})
    out = folder / "exports"
    times: dict[str, float] = {}
    for fmt, name in (
        ("csv-fi", "csv"),
        ("csv-rfc4180", "csv_rfc4180"),
        ("parquet", "parquet"),
        ("xlsx", "xlsx"),
    ):
        command = [
            sys.executable,
            "-m",
            "procurement.app.cli",
            "period",
            "export",
            str(period_id),
            "--format",
            fmt,
            "--out",
            str(out),
        ]
        if fmt == "csv-fi":
            command.append("--confirm")
        started = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"export {fmt} failed: {done.stderr[-2000:]}")
        manifest = json.loads(done.stdout.strip().splitlines()[-1])
        times[name] = manifest["write_s"]
        log(
            f"export {fmt}: {manifest['row_count']} rows, {manifest['size_bytes'] / 1e6:.0f} MB, write {manifest['write_s']:.1f} s, subprocess {wall:.1f} s, sha256 {manifest['sha256'][:16]}…"
        )
    return times, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024


def pandas_ratios(engine: Any, folder: Path, period_id: uuid.UUID) -> dict[str, float]:
    """Our export against a plain pandas write of the same frame, in this process."""
    with Session(engine) as session:
        period = session.get(PaymentPeriod, period_id)
        assert period is not None
        lines, meta = batch_of(session, period)
    frame = basis_frame(lines=lines, meta=meta)
    del lines
    target = folder / "ratio"
    target.mkdir()
    writes = {
        "csv ours": lambda: export_to_path(
            batch=frame, meta=meta, fmt=ExportFormat.CSV_RFC4180, path=target / "ours.csv"
        ),
        "csv pandas": lambda: frame.to_csv(target / "plain.csv", index=False),
        "parquet ours": lambda: export_to_path(
            batch=frame, meta=meta, fmt=ExportFormat.PARQUET, path=target / "ours.parquet"
        ),
        "parquet pandas": lambda: frame.to_parquet(target / "plain.parquet", index=False),
    }
    # Best of RATIO_RUNS, ours and pandas taking turns: one run on a shared machine swings by tens of %.
    runs: dict[str, list[float]] = {name: [] for name in writes}
    for _ in range(RATIO_RUNS):
        for name, write in writes.items():
            runs[name].append(timed(write))
    best = {name: min(times) for name, times in runs.items()}
    ours_csv, plain_csv = best["csv ours"], best["csv pandas"]
    ours_parquet, plain_parquet = best["parquet ours"], best["parquet pandas"]
    log(
        f"same frame ({len(frame)} rows), best of {RATIO_RUNS}: csv ours {ours_csv:.2f} s vs pandas {plain_csv:.2f} s;"
        f" parquet ours {ours_parquet:.2f} s vs pandas {plain_parquet:.2f} s"
    )
    return {"csv": ours_csv / plain_csv, "parquet": ours_parquet / plain_parquet}


if __name__ == "__main__":
    main()
