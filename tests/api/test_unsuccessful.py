"""A competition without an admissible bid or a winner ends 'unsuccessful' with its reason, never awarded."""

from datetime import timedelta

from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import text
from sqlmodel import Session

from tests.api.test_evaluation import evaluate, open_competition, score_all
from tests.factories.minicompetition import count, move_deadline, publish_competition

OVER_MAX = {
    0: [("LAHTI", 310_000, 20, 8000)],
    1: [("LAHTI", 320_000, 20, 8000)],
    2: [("LAHTI", 330_000, 20, 8000)],
}


def test_no_bid_at_the_deadline_ends_the_competition_unsuccessful_at_opening(
    client: TestClient[Litestar], session: Session
) -> None:
    cw = publish_competition(client, session, bidders=3)
    move_deadline(session, cw.competition_id, from_now=timedelta(seconds=-1))
    opened = client.post(f"/competitions/{cw.competition_id}/open", headers=cw.officer)
    assert opened.status_code == 200, opened.text
    assert (opened.json()["state"], opened.json()["unsuccessful_reason"]) == (
        "unsuccessful",
        "no admissible bid: no bid was received by the tender deadline",
    )
    public = client.get(f"/competitions/{cw.competition_id}").json()
    assert (public["state"], public["unsuccessful_reason"]) == (
        "unsuccessful",
        "no admissible bid: no bid was received by the tender deadline",
    )
    run = client.post(f"/competitions/{cw.competition_id}/evaluation-runs", headers=cw.officer)
    assert (run.status_code, run.json()["current_state"]) == (409, "unsuccessful")


def test_every_line_inadmissible_ends_the_competition_unsuccessful_at_the_evaluation(
    client: TestClient[Litestar], session: Session
) -> None:
    o = open_competition(client, session, lines=OVER_MAX)  # every price over LAHTI's maximum 3 000 €
    run = evaluate(client, o)
    assert {x["reason_code"] for x in run["lines"]} == {"over_max_price"}
    competition = client.get(f"/competitions/{o.competition_id}").json()
    assert competition["state"] == "unsuccessful"
    assert competition["unsuccessful_reason"].startswith(
        "no admissible bid: over the lot's maximum unit price"
    )
    award = client.post(
        f"/competitions/{o.competition_id}/award", json={"evaluation_run_id": run["id"]}, headers=o.officer
    )
    assert (award.status_code, award.json()["current_state"]) == (409, "unsuccessful")
    assert count(session, "award_decision") == 0


def test_no_winner_after_overrides_is_never_an_award_and_ends_unsuccessful_with_the_reason(
    client: TestClient[Litestar], session: Session
) -> None:
    o = open_competition(client, session)
    score_all(client, o)
    run = evaluate(client, o)
    nobody = [
        {"lot_id": lot_id, "reason": "Kukaan ei täytä ehtoja.", "allocations": []}
        for lot_id in o.lot_ids.values()
    ]
    refused = client.post(
        f"/competitions/{o.competition_id}/award",
        json={"evaluation_run_id": run["id"], "overrides": nobody},
        headers=o.officer,
    )
    assert refused.status_code == 409
    assert refused.json()["title"] == "Award without a winner"
    assert count(session, "award_decision") == 0
    reason = "Kaikkien voittajien todistukset vanhentuivat; hankinta keskeytyy ilman voittajaa."
    ended = client.post(
        f"/competitions/{o.competition_id}/unsuccessful", json={"reason": reason}, headers=o.officer
    )
    assert ended.status_code == 200, ended.text
    assert (ended.json()["state"], ended.json()["unsuccessful_reason"]) == (
        "unsuccessful",
        f"no winner: {reason}",
    )
    assert client.get(f"/competitions/{o.competition_id}").json()["state"] == "unsuccessful"
    contracts = client.post(f"/competitions/{o.competition_id}/contracts", headers=o.officer)
    assert contracts.status_code == 409
    assert count(session, "contract") == 0
    audited = session.execute(
        text(
            "SELECT after->>'reason' FROM audit_record "
            "WHERE aggregate_id = :id AND action = 'competition.unsuccessful'"
        ),
        {"id": o.competition_id},
    ).scalar_one()
    assert audited == f"no winner: {reason}"
