"""Evaluation and award at the edges, through the API: every line scored, ties, limits, price to win."""

from typing import Any

from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import text
from sqlmodel import Session

from tests.api.test_evaluation import Opened, evaluate, open_competition, score_all
from tests.factories.minicompetition import count

ONE_LOT = [{"code": "LAHTI", "municipality_codes": ["398"], "target_group": "general", "demand": 6}]


def _scores(o: Opened, points: int = 80) -> dict[tuple[int, str], tuple[int, int]]:
    return {(i, "LAHTI"): (points, points) for i in range(len(o.bid_ids))}


def test_a_run_is_refused_while_an_admissible_line_lacks_its_score_naming_each(
    client: TestClient[Litestar], session: Session
) -> None:
    o = open_competition(client, session)
    # C's LAHTI line is over the lot's maximum price: inadmissible, it needs no score. B's line is unscored.
    quality = {
        (0, "LAHTI"): (80, 70),
        (0, "PH-YOUTH"): (70, 70),
        (2, "PH-YOUTH"): (85, 80),
        (3, "LAHTI"): (75, 62),
        (3, "PH-YOUTH"): (60, 50),
    }
    score_all(client, o, quality)
    refused = client.post(f"/competitions/{o.competition_id}/evaluation-runs", headers=o.officer)
    assert refused.status_code == 409, refused.text
    assert refused.json()["title"] == "Quality scores missing"
    assert [(x["supplier_name"], x["lot"], x["missing"]) for x in refused.json()["lines"]] == [
        ("Valmennus 2 Oy", "LAHTI", ["METHOD", "EMPLOYERS"])
    ]
    assert count(session, "evaluation_run") == 0
    assert client.get(f"/competitions/{o.competition_id}", headers=o.officer).json()["state"] == "opened"


def test_equal_scores_are_served_strictly_in_receipt_order(
    client: TestClient[Litestar], session: Session
) -> None:
    # A, B and C score the same (price weighs nothing). Six participants need two suppliers; A+B (3+3) costs
    # 5 100 € over the 5 000 € budget. The earliest receipt, A, gets its most (3); then B as much as the rest
    # allows (0, since A 3 + B 3 is over budget); then C 3. A weighted sum would give A 2, B 4, C 0.
    o = open_competition(
        client,
        session,
        lines={
            0: [("LAHTI", 100_000, 3, 5000)],
            1: [("LAHTI", 70_000, 4, 5000)],
            2: [("LAHTI", 50_000, 3, 5000)],
        },
        lots=ONE_LOT,
        budget_cents=500_000,
        weights={"price_bp": 0, "quality_bp": 5000, "outcome_bp": 5000},
        allocation_rules={"max_suppliers_per_lot": 2, "max_share_bp": 10_000, "min_allocation": 2},
    )
    score_all(client, o, _scores(o))
    run = evaluate(client, o)
    assert {x["bid_id"]: x["allocated"] for x in run["lines"]} == {
        o.bid_ids[0]: 3,
        o.bid_ids[1]: 0,
        o.bid_ids[2]: 3,
    }
    assert len({x["total_score"] for x in run["lines"]}) == 1


def test_a_line_allocated_less_than_it_offered_and_a_short_lot_name_their_limit(
    client: TestClient[Litestar], session: Session
) -> None:
    o = open_competition(
        client,
        session,
        lines={
            0: [("LAHTI", 100_000, 10, 5000)],
            1: [("LAHTI", 120_000, 10, 5000)],
            2: [("LAHTI", 90_000, 1, 5000)],
        },
        lots=[dict(ONE_LOT[0], demand=12)],
        budget_cents=900_000,
        allocation_rules={"max_suppliers_per_lot": 2, "max_share_bp": 5_000, "min_allocation": 2},
    )
    score_all(client, o, _scores(o))
    run = evaluate(client, o)
    rows = {x["bid_id"]: x for x in run["lines"]}
    a, b = rows[o.bid_ids[0]], rows[o.bid_ids[1]]
    # The share cap (50 % of 12) holds A to 6; the budget then leaves B 2 of its 10 (6 000 + 2 400 €).
    assert (a["allocated"], a["limit_code"]) == (6, "share_cap")
    assert a["limit"].startswith("6 of the 10 participants offered: share cap: one supplier gets at most 6")
    assert (b["allocated"], b["limit_code"]) == (2, "budget")
    lot = run["lots"][0]
    assert (lot["unmet_demand"], lot["unmet_reason_code"]) == (4, "budget")
    assert lot["unmet_reason"].startswith(
        "4 of lot LAHTI's 12 participants are unmet: the budget is exhausted"
    )


def test_prices_to_win_are_computed_once_at_the_award_and_shown_to_a_bidder_only_then(
    client: TestClient[Litestar], session: Session
) -> None:
    o = open_competition(client, session)
    score_all(client, o)
    run = evaluate(client, o)
    d = o.bidders[3].headers
    my_result = f"/competitions/{o.competition_id}/my-result"
    ask = {"bid_id": o.bid_ids[3], "lot_id": o.lot_ids["PH-YOUTH"]}
    before = client.post(f"/evaluation-runs/{run['id']}/price-to-win", json=ask, headers=d)
    assert before.status_code == 409
    assert [x["price_to_win"] for x in client.get(my_result, headers=d).json()["lines"]] == [None, None]
    assert session.execute(text("SELECT price_to_win FROM evaluation_run")).scalar_one() == {}

    awarded = client.post(
        f"/competitions/{o.competition_id}/award", json={"evaluation_run_id": run["id"]}, headers=o.officer
    )
    assert awarded.status_code == 200, awarded.text
    stored: dict[str, Any] = session.execute(text("SELECT price_to_win FROM evaluation_run")).scalar_one()
    # Every losing admissible line has its price (D in both lots), computed in the award's transaction.
    assert sorted(stored) == [f"LAHTI/{o.bid_ids[3]}", f"PH-YOUTH/{o.bid_ids[3]}"]
    assert stored[f"PH-YOUTH/{o.bid_ids[3]}"]["price_cents"] == 242_825
    own = {x["lot"]: x["price_to_win"] for x in client.get(my_result, headers=d).json()["lines"]}
    assert (own["LAHTI"]["price_to_win_cents"], own["PH-YOUTH"]["price_to_win_cents"]) == (None, 242_825)
    # Reading it recomputes nothing: the answer is the stored entry, computed at the award.
    read = client.get(f"/evaluation-runs/{run['id']}/price-to-win", params=ask, headers=d)
    assert read.json()["computed_at"] == own["PH-YOUTH"]["computed_at"]
    audits = session.execute(
        text("SELECT count(*) FROM audit_record WHERE action LIKE 'evaluation.price%'")
    ).scalar_one()
    assert audits == 1


def test_a_line_the_award_had_no_time_for_is_computed_once_on_its_first_read_after_the_award(
    client: TestClient[Litestar], session: Session
) -> None:
    o = open_competition(client, session)
    score_all(client, o)
    run = evaluate(client, o)
    client.app.state.settings.price_to_win_award_budget_s = 0.0  # the award starts no line
    awarded = client.post(
        f"/competitions/{o.competition_id}/award", json={"evaluation_run_id": run["id"]}, headers=o.officer
    )
    assert awarded.status_code == 200, awarded.text
    assert session.execute(text("SELECT price_to_win FROM evaluation_run")).scalar_one() == {}
    ask = {"bid_id": o.bid_ids[3], "lot_id": o.lot_ids["PH-YOUTH"]}
    first = client.get(f"/evaluation-runs/{run['id']}/price-to-win", params=ask, headers=o.bidders[3].headers)
    assert (first.status_code, first.json()["price_to_win_cents"]) == (200, 242_825)
    again = client.get(f"/evaluation-runs/{run['id']}/price-to-win", params=ask, headers=o.bidders[3].headers)
    assert again.json() == first.json()
    computed = session.execute(
        text("SELECT count(*) FROM audit_record WHERE action = 'evaluation.price_to_win'")
    ).scalar_one()
    assert computed == 1
