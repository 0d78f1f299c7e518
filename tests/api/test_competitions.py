"""Drafting and publishing competitions: who may, what is validated, what publication snapshots."""

from datetime import datetime, timedelta

from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import text
from sqlmodel import Session

from procurement.core.clock import utc_now
from tests.factories.core import bearer, make_authority, make_token
from tests.factories.minicompetition import competition_body, count, make_bidders, publish_competition
from tests.factories.registry import admit, business_id, make_ring_world, make_supplier


def test_officer_of_a_ring_member_drafts_with_default_payment_model(
    client: TestClient[Litestar], session: Session
) -> None:
    world = make_ring_world(session)
    response = client.post(
        "/competitions", json=competition_body(world), headers=bearer(world.member_officer)
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["state"] == "draft"
    assert body["authority_id"] == str(world.member_id)
    assert body["weights"] == {"price_bp": 5000, "quality_bp": 2000, "outcome_bp": 3000}
    assert [(c["code"], c["share_bp"]) for c in body["payment_model"]["components"]] == [
        ("start", 3000),
        ("outcome_a", 1500),
        ("outcome_b", 2500),
        ("outcome_c", 3000),
    ]
    assert body["lots"][1]["max_unit_price_cents"] is None
    # A draft is invisible to the public and to other authorities.
    assert client.get(f"/competitions/{body['id']}").status_code == 404
    assert client.get(f"/competitions/{body['id']}", headers=bearer(world.lead_officer)).status_code == 404
    assert client.get(f"/competitions/{body['id']}", headers=bearer(world.member_officer)).status_code == 200


def test_payment_model_can_be_overridden(client: TestClient[Litestar], session: Session) -> None:
    world = make_ring_world(session)
    model = {"components": [{"code": "start", "share_bp": 2000}, {"code": "outcome_a", "share_bp": 8000}]}
    body = client.post(
        "/competitions",
        json=competition_body(world, category="COMPETENCE", payment_model=model),
        headers=bearer(world.lead_officer),
    ).json()
    assert [(c["code"], c["share_bp"]) for c in body["payment_model"]["components"]] == [
        ("start", 2000),
        ("outcome_a", 8000),
    ]
    assert body["payment_model"]["withhold_bp"] == 1000


def test_weights_not_summing_to_10000_are_refused(client: TestClient[Litestar], session: Session) -> None:
    world = make_ring_world(session)
    before = count(session, "competition")
    bad = {"price_bp": 5000, "quality_bp": 2000, "outcome_bp": 2000}
    response = client.post(
        "/competitions", json=competition_body(world, weights=bad), headers=bearer(world.lead_officer)
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "weights"
    assert "they sum to 9000" in response.json()["detail"]
    assert count(session, "competition") == before


def test_demand_zero_or_negative_is_refused(client: TestClient[Litestar], session: Session) -> None:
    world = make_ring_world(session)
    before = (count(session, "competition"), count(session, "lot"))
    for demand in (0, -5):
        body = competition_body(world)
        body["lots"][1]["demand"] = demand
        response = client.post("/competitions", json=body, headers=bearer(world.lead_officer))
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "lots[1].demand"
        assert f"got {demand}" in response.json()["detail"]
    assert (count(session, "competition"), count(session, "lot")) == before


def test_validation_names_the_field(client: TestClient[Litestar], session: Session) -> None:
    world = make_ring_world(session)
    officer = bearer(world.lead_officer)
    outside = competition_body(world)
    outside["lots"][0]["municipality_codes"] = ["398", "109"]  # Hämeenlinna is not in this ring
    cases = [
        (outside, "lots[0].municipality_codes[1]"),
        (competition_body(world, category="NOPE"), "category"),
        (competition_body(world, budget_cents=1.5), "budget_cents"),
        (
            competition_body(world, quality_criteria=[{"code": "METHOD", "name": "M", "weight_bp": 9000}]),
            "quality_criteria",
        ),
        (
            competition_body(
                world,
                allocation_rules={"max_suppliers_per_lot": 0, "max_share_bp": 5000, "min_allocation": 1},
            ),
            "allocation_rules.max_suppliers_per_lot",
        ),
        (
            competition_body(
                world,
                qa_deadline=(utc_now() + timedelta(days=20)).isoformat(),
                tender_deadline=(utc_now() + timedelta(days=14)).isoformat(),
            ),
            "qa_deadline",
        ),
    ]
    for body, field in cases:
        response = client.post("/competitions", json=body, headers=officer)
        assert response.status_code == 422, (field, response.text)
        assert response.json()["errors"][0]["field"] == field


def test_only_officers_of_ring_members_draft(client: TestClient[Litestar], session: Session) -> None:
    world = make_ring_world(session)
    stranger_authority = make_authority(
        session, name="Hämeenlinna", municipality_codes=("109",), lead_municipality="109"
    )
    stranger = make_token(session, role="officer", authority_id=stranger_authority.id)
    response = client.post("/competitions", json=competition_body(world), headers=bearer(stranger))
    # The DPS is public, so the stranger may read it but not compete in it: 403, not 404 or 422.
    assert response.status_code == 403
    assert response.json()["detail"].startswith("Your authority is not a member of this DPS's ring")
    supplier = make_token(session, role="supplier", business_id=business_id(90))
    assert (
        client.post("/competitions", json=competition_body(world), headers=bearer(supplier)).status_code
        == 403
    )


def test_draft_is_edited_until_published(client: TestClient[Litestar], session: Session) -> None:
    world = make_ring_world(session)
    make_bidders(session, world, count=3)
    officer = bearer(world.lead_officer)
    draft = client.post("/competitions", json=competition_body(world), headers=officer).json()
    lahti_lot_id = draft["lots"][0]["id"]
    body = competition_body(world, title="Uusi otsikko")
    body["lots"] = body["lots"][:1]
    body["lots"][0]["demand"] = 55
    edited = client.put(f"/competitions/{draft['id']}", json=body, headers=officer)
    assert edited.status_code == 200, edited.text
    assert edited.json()["title"] == "Uusi otsikko"
    assert [(x["id"], x["demand"]) for x in edited.json()["lots"]] == [(lahti_lot_id, 55)]
    assert client.post(f"/competitions/{draft['id']}/publish", headers=officer).status_code == 200
    again = client.put(f"/competitions/{draft['id']}", json=body, headers=officer)
    assert again.status_code == 409
    assert "Amend it instead" in again.json()["detail"]


def test_tender_period_shorter_than_minimum_is_422(client: TestClient[Litestar], session: Session) -> None:
    world = make_ring_world(session)
    officer = bearer(world.lead_officer)
    short = competition_body(
        world,
        qa_deadline=(utc_now() + timedelta(days=3)).isoformat(),
        tender_deadline=(utc_now() + timedelta(days=9)).isoformat(),
    )
    draft = client.post("/competitions", json=short, headers=officer).json()
    response = client.post(f"/competitions/{draft['id']}/publish", headers=officer)
    # The stored draft meets the clock at publication: a conflict (409), not invalid input.
    assert response.status_code == 409
    assert "at least 10 days" in response.json()["detail"]
    assert count(session, "invitation") == 0
    assert client.get(f"/competitions/{draft['id']}", headers=officer).json()["state"] == "draft"


def test_publication_snapshots_invitations(client: TestClient[Litestar], session: Session) -> None:
    world = make_ring_world(session)
    active = make_bidders(session, world, count=2)
    suspended, _ = make_supplier(session, business_id=business_id(20))
    admit(
        session,
        dps=world.dps,
        supplier=suspended,
        state="suspended",
        suspended_until=utc_now().date() + timedelta(days=9),
    )
    excluded, _ = make_supplier(session, business_id=business_id(21))
    admit(session, dps=world.dps, supplier=excluded, state="excluded")
    other_category, other_token = make_supplier(session, business_id=business_id(22))
    admit(session, dps=world.dps, supplier=other_category, categories=("INCLUSION",))
    officer = bearer(world.lead_officer)
    draft = client.post("/competitions", json=competition_body(world), headers=officer).json()
    confirm = {"confirm_few_invitees": True}  # two invitees: the officer confirms publishing to fewer than 3
    assert (
        client.post(f"/competitions/{draft['id']}/publish", json=confirm, headers=officer).status_code == 200
    )
    invited = client.get(f"/competitions/{draft['id']}/invitations", headers=officer).json()
    assert sorted(i["supplier_id"] for i in invited) == sorted(str(b.supplier.id) for b in active)

    # A supplier admitted after publication is not invited: the snapshot never changes.
    late = make_bidders(session, world, count=1, start=30)[0]
    again = client.get(f"/competitions/{draft['id']}/invitations", headers=officer).json()
    assert again == invited
    assert client.get("/inbox", headers=late.headers).json() == []
    assert client.get(f"/inbox/{draft['id']}", headers=late.headers).status_code == 404
    assert client.get(f"/inbox/{draft['id']}", headers=bearer(other_token)).status_code == 404
    assert client.get(f"/inbox/{draft['id']}", headers=active[0].headers).status_code == 200
    # The public sees the published competition, never the invitation list.
    assert client.get(f"/competitions/{draft['id']}").status_code == 200
    assert client.get(f"/competitions/{draft['id']}/invitations", headers=late.headers).status_code == 403


def test_questions_are_for_invitees_and_hide_the_asker(
    client: TestClient[Litestar], session: Session
) -> None:
    cw = publish_competition(client, session, bidders=2)
    cid = cw.competition_id
    asker, other = cw.bidders
    outsider = make_bidders(session, cw.world, count=1, start=40)[0]
    refused = client.post(
        f"/competitions/{cid}/questions", json={"question": "Entä minä?"}, headers=outsider.headers
    )
    assert refused.status_code == 403
    q = client.post(
        f"/competitions/{cid}/questions", json={"question": "Onko ryhmäkoko rajattu?"}, headers=asker.headers
    )
    # Unanswered questions are seen by the asker (as its own) and the buyer, not by other invitees.
    assert [
        x["mine"] for x in client.get(f"/competitions/{cid}/questions", headers=asker.headers).json()
    ] == [True]
    assert client.get(f"/competitions/{cid}/questions", headers=other.headers).json() == []
    officer_view = client.get(f"/competitions/{cid}/questions", headers=cw.officer).json()
    assert [x["question"] for x in officer_view] == ["Onko ryhmäkoko rajattu?"]
    client.post(
        f"/competitions/{cid}/questions/{q.json()['id']}/answer", json={"answer": "Ei."}, headers=cw.officer
    )
    detail = client.get(f"/inbox/{cid}", headers=other.headers).json()
    assert [(x["answer"], x["mine"]) for x in detail["questions"]] == [("Ei.", False)]
    assert client.get(f"/competitions/{cid}/questions", headers=outsider.headers).status_code == 404


def test_amendment_with_two_days_left_must_move_the_deadline(
    client: TestClient[Litestar], session: Session
) -> None:
    cw = publish_competition(client, session, bidders=2)
    cid = cw.competition_id
    session.execute(
        text(
            "UPDATE competition SET published_at = published_at - interval '12 days', "
            "qa_deadline = clock_timestamp(), tender_deadline = clock_timestamp() + interval '2 days' "
            "WHERE id = :id"
        ),
        {"id": cid},
    )  # simulates the clock running on to two days before the deadline
    before = count(session, "amendment")
    refused = client.post(
        f"/competitions/{cid}/amendments",
        json={"reason": "Kysyntä kasvoi.", "changes": {"lots": competition_body(cw.world)["lots"][:1]}},
        headers=cw.officer,
    )
    # Too late by the clock, like a bid after the deadline: 409, naming the earliest deadline to move to.
    assert refused.status_code == 409
    earliest = datetime.fromisoformat(refused.json()["earliest_deadline"])
    assert timedelta(days=2, hours=23) < earliest - utc_now() <= timedelta(days=3)
    assert "Only 1 days" in refused.json()["detail"] or "Only 2 days" in refused.json()["detail"]
    assert count(session, "amendment") == before


def test_amendment_needs_published_state_and_a_reason(client: TestClient[Litestar], session: Session) -> None:
    world = make_ring_world(session)
    make_bidders(session, world, count=3)
    officer = bearer(world.lead_officer)
    draft = client.post("/competitions", json=competition_body(world), headers=officer).json()
    change = {"reason": "Tarkennus.", "changes": {"title": "X"}}
    assert (
        client.post(f"/competitions/{draft['id']}/amendments", json=change, headers=officer).status_code
        == 409
    )
    client.post(f"/competitions/{draft['id']}/publish", headers=officer)
    no_reason = client.post(
        f"/competitions/{draft['id']}/amendments", json={"changes": {"title": "X"}}, headers=officer
    )
    assert no_reason.status_code == 422
    assert "missing required field `reason`" in no_reason.json()["errors"][0]["message"]
    nothing = client.post(
        f"/competitions/{draft['id']}/amendments",
        json={"reason": "Ei mitään.", "changes": {}},
        headers=officer,
    )
    assert nothing.status_code == 422
    assert nothing.json()["errors"][0]["field"] == "changes"
    bad_weights = {
        "reason": "Painotus.",
        "changes": {"weights": {"price_bp": 1, "quality_bp": 1, "outcome_bp": 1}},
    }
    response = client.post(f"/competitions/{draft['id']}/amendments", json=bad_weights, headers=officer)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "changes.weights"
    other_officer = bearer(world.member_officer)
    assert (
        client.post(f"/competitions/{draft['id']}/amendments", json=change, headers=other_officer).status_code
        == 403
    )
    assert (
        client.post(f"/competitions/{draft['id']}/cancel", json={"reason": "x"}, headers=officer).status_code
        == 422
    )
