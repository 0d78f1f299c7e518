"""Bid burst: 64 clients submit 1 000 sealed bids against a deadline; rates, latencies, losses (issue 4)."""

# Starts the service as a user would (`python -m procurement.cli serve`, its default worker processes
# unless BENCH_WORKERS says otherwise, a fresh data directory, its embedded PostgreSQL), sets up a
# ring, a DPS and 500 admitted suppliers through the API, publishes competitions, and drives the bids
# with Debian's wrk (a Lua script replays pre-generated requests, each with its own token, body and
# Idempotency-Key). Before the measured burst, 64 bids on a competition of their own warm the bid
# path (a running service is warm; a cold first wave added ~60 ms to p99). A separate httpx pass checks
# every receipt; a plain psycopg insert of the same rows in the same run gives the ratio. The last
# line is one JSON object. Run: .venv/bin/python bench/bid_burst.py

import json
import os
import random
import secrets
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from queue import Empty, Queue
from typing import Any

import httpx
import psycopg
from _service import (
    SETUP_WORKERS,
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

SUPPLIERS = 500
REQUESTS = 1000
RESUBMISSIONS = 200  # 20 %
RETRIES = 50  # 5 %: the same Idempotency-Key and body again
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "64"))
WRK_THREADS = min(2, CLIENTS)
WORKERS = int(os.environ.get("BENCH_WORKERS", "0")) or None  # service processes (0: the CLI default)
POOL_PER_WORKER = int(os.environ.get("BENCH_POOL", "0")) or None  # per worker (0: the service's default)
RAW_CONNECTIONS = 32  # beside the service's pooled connections, within PostgreSQL's 100
SEED = 4
WARM_UP = 64  # bids on a competition of their own before the measured burst, one per connection

LUA = r"""
local ffi = require("ffi")
ffi.cdef[[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int, bench_timespec *);
]]
local ts = ffi.new("bench_timespec")
local function now_us()
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts.tv_sec) * 1000000 + tonumber(ts.tv_nsec) / 1000
end

local count = 0
function setup(thread) thread:set("tid", count); count = count + 1 end

function init(args)
  local path, nthreads, out = args[1], tonumber(args[2]), args[3]
  reqs, results, reserved, sent, received, first, outfile = {}, {}, 0, 0, 0, nil, out .. "." .. tid
  local i = 0
  for line in io.lines(path) do
    if i % nthreads == tid then
      local method, url, token, key, body = line:match("^(%u+)\t([^\t]+)\t([^\t]*)\t([^\t]*)\t(.*)$")
      local headers = {}
      if token ~= "" then headers["Authorization"] = "Bearer " .. token end
      if key ~= "" then headers["Idempotency-Key"] = key end
      if body ~= "" then headers["Content-Type"] = "application/json" else body = nil end
      reqs[#reqs + 1] = wrk.format(method, url, headers, body)
    end
    i = i + 1
  end
  if #reqs == 0 then io.open(outfile, "w"):close() end
end

-- Each real request is preceded by delay(): reserve one, or park the connection once all are sent.
function delay()
  if reserved >= #reqs then return 3600000 end
  reserved = reserved + 1
  return 0
end

function request()
  if reserved == 0 then return reqs[1] end  -- wrk's start-up check: not sent
  sent = sent + 1
  if first == nil then first = now_us() end
  return reqs[sent]
end

function response(status, headers, body)
  received = received + 1
  results[#results + 1] = status .. "\t" .. (string.gsub(body or "", "[\t\n]", " "))
  if received == #reqs then
    local f = io.open(outfile .. ".tmp", "w")
    f:write(string.format("%.0f\t%.0f\n", first, now_us()))
    f:write(table.concat(results, "\n"))
    f:close()
    os.rename(outfile .. ".tmp", outfile)
  end
end

function done(summary, latency, requests)
  local fields = '{"requests": %d, "p50_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f}'
  io.write("WRKJSON " .. string.format(fields, summary.requests, latency:percentile(50.0),
    latency:percentile(99.0), latency.max, latency.mean) .. "\n")
end
"""


@dataclass
class Planned:
    """One request of the burst and what its receipt must say."""

    method: str
    path: str
    token: str
    key: str
    body: str
    kind: str  # first | resubmission | retry | probe
    sha256: str = ""


@dataclass
class WrkRun:
    """What one wrk run measured."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    results: list[tuple[int, str]]

    @property
    def per_s(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    log("wrk is missing; installing Debian's package")
    install = ["apt-get", "install", "-y", "wrk"]
    if subprocess.run(install, capture_output=True, check=False).returncode != 0:
        subprocess.run(["apt-get", "update"], capture_output=True, check=True)
        subprocess.run(install, capture_output=True, check=True)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("could not install wrk")
    return found


# --- the planned burst ----------------------------------------------------------------------------


def bid(rng: random.Random, n: int) -> dict[str, Any]:
    return bid_body(rng, n, approach="yksilövalmennus ja työkokeilu.")


def plan(world: dict[str, Any]) -> list[Planned]:
    """750 first submissions over two competitions, 200 resubmissions, 50 retries (originals come first)."""
    rng = random.Random(SEED)
    a, b = world["competitions"][:2]
    suppliers = world["suppliers"]
    firsts_per = (REQUESTS - RESUBMISSIONS - RETRIES) // 2  # 375 each: one bid per supplier and competition
    pairs = [(a, n) for n in range(firsts_per)] + [(b, SUPPLIERS - 1 - n) for n in range(firsts_per)]

    def planned(competition: str, n: int, kind: str) -> Planned:
        body = bid(rng, n)
        return Planned(
            method="POST",
            path=f"/competitions/{competition}/bids",
            token=suppliers[n]["token"],
            key=secrets.token_hex(12),
            body=json.dumps(body, separators=(",", ":"), ensure_ascii=False),
            kind=kind,
            sha256=canonical_sha256(competition, body),
        )

    firsts = [planned(c, n, "first") for c, n in pairs]
    rng.shuffle(firsts)
    resubs = [planned(c, n, "resubmission") for c, n in rng.sample(pairs, RESUBMISSIONS)]
    retries = [
        Planned(p.method, p.path, p.token, p.key, p.body, "retry", p.sha256)
        for p in rng.sample(firsts, RETRIES)
    ]
    tail = resubs + retries
    rng.shuffle(tail)
    return firsts + tail


def warm_up(world: dict[str, Any]) -> list[Planned]:
    """One bid per connection on the last competition: a running service has its code paths warm."""
    rng = random.Random(SEED + 1)
    competition = world["competitions"][-1]
    return [
        Planned(
            "POST",
            f"/competitions/{competition}/bids",
            world["suppliers"][n]["token"],
            secrets.token_hex(12),
            json.dumps(bid(rng, n), separators=(",", ":"), ensure_ascii=False),
            "warm-up",
        )
        for n in range(WARM_UP)
    ]


def write_plan(path: Path, requests: list[Planned]) -> None:
    with path.open("w") as handle:
        for p in requests:
            handle.write(f"{p.method}\t{p.path}\t{p.token}\t{p.key}\t{p.body}\n")


def run_wrk(wrk: str, base: str, requests: list[Planned], work: Path, name: str) -> WrkRun:
    """Replay the requests with wrk (CLIENTS connections); stop it as soon as every response is in."""
    plan_file, out, script = work / f"{name}.tsv", work / f"{name}.out", work / "replay.lua"
    parts = [Path(f"{out}.{t}") for t in range(WRK_THREADS)]
    for part in parts:
        part.unlink(missing_ok=True)
    write_plan(plan_file, requests)
    script.write_text(LUA)
    command = [wrk, f"-t{WRK_THREADS}", f"-c{CLIENTS}", "-d300s", "--timeout", "30s", "-s", str(script), base]
    proc = subprocess.Popen(
        [*command, "--", str(plan_file), str(WRK_THREADS), str(out)], stdout=subprocess.PIPE, text=True
    )
    while proc.poll() is None and not all(p.exists() for p in parts):
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)  # wrk runs for -d otherwise; SIGINT makes it report at once
    stdout, _ = proc.communicate(timeout=60)
    summary = json.loads(next(x for x in stdout.splitlines() if x.startswith("WRKJSON "))[8:])
    starts, ends, results = [], [], []
    for part in parts:
        lines = part.read_text().split("\n")
        first, last = (float(x) for x in lines[0].split("\t"))
        if len(lines) > 1 or lines[0]:
            starts.append(first)
            ends.append(last)
        for line in lines[1:]:
            status, _, body = line.partition("\t")
            results.append((int(status), body))
    return WrkRun(
        requests=len(results),
        seconds=(max(ends) - min(starts)) / 1e6,
        p50_ms=summary["p50_us"] / 1000,
        p99_ms=summary["p99_us"] / 1000,
        max_ms=summary["max_us"] / 1000,
        results=results,
    )


# --- checking every receipt -----------------------------------------------------------------------


def check_receipts(base: str, requests: list[Planned], run: WrkRun) -> dict[str, Any]:
    """Every planned bid got a receipt for its body, and every receipt is found intact afterwards."""
    receipts = [json.loads(body) for status, body in run.results if 200 <= status < 300]
    by_sha: dict[str, list[dict[str, Any]]] = {}
    for r in receipts:
        by_sha.setdefault(r["sha256"], []).append(r)
    missing = [p for p in requests if p.sha256 not in by_sha]
    token_of = {p.sha256: p.token for p in requests}
    unique = {(r["bid_id"], r["version"]): r for r in receipts}
    client = httpx.Client(base_url=base, timeout=30)

    def found(receipt: dict[str, Any]) -> bool:
        headers = {"Authorization": f"Bearer {token_of.get(receipt['sha256'], '')}"}
        response = client.get(f"/bids/{receipt['bid_id']}", headers=headers)
        if response.status_code != 200:
            return False
        stored = {v["version"]: v for v in response.json()["versions"]}.get(receipt["version"])
        return stored == receipt

    with ThreadPoolExecutor(SETUP_WORKERS) as pool:
        intact = list(pool.map(found, unique.values()))
    client.close()
    retried = {p.key for p in requests if p.kind == "retry"}
    replays_consistent = all(
        len({(r["bid_id"], r["version"]) for r in by_sha[p.sha256]}) == 1
        for p in requests
        if p.key in retried and p.sha256 in by_sha
    )
    return {
        "receipts": len(receipts),
        "versions": len(unique),
        "lost": intact.count(False) + len(missing),
        "missing_receipts": len(missing),
        "replays_consistent": replays_consistent,
    }


# --- the plain psycopg baseline -------------------------------------------------------------------


def raw_insert(
    dsn: str, world: dict[str, Any], requests: list[Planned], *, target: list[str], connections: int
) -> float:
    """The same rows (bid, bid_version, version bump) written by plain psycopg, one transaction per bid."""
    remap = dict(zip(world["competitions"][:2], target, strict=True))
    work: Queue[Planned] = Queue()
    for p in requests:
        if p.kind != "retry":
            work.put(p)
    supplier_of = {s["token"]: s["id"] for s in world["suppliers"]}
    ciphertext = secrets.token_bytes(360)

    def worker() -> None:
        with psycopg.connect(dsn) as conn:
            while True:
                try:
                    p = work.get_nowait()
                except Empty:
                    return
                competition = remap[p.path.split("/")[2]]
                supplier = supplier_of[p.token]
                with conn.transaction():
                    row = conn.execute(
                        "INSERT INTO bid (id, competition_id, supplier_id, state, current_version,"
                        " needs_confirmation, created_at, updated_at) VALUES (gen_random_uuid(), %s, %s,"
                        " 'submitted', 0, false, now(), now()) ON CONFLICT (competition_id, supplier_id)"
                        " DO UPDATE SET updated_at = EXCLUDED.updated_at RETURNING id, current_version",
                        (competition, supplier),
                    ).fetchone()
                    assert row is not None
                    conn.execute(
                        "INSERT INTO bid_version (bid_id, version, supplier_id, received_at, sha256,"
                        " terms_version, ciphertext, nonce, ephemeral_public_key, idempotency_key) VALUES"
                        " (%s, %s, %s, clock_timestamp(), %s, 0, %s, %s, %s, %s)",
                        (
                            row[0],
                            row[1] + 1,
                            supplier,
                            p.sha256,
                            ciphertext,
                            ciphertext[:12],
                            ciphertext[:32],
                            f"raw{connections}-{p.key}",
                        ),
                    )
                    conn.execute("UPDATE bid SET current_version = %s WHERE id = %s", (row[1] + 1, row[0]))

    rows = work.qsize()
    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return rows / (time.perf_counter() - started)


# --- main -----------------------------------------------------------------------------------------


def after_the_deadline(base: str, dsn: str, world: dict[str, Any], probe: Planned) -> None:
    """The clock passes the deadline (simulated by moving it): a late bid is refused; opening works."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "UPDATE competition SET qa_deadline = clock_timestamp() - interval '1 minute',"
            " tender_deadline = clock_timestamp() - interval '1 second' WHERE id = %s",
            (world["competitions"][0],),
        )
    headers = {"Authorization": f"Bearer {probe.token}", "Content-Type": "application/json"}
    late = httpx.post(f"{base}{probe.path}", content=probe.body, headers=headers)
    log(f"a bid after the deadline: {late.status_code} {late.json().get('title')}")
    started = time.perf_counter()
    opened = httpx.post(
        f"{base}/competitions/{world['competitions'][0]}/open",
        headers={"Authorization": f"Bearer {world['officer']}"},
        timeout=120,
    )
    log(
        f"opening competition A: {opened.status_code}, {opened.json().get('eligible')} eligible bids "
        f"decrypted in {time.perf_counter() - started:.2f} s"
    )


def main() -> None:
    wrk = ensure_wrk()
    data_dir = Path(tempfile.mkdtemp(prefix="dpr-bench-"))
    work = data_dir / "work"
    work.mkdir()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = service_env(data_dir / "data", pool_size=POOL_PER_WORKER)
    dsn = f"postgresql://postgres@/dpr?host={data_dir / 'data' / 'pg'}"
    log(
        f"starting the service on port {port} ({WORKERS or 'default'} workers, DPR_DB_POOL_SIZE={env.get('DPR_DB_POOL_SIZE', 'default')}"
        f" each) in {data_dir}"
    )
    proc = start_service(env, port, data_dir / "service.log", workers=WORKERS)
    try:
        admin = cli_admin_token(env)
        started = time.perf_counter()
        titles = ("Burst A", "Burst B", "Raw 1 A", "Raw 1 B", "Raw N A", "Raw N B", "Warm-up")
        world = set_up(base, admin, suppliers=SUPPLIERS, titles=titles)
        log(
            f"set-up through the API: {SUPPLIERS} suppliers admitted in {time.perf_counter() - started:.1f} s"
        )
        requests = plan(world)
        kinds = {k: sum(1 for p in requests if p.kind == k) for k in ("first", "resubmission", "retry")}
        log(f"plan: {len(requests)} bid requests {kinds}, {CLIENTS} connections, wrk -t{WRK_THREADS}")

        # The generator's ceiling: the same wrk and Lua against the app's cheapest route (an unrouted
        # path answered by the router, no database), and against /health (one query) for reference.
        noop = run_wrk(wrk, base, [Planned("GET", "/no-op", "", "", "", "probe")] * 20_000, work, "noop")
        health = run_wrk(wrk, base, [Planned("GET", "/health", "", "", "", "probe")] * 3_000, work, "health")
        log(f"generator ceiling: {noop.per_s:,.0f}/s on a no-op route; {health.per_s:,.0f}/s on GET /health")

        warm = run_wrk(wrk, base, warm_up(world), work, "warm-up")
        log(f"warm-up (not measured): {warm.requests} bids on a competition of their own")
        burst = run_wrk(wrk, base, requests, work, "burst")
        statuses: dict[int, int] = {}
        for status, _ in burst.results:
            statuses[status] = statuses.get(status, 0) + 1
        accepted = sum(n for s, n in statuses.items() if 200 <= s < 300)
        errors_5xx = sum(n for s, n in statuses.items() if s >= 500)
        log(
            f"burst: {burst.requests} responses in {burst.seconds:.2f} s, statuses {sorted(statuses.items())}"
        )
        log(f"latency p50 {burst.p50_ms:.1f} ms, p99 {burst.p99_ms:.1f} ms, max {burst.max_ms:.1f} ms")
        checked = check_receipts(base, requests, burst)
        log(f"receipts checked afterwards: {checked}")
        after_the_deadline(base, dsn, world, requests[0])

        raw_single = raw_insert(dsn, world, requests, target=world["competitions"][2:4], connections=1)
        log(f"plain psycopg, 1 connection, one transaction per bid: {raw_single:,.0f} bids/s")
        raw_pool = raw_insert(
            dsn, world, requests, target=world["competitions"][4:6], connections=RAW_CONNECTIONS
        )
        log(f"plain psycopg, {RAW_CONNECTIONS} connections, one transaction per bid: {raw_pool:,.0f} bids/s")
        raw = max(raw_single, raw_pool)
        rate = accepted / burst.seconds
        log(f"API: {rate:,.0f} accepted bids/s; ratio to the faster plain insert {rate / raw:.3f}")
        result = {
            "accepted_per_s": round(rate, 1),
            "p50_ms": round(burst.p50_ms, 2),
            "p99_ms": round(burst.p99_ms, 2),
            "lost": checked["lost"],
            "errors_5xx": errors_5xx,
            "ratio_to_raw_insert": round(rate / raw, 3),
            "generator_ceiling_per_s": round(noop.per_s, 1),
        }
    finally:
        stop_service(proc)
        if os.environ.get("BENCH_KEEP_LOG"):
            shutil.copy(data_dir / "service.log", os.environ["BENCH_KEEP_LOG"])
        shutil.rmtree(data_dir, ignore_errors=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
