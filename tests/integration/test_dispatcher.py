"""The dispatcher against real receivers: signed webhooks to a loopback HTTP server, e-mail to an in-process
SMTP server, retries with backoff, exactly once to healthy receivers, one leader, restarts."""

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlmodel import Session, select

from minicompetition.tender import amendments, clarifications
from minicompetition.tender.models import Competition, Invitation
from minicompetition.tender.schemas import AmendmentIn, TermsChangesIn
from outcomes.notifications import deliveries, mail, signing
from outcomes.notifications.dispatcher import Dispatcher
from procurement.app.demo.competitions import OPEN_TITLE
from procurement.app.demo.loader import load_demo
from procurement.core.auth import Caller
from procurement.core.clock import utc_now
from procurement.core.models import Principal
from procurement.core.settings import Settings
from registry.models import Supplier
from registry.webhooks import endpoints, secrets
from registry.webhooks.schemas import EmailSettingIn, EndpointIn
from tests.notify_support import http_receiver, smtp_server, wait_for

KINDS = ["competition.published", "competition.amended", "competition.answer_published"]
BASE = "https://dpr.example.fi"


@dataclass
class World:
    engine: Engine
    settings: Settings
    competition_id: uuid.UUID
    supplier: Caller
    officer: Caller
    secrets: dict[str, str]
    invitees: list[tuple[str, str]]  # business id, contact e-mail


def _caller(session: Session, principal: Principal | None) -> Caller:
    assert principal is not None
    return Caller(
        id=principal.id,
        role=principal.role,
        name=principal.name,
        authority_id=principal.authority_id,
        business_id=principal.business_id,
    )


@pytest.fixture
def receiver() -> Iterator[Any]:
    with http_receiver() as r:
        r.answers["/flaky"] = lambda n: (500, 0.0) if n <= 2 else (200, 0.0)
        r.answers["/slow"] = lambda n: (200, 2.5)
        yield r


@pytest.fixture
def smtp() -> Iterator[tuple[int, list[Any]]]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def world(
    scratch_database_url: str, tmp_path: Path, settings: Settings, receiver: Any, smtp: Any
) -> Iterator[World]:
    settings = settings.model_copy(
        update={
            "database_url": scratch_database_url,
            "webhook_allow_private": True,
            "webhook_backoff_s": 0.3,
            "webhook_timeout_s": 5.0,
            "dispatcher_poll_s": 0.1,
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp[0],
            "public_base_url": BASE,
            "mail_from": "dpr@example.fi",
        }
    )
    engine = create_engine(scratch_database_url)
    with Session(engine) as s:
        load_demo(s, data_dir=tmp_path, now=utc_now(), settings=settings)
        competition = s.exec(select(Competition).where(Competition.title == OPEN_TITLE)).one()
        invitees = s.exec(
            select(Supplier.business_id, Supplier.contact_email)
            .join(Invitation, Invitation.supplier_id == Supplier.id)  # type: ignore[arg-type]
            .where(Invitation.competition_id == competition.id)
            .order_by(Supplier.business_id)
        ).all()
        business_id = invitees[0][0]
        supplier = _caller(s, s.exec(select(Principal).where(Principal.business_id == business_id)).first())
        officer = _caller(
            s,
            s.exec(
                select(Principal).where(
                    Principal.role == "officer", Principal.authority_id == competition.authority_id
                )
            ).first(),
        )
        made = {}
        for path in ("/healthy", "/flaky", "/slow"):
            made[path] = endpoints.create(
                s,
                caller=supplier,
                data=EndpointIn(url=receiver.url(path), event_types=KINDS),
                now=utc_now(),
                settings=settings,
            )
        made["dead"] = endpoints.create(
            s,
            caller=supplier,
            data=EndpointIn(url="http://127.0.0.1:9/dead", event_types=KINDS),
            now=utc_now(),
            settings=settings,
        )
        if len(invitees) > 1:
            second = _caller(
                s, s.exec(select(Principal).where(Principal.business_id == invitees[1][0])).first()
            )
            endpoints.set_email(s, caller=second, data=EmailSettingIn(email="daily"), now=utc_now())
        s.commit()
        world = World(
            engine=engine,
            settings=settings,
            competition_id=competition.id,
            supplier=supplier,
            officer=officer,
            secrets={k: v.secret for k, v in made.items()},
            invitees=[(b, e) for b, e in invitees],
        )
    try:
        yield world
    finally:
        engine.dispose()


@contextmanager
def running(world: World) -> Iterator[Dispatcher]:
    """A dispatcher in a thread of this process, stopped (and its lock released) afterwards."""
    dispatcher = Dispatcher(url=world.settings.database_url or "", settings=world.settings)
    thread = threading.Thread(target=dispatcher.run, daemon=True)
    thread.start()
    try:
        yield dispatcher
    finally:
        dispatcher.stop()
        thread.join(timeout=30)


def _amend(world: World, description: str) -> None:
    with Session(world.engine) as s:
        amendments.amend(
            s,
            caller=world.officer,
            competition_id=world.competition_id,
            data=AmendmentIn(reason="Tarkennus.", changes=TermsChangesIn(description=description)),
            now=utc_now(),
            settings=world.settings,
        )
        s.commit()


def _event_ids(world: World, kind: str) -> list[str]:
    with world.engine.connect() as c:
        return [
            str(r[0])
            for r in c.execute(
                text(
                    "SELECT event_id FROM outbox_event WHERE kind = :k AND subject_id = :s ORDER BY txid, id"
                ),
                {"k": kind, "s": str(world.competition_id)},
            )
        ]


def _log(world: World, path: str) -> list[Any]:
    with Session(world.engine) as s:
        mine = [e for e in endpoints.list_endpoints(s, caller=world.supplier) if e.url.endswith(path)]
        return deliveries.log(s, caller=world.supplier, endpoint_id=mine[0].id, limit=50)


def _verified(world: World, received: Any, path: str) -> bool:
    key = secrets.secret_bytes(world.secrets[path])
    return signing.verify(
        key,
        msg_id=received.headers["webhook-id"],
        timestamp=received.headers["webhook-timestamp"],
        signatures=received.headers["webhook-signature"],
        body=received.body,
        now=int(time.time()),
    )


def _about(world: World, received: list[Any]) -> list[Any]:
    """The requests about the open competition (the supplier may be invited to the demo's other one)."""
    return [
        r for r in received if json.loads(r.body)["data"].get("competition_id") == str(world.competition_id)
    ]


def test_webhooks_are_signed_retried_and_delivered_once(world: World, receiver: Any, smtp: Any) -> None:
    with running(world) as dispatcher:
        time.sleep(0.5)  # the demo's own events are fanned out: they predate the endpoints
        _amend(world, "Ensimmäinen muutos.")
        wait_for(lambda: len(_about(world, receiver.on("/healthy"))) == 1)
        assert dispatcher.is_leader
        first_healthy = _about(world, receiver.on("/healthy"))[0].at
        _amend(world, "Uusi kuvaus.")
        wait_for(lambda: len(_about(world, receiver.on("/healthy"))) == 2)
        wait_for(lambda: len(_about(world, receiver.on("/slow"))) == 2)
        wait_for(lambda: {d.state for d in _log(world, "/flaky")} == {"delivered"})
        wait_for(lambda: len(_log(world, "dead")[-1].log) >= 3)
        time.sleep(1.0)  # anything duplicated would arrive now
        healthy, slow = _about(world, receiver.on("/healthy")), _about(world, receiver.on("/slow"))
        everything = receiver.on("/healthy")

    amended = _event_ids(world, "competition.amended")
    # Endpoints hear of events from their registration on: the publication predates them.
    assert all(json.loads(r.body)["type"] != "competition.published" for r in everything)
    # Exactly once each, with the outbox's event id as the stable webhook id, in commit order.
    ids = [r.headers["webhook-id"] for r in everything]
    assert len(ids) == len(set(ids))
    assert [r.headers["webhook-id"] for r in healthy] == amended
    assert [json.loads(r.body)["type"] for r in healthy] == ["competition.amended", "competition.amended"]
    assert [r.headers["webhook-id"] for r in slow] == amended
    assert all(_verified(world, r, "/healthy") for r in healthy)
    assert not _verified(world, healthy[0], "/slow")  # another endpoint's secret does not verify it
    body = json.loads(healthy[0].body)
    assert body["data"] == {
        "competition_id": str(world.competition_id),
        "url": f"{BASE}/inbox/{world.competition_id}",
    }
    # The slow receiver (2.5 s per call) held only its own call: the healthy one had its event first.
    assert first_healthy < slow[0].at + 2.0
    # The flaky receiver answered 500 twice, then 200: three tries of the first event, backoff between.
    flaky_first = next(d for d in _log(world, "/flaky") if str(d.event_id) == amended[0])
    assert [a.status for a in flaky_first.log] == [500, 500, 200]
    gaps = [(b.at - a.at).total_seconds() for a, b in zip(flaky_first.log, flaky_first.log[1:], strict=False)]
    assert gaps[0] >= 0.3 and gaps[1] >= 0.6
    # The dead receiver: refused connections, still pending, each wait twice the one before.
    dead = _log(world, "dead")[-1]
    assert dead.state == "pending" and dead.last_status is None and "ConnectError" in (dead.last_error or "")
    waits = [(b.at - a.at).total_seconds() for a, b in zip(dead.log, dead.log[1:], strict=False)]
    assert len(waits) >= 2
    assert all(wait >= 0.3 * 2**n - 0.05 for n, wait in enumerate(waits))  # 0.3 s, 0.6 s, 1.2 s, ...


def test_email_goes_to_every_invitee_with_subject_and_link(world: World, smtp: Any) -> None:
    _port, messages = smtp
    link = f"{BASE}/inbox/{world.competition_id}"
    immediate = [b for b, _ in world.invitees[:1] + world.invitees[2:]]

    def invited() -> list[Any]:
        return [m for m in list(messages) if link in m[1].get_content()]

    with running(world):
        wait_for(lambda: len(invited()) == len(immediate))
        time.sleep(0.5)
    assert {m[1]["Subject"] for m in invited()} == {"Tarjouspyyntö / Invitation to tender"}
    addresses = sorted(to for tos, _ in invited() for to in tos)
    emails = dict(world.invitees)
    assert addresses == sorted(emails[b] for b in immediate)
    for _, message in invited():
        content = message.get_content()
        assert f"{BASE}/inbox/{world.competition_id}" in content
        assert message["From"] == "dpr@example.fi"
    # The supplier that chose a daily digest gets nothing now, and one message at the digest hour.
    daily_address = world.invitees[1][1]
    assert all(daily_address not in tos for tos, _ in messages)
    with Session(world.engine) as s:
        sent = mail.send_due(s, now=utc_now() + timedelta(days=1, hours=1), settings=world.settings)
        s.commit()
    assert sent >= 1
    digests = [m for tos, m in messages if tos == [daily_address]]
    assert len(digests) == 1 and digests[0]["Subject"].startswith("Päivän ilmoitukset / Today's notices")


def test_one_dispatcher_leads_and_another_takes_over_without_loss_or_duplicates(
    world: World, receiver: Any
) -> None:
    with running(world) as first:
        time.sleep(0.5)
        _amend(world, "Muutos.")
        wait_for(lambda: len(_about(world, receiver.on("/healthy"))) == 1)
        second = Dispatcher(url=world.settings.database_url or "", settings=world.settings)
        thread = threading.Thread(target=second.run, daemon=True)
        thread.start()
        time.sleep(0.5)
        assert first.is_leader and not second.is_leader
    # The first stopped (a restart): the second takes the lock and carries on from the committed position.
    try:
        wait_for(lambda: second.is_leader)
        with Session(world.engine) as s:
            asked = clarifications.ask(
                s,
                caller=world.supplier,
                competition_id=world.competition_id,
                question="Kysymys?",
                now=utc_now(),
            )
            clarifications.answer(
                s,
                caller=world.officer,
                competition_id=world.competition_id,
                question_id=asked.id,
                text="Vastaus.",
                now=utc_now(),
            )
            s.commit()
        wait_for(lambda: len(_about(world, receiver.on("/healthy"))) == 2)
        time.sleep(1.0)
    finally:
        second.stop()
        thread.join(timeout=30)
    kinds = [json.loads(r.body)["type"] for r in _about(world, receiver.on("/healthy"))]
    assert kinds == ["competition.amended", "competition.answer_published"]
    ids = [r.headers["webhook-id"] for r in receiver.on("/healthy")]
    assert len(ids) == len(set(ids))
