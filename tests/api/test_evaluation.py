"""Evaluation through the HTTP API: quality scores, stored runs, each bidder's own result, the whole path.

The scenario is hand-solved. Lots LAHTI (demand 40, max 3000.00 €) and PH-YOUTH (demand 25); weights price
50 %, quality 20 %, outcome 30 %; at most 2 suppliers per lot, 60 % share, minimum 5.
LAHTI: A 85.2000 (rank 1), B 84.1000 (2), D 68.4643 (3), C over the maximum price. A+B serve all 40, and A
scores higher, so A 20 and B 20. PH-YOUTH: C 96.6000 (1), A 83.1667 (2), D 80.1744 (3): C 10 and A 15.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import text
from sqlmodel import Session

from tests.factories.core import bearer, make_token
from tests.factories.minicompetition import (
    Bidder,
    competition_body,
    count,
    make_bidders,
    move_deadline,
)
from tests.factories.registry import RingWorld, make_ring_world

RULES = {"max_suppliers_per_lot": 2, "max_share_bp": 6000, "min_allocation": 5}
# bidder index -> (lot, unit price cents, capacity, committed flow-through bp)
LINES: dict[int, list[tuple[str, int, int, int]]] = {
    0: [("LAHTI", 250_000, 20, 8000), ("PH-YOUTH", 240_000, 15, 7000)],
    1: [("LAHTI", 200_000, 30, 6000)],
    2: [("LAHTI", 310_000, 20, 9000), ("PH-YOUTH", 220_000, 10, 9000)],
    3: [("LAHTI", 280_000, 10, 5000), ("PH-YOUTH", 260_000, 20, 8000)],
}
# (bidder index, lot) -> (METHOD, EMPLOYERS) scores; q = (6000·METHOD + 4000·EMPLOYERS) / 10 000 half up
QUALITY: dict[tuple[int, str], tuple[int, int]] = {
    (0, "LAHTI"): (80, 70),
    (1, "LAHTI"): (60, 55),
    (2, "LAHTI"): (90, 90),
    (3, "LAHTI"): (75, 62),
    (0, "PH-YOUTH"): (70, 70),
    (2, "PH-YOUTH"): (85, 80),
    (3, "PH-YOUTH"): (60, 50),
}


@dataclass
class Opened:
    """An opened competition: its world, bidders, bid ids and lot ids by code."""

    world: RingWorld
    competition_id: str
    bidders: list[Bidder]
    bid_ids: list[str] = field(default_factory=list)
    lot_ids: dict[str, str] = field(default_factory=dict)

    @property
    def officer(self) -> dict[str, str]:
        return bearer(self.world.lead_officer)


def open_competition(
    client: TestClient[Litestar],
    session: Session,
    *,
    lines: dict[int, list[tuple[str, int, int, int]]] = LINES,
    before_opening: Callable[[Opened], None] | None = None,
    **overrides: Any,
) -> Opened:
    """Publish, bid in bidder order, pass the deadline and open; commits, for scratch databases."""
    world = make_ring_world(session)
    bidders = make_bidders(session, world, count=len(lines))
    session.commit()
    overrides.setdefault("allocation_rules", RULES)
    created = client.post(
        "/competitions", json=competition_body(world, **overrides), headers=bearer(world.lead_officer)
    )
    assert created.status_code == 201, created.text
    cid = created.json()["id"]
    confirm = {"confirm_few_invitees": True} if len(lines) < 3 else None
    published = client.post(f"/competitions/{cid}/publish", json=confirm, headers=bearer(world.lead_officer))
    assert published.status_code == 200, published.text
    out = Opened(world, cid, bidders, lot_ids={x["code"]: x["id"] for x in created.json()["lots"]})
    # Every announced sub-criterion is answered (a bid that leaves one unanswered is refused).
    criteria = overrides.get("quality_criteria", [{"code": "METHOD"}, {"code": "EMPLOYERS"}])
    answers = {c["code"]: f"Vastaus: {c['code']}." for c in criteria if c["code"] != "TRACK_RECORD"}
    for index, offered in sorted(lines.items()):
        body = {
            "lines": [
                {
                    "lot": lot,
                    "unit_price_cents": price,
                    "capacity": cap,
                    "committed_flow_through_bp": ft,
                    "quality_answers": answers,
                }
                for lot, price, cap, ft in offered
            ]
        }
        receipt = client.post(f"/competitions/{cid}/bids", json=body, headers=bidders[index].headers)
        assert receipt.status_code == 201, receipt.text
        out.bid_ids.append(receipt.json()["bid_id"])
    if before_opening is not None:
        before_opening(out)
    move_deadline(session, cid, from_now=timedelta(0))  # the clock reaches the deadline T
    session.commit()
    opened = client.post(f"/competitions/{cid}/open", headers=out.officer)
    assert opened.status_code == 200, opened.text
    return out


def score_all(
    client: TestClient[Litestar], opened: Opened, quality: dict[tuple[int, str], tuple[int, int]] = QUALITY
) -> dict[str, Any]:
    """Enter every METHOD and EMPLOYERS score as the buying officer."""
    scores = [
        {"bid_id": opened.bid_ids[i], "lot_id": opened.lot_ids[lot], "criterion": code, "score": value}
        for (i, lot), pair in quality.items()
        for code, value in zip(("METHOD", "EMPLOYERS"), pair, strict=True)
    ]
    response = client.put(
        f"/competitions/{opened.competition_id}/quality-scores",
        json={"scores": scores},
        headers=opened.officer,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def evaluate(client: TestClient[Litestar], opened: Opened) -> dict[str, Any]:
    """Run the evaluation as the buying officer."""
    response = client.post(f"/competitions/{opened.competition_id}/evaluation-runs", headers=opened.officer)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _own(client: TestClient[Litestar], opened: Opened, index: int) -> dict[str, dict[str, Any]]:
    response = client.get(
        f"/competitions/{opened.competition_id}/my-result", headers=opened.bidders[index].headers
    )
    assert response.status_code == 200, response.text
    lines = response.json()["lines"]
    assert {x["business_id"] for x in lines} == {opened.bidders[index].supplier.business_id}
    return {x["lot"]: x for x in lines}


def test_full_path_from_opening_to_contracts(client: TestClient[Litestar], session: Session) -> None:
    o = open_competition(client, session)
    cid = o.competition_id

    # Quality: q is the weighted average of the sub-criteria, rounded half up (69.8 → 70).
    table = score_all(client, o)
    q = {(x["supplier_name"], x["lot"]): (x["quality"], x["missing"]) for x in table["lines"]}
    assert q[("Valmennus 1 Oy", "LAHTI")] == (76, [])
    assert q[("Valmennus 4 Oy", "LAHTI")] == (70, [])
    assert q[("Valmennus 3 Oy", "PH-YOUTH")] == (83, [])

    first = evaluate(client, o)
    assert (first["seq"], first["status"], first["solver"]) == (1, "optimal", "HiGHS")
    assert first["objective"]["participants_served"] == 65
    assert first["budget_used_cents"] == 14_800_000
    assert [(x["lot"], x["allocated"], x["unmet_demand"]) for x in first["lots"]] == [
        ("LAHTI", 40, 0),
        ("PH-YOUTH", 25, 0),
    ]
    assert client.get(f"/competitions/{cid}", headers=o.officer).json()["state"] == "evaluated"

    # Each bidder reads its own lines only: scores, rank, allocation, reason sentence.
    a, b, c, d = (_own(client, o, i) for i in range(4))
    assert (a["LAHTI"]["rank"], a["LAHTI"]["total_points"], a["LAHTI"]["allocated"]) == (1, "85.2000", 20)
    assert (a["LAHTI"]["price_score"], a["LAHTI"]["quality_score"], a["LAHTI"]["outcome_score"]) == (
        800_000,
        760_000,
        1_000_000,
    )
    assert (a["PH-YOUTH"]["rank"], a["PH-YOUTH"]["total_points"], a["PH-YOUTH"]["allocated"]) == (
        2,
        "83.1667",
        15,
    )
    assert (b["LAHTI"]["rank"], b["LAHTI"]["total_points"], b["LAHTI"]["allocated"]) == (2, "84.1000", 20)
    assert (c["LAHTI"]["admissible"], c["LAHTI"]["reason_code"], c["LAHTI"]["reason"]) == (
        False,
        "over_max_price",
        "over the lot's maximum unit price: 3100.00 € exceeds the maximum 3000.00 € of lot LAHTI",
    )
    assert (c["PH-YOUTH"]["rank"], c["PH-YOUTH"]["allocated"]) == (1, 10)
    assert (d["LAHTI"]["rank"], d["LAHTI"]["total_points"], d["LAHTI"]["allocated"]) == (3, "68.4643", 0)
    assert (
        d["LAHTI"]["reason"]
        == "outscored: rank 3 of 3 in lot LAHTI, the lot's limit of 2 suppliers was reached"
    )
    assert d["PH-YOUTH"]["reason"] == (
        "outscored: rank 3 of 3 in lot PH-YOUTH, the lot's limit of 2 suppliers was reached"
    )
    assert d["PH-YOUTH"]["awarded"] is None

    # Repeatable until the award: runs are numbered 1, 2 and both stay stored.
    second = evaluate(client, o)
    runs = client.get(f"/competitions/{cid}/evaluation-runs", headers=o.officer).json()
    assert [(r["seq"], r["status"], r["awarded"]) for r in runs] == [
        (1, "optimal", False),
        (2, "optimal", False),
    ]
    assert runs[0]["input_sha256"] == runs[1]["input_sha256"]
    assert count(session, "evaluation_run") == 2

    # Price to win of D's losing PH-YOUTH line: it wins at 2428.25 € (score 80.1744 → above A's 83.1667).
    # Before the award only the buying officers see it; D itself reads it once the award is issued.
    ask = {"bid_id": o.bid_ids[3], "lot_id": o.lot_ids["PH-YOUTH"]}
    early = client.post(
        f"/evaluation-runs/{second['id']}/price-to-win", json=ask, headers=o.bidders[3].headers
    )
    assert early.status_code == 409
    assert "once the award decision" in early.json()["detail"]
    ptw = client.post(f"/evaluation-runs/{second['id']}/price-to-win", json=ask, headers=o.officer)
    assert ptw.status_code == 200, ptw.text
    assert (ptw.json()["unit_price_cents"], ptw.json()["price_to_win_cents"]) == (260_000, 242_825)
    assert _own(client, o, 3)["PH-YOUTH"]["price_to_win"] is None

    # Award on run 2, overriding PH-YOUTH to C and D with a reason.
    reason = "A:n nuorisovalmentajat eivät ole käytettävissä Heinolassa; D:n tarjous kattaa alueen."
    awarded = client.post(
        f"/competitions/{cid}/award",
        json={
            "evaluation_run_id": second["id"],
            "overrides": [
                {
                    "lot_id": o.lot_ids["PH-YOUTH"],
                    "reason": reason,
                    "allocations": [
                        {"bid_id": o.bid_ids[2], "volume": 10},
                        {"bid_id": o.bid_ids[3], "volume": 15},
                    ],
                }
            ],
        },
        headers=o.officer,
    )
    assert awarded.status_code == 200, awarded.text
    decision = awarded.json()
    assert decision["status"] == "standstill"
    assert decision["appeal_instructions"].startswith("Muutoksenhakuohje")
    lots = {x["lot"]: x for x in decision["lots"]}
    assert sorted(
        (w["supplier_name"], w["volume"], w["unit_price_cents"]) for w in lots["LAHTI"]["winners"]
    ) == [
        ("Valmennus 1 Oy", 20, 250_000),
        ("Valmennus 2 Oy", 20, 200_000),
    ]
    assert (lots["LAHTI"]["overridden"], lots["PH-YOUTH"]["overridden"]) == (False, True)
    assert lots["PH-YOUTH"]["override_reason"] == reason
    assert sorted((w["supplier_name"], w["volume"]) for w in lots["PH-YOUTH"]["winners"]) == [
        ("Valmennus 3 Oy", 10),
        ("Valmennus 4 Oy", 15),
    ]
    assert decision["total_value_cents"] == 5_000_000 + 4_000_000 + 2_200_000 + 3_900_000
    stored = session.execute(
        text("SELECT standstill_ends_at - issued_at FROM award_decision WHERE competition_id = :id"),
        {"id": cid},
    ).scalar_one()
    assert stored == timedelta(days=14)
    d_after = _own(client, o, 3)
    assert (d_after["PH-YOUTH"]["allocated"], d_after["PH-YOUTH"]["awarded"]) == (0, 15)
    assert d_after["PH-YOUTH"]["override_reason"] == reason
    assert d_after["PH-YOUTH"]["price_to_win"]["price_to_win_cents"] == 242_825
    late = client.post(
        f"/evaluation-runs/{second['id']}/price-to-win", json=ask, headers=o.bidders[3].headers
    )
    assert (late.status_code, late.json()["price_to_win_cents"]) == (200, 242_825)
    assert (_own(client, o, 0)["PH-YOUTH"]["awarded"], _own(client, o, 0)["LAHTI"]["awarded"]) == (0, 20)

    # The standstill refuses contracts, naming its end in Helsinki time.
    early = client.post(f"/competitions/{cid}/contracts", headers=o.officer)
    assert early.status_code == 409
    assert early.json()["detail"].startswith("The standstill runs until ")
    assert decision["standstill_ends_local"] in early.json()["detail"]
    assert "Europe/Helsinki" in early.json()["detail"]

    # Time passes: the standstill ends.
    session.execute(
        text(
            "UPDATE award_decision SET issued_at = issued_at - interval '15 days', "
            "standstill_ends_at = standstill_ends_at - interval '15 days' WHERE competition_id = :id"
        ),
        {"id": cid},
    )
    assert client.get(f"/competitions/{cid}/award").json()["status"] == "final"
    concluded = client.post(f"/competitions/{cid}/contracts", headers=o.officer)
    assert concluded.status_code == 200, concluded.text
    contracts = {x["supplier_name"]: x for x in concluded.json()}
    assert {
        name: (
            x["value_ceiling_cents"],
            [(lot["lot"], lot["volume"], lot["unit_price_cents"]) for lot in x["lots"]],
        )
        for name, x in contracts.items()
    } == {
        "Valmennus 1 Oy": (5_000_000, [("LAHTI", 20, 250_000)]),
        "Valmennus 2 Oy": (4_000_000, [("LAHTI", 20, 200_000)]),
        "Valmennus 3 Oy": (2_200_000, [("PH-YOUTH", 10, 220_000)]),
        "Valmennus 4 Oy": (3_900_000, [("PH-YOUTH", 15, 260_000)]),
    }
    d_contract = contracts["Valmennus 4 Oy"]
    assert d_contract["lots"][0]["municipality_codes"] == ["098", "111"]
    assert d_contract["lots"][0]["target_group"] == "youth"
    assert (d_contract["category"], d_contract["authority_id"], d_contract["state"]) == (
        "EMPLOYMENT",
        str(o.world.lead_id),
        "active",
    )
    terms = client.get(f"/competitions/{cid}").json()
    assert terms["state"] == "concluded"
    assert d_contract["payment_model"] == terms["payment_model"]

    # A later change to the competition never changes a contract.
    session.execute(text("UPDATE competition SET payment_model = '{}'::jsonb WHERE id = :id"), {"id": cid})
    again = client.get(f"/contracts/{d_contract['id']}", headers=o.officer).json()
    assert again["payment_model"]["components"][0] == {"code": "start", "share_bp": 3000}
    actions = (
        session.execute(
            text(
                "SELECT action FROM audit_record "
                "WHERE aggregate_id = :id AND action LIKE 'competition.%' ORDER BY seq"
            ),
            {"id": cid},
        )
        .scalars()
        .all()
    )
    assert actions[-4:] == [
        "competition.evaluated",
        "competition.evaluated",
        "competition.awarded",
        "competition.concluded",
    ]


def test_scores_refused_before_opening_and_incomplete_lines_are_reported(
    client: TestClient[Litestar], session: Session
) -> None:
    world = make_ring_world(session)
    bidders = make_bidders(session, world, count=1)
    created = client.post(
        "/competitions", json=competition_body(world), headers=bearer(world.lead_officer)
    ).json()
    cid = created["id"]
    published = client.post(
        f"/competitions/{cid}/publish",
        json={"confirm_few_invitees": True},
        headers=bearer(world.lead_officer),
    )
    assert published.status_code == 200, published.text
    bid = client.post(
        f"/competitions/{cid}/bids",
        json={
            "lines": [
                {
                    "lot": "LAHTI",
                    "unit_price_cents": 200_000,
                    "capacity": 20,
                    "committed_flow_through_bp": 7000,
                    "quality_answers": {"METHOD": "Ryhmävalmennus.", "EMPLOYERS": "12 yritystä."},
                }
            ]
        },
        headers=bidders[0].headers,
    ).json()
    score = {"bid_id": bid["bid_id"], "lot_id": created["lots"][0]["id"], "criterion": "METHOD", "score": 90}
    early = client.put(
        f"/competitions/{cid}/quality-scores", json={"scores": [score]}, headers=bearer(world.lead_officer)
    )
    assert early.status_code == 409
    assert early.json()["current_state"] == "published"
    assert early.json()["detail"].startswith("The competition is 'published'")
    early_run = client.post(f"/competitions/{cid}/evaluation-runs", headers=bearer(world.lead_officer))
    assert (early_run.status_code, early_run.json()["current_state"]) == (409, "published")

    move_deadline(session, cid, from_now=timedelta(seconds=-1))
    client.post(f"/competitions/{cid}/open", headers=bearer(world.lead_officer))
    entered = client.put(
        f"/competitions/{cid}/quality-scores", json={"scores": [score]}, headers=bearer(world.lead_officer)
    )
    assert entered.status_code == 200
    assert [(x["scores"], x["missing"], x["quality"]) for x in entered.json()["lines"]] == [
        ({"METHOD": 90}, ["EMPLOYERS"], None)
    ]
    unknown = client.put(
        f"/competitions/{cid}/quality-scores",
        json={"scores": [dict(score, criterion="PRICE")]},
        headers=bearer(world.lead_officer),
    )
    assert (unknown.status_code, unknown.json()["errors"][0]["field"]) == (422, "scores[0].criterion")
    out_of_range = client.put(
        f"/competitions/{cid}/quality-scores",
        json={"scores": [dict(score, score=101)]},
        headers=bearer(world.lead_officer),
    )
    assert out_of_range.status_code == 422
    # A supplier and another authority's officer may not score.
    assert (
        client.put(
            f"/competitions/{cid}/quality-scores", json={"scores": [score]}, headers=bidders[0].headers
        ).status_code
        == 403
    )
    other = make_token(session, role="officer", authority_id=world.member_id)
    assert client.get(f"/competitions/{cid}/quality-scores", headers=bearer(other)).status_code == 403

    # A run is refused while an admissible line lacks a score (never run with the line made inadmissible).
    refused = client.post(f"/competitions/{cid}/evaluation-runs", headers=bearer(world.lead_officer))
    assert refused.status_code == 409
    assert refused.json()["lines"] == [
        {
            "bid_id": bid["bid_id"],
            "lot_id": created["lots"][0]["id"],
            "lot": "LAHTI",
            "supplier_name": "Valmennus 1 Oy",
            "missing": ["EMPLOYERS"],
        }
    ]
    assert count(session, "evaluation_run") == 0
