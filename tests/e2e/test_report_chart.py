"""`dpr report flow-through` as a user runs it: a PNG chart and a CSV from the SQL figures."""

import base64
import csv
import os
import secrets
from pathlib import Path

from sqlalchemy import text
from sqlmodel import Session

from outcomes.flowthrough import disclosure
from procurement.core.clock import helsinki_today as today
from procurement.core.clock import utc_now
from procurement.core.db import make_engine
from procurement.core.settings import Settings
from tests.conftest import run_cli
from tests.factories.outcomes import make_cohorts, make_outcome_world

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_chart_and_csv_are_written(scratch_database_url: str, tmp_path: Path) -> None:
    key = base64.b64encode(secrets.token_bytes(32)).decode()
    engine = make_engine(scratch_database_url, pool_size=2)
    try:
        with Session(engine, expire_on_commit=False) as session:
            ow = make_outcome_world(session)
            make_cohorts(
                session, ow, settings=Settings(env="test", pseudonym_key=key), today=today(utc_now())
            )
            session.commit()
    finally:
        engine.dispose()
    env = {"DPR_DATABASE_URL": scratch_database_url, "DPR_DATA_DIR": str(tmp_path / "data")}
    chart, table = tmp_path / "chart.png", tmp_path / "out.csv"
    done = run_cli(
        "report", "flow-through", "--by", "supplier", "--out", str(chart), "--csv", str(table), env=env
    )
    assert done.returncode == 0, done.stderr
    assert sorted(done.stdout.splitlines()) == [
        "Valmentaja 1 Oy\t5/6\t83.3 %\tat_target",
        "Valmentaja 2 Oy\t0/2\t0.0 %\tnot_enough_data",
    ]
    assert "Chart with 2 bars" in done.stderr
    png = chart.read_bytes()
    assert png[:8] == PNG_SIGNATURE and os.path.getsize(chart) > 10_000
    with table.open(encoding="utf-8") as handle:
        rows = {row["label"]: row for row in csv.DictReader(handle)}
    assert set(rows) == {"Valmentaja 1 Oy", "Valmentaja 2 Oy"}
    good = rows["Valmentaja 1 Oy"]
    assert (good["supplier"], good["denominator"], good["qualified"], good["rate_bp"]) == (
        str(ow.suppliers[0].id),
        "6",
        "5",
        "8333",
    )
    assert (good["wilson_low_bp"], good["wilson_high_bp"], good["target_bp"], good["rating"]) == (
        "4365",
        "9699",
        "8000",
        "at_target",
    )
    refused = run_cli("report", "flow-through", "--by", "colour", env=env)
    assert refused.returncode == 2 and "Group by one of" in refused.stderr


def test_the_public_report_stores_the_month_ends_it_computes(
    scratch_database_url: str, tmp_path: Path
) -> None:
    key = base64.b64encode(secrets.token_bytes(32)).decode()
    engine = make_engine(scratch_database_url, pool_size=2)
    try:
        with Session(engine, expire_on_commit=False) as session:
            ow = make_outcome_world(session)
            make_cohorts(
                session, ow, settings=Settings(env="test", pseudonym_key=key), today=today(utc_now())
            )
            session.commit()
        env = {"DPR_DATABASE_URL": scratch_database_url, "DPR_DATA_DIR": str(tmp_path / "data")}
        first = run_cli("report", "flow-through", "--public", "--by", "supplier", env=env)
        assert first.returncode == 0, first.stderr
        with Session(engine) as session:
            months = (
                session.execute(
                    text("SELECT month_end FROM flow_through_month WHERE grouping = 'supplier' ORDER BY 1")
                )
                .scalars()
                .all()
            )
            begun = session.execute(text("SELECT min(started_on) FROM referral")).scalar_one()
        last = disclosure.last_closed_month_end(today(utc_now()))
        assert months == disclosure.month_ends(begun, last)
        again = run_cli("report", "flow-through", "--public", "--by", "supplier", env=env)
        assert again.returncode == 0 and again.stdout == first.stdout  # now read from the stored months
        assert str(ow.world.dps.id) in first.stdout
    finally:
        engine.dispose()
