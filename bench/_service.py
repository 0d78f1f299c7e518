"""What the benchmarks share: the service started as a user starts it, a world set up through the API, bids."""

# Run from bench/ scripts (their folder is on sys.path). `make bench` runs bench/[!_]*.py, not this.

import hashlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from stdnum.fi import ytunnus

SETUP_WORKERS = 16


def log(message: str) -> None:
    print(message, flush=True)


# --- the service ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def service_env(data_dir: Path, *, pool_size: int | None = None) -> dict[str, str]:
    """The service's environment: a data directory of its own, quiet logs, the default pool unless given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DPR_")}
    # WARNING keeps uvicorn's per-request access log out of the measurement. Each worker process has
    # its own pool (pool_size kept, as many again on demand): all of them must fit PostgreSQL's 100.
    env.update({"DPR_DATA_DIR": str(data_dir), "DPR_LOG_LEVEL": "WARNING"})
    if pool_size is not None:
        env["DPR_DB_POOL_SIZE"] = str(pool_size)
    return env


def start_service(
    env: dict[str, str], port: int, log_path: Path, *, workers: int | None = None
) -> subprocess.Popen[bytes]:
    """`dpr serve` as a user starts it (workers: the CLI's default unless given); returns once healthy."""
    handle = log_path.open("wb")
    extra = ["--workers", str(workers)] if workers else []
    proc = subprocess.Popen(
        [sys.executable, "-m", "procurement.app.cli", "serve", "--port", str(port), *extra],
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the service exited early:\n{log_path.read_text()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    proc.terminate()
    raise SystemExit("the service did not become healthy in 180 s")


def stop_service(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def cli_admin_token(env: dict[str, str]) -> str:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "procurement.app.cli",
            "token",
            "create",
            "--role",
            "admin",
            "--name",
            "bench",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout.strip().splitlines()[-1]


# --- set-up through the API ---------------------------------------------------------------------


def business_id(n: int) -> str:
    """The n-th valid Y-tunnus (numbers whose check remainder is 1 have none and are skipped)."""
    base = 2_000_000 + n * 3
    while True:
        digits = f"{base:07d}"
        remainder = sum(int(d) * w for d, w in zip(digits, (7, 9, 10, 5, 8, 4, 2), strict=True)) % 11
        if remainder != 1:
            value = f"{digits}-{0 if remainder == 0 else 11 - remainder}"
            assert ytunnus.is_valid(value)
            return value
        base += 1


def call(client: httpx.Client, method: str, path: str, token: str | None = None, **kwargs: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = client.request(method, path, headers=headers, **kwargs)
    if response.status_code >= 300:
        raise SystemExit(f"set-up call {method} {path} failed: {response.status_code} {response.text}")
    return response.json()


def parallel(fn: Callable[[Any], Any], items: Iterable[Any]) -> list[Any]:
    with ThreadPoolExecutor(SETUP_WORKERS) as pool:
        return list(pool.map(fn, items))


def competition_body(dps_id: str, title: str) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "dps_id": dps_id,
        "category": "EMPLOYMENT",
        "title": title,
        "description": "Työllistymisvalmennus, kuormitustesti.",
        "lots": [
            {
                "code": "LAHTI",
                "municipality_codes": ["398"],
                "target_group": "long_term_unemployed",
                "demand": 400,
            },
            {"code": "PH", "municipality_codes": ["098", "111"], "target_group": "youth", "demand": 300},
        ],
        "budget_cents": 500_000_000,
        "weights": {"price_bp": 5000, "quality_bp": 2000, "outcome_bp": 3000},
        "quality_criteria": [{"code": "METHOD", "name": "Menetelmä", "weight_bp": 10_000}],
        "allocation_rules": {"max_suppliers_per_lot": 20, "max_share_bp": 2000, "min_allocation": 5},
        "scope": {
            "intended_effect": "Työllistyminen avoimille työmarkkinoille.",
            "expected_participants": 700,
            "expected_cost_cents": 450_000_000,
            "expected_outcomes": 500,
        },
        "qa_deadline": (now + timedelta(days=7)).isoformat(),
        "tender_deadline": (now + timedelta(days=14)).isoformat(),
    }


def set_up(base: str, admin: str, *, suppliers: int, titles: Sequence[str]) -> dict[str, Any]:
    """Authorities, ring, DPS, admitted suppliers and published competitions, through the API."""
    client = httpx.Client(base_url=base, timeout=60)
    lahti = call(
        client,
        "POST",
        "/authorities",
        admin,
        json={
            "name": "Lahden kaupunki",
            "business_id": business_id(9001),
            "kind": "municipality",
            "municipality_codes": ["398"],
            "lead_municipality": "398",
        },
    )
    ph = call(
        client,
        "POST",
        "/authorities",
        admin,
        json={
            "name": "Päijät-Hämeen työllisyysalue",
            "business_id": business_id(9002),
            "kind": "employment_area",
            "municipality_codes": ["016", "081", "098", "111", "142", "316", "560", "576", "781"],
            "lead_municipality": "098",
        },
    )
    ring = call(
        client,
        "POST",
        "/rings",
        admin,
        json={
            "name": "Päijät-Hämeen hankintarengas",
            "lead_authority_id": lahti["id"],
            "valid_from": "2025-01-01",
            "members": [{"authority_id": ph["id"], "valid_from": "2025-01-01"}],
        },
    )
    officer = call(
        client,
        "POST",
        "/principals",
        admin,
        json={"role": "officer", "name": "Olli", "authority_id": lahti["id"]},
    )["token"]
    dps = call(
        client,
        "POST",
        "/dps",
        officer,
        json={
            "ring_id": ring["id"],
            "title": "Työllisyyspalvelujen DPS",
            "valid_from": "2025-01-01",
            "valid_until": "2030-12-31",
            "categories": ["EMPLOYMENT"],
            "evidence_types": [{"code": "TAX_DEBT", "name": "Verovelkatodistus", "max_age_days": 90}],
        },
    )
    call(client, "POST", f"/dps/{dps['id']}/publish", officer)
    today = datetime.now(UTC).date()
    evidence = [
        {
            "type": "TAX_DEBT",
            "issued_on": (today - timedelta(days=3)).isoformat(),
            "valid_until": (today + timedelta(days=80)).isoformat(),
            "sha256": "a" * 64,
        }
    ]

    def supplier(n: int) -> dict[str, Any]:
        registered = call(
            client,
            "POST",
            "/suppliers",
            json={
                "business_id": business_id(n),
                "name": f"Valmennus {n} Oy",
                "contact_email": f"s{n}@example.fi",
            },
        )
        token = registered["token"]
        application = call(
            client,
            "POST",
            f"/dps/{dps['id']}/applications",
            token,
            json={"categories": ["EMPLOYMENT"], "evidence": evidence},
        )
        call(
            client,
            "POST",
            f"/applications/{application['id']}/decision",
            officer,
            json={"admit": ["EMPLOYMENT"]},
        )
        return {"id": registered["supplier"]["id"], "token": token}

    admitted = parallel(supplier, range(suppliers))
    competitions = []
    for title in titles:
        created = call(client, "POST", "/competitions", officer, json=competition_body(dps["id"], title))
        call(client, "POST", f"/competitions/{created['id']}/publish", officer)
        competitions.append(created["id"])
    invited = call(client, "GET", f"/competitions/{competitions[0]}/invitations", officer)
    assert len(invited) == suppliers, len(invited)
    client.close()
    return {"officer": officer, "suppliers": admitted, "competitions": competitions}


# --- bids -----------------------------------------------------------------------------------------


def bid_body(rng: random.Random, n: int, *, approach: str) -> dict[str, Any]:
    """Supplier n's bid: both lots unless n is a multiple of 3, random prices; `approach` ends its answer."""
    return {
        "lines": [
            {
                "lot": lot,
                "unit_price_cents": rng.randint(150_000, 300_000),
                "capacity": rng.randint(10, 60),
                "committed_flow_through_bp": rng.randint(6000, 9500),
                "quality_answers": {"METHOD": f"Menetelmä {n}: {approach}"},
            }
            for lot in (["LAHTI", "PH"] if n % 3 else ["LAHTI"])
        ]
    }


def canonical_sha256(competition_id: str, body: dict[str, Any]) -> str:
    """The receipt's digest, computed here independently of the service's code."""
    lines = sorted(body["lines"], key=lambda x: x["lot"])
    raw = json.dumps(
        {"competition_id": competition_id, "lines": lines},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(raw.encode()).hexdigest()
