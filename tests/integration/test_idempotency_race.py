"""One Idempotency-Key on two connections at the same moment: one version, one receipt, or a clear 409."""

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from procurement.app.factory import create_app
from procurement.core.db import make_engine
from procurement.core.settings import Settings
from tests.factories.core import bearer
from tests.factories.minicompetition import bid_body, competition_body, make_bidders
from tests.factories.registry import make_ring_world

WAITERS = text(
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
)


@pytest.fixture
def race(scratch_database_url: str, settings: Settings) -> Iterator[dict[str, Any]]:
    engine = make_engine(scratch_database_url, pool_size=6)
    factory = sessionmaker(engine, class_=Session, expire_on_commit=False)
    with TestClient(create_app(settings, session_factory=factory), raise_server_exceptions=False) as client:
        with factory() as session:
            world = make_ring_world(session)
            bidders = make_bidders(session, world, count=2)
            session.commit()
        officer = bearer(world.lead_officer)
        created = client.post("/competitions", json=competition_body(world), headers=officer)
        assert created.status_code == 201, created.text
        competition_id = created.json()["id"]
        confirm = {"confirm_few_invitees": True}
        published = client.post(f"/competitions/{competition_id}/publish", json=confirm, headers=officer)
        assert published.status_code == 200, published.text
        yield {"client": client, "engine": engine, "competition_id": competition_id, "bidders": bidders}
    engine.dispose()


def _waiting(watcher: Connection) -> int:
    watcher.rollback()  # statistics views are a snapshot per transaction
    return int(watcher.execute(WAITERS).scalar_one())


def _at_once(race: dict[str, Any], requests: list[tuple[dict[str, str], dict[str, Any], str]]) -> list[Any]:
    """Send the requests on their own connections while the competition row is held, then release them."""
    client, engine = race["client"], race["engine"]
    url = f"/competitions/{race['competition_id']}/bids"
    answers: list[Any] = [None] * len(requests)

    def send(i: int, headers: dict[str, str], body: dict[str, Any], key: str) -> None:
        answers[i] = client.post(url, json=body, headers={**headers, "Idempotency-Key": key}, timeout=30)

    with engine.connect() as holder, engine.connect() as watcher:
        held = holder.begin()
        holder.execute(
            text("SELECT 1 FROM competition WHERE id = :id FOR UPDATE"), {"id": race["competition_id"]}
        )
        threads = [threading.Thread(target=send, args=(i, *r)) for i, r in enumerate(requests)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 20
        while _waiting(watcher) < len(requests) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert _waiting(watcher) == len(requests), "both requests must be queued on the row at once"
        held.rollback()
    for thread in threads:
        thread.join(timeout=30)
    return answers


def _counts(engine: Engine) -> tuple[int, int, int]:
    with engine.connect() as conn:
        return (
            int(conn.execute(text("SELECT count(*) FROM bid")).scalar_one()),
            int(conn.execute(text("SELECT count(*) FROM bid_version")).scalar_one()),
            int(
                conn.execute(text("SELECT count(*) FROM audit_record WHERE action LIKE 'bid.%'")).scalar_one()
            ),
        )


def test_same_key_same_body_on_two_connections_gives_one_version_and_one_receipt(
    race: dict[str, Any],
) -> None:
    headers = race["bidders"][0].headers
    body = bid_body(price=250_000)
    answers = _at_once(race, [(headers, body, "race-1"), (headers, body, "race-1")])

    assert sorted(a.status_code for a in answers) == [200, 201]
    assert answers[0].json() == answers[1].json()
    replayed = next(a for a in answers if a.status_code == 200)
    assert replayed.headers["idempotent-replayed"] == "true"
    bids, versions, audits = _counts(race["engine"])
    assert (bids, versions, audits) == (1, 1, 1)


def test_same_key_different_bodies_on_two_connections_one_wins_one_409(race: dict[str, Any]) -> None:
    headers = race["bidders"][0].headers
    answers = _at_once(
        race, [(headers, bid_body(price=250_000), "race-2"), (headers, bid_body(price=240_000), "race-2")]
    )

    assert sorted(a.status_code for a in answers) == [201, 409]
    loser = next(a for a in answers if a.status_code == 409)
    assert loser.headers["content-type"].startswith("application/problem+json")
    assert "Idempotency-Key 'race-2' was already used for a different bid body" in loser.json()["detail"]
    assert _counts(race["engine"])[:2] == (1, 1)


def test_two_suppliers_may_use_the_same_key_at_once(race: dict[str, Any]) -> None:
    first, second = (b.headers for b in race["bidders"])
    body = bid_body(price=250_000)
    answers = _at_once(race, [(first, body, "race-3"), (second, body, "race-3")])

    assert [a.status_code for a in answers] == [201, 201]
    assert answers[0].json()["bid_id"] != answers[1].json()["bid_id"]
    assert _counts(race["engine"])[:2] == (2, 2)
