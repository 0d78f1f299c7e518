"""The economic model over HTTP (SPEC 4.8): liability configuration, a draft's forecast, publication."""

from typing import Any

from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import text
from sqlmodel import Session

from tests.factories.core import bearer
from tests.factories.minicompetition import competition_body, make_bidders
from tests.factories.registry import RingWorld, make_ring_world

G1_LOT = {
    "code": "LAHTI",
    "municipality_codes": ["398"],
    "target_group": "long_term_unemployed",
    "demand": 100,
    "max_unit_price_cents": 80_000,
}
# The golden case G1 of tests/unit/test_economics_golden.py, stated as a draft's assumptions.
G1_ASSUMPTIONS = {
    "tier_mix_bp": {"T1": 0, "T2": 5000, "T3": 0, "T4": 5000},
    "partial_work_ability_bp": 0,
    "rates_bp": {"outcome_a": 4000, "outcome_b": 3000, "outcome_c": 2000, "flow_through": 8000},
}
RATES = {
    "effective_from": "2026-01-01",
    "shares_bp": {"T1": 0, "T2": 2000, "T3": 3000, "T4": 4500},
    "daily_benefit_cents": 3700,
    "benefit_days_per_month_centi": 2150,
    "basis": "Laki työttömyysturvan rahoitusvastuusta, tarkistettu 1.12.2026",
}


def _draft(client: TestClient[Litestar], world: RingWorld, **overrides: Any) -> str:
    body = competition_body(world, lots=[G1_LOT], budget_cents=8_000_000, **overrides)
    answer = client.post("/competitions", json=body, headers=bearer(world.lead_officer))
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def _total(forecast: dict[str, Any], scenario: str) -> dict[str, Any]:
    return next(t for t in forecast["totals"] if t["scenario"] == scenario)


def test_liability_configuration_is_the_example_until_an_admin_stores_one(
    client: TestClient[Litestar], session: Session
) -> None:
    world = make_ring_world(session)
    ring = world.ring.id
    before = client.get(f"/rings/{ring}/liability-rates").json()
    assert before["in_force"]["example"] is True
    assert before["in_force"]["shares_bp"] == {"T1": 0, "T2": 2000, "T3": 3000, "T4": 4000}
    assert before["in_force"]["daily_benefit_cents"] == 3617
    assert before["versions"] == []

    refused = client.post(f"/rings/{ring}/liability-rates", json=RATES, headers=bearer(world.lead_officer))
    assert refused.status_code == 403
    assert client.post(f"/rings/{ring}/liability-rates", json=RATES).status_code == 401
    missing = {**RATES, "shares_bp": {"T1": 0, "T2": 2000, "T3": 3000}}
    bad = client.post(f"/rings/{ring}/liability-rates", json=missing, headers=bearer(world.admin))
    assert (bad.status_code, bad.json()["errors"][0]["field"]) == (422, "shares_bp")

    stored = client.post(f"/rings/{ring}/liability-rates", json=RATES, headers=bearer(world.admin))
    assert stored.status_code == 201, stored.text
    assert stored.headers["location"] == f"/rings/{ring}/liability-rates/{stored.json()['id']}"
    assert client.get(stored.headers["location"]).json()["example"] is False
    # A correction of the same date supersedes the first version; both stay readable and audited.
    corrected = client.post(
        f"/rings/{ring}/liability-rates",
        json={**RATES, "daily_benefit_cents": 3717},
        headers=bearer(world.admin),
    )
    assert corrected.status_code == 201
    after = client.get(f"/rings/{ring}/liability-rates").json()
    assert after["in_force"]["id"] == corrected.json()["id"]
    assert after["in_force"]["daily_benefit_cents"] == 3717
    assert [v["superseded_at"] is not None for v in after["versions"]] == [True, False]
    actions = session.execute(
        text("SELECT action FROM audit_record WHERE aggregate_type = 'liability_rate' ORDER BY seq")
    ).scalars()
    assert list(actions) == ["liability_rate.configured", "liability_rate.corrected"]


def test_a_drafts_forecast_is_the_golden_case_and_publication_stores_it(
    client: TestClient[Litestar], session: Session
) -> None:
    world = make_ring_world(session)
    make_bidders(session, world, count=3)
    cid = _draft(client, world)
    officer = bearer(world.lead_officer)
    assert client.get(f"/competitions/{cid}/forecast", headers=officer).status_code == 404

    answer = client.put(f"/competitions/{cid}/forecast", json=G1_ASSUMPTIONS, headers=officer)
    assert answer.status_code == 200, answer.text
    forecast = answer.json()
    expected = _total(forecast, "expected")
    # G1 worked by hand: 47 520 € cost, 55 991,16 € avoided, 8 471,16 € net, break-even at 60,30 %.
    assert (expected["cost_cents"], expected["avoided_liability_cents"], expected["net_cents"]) == (
        4_752_000,
        5_599_116,
        847_116,
    )
    assert forecast["break_even_ft_bp"] == 6030
    assert forecast["kind"] == "draft"
    assert forecast["liability"]["example"] is True
    assert any("shipped example" in w for w in forecast["warnings"])
    assert [r["measure"] for r in forecast["rates"] if r["source"] == "stated"] == [
        "outcome_a",
        "outcome_b",
        "outcome_c",
        "flow_through",
        # In EMPLOYMENT the employment milestones are the outcomes A–C themselves.
        "job_start",
        "employed_3_months",
        "employed_6_months",
    ]
    assert _total(forecast, "low")["cost_cents"] < 4_752_000 < _total(forecast, "high")["cost_cents"]

    published = client.post(f"/competitions/{cid}/publish", headers=officer)
    assert published.status_code == 200, published.text
    stored = client.get(f"/competitions/{cid}/forecast", headers=officer).json()
    assert stored["kind"] == "published"
    assert _total(stored, "expected")["cost_cents"] == 4_752_000
    row = session.execute(
        text(
            "SELECT kind, expected_cost_cents, net_effect_cents, break_even_ft_bp, liability_example "
            "FROM competition_forecast WHERE competition_id = :c ORDER BY kind"
        ),
        {"c": cid},
    ).all()
    assert [tuple(r) for r in row] == [
        ("draft", 4_752_000, 847_116, 6030, True),
        ("published", 4_752_000, 847_116, 6030, True),
    ]
    again = client.put(f"/competitions/{cid}/forecast", json=G1_ASSUMPTIONS, headers=officer)
    assert (again.status_code, again.json()["current_state"]) == (409, "published")
    # Others than the buyer's officers do not read the forecast of a published competition.
    other = client.get(f"/competitions/{cid}/forecast", headers=bearer(world.member_officer))
    assert other.status_code == 403


def test_publication_computes_a_forecast_from_the_defaults_when_none_was_asked_for(
    client: TestClient[Litestar], session: Session
) -> None:
    world = make_ring_world(session)
    make_bidders(session, world, count=3)
    cid = _draft(client, world)
    assert client.post(f"/competitions/{cid}/publish", headers=bearer(world.lead_officer)).status_code == 200
    forecast = client.get(f"/competitions/{cid}/forecast", headers=bearer(world.lead_officer)).json()
    assert forecast["kind"] == "published"
    assert {r["source"] for r in forecast["rates"]} == {"assumption"}
    names = {a["name"]: a for a in forecast["assumptions"]}
    assert names["tier mix (bp)"] == {
        "name": "tier mix (bp)",
        "value": "T1 2500, T2 2500, T3 2500, T4 2500",
        "source": "assumption",
    }
    assert names["unit price LAHTI"]["value"] == "80000"


def test_publication_refuses_a_competition_that_gives_no_forecast(
    client: TestClient[Litestar], session: Session
) -> None:
    world = make_ring_world(session)
    make_bidders(session, world, count=3)
    lot = {k: v for k, v in G1_LOT.items() if k != "max_unit_price_cents"}
    body = competition_body(world, lots=[lot], budget_cents=0)
    cid = client.post("/competitions", json=body, headers=bearer(world.lead_officer)).json()["id"]
    refused = client.post(f"/competitions/{cid}/publish", headers=bearer(world.lead_officer))
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "cannot be published without a forecast" in refused.json()["detail"]
    assert "unit price" in refused.json()["detail"]
    state = session.execute(text("SELECT state FROM competition WHERE id = :c"), {"c": cid}).scalar_one()
    stored = session.execute(
        text("SELECT count(*) FROM competition_forecast WHERE competition_id = :c"), {"c": cid}
    ).scalar_one()
    invited = session.execute(
        text("SELECT count(*) FROM invitation WHERE competition_id = :c"), {"c": cid}
    ).scalar_one()
    assert (state, stored, invited) == ("draft", 0, 0)
    # The draft's forecast says the same, as a conflict with the stored terms.
    draft = client.put(f"/competitions/{cid}/forecast", json={}, headers=bearer(world.lead_officer))
    assert draft.status_code == 409
    bad_mix = client.put(
        f"/competitions/{cid}/forecast",
        json={"tier_mix_bp": {"T1": 5000, "T2": 5000, "T3": 5000, "T4": 0}},
        headers=bearer(world.lead_officer),
    )
    assert (bad_mix.status_code, bad_mix.json()["errors"][0]["field"]) == (422, "tier_mix_bp")


def test_a_stored_liability_configuration_is_used_and_recorded(
    client: TestClient[Litestar], session: Session
) -> None:
    world = make_ring_world(session)
    stored = client.post(f"/rings/{world.ring.id}/liability-rates", json=RATES, headers=bearer(world.admin))
    cid = _draft(client, world)
    forecast = client.put(
        f"/competitions/{cid}/forecast", json=G1_ASSUMPTIONS, headers=bearer(world.lead_officer)
    ).json()
    assert forecast["liability"]["id"] == stored.json()["id"]
    assert forecast["liability"]["example"] is False
    # 51,6 days × 37,00 € × (50 × 20 % + 50 × 45 %) = 1 909,20 € × 32,5 = 62 049 €.
    assert _total(forecast, "expected")["avoided_liability_cents"] == 6_204_900
