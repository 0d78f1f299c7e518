"""`dpr period export` as finance runs it: the file, its manifest as JSON, the same bytes twice."""

import base64
import hashlib
import json
import secrets
import uuid
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text
from sqlmodel import Session

from outcomes.payments import periods as payment_service
from procurement.core.clock import utc_now
from procurement.core.db import make_engine
from procurement.core.settings import Settings
from tests.conftest import run_cli
from tests.factories.payments import approved_period, make_pay_world, months_ago, outcome, person, start


def _periods(url: str) -> tuple[uuid.UUID, uuid.UUID]:
    """An approved period with a start and a job, and an open one."""
    key = base64.b64encode(secrets.token_bytes(32)).decode()
    engine = make_engine(url, pool_size=2)
    try:
        with Session(engine, expire_on_commit=False) as session:
            pw = make_pay_world(session, settings=Settings(env="test", pseudonym_key=key, sealing_key=key))
            day = months_ago(3).first_day
            referral, _ = start(session, pw, participant_id=person(session, pw, n=70, on=day), on=day)
            outcome(
                session, pw, referral_id=referral, event_type="employment_start", on=day + timedelta(days=9)
            )
            approved = approved_period(session, pw, month=months_ago(2))
            opened = payment_service.create_period(
                session, caller=pw.finance.caller, month=months_ago(1).label, now=utc_now()
            ).id
            session.commit()
        return approved, opened
    finally:
        engine.dispose()


def test_export_writes_the_file_and_its_manifest(scratch_database_url: str, tmp_path: Path) -> None:
    approved, opened = _periods(scratch_database_url)
    env = {"DPR_DATABASE_URL": scratch_database_url, "DPR_DATA_DIR": str(tmp_path / "data")}
    out = tmp_path / "out"

    first = run_cli("period", "export", str(approved), "--format", "xlsx", "--out", str(out), env=env)
    assert first.returncode == 0, first.stderr
    manifest = json.loads(first.stdout.strip().splitlines()[-1])
    written = out / manifest["file_name"]
    assert written.suffix == ".xlsx" and manifest["format"] == "xlsx"
    assert manifest["sha256"] == hashlib.sha256(written.read_bytes()).hexdigest()
    assert (manifest["row_count"], manifest["total_cents"]) == (2, 64_800 + 36_000)
    assert manifest["totals_by_municipality_cents"] == {"398": 100_800}
    assert "Exporting xlsx" in first.stderr and "2/2" in first.stderr

    again = run_cli("period", "export", str(approved), "--format", "xlsx", "--out", str(out), env=env)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout.strip().splitlines()[-1])["sha256"] == manifest["sha256"]

    confirmed = run_cli(
        "period", "export", str(approved), "--format", "csv-fi", "--out", str(out), "--confirm", env=env
    )
    assert confirmed.returncode == 0, confirmed.stderr
    engine = make_engine(scratch_database_url, pool_size=1)
    try:
        with engine.connect() as conn:
            state = conn.execute(
                text("SELECT state, exported_by FROM payment_period WHERE id = :p"), {"p": approved}
            ).one()
            batches = conn.execute(text("SELECT format FROM export_batch ORDER BY format")).scalars().all()
    finally:
        engine.dispose()
    assert tuple(state) == ("exported", "cli") and batches == ["csv-fi", "xlsx"]

    refused = run_cli("period", "export", str(opened), "--format", "parquet", "--out", str(out), env=env)
    assert refused.returncode == 2 and "only an approved period can be exported" in refused.stderr
    unknown = run_cli("period", "export", str(approved), "--format", "pdf", "--out", str(out), env=env)
    assert unknown.returncode == 2 and "Unknown export format" in unknown.stderr
