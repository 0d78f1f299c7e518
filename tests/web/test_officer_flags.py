"""What an officer must notice is said on the page: a claim of an outcome another contract was already
paid for, and a competition about to be published to fewer than three suppliers."""

from datetime import timedelta

from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import text
from sqlmodel import Session

from procurement.core.settings import Settings
from tests.factories.core import bearer
from tests.factories.minicompetition import competition_body, make_bidders
from tests.factories.payments import end, make_pay_world, months_ago, outcome, person, start
from tests.factories.registry import make_ring_world
from tests.web.helpers import sign_in

DUPLICATE = "Kaksoisvaatimus: sama tulos on jo vahvistettu toisella vaatimuksella"


def test_a_duplicate_claim_is_flagged_in_the_queue_and_on_both_sides(
    client: TestClient[Litestar], session: Session, settings: Settings
) -> None:
    pw = make_pay_world(session, settings=settings)
    day = months_ago(3).first_day
    who = person(session, pw, n=7, on=day)
    first, _ = start(session, pw, participant_id=who, supplier=0, on=day)
    end(session, pw, referral_id=first, supplier=0, on=day + timedelta(days=10))
    second, _ = start(session, pw, participant_id=who, supplier=1, on=day + timedelta(days=12))
    job = day + timedelta(days=20)
    outcome(session, pw, referral_id=first, supplier=0, event_type="employment_start", on=job)
    claim = client.post(
        f"/referrals/{second}/events",
        json={"event_type": "employment_start", "event_date": job.isoformat(), "evidence_sha256": "c" * 64},
        headers=pw.ow.supplier_parties[1].headers,
    )
    assert claim.status_code == 201 and claim.json()["duplicate_of"] is not None
    sign_in(client, pw.officer.token)
    start_page = client.get("/ui/officer").text
    assert start_page.count("kaksoisvaatimus") == 1
    assert DUPLICATE in client.get(f"/ui/referrals/{second}").text
    assert DUPLICATE not in client.get(f"/ui/referrals/{first}").text  # the paid claim is not flagged
    client.cookies.clear()
    sign_in(client, pw.ow.supplier_parties[1].token)
    assert DUPLICATE in client.get(f"/ui/supplier/referrals/{second}").text


def test_publishing_to_fewer_than_three_is_confirmed_and_recorded(
    client: TestClient[Litestar], session: Session
) -> None:
    world = make_ring_world(session)
    make_bidders(session, world, count=2)
    cid = client.post(
        "/competitions", json=competition_body(world), headers=bearer(world.lead_officer)
    ).json()["id"]
    csrf = sign_in(client, world.lead_officer)
    asked = client.post(f"/ui/competitions/{cid}/publish", data={"_csrf": csrf})
    assert asked.status_code == 200
    assert "Luokan 2 hyväksyttyä palveluntuottajaa kutsutaan nyt" in asked.text
    assert "Kutsuttavia palveluntuottajia on alle kolme" in asked.text
    assert 'name="confirm_few_invitees" value="1"' in asked.text  # carried by the confirmation
    assert (
        session.execute(text("SELECT state FROM competition WHERE id = :c"), {"c": cid}).scalar_one()
        == "draft"
    )
    done = client.post(
        f"/ui/competitions/{cid}/publish",
        data={"_csrf": csrf, "confirmed": "yes", "confirm_few_invitees": "1"},
    )
    assert done.status_code == 200 and 'id="state">julkaistu' in done.text
    row = session.execute(
        text(
            "SELECT state, few_invitees_confirmed_at IS NOT NULL AS confirmed FROM competition WHERE id = :c"
        ),
        {"c": cid},
    ).one()
    assert (row.state, row.confirmed) == ("published", True)
