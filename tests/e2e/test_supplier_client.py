"""examples/supplier_client.py end to end against the service as a user runs it (a real HTTP server process).

The test plays the admin and the officer over the API while the example, in its own process, registers,
applies, waits for admission and an invitation, bids, meets a real 503 (the database cancels its
statement: the bid table is locked), retries with the same Idempotency-Key, checks its receipt and reads
its result once the officer has opened, evaluated and awarded.
"""

import base64
import os
import queue
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from procurement.core.clock import helsinki_today, utc_now
from tests.conftest import libpq_uri, run_cli
from tests.factories.registry import business_id

ROOT = Path(__file__).resolve().parents[2]
CLIENT = ROOT / "examples" / "supplier_client.py"
SUPPLIER = "0737546-2"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def service(scratch_database_url: str, tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """`dpr serve` in test mode (the test clock) on a scratch database; statements cancelled after 1 s."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DPR_")}
    env |= {
        "DPR_ENV": "test",
        "DPR_DATABASE_URL": scratch_database_url,
        "DPR_DATA_DIR": str(tmp_path / "data"),
        "DPR_PSEUDONYM_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "DPR_SEALING_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "DPR_DB_STATEMENT_TIMEOUT_S": "1",
    }
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "procurement.app.cli", "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, "the service exited early"
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the service did not become healthy in 60 s"
            time.sleep(0.2)
        yield base, env
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


class Lines:
    """The example's output, line by line, read in a thread so the test can wait for a given step."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.seen: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def expect(self, prefix: str, timeout: float = 60) -> str:
        give_up = time.monotonic() + timeout
        while time.monotonic() < give_up:
            try:
                line = self._queue.get(timeout=max(0.0, give_up - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                break
            self.seen.append(line)
            if line.startswith(prefix):
                return line
        stderr = self.proc.stderr.read() if self.proc.stderr and self.proc.poll() is not None else ""
        raise AssertionError(f"no line starting {prefix!r}; saw {self.seen}; stderr {stderr}")


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _officer_world(base: str, env: dict[str, str]) -> tuple[dict[str, str], str]:
    """An admin (by the CLI), an authority, its ring and officer, a published DPS asking for one document."""
    created = run_cli("token", "create", "--role", "admin", "--name", "Pääkäyttäjä", env=env)
    assert created.returncode == 0, created.stderr
    admin = {"Authorization": f"Bearer {created.stdout.strip().splitlines()[-1]}"}
    authority = {
        "name": "Lahden kaupunki",
        "business_id": business_id(80),
        "kind": "municipality",
        "municipality_codes": ["398"],
        "lead_municipality": "398",
    }
    lahti = _ok(httpx.post(f"{base}/authorities", json=authority, headers=admin), 201)
    ring = {"name": "Päijät-Hämeen rengas", "lead_authority_id": lahti["id"], "valid_from": "2025-01-01"}
    ring_id = _ok(httpx.post(f"{base}/rings", json=ring, headers=admin), 201)["id"]
    person = {"role": "officer", "name": "Hankinta Lahti", "authority_id": lahti["id"]}
    token = _ok(httpx.post(f"{base}/principals", json=person, headers=admin), 201)["token"]
    officer = {"Authorization": f"Bearer {token}"}
    dps = {
        "ring_id": ring_id,
        "title": "Työllisyyspalvelujen rekisteri",
        "valid_from": "2025-01-01",
        "valid_until": "2029-12-31",
        "categories": ["EMPLOYMENT"],
        "evidence_types": [{"code": "TAX_DEBT", "name": "Verovelkatodistus", "max_age_days": 90}],
    }
    dps_id = _ok(httpx.post(f"{base}/dps", json=dps, headers=officer), 201)["id"]
    _ok(httpx.post(f"{base}/dps/{dps_id}/publish", headers=officer))
    return officer, dps_id


def _competition(dps_id: str) -> dict[str, Any]:
    """One lot in Lahti, scored on price and committed flow-through (no quality scores to enter)."""
    today = helsinki_today(utc_now())
    return {
        "dps_id": dps_id,
        "category": "EMPLOYMENT",
        "title": "Työhönvalmennus Lahdessa",
        "description": "Tulosperusteinen minikilpailutus.",
        "lots": [
            {
                "code": "LAHTI",
                "municipality_codes": ["398"],
                "target_group": "long_term_unemployed",
                "demand": 12,
                "max_unit_price_cents": 300_000,
            }
        ],
        "budget_cents": 5_000_000,
        "weights": {"price_bp": 7000, "quality_bp": 0, "outcome_bp": 3000},
        "quality_criteria": [],
        "allocation_rules": {"max_suppliers_per_lot": 1, "max_share_bp": 10000, "min_allocation": 1},
        "scope": {
            "intended_effect": "Työllistyminen avoimille työmarkkinoille.",
            "expected_participants": 12,
            "expected_cost_cents": 3_000_000,
            "expected_outcomes": 8,
        },
        "qa_deadline": f"{today + timedelta(days=5)}T12:00:00+02:00",
        "tender_deadline": f"{today + timedelta(days=11)}T12:00:00+02:00",
    }


def test_the_supplier_client_from_registration_to_its_result(
    service: tuple[str, dict[str, str]], scratch_database_url: str
) -> None:
    base, env = service
    officer, dps_id = _officer_world(base, env)
    client = subprocess.Popen(
        [sys.executable, str(CLIENT), "--base-url", base, "--dps", dps_id, "--business-id", SUPPLIER,
         "--name", "Valmennus Oy", "--email", "tarjoukset@valmennus.fi", "--price", "2450.00",
         "--poll", "0.2", "--timeout", "120"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    out = Lines(client)
    try:
        out.expect("registered 0737546-2 Valmennus Oy")
        out.expect("applied: application ")
        [pending] = _ok(httpx.get(f"{base}/applications", params={"state": "pending"}, headers=officer))
        decision = {"admit": ["EMPLOYMENT"]}
        _ok(httpx.post(f"{base}/applications/{pending['id']}/decision", json=decision, headers=officer))
        out.expect("admitted in EMPLOYMENT")

        # While the bid table is locked, a bid's insert waits until the server cancels it: a real 503.
        with psycopg.connect(libpq_uri(scratch_database_url)) as blocker:
            blocker.execute("LOCK TABLE bid IN SHARE MODE")
            draft = _ok(httpx.post(f"{base}/competitions", json=_competition(dps_id), headers=officer), 201)
            cid = draft["id"]
            # One invitee: the officer confirms publishing to fewer than three (SPEC 4.2).
            confirm = {"confirm_few_invitees": True}
            _ok(httpx.post(f"{base}/competitions/{cid}/publish", json=confirm, headers=officer))
            out.expect(f"invited to {cid}")
            retry = out.expect(
                "bid attempt 1: 503 Service unavailable; retrying in 2 s with the same Idempotency-Key"
            )
            blocker.rollback()
        key = retry.rsplit(" ", 1)[1]
        receipt = out.expect("receipt: bid ")
        out.expect("receipt checked: bid ")
        out.expect("waiting for the award decision")

        # The officer: the clock passes the deadline, then open, evaluate and award.
        _ok(httpx.put(f"{base}/_test/clock", json={"offset_s": 12 * 86400}))
        _ok(httpx.post(f"{base}/competitions/{cid}/open", headers=officer))
        run = _ok(httpx.post(f"{base}/competitions/{cid}/evaluation-runs", headers=officer), 201)
        _ok(
            httpx.post(
                f"{base}/competitions/{cid}/award", json={"evaluation_run_id": run["id"]}, headers=officer
            )
        )
        result = out.expect("result: lot LAHTI")
        out.expect("done")
        assert client.wait(timeout=30) == 0
    finally:
        if client.poll() is None:
            client.kill()
    assert result == "result: lot LAHTI rank 1, awarded 12 participants at 2450 EUR"
    # The 503 stored nothing and the retry stored the bid once, under the key the client kept.
    with psycopg.connect(libpq_uri(scratch_database_url)) as db:
        versions = db.execute("SELECT version, idempotency_key, sha256 FROM bid_version").fetchall()
    assert versions == [(1, key, receipt.split(" sha256 ")[1].split(" ")[0])]
