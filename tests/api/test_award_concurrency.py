"""Two officers award the same competition at the same moment: exactly one wins, the other gets a 409."""

import threading
import time
from typing import Any

from litestar.testing import TestClient
from sqlalchemy import Connection, text
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from procurement.app.factory import create_app
from procurement.core.db import make_engine
from procurement.core.settings import Settings
from tests.api.test_evaluation import evaluate, open_competition, score_all
from tests.factories.core import bearer, make_token

WAITERS = text(
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
)


def _waiting(watcher: Connection) -> int:
    # Statistics views are a snapshot per transaction: end it to see the present.
    watcher.rollback()
    return int(watcher.execute(WAITERS).scalar_one())


def test_concurrent_awards_one_wins(scratch_database_url: str, settings: Settings) -> None:
    engine = make_engine(scratch_database_url, pool_size=5)
    factory = sessionmaker(engine, class_=Session, expire_on_commit=False)
    try:
        with TestClient(
            create_app(settings, session_factory=factory), raise_server_exceptions=False
        ) as client:
            with factory() as session:
                o = open_competition(client, session)
                score_all(client, o)
                run = evaluate(client, o)
                second = bearer(make_token(session, role="officer", authority_id=o.world.lead_id))
                session.commit()
            answers: list[Any] = []

            def award(headers: dict[str, str]) -> None:
                answers.append(
                    client.post(
                        f"/competitions/{o.competition_id}/award",
                        json={"evaluation_run_id": run["id"]},
                        headers=headers,
                    )
                )

            # Hold the competition row, so both requests are in flight and queued on it at once.
            with engine.connect() as holder, engine.connect() as watcher:
                held = holder.begin()
                holder.execute(
                    text("SELECT 1 FROM competition WHERE id = :id FOR UPDATE"), {"id": o.competition_id}
                )
                threads = [threading.Thread(target=award, args=(h,)) for h in (o.officer, second)]
                for thread in threads:
                    thread.start()
                deadline = time.monotonic() + 20
                while _waiting(watcher) < 2 and time.monotonic() < deadline:
                    time.sleep(0.05)
                assert _waiting(watcher) == 2
                held.rollback()
            for thread in threads:
                thread.join(timeout=30)

        assert sorted(a.status_code for a in answers) == [200, 409]
        loser = next(a for a in answers if a.status_code == 409).json()
        assert (loser["current_state"], loser["detail"]) == (
            "awarded",
            "The competition is 'awarded'; its award decision was already issued.",
        )
        with engine.connect() as check:
            decisions = check.execute(text("SELECT count(*) FROM award_decision")).scalar_one()
            awarded = check.execute(
                text("SELECT count(*) FROM audit_record WHERE action = 'competition.awarded'")
            ).scalar_one()
            state = check.execute(text("SELECT state FROM competition")).scalar_one()
        assert (decisions, awarded, state) == (1, 1, "awarded")
    finally:
        engine.dispose()
