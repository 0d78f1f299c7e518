"""Notification fan-out: 1 000 subscribed suppliers, one publication inviting them all, bids meanwhile (issue 23).

Starts the service as a user would (`dpr serve`, which starts the dispatcher beside it), sets up a ring, a
DPS and 1 000 admitted suppliers through the API, and gives each supplier a webhook endpoint on a
receiver of its own process (loopback): a tenth of the paths answer 500, another tenth sleep 2 s and then
answer 200, the rest answer at once. A bid burst (BIDS bids from CLIENTS clients) runs once before and
once right after a second competition is published, while its 1 000 invitations are being delivered; the
ratio of their p99 shows what delivery costs a request. Every healthy receiver must get the event exactly
once within 60 s; the failing ones must have been retried. The last line is one JSON object.
Run: .venv/bin/python bench/notify.py
"""

import json
import multiprocessing
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from _service import (
    bid_body,
    call,
    cli_admin_token,
    competition_body,
    free_port,
    log,
    parallel,
    service_env,
    set_up,
    start_service,
    stop_service,
)

SUPPLIERS = 1000
BIDS = int(os.environ.get("BENCH_BIDS", "300"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "32"))
WINDOW_S = 60.0
SEED = 23


def behaviour(n: int) -> tuple[int, float]:
    """What supplier n's receiver answers: 500 for a tenth, 200 after 2 s for a tenth, 200 at once."""
    if n % 10 == 0:
        return 500, 0.0
    if n % 10 == 1:
        return 200, 2.0
    return 200, 0.0


def receive(port: int, record: str) -> None:
    """The receiver process: one path per supplier, every request appended to `record` as a JSON line."""
    out = open(record, "a", buffering=1)  # noqa: SIM115 (open for the process's life)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", "0")))
            n = int(self.path.rsplit("/", 1)[1])
            status, sleep = behaviour(n)
            time.sleep(sleep)
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()
            line = {"n": n, "id": self.headers.get("webhook-id"), "status": status, "at": time.time()}
            out.write(json.dumps(line) + "\n")

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.request_queue_size = 1024
    server.serve_forever()


def burst(base: str, competition: str, suppliers: list[dict[str, Any]], rng: random.Random) -> list[float]:
    """BIDS bids from CLIENTS threads; each request's latency in ms."""
    client = httpx.Client(base_url=base, timeout=60)

    def one(item: tuple[int, dict[str, Any]]) -> float:
        n, supplier = item
        body = bid_body(random.Random(rng.random()), n, approach="vaikuttava")
        started = time.perf_counter()
        response = client.post(
            f"/competitions/{competition}/bids",
            json=body,
            headers={"Authorization": f"Bearer {supplier['token']}", "Idempotency-Key": f"notify-{n}"},
        )
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code in (200, 201), response.text
        return elapsed

    with ThreadPoolExecutor(CLIENTS) as pool:
        latencies = list(pool.map(one, enumerate(suppliers)))
    client.close()
    return latencies


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="dpr-notify-"))
    port, receiver_port = free_port(), free_port()
    env = service_env(work / "data") | {
        "DPR_WEBHOOK_ALLOW_PRIVATE": "true",
        "DPR_WEBHOOK_BACKOFF_S": "2",
        "DPR_WEBHOOK_TIMEOUT_S": "10",
    }
    record = work / "received.jsonl"
    record.touch()
    receiver = multiprocessing.get_context("spawn").Process(
        target=receive, args=(receiver_port, str(record)), daemon=True
    )
    receiver.start()
    proc = start_service(env, port, work / "service.log")
    base = f"http://127.0.0.1:{port}"
    try:
        admin = cli_admin_token(env)
        log(f"setting up {SUPPLIERS} admitted suppliers through the API")
        world = set_up(base, admin, suppliers=SUPPLIERS, titles=["Tarjouskilpailu (bids)"])
        client = httpx.Client(base_url=base, timeout=60)
        suppliers = world["suppliers"]

        def subscribe(item: tuple[int, dict[str, Any]]) -> None:
            n, supplier = item
            call(
                client,
                "POST",
                "/suppliers/me/webhooks",
                supplier["token"],
                json={
                    "url": f"http://127.0.0.1:{receiver_port}/s/{n}",
                    "event_types": ["competition.published"],
                },
            )

        parallel(subscribe, list(enumerate(suppliers)))
        log(f"{SUPPLIERS} endpoints registered")
        rng = random.Random(SEED)
        competition = world["competitions"][0]
        before = burst(base, competition, suppliers[:BIDS], rng)
        log(f"bid burst before delivery: p99 {p99(before):.1f} ms over {len(before)} bids")

        dps_id = call(client, "GET", f"/competitions/{competition}")["dps_id"]
        body = competition_body(dps_id, "Kutsu kaikille")
        created = call(client, "POST", "/competitions", world["officer"], json=body)
        published_at = time.time()
        call(client, "POST", f"/competitions/{created['id']}/publish", world["officer"])
        during = burst(base, competition, suppliers[BIDS : 2 * BIDS], rng)
        log(f"bid burst during delivery: p99 {p99(during):.1f} ms over {len(during)} bids")
        result = wait_for_delivery(record, published_at)
        status = subprocess.run(
            [sys.executable, "-m", "procurement.app.cli", "outbox", "status"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        log(status.stdout.strip())
        client.close()
    finally:
        stop_service(proc)
        receiver.terminate()
        shutil.rmtree(work, ignore_errors=True)
    load = os.getloadavg()
    log(f"uptime load averages: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (machine shared with other work)")
    summary = {
        "subscribers": SUPPLIERS,
        "events": result["events"],
        "delivered_once": result["delivered_once"],
        "duplicates": result["duplicates"],
        "max_delivery_s": result["max_delivery_s"],
        "retried": result["retried"],
        "bid_p99_ms_before": round(p99(before), 1),
        "bid_p99_ms_during": round(p99(during), 1),
        "p99_ratio": round(p99(during) / p99(before), 2),
    }
    print(json.dumps(summary))


def wait_for_delivery(record: Path, published_at: float) -> dict[str, Any]:
    """Wait until every healthy receiver has the event and every failing one was tried twice, or 60 s."""
    healthy = {n for n in range(SUPPLIERS) if behaviour(n)[0] == 200}
    failing = set(range(SUPPLIERS)) - healthy
    deadline = published_at + WINDOW_S + 30
    while True:
        lines = [json.loads(x) for x in record.read_text().splitlines() if x.strip()]
        invited = [x for x in lines if x["at"] >= published_at]
        got = {x["n"] for x in invited if x["status"] == 200}
        tries: dict[int, int] = {}
        for x in invited:
            tries[x["n"]] = tries.get(x["n"], 0) + 1
        retried = sum(1 for n in failing if tries.get(n, 0) >= 2)
        if (got >= healthy and retried == len(failing)) or time.time() > deadline:
            break
        time.sleep(0.5)
    ok = [x for x in invited if x["status"] == 200]
    per_event: dict[tuple[int, str], int] = {}
    for x in ok:
        per_event[(x["n"], x["id"])] = per_event.get((x["n"], x["id"]), 0) + 1
    duplicates = sum(c - 1 for c in per_event.values() if c > 1)
    events = {x["id"] for x in invited}
    last = max((x["at"] for x in ok), default=published_at)
    return {
        "delivered_once": got >= healthy and duplicates == 0 and last - published_at <= WINDOW_S,
        "duplicates": duplicates,
        "max_delivery_s": round(last - published_at, 2),
        "retried": retried,
        "events": len(events),
    }


if __name__ == "__main__":
    main()
