"""`dpr evaluation reproduce RUN_ID` re-solves a stored run as a user runs it, against a real database."""

import json
from pathlib import Path

from litestar.testing import TestClient
from sqlalchemy import text
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from procurement.app.factory import create_app
from procurement.core.db import make_engine
from procurement.core.settings import Settings
from tests.api.test_evaluation import evaluate, open_competition, score_all
from tests.conftest import run_cli


def test_reproduce_is_identical_until_the_stored_result_is_tampered(
    scratch_database_url: str, settings: Settings, tmp_path: Path
) -> None:
    engine = make_engine(scratch_database_url, pool_size=2)
    factory = sessionmaker(engine, class_=Session, expire_on_commit=False)
    try:
        with TestClient(create_app(settings, session_factory=factory)) as client, factory() as session:
            opened = open_competition(client, session)
            score_all(client, opened)
            run = evaluate(client, opened)
        env = {"DPR_DATABASE_URL": scratch_database_url, "DPR_DATA_DIR": str(tmp_path / "cli")}

        same = run_cli("evaluation", "reproduce", run["id"], env=env, timeout=120)
        assert same.returncode == 0, same.stdout + same.stderr
        # Exactly the command's own line: no solver banner or log on either stream.
        version = run["solver_version"]
        assert same.stdout == (
            f"identical: run {run['id']} (#1) re-solved with HiGHS {version}: "
            "status optimal, 7 lines, 4 allocated.\n"
        )
        assert same.stderr == ""

        # Someone edits the stored allocation of A's LAHTI line from 20 to 25.
        with engine.begin() as conn:
            result = conn.execute(text("SELECT result FROM evaluation_run")).scalar_one()
            line = next(
                x for x in result["lines"] if (x["bid_id"], x["lot_id"]) == (opened.bid_ids[0], "LAHTI")
            )
            assert line["allocated"] == 20
            line["allocated"] = 25
            conn.execute(
                text("UPDATE evaluation_run SET result = CAST(:r AS jsonb)"), {"r": json.dumps(result)}
            )
        changed = run_cli("evaluation", "reproduce", run["id"], env=env, timeout=120)
        assert changed.returncode == 1, changed.stdout + changed.stderr
        assert changed.stdout.splitlines() == [
            f"DIFFERENT: run {run['id']} (#1) re-solved with HiGHS {version} (stored with HiGHS {version}):",
            f"  lot LAHTI bid {opened.bid_ids[0]}: allocated stored 25, re-solved 20",
        ]
        assert changed.stderr == ""

        unknown = run_cli("evaluation", "reproduce", "00000000-0000-0000-0000-000000000000", env=env)
        assert unknown.returncode == 2
    finally:
        engine.dispose()
