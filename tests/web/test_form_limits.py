"""Forms over a column's limit or with a control character are pages that say so (422), never a 500 as
raw JSON, and they change nothing."""

from datetime import timedelta

from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import text
from sqlmodel import Session

from procurement.core.clock import utc_now
from procurement.core.settings import Settings
from tests.factories.minicompetition import count, publish_competition
from tests.factories.payments import make_pay_world, outcome, person, start
from tests.web.helpers import sign_in


def _refused_page(response: object, field: str) -> None:
    status = response.status_code  # type: ignore[attr-defined]
    body = response.text  # type: ignore[attr-defined]
    assert status == 422, body[:300]
    assert response.headers["content-type"].startswith("text/html")  # type: ignore[attr-defined]
    assert "Internal error" not in body and "problems/" not in body
    assert field in body


def test_an_answer_over_8000_characters_is_a_page_not_a_500(
    client: TestClient[Litestar], session: Session
) -> None:
    published = publish_competition(client, session)
    asked = client.post(
        f"/competitions/{published.competition_id}/questions",
        json={"question": "Saako etätapaamisia olla?"},
        headers=published.bidders[0].headers,
    ).json()
    csrf = sign_in(client, published.world.lead_officer)
    url = f"/ui/competitions/{published.competition_id}/questions/{asked['id']}/answer"
    refused = client.post(url, data={"_csrf": csrf, "answer": "a" * 8001})
    _refused_page(refused, "8 000")  # the limit as a Finn writes it
    nul = client.post(url, data={"_csrf": csrf, "answer": "Kyllä\u0000"})
    _refused_page(nul, "answer")
    stored = session.execute(
        text("SELECT answer FROM question WHERE id = :i"), {"i": asked["id"]}
    ).scalar_one()
    assert stored is None
    assert client.post(url, data={"_csrf": csrf, "answer": "a" * 8000}).status_code == 200


def test_a_rejection_reason_over_2000_characters_is_a_page_not_a_500(
    client: TestClient[Litestar], session: Session, settings: Settings
) -> None:
    pw = make_pay_world(session, settings=settings)
    day = utc_now().date() - timedelta(days=20)
    referral, _ = start(session, pw, participant_id=person(session, pw, n=71, on=day), on=day)
    event = outcome(session, pw, referral_id=referral, event_type="employment_start", on=day, verify=False)
    csrf = sign_in(client, pw.officer.token)
    before = count(session, "audit_record")
    refused = client.post(f"/ui/outcome-events/{event}/reject", data={"_csrf": csrf, "reason": "r" * 2001})
    _refused_page(refused, "2000")
    assert count(session, "audit_record") == before
    state = session.execute(text("SELECT state FROM outcome_event WHERE id = :i"), {"i": event}).scalar_one()
    assert state == "reported"
