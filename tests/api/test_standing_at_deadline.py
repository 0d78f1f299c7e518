"""Eligibility is decided as of the tender deadline T from the admission history, whenever opening runs.

SPEC 4.1/4.2: a supplier suspended at T is ineligible even if its suspension has lapsed by the time an
officer opens; one suspended after T keeps its place; lifting a suspension never rewrites what was. The
evaluation uses opening's answer.
"""

from datetime import timedelta

from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import text
from sqlmodel import Session, select

from procurement.core.clock import helsinki_today, utc_now
from registry.models import Admission
from tests.factories.clock import shift_clocks
from tests.factories.minicompetition import CompetitionWorld, bid_body, move_deadline, publish_competition

DAY = 86_400


def _admission_id(session: Session, cw: CompetitionWorld, index: int) -> str:
    admission = session.exec(
        select(Admission).where(Admission.supplier_id == cw.bidders[index].supplier.id)
    ).one()
    return str(admission.id)


def _bid_all(client: TestClient[Litestar], cw: CompetitionWorld) -> list[str]:
    ids = []
    for bidder in cw.bidders:
        receipt = client.post(
            f"/competitions/{cw.competition_id}/bids", json=bid_body(), headers=bidder.headers
        )
        assert receipt.status_code == 201, receipt.text
        ids.append(receipt.json()["bid_id"])
    return ids


def test_a_suspension_at_the_deadline_counts_even_when_it_has_lapsed_by_the_opening(
    client: TestClient[Litestar], session: Session
) -> None:
    cw = publish_competition(client, session, bidders=3)
    bids = _bid_all(client, cw)
    until = helsinki_today(utc_now()) + timedelta(days=1)
    suspended = client.post(
        f"/admissions/{_admission_id(session, cw, 1)}/suspend",
        json={"until": until.isoformat(), "reason": "verovelkaa"},
        headers=cw.officer,
    )
    assert suspended.status_code == 200, suspended.text
    move_deadline(session, cw.competition_id, from_now=timedelta(minutes=1))  # T: during the suspension
    shift_clocks(client, session, seconds=4 * DAY)  # the officer opens four days later: it has lapsed
    opened = client.post(f"/competitions/{cw.competition_id}/open", headers=cw.officer)
    assert opened.status_code == 200, opened.text
    states = {x["bid_id"]: (x["state"], x["ineligibility_reason"]) for x in opened.json()["bids"]}
    assert states[bids[1]] == (
        "ineligible",
        f"supplier no longer eligible in the category: suspended until {until.isoformat()}: verovelkaa",
    )
    assert (states[bids[0]][0], states[bids[2]][0]) == ("eligible", "eligible")


def test_a_suspension_an_hour_after_the_deadline_leaves_the_bid_eligible_and_evaluated(
    client: TestClient[Litestar], session: Session
) -> None:
    cw = publish_competition(client, session, bidders=3)
    bids = _bid_all(client, cw)
    move_deadline(session, cw.competition_id, from_now=timedelta(0))  # T is now
    shift_clocks(client, session, seconds=3600)  # an hour later the supplier is suspended, then bids open
    suspended = client.post(
        f"/admissions/{_admission_id(session, cw, 2)}/suspend",
        json={"until": (helsinki_today(utc_now()) + timedelta(days=30)).isoformat(), "reason": "vakuutus"},
        headers=cw.officer,
    )
    assert suspended.status_code == 200, suspended.text
    opened = client.post(f"/competitions/{cw.competition_id}/open", headers=cw.officer)
    assert opened.status_code == 200, opened.text
    assert {x["bid_id"]: x["state"] for x in opened.json()["bids"]} == {b: "eligible" for b in bids}
    # The evaluation uses the same answer: the line is admissible, never re-decided by today's standing.
    lines = session.execute(
        text("SELECT count(*) FROM bid_line WHERE bid_id = :id"), {"id": bids[2]}
    ).scalar_one()
    assert lines == 1


def test_lifting_a_suspension_keeps_its_interval_in_the_admission_history(
    client: TestClient[Litestar], session: Session
) -> None:
    cw = publish_competition(client, session, bidders=3)
    admission_id = _admission_id(session, cw, 0)
    until = (helsinki_today(utc_now()) + timedelta(days=10)).isoformat()
    client.post(
        f"/admissions/{admission_id}/suspend",
        json={"until": until, "reason": "verovelkaa"},
        headers=cw.officer,
    )
    lifted = client.post(f"/admissions/{admission_id}/lift", json={"reason": "maksettu"}, headers=cw.officer)
    assert lifted.status_code == 200, lifted.text
    history = client.get(f"/admissions/{admission_id}/history", headers=cw.officer)
    assert history.status_code == 200, history.text
    rows = history.json()
    assert [(x["state"], x["suspended_until"], x["reason"]) for x in rows] == [
        ("active", None, None),
        ("suspended", until, "verovelkaa"),
        ("active", None, "maksettu"),
    ]
    # Each interval ends where the next begins; only the last is open.
    assert [x["valid_to"] for x in rows[:-1]] == [x["valid_from"] for x in rows[1:]]
    assert rows[-1]["valid_to"] is None
    other_ring = client.get(f"/admissions/{admission_id}/history", headers=cw.bidders[0].headers)
    assert other_ring.status_code == 403
