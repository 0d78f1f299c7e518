"""Questions answered before opening, and no competition published to nobody (SPEC 4.2)."""

from datetime import timedelta

from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import text
from sqlmodel import Session, select

from procurement.core.clock import helsinki_today, utc_now
from registry.models import Admission
from tests.factories.core import bearer
from tests.factories.minicompetition import (
    bid_body,
    competition_body,
    count,
    make_bidders,
    move_deadline,
    publish_competition,
)
from tests.factories.registry import make_ring_world


def test_a_question_asked_in_time_blocks_the_opening_until_it_is_answered(
    client: TestClient[Litestar], session: Session
) -> None:
    cw = publish_competition(client, session, bidders=3)
    cid = cw.competition_id
    asked = client.post(
        f"/competitions/{cid}/questions",
        json={"question": "Saako alihankkia?"},
        headers=cw.bidders[0].headers,
    )
    assert asked.status_code == 201, asked.text
    client.post(f"/competitions/{cid}/bids", json=bid_body(), headers=cw.bidders[1].headers)
    move_deadline(session, cid, from_now=timedelta(seconds=-1))
    blocked = client.post(f"/competitions/{cid}/open", headers=cw.officer)
    assert blocked.status_code == 409
    assert blocked.json()["unanswered"] == [asked.json()["id"]]
    assert "1 question asked in time is not answered" in blocked.json()["detail"]
    assert client.get(f"/competitions/{cid}", headers=cw.officer).json()["opened_at"] is None
    answered = client.post(
        f"/competitions/{cid}/questions/{asked.json()['id']}/answer",
        json={"answer": "Kyllä."},
        headers=cw.officer,
    )
    assert answered.status_code == 200, answered.text
    opened = client.post(f"/competitions/{cid}/open", headers=cw.officer)
    assert (opened.status_code, opened.json()["eligible"]) == (200, 1)


def test_only_an_invitee_in_good_standing_may_ask(client: TestClient[Litestar], session: Session) -> None:
    cw = publish_competition(client, session, bidders=3)
    admission = session.exec(
        select(Admission).where(Admission.supplier_id == cw.bidders[2].supplier.id)
    ).one()
    until = (helsinki_today(utc_now()) + timedelta(days=20)).isoformat()
    client.post(
        f"/admissions/{admission.id}/suspend",
        json={"until": until, "reason": "verovelkaa"},
        headers=cw.officer,
    )
    refused = client.post(
        f"/competitions/{cw.competition_id}/questions",
        json={"question": "Entä me?"},
        headers=cw.bidders[2].headers,
    )
    assert refused.status_code == 409
    assert refused.json()["detail"].startswith(
        "Only invitees in good standing may ask; your admission is suspended"
    )
    assert count(session, "question") == 0


def test_questions_close_at_least_three_days_before_the_tender_deadline(
    client: TestClient[Litestar], session: Session
) -> None:
    world = make_ring_world(session)
    make_bidders(session, world, count=3)
    officer = bearer(world.lead_officer)
    now = utc_now()
    late = competition_body(
        world,
        qa_deadline=(now + timedelta(days=12)).isoformat(),
        tender_deadline=(now + timedelta(days=14)).isoformat(),
    )
    draft = client.post("/competitions", json=late, headers=officer).json()
    refused = client.post(f"/competitions/{draft['id']}/publish", headers=officer)
    assert refused.status_code == 409  # the draft's stored deadlines, checked at publication
    assert refused.json()["field"] == "qa_deadline"
    assert "at least 3 days before the tender deadline" in refused.json()["detail"]
    assert client.get(f"/competitions/{draft['id']}", headers=officer).json()["state"] == "draft"


def test_publishing_to_nobody_is_refused_and_to_fewer_than_three_needs_a_recorded_confirmation(
    client: TestClient[Litestar], session: Session
) -> None:
    world = make_ring_world(session)
    officer = bearer(world.lead_officer)
    draft = client.post("/competitions", json=competition_body(world), headers=officer).json()
    nobody = client.post(f"/competitions/{draft['id']}/publish", headers=officer)
    assert (nobody.status_code, nobody.json()["invitees"]) == (409, 0)
    assert count(session, "invitation") == 0

    make_bidders(session, world, count=2)
    unconfirmed = client.post(f"/competitions/{draft['id']}/publish", headers=officer)
    assert (unconfirmed.status_code, unconfirmed.json()["invitees"]) == (409, 2)
    assert "confirm_few_invitees" in unconfirmed.json()["detail"]
    assert client.get(f"/competitions/{draft['id']}", headers=officer).json()["state"] == "draft"

    confirmed = client.post(
        f"/competitions/{draft['id']}/publish", json={"confirm_few_invitees": True}, headers=officer
    )
    assert confirmed.status_code == 200, confirmed.text
    public = client.get(f"/competitions/{draft['id']}").json()
    assert (public["state"], public["invitees"]) == ("published", 2)
    assert public["few_invitees_confirmed_at"] is not None
    audited = session.execute(
        text(
            "SELECT after->>'few_invitees_confirmed' FROM audit_record "
            "WHERE aggregate_id = :id AND action = 'competition.published'"
        ),
        {"id": draft["id"]},
    ).scalar_one()
    assert audited == "true"
