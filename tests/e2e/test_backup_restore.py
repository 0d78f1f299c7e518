"""`dpr backup` of a live demo, the data directory destroyed, `dpr restore` into a fresh one: every row
count, `dpr audit verify` and the last period's export SHA-256 come back identical."""

import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from procurement.core.embedded import EmbeddedPostgres
from tests.conftest import run_cli


def _counts(data_dir: Path) -> dict[str, int]:
    embedded = EmbeddedPostgres(data_dir)
    try:
        url = embedded.start().replace("postgresql+psycopg://", "postgresql://", 1)
        with psycopg.connect(url) as conn:
            tables = [
                r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            ]
            return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in sorted(tables)}  # type: ignore[index]
    finally:
        embedded.stop()


def _approved_period(data_dir: Path) -> str:
    """The demo leaves last month's period open: finance closes it and an officer approves it, as the
    demo's walk does, so that it has an export to compare."""
    from sqlmodel import Session, col, select

    from outcomes.payments import periods as payment_service
    from outcomes.payments.models import PaymentPeriod
    from procurement.app.demo.outcomes import demo_caller
    from procurement.app.models import load_all_models
    from procurement.core.clock import utc_now
    from procurement.core.db import make_engine

    load_all_models()
    embedded = EmbeddedPostgres(data_dir)
    try:
        engine = make_engine(embedded.start(), pool_size=1)
        with Session(engine) as session:
            period = session.exec(select(PaymentPeriod).order_by(col(PaymentPeriod.month).desc())).first()
            assert period is not None
            finance = demo_caller(session, role="finance", authority_id=period.authority_id)
            officer = demo_caller(session, role="officer", authority_id=period.authority_id)
            assert finance is not None and officer is not None
            if period.state == "open":
                payment_service.close_period(session, caller=finance, period_id=period.id, now=utc_now())
            if period.state in ("open", "closed"):
                payment_service.approve_period(session, caller=officer, period_id=period.id, now=utc_now())
            period_id = str(period.id)
            session.commit()
        engine.dispose()
    finally:
        embedded.stop()
    return period_id


def _export_sha(env: dict[str, str], period: str, out: Path) -> str:
    done = run_cli("period", "export", period, "--format", "csv-fi", "--out", str(out), env=env, timeout=180)
    assert done.returncode == 0, done.stderr
    return str(json.loads(done.stdout.strip().splitlines()[-1])["sha256"])


def _verify(env: dict[str, str]) -> str:
    done = run_cli("audit", "verify", env=env, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.strip().splitlines()[-1]


@pytest.fixture
def folder() -> Iterator[Path]:
    """A folder outside pytest's own: another pytest session on the machine makes that one private
    (0700), and the embedded server's user would lose its way in."""
    made = Path(tempfile.mkdtemp(prefix="dpr-backup-test-"))
    yield made
    shutil.rmtree(made, ignore_errors=True)


def test_a_demo_backed_up_destroyed_and_restored_is_the_same(folder: Path) -> None:
    tmp_path = folder
    live, fresh = tmp_path / "live", tmp_path / "fresh"
    env = {"DPR_DATA_DIR": str(live)}
    loaded = run_cli("demo", env=env, timeout=600)
    assert loaded.returncode == 0, loaded.stderr
    period = _approved_period(live)
    sha_before = _export_sha(env, period, tmp_path / "export-before")
    counts_before = _counts(live)
    verified_before = _verify(env)
    dump = tmp_path / "backups" / "demo.dump"

    made = run_cli("backup", "--out", str(dump), env=env, timeout=300)
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout.strip().splitlines()[-1])["sha256"]
    manifest = json.loads(dump.with_name("demo.dump.json").read_text())
    assert manifest["format"] == "custom" and manifest["bytes"] == dump.stat().st_size
    assert b"sealing_key" not in dump.read_bytes()
    secrets_kept_apart = (live / "secrets.json").read_text()  # the operator keeps the keys elsewhere
    shutil.rmtree(live)

    fresh.mkdir()
    (fresh / "secrets.json").write_text(secrets_kept_apart)
    (fresh / "secrets.json").chmod(0o600)
    restored_env = {"DPR_DATA_DIR": str(fresh)}
    restored = run_cli("restore", str(dump), env=restored_env, timeout=300)
    assert restored.returncode == 0, restored.stderr
    again = run_cli("restore", str(dump), env=restored_env, timeout=300)
    assert again.returncode == 2 and "fresh data directory" in again.stderr

    assert _counts(fresh) == counts_before
    assert _verify(restored_env) == verified_before
    assert _export_sha(restored_env, period, tmp_path / "export-after") == sha_before
