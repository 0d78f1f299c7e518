"""The read replica (ADR 0019, decision 4) with a real streaming standby of the test server.

The standby is made by `pg_basebackup -R` with the embedded server's own binaries and started on a
socket and port of its own; the app runs with real pools on both (DPR_DATABASE_URL and
DPR_READ_DATABASE_URL). Pausing the standby's replay makes it visibly behind: a public read that does
not see a committed row was served by the standby, and the same read with a token (the primary) sees it.
The tests run in order and share one standby; the last one stops it.
"""

import os
import secrets
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import text
from sqlmodel import Session

from migrations.runner import upgrade_head
from minicompetition.publication.projector import project
from procurement.app.factory import create_app
from procurement.app.surface import PUBLIC_READS
from procurement.core.clock import utc_now
from procurement.core.db import make_engine
from procurement.core.replica import ReadReplica
from procurement.core.settings import Settings, new_key
from tests.factories.core import bearer
from tests.factories.minicompetition import competition_body, make_bidders
from tests.factories.registry import RingWorld, make_ring_world
from tests.replica_support import Standby, primary_ready, streaming_replica, wait_replayed

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("DPR_TEST_SERVER_URI")),
    reason="the standby is made with the embedded server's binaries from the embedded test server",
)


@dataclass
class Replicated:
    """The primary's database, its standby, the app serving both, and a ring to act in."""

    server_uri: str
    url: str
    standby: Standby
    client: TestClient[Litestar]
    world: RingWorld

    def standby_sql(self, sql: str) -> Any:
        with psycopg.connect(self.standby.conninfo(), autocommit=True) as conn:
            row = conn.execute(sql).fetchone()
        return None if row is None else row[0]

    def paused(self) -> "_Paused":
        return _Paused(self)

    def received(self) -> None:
        """Until the standby has received (not necessarily replayed) what the primary has flushed."""
        with psycopg.connect(self.server_uri, autocommit=True) as conn:
            target = conn.execute("SELECT pg_current_wal_flush_lsn()::text").fetchone()
        assert target is not None
        for _ in range(300):
            if self.standby_sql(f"SELECT pg_last_wal_receive_lsn() >= '{target[0]}'::pg_lsn"):
                return
            time.sleep(0.05)
        raise AssertionError("the standby received nothing")

    def caught_up(self) -> None:
        wait_replayed(self.standby, self.server_uri)

    def publish(self) -> str:
        """A competition created and published by the lead officer (writes, so on the primary)."""
        created = self.client.post(
            "/competitions", json=competition_body(self.world), headers=bearer(self.world.lead_officer)
        )
        assert created.status_code == 201, created.text
        competition_id: str = created.json()["id"]
        published = self.client.post(
            f"/competitions/{competition_id}/publish", headers=bearer(self.world.lead_officer)
        )
        assert published.status_code == 200, published.text
        return competition_id

    def project(self) -> None:
        """The dispatcher's work: the public events become OCDS releases (on the primary)."""
        engine = make_engine(self.url, pool_size=1)
        try:
            with Session(engine) as session:
                while project(session, prefix="ocds-dpr000", now=utc_now()):
                    pass
                session.commit()
        finally:
            engine.dispose()


class _Paused:
    """The standby receives WAL but replays none of it while inside."""

    def __init__(self, r: Replicated) -> None:
        self.r = r

    def __enter__(self) -> None:
        self.r.standby_sql("SELECT pg_wal_replay_pause()")

    def __exit__(self, *_: object) -> None:
        self.r.standby_sql("SELECT pg_wal_replay_resume()")


@pytest.fixture(scope="module")
def replicated(server_uri: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replicated]:
    reason = primary_ready(server_uri)
    assert reason is None, reason
    name = f"dpr_replica_{secrets.token_hex(4)}"
    with psycopg.connect(server_uri, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = _url_of(server_uri, name)
    try:
        upgrade_head(url)
        world = _ring(url)
        with streaming_replica(server_uri) as standby:
            settings = Settings(
                env="test",
                data_dir=Path(tmp_path_factory.mktemp("replica")) / "data",
                pseudonym_key=new_key(),
                sealing_key=new_key(),
                session_key=new_key(),
                database_url=url,
                read_database_url=standby.url(name),
                read_replica_retry_s=0.5,
                db_pool_size=2,
            )
            with TestClient(create_app(settings, migrate=False), raise_server_exceptions=False) as client:
                yield Replicated(server_uri, url, standby, client, world)
    finally:
        with psycopg.connect(server_uri, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _url_of(server_uri: str, name: str) -> str:
    base, _, query = server_uri.partition("?")
    prefix = base.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    return f"{prefix}/{name}" + (f"?{query}" if query else "")


def _ring(url: str) -> RingWorld:
    """A ring with a published DPS and three admitted suppliers, committed on the primary."""
    engine = make_engine(url, pool_size=1)
    try:
        with Session(engine, expire_on_commit=False) as session:
            world = make_ring_world(session)
            make_bidders(session, world, count=3)
            session.commit()
            return world
    finally:
        engine.dispose()


def test_the_app_reads_public_data_from_a_standby(replicated: Replicated) -> None:
    replica: ReadReplica = replicated.client.app.state.read_replica
    with replica.engine.connect() as conn:
        assert conn.execute(text("SELECT pg_is_in_recovery()")).scalar_one() is True
    primary = replicated.client.app.state.engine
    with primary.connect() as conn:
        assert conn.execute(text("SELECT pg_is_in_recovery()")).scalar_one() is False


def test_a_public_read_is_served_by_the_replica_and_a_write_by_the_primary(replicated: Replicated) -> None:
    officer = bearer(replicated.world.lead_officer)
    with replicated.paused():
        competition_id = replicated.publish()  # 201 and 200: the writes went to the primary
        # Anonymous: the standby, which has not replayed the competition yet.
        assert replicated.client.get(f"/competitions/{competition_id}").status_code == 404
        listed = replicated.client.get("/competitions").json()
        assert competition_id not in [c["id"] for c in listed]
        # With a token: the primary, which has it (a caller reads its own writes).
        mine = replicated.client.get(f"/competitions/{competition_id}", headers=officer)
        assert mine.status_code == 200 and mine.json()["state"] == "published"
    replicated.caught_up()
    public = replicated.client.get(f"/competitions/{competition_id}")
    assert public.status_code == 200 and public.json()["state"] == "published"
    assert competition_id in [c["id"] for c in replicated.client.get("/competitions").json()]
    # The public pages too.
    page = replicated.client.get(f"/ui/public/competitions/{competition_id}")
    assert page.status_code == 200


def test_health_reports_the_replica_lag(replicated: Replicated) -> None:
    replicated.caught_up()
    health = replicated.client.get("/health")
    assert health.status_code == 200
    body = health.json()
    assert body.pop("replica_behind_bytes") >= 0  # what is on the wire
    assert body == {
        "status": "ok",
        "database": "ok",
        "migrations": "head",
        "replica": "ok",
        "replica_lag_s": 0.0,
    }
    with replicated.paused():
        time.sleep(0.3)  # the last replayed commit is at least this old
        replicated.publish()
        replicated.received()
        behind = replicated.client.get("/health").json()
        assert behind["status"] == "ok" and behind["replica"] == "ok"
        assert behind["replica_lag_s"] >= 0.3
        assert behind["replica_behind_bytes"] > 0
    replicated.caught_up()
    assert replicated.client.get("/health").json()["replica_lag_s"] == 0.0


def test_every_public_read_answers_on_the_standby(replicated: Replicated) -> None:
    """A read-only standby refuses any write: a public read that wrote would fail here, not in tests
    that share one transaction with the primary."""
    competition_id = replicated.publish()
    replicated.project()
    replicated.caught_up()
    world = replicated.world
    values = {
        "authority_id": str(world.lead_id),
        "competition_id": competition_id,
        "dps_id": str(world.dps.id),
        "ring_id": str(world.ring.id),
        "rate_id": str(uuid.uuid4()),
        "month": f"{utc_now():%Y-%m}",
        "ocid": f"ocds-dpr000-{competition_id}",
        "release_id": "none",
    }
    answers = {}
    for template in sorted(PUBLIC_READS):
        path = template.format(**values)
        answers[path] = replicated.client.get(path).status_code
    assert {p: s for p, s in answers.items() if s >= 500} == {}
    assert answers[f"/competitions/{competition_id}"] == 200
    assert answers[f"/dps/{world.dps.id}/register"] == 200
    assert answers[f"/ocds/records/ocds-dpr000-{competition_id}"] == 200


def test_the_feed_cursor_holds_across_replica_and_primary_and_a_stopped_replica_degrades(
    replicated: Replicated,
) -> None:
    replicated.project()
    replicated.caught_up()
    first = replicated.client.get("/feed").json()  # anonymous: the standby
    assert [i["type"] for i in first["items"]] == ["competition.published"] * 3

    replicated.standby.stop()
    health = replicated.client.get("/health")
    assert health.status_code == 200
    assert health.json() == {
        "status": "degraded",
        "database": "ok",
        "migrations": "head",
        "replica": "unavailable",
    }

    # Public reads fall back to the primary: a competition published after the standby stopped is
    # visible at once, and the standby's cursor continues the feed on the primary with exactly it.
    later = replicated.publish()
    replicated.project()
    shown = replicated.client.get(f"/competitions/{later}")
    assert shown.status_code == 200 and shown.json()["state"] == "published"
    after = replicated.client.get("/feed", params={"after": first["next"]}).json()
    assert [(i["type"], i["ocid"]) for i in after["items"]] == [
        ("competition.published", f"ocds-dpr000-{later}")
    ]
    assert replicated.client.get("/ui/public").status_code == 200
