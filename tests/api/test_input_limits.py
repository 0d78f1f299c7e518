"""Hostile input: oversized, deeply nested, huge numbers, too many items; refused, nothing written."""

import json

from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session

from procurement.core.settings import Settings
from tests.factories.core import bearer
from tests.factories.minicompetition import bid_body, competition_body, count, publish_competition
from tests.factories.registry import make_ring_world

PROBLEM = "application/problem+json"


def _problem(response, status: int) -> dict:  # type: ignore[no-untyped-def,type-arg]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict = response.json()  # type: ignore[type-arg]
    assert body["status"] == status
    return body


def test_oversized_body_is_413_and_writes_nothing(
    client: TestClient[Litestar], session: Session, settings: Settings
) -> None:
    world = make_ring_world(session)
    body = competition_body(world, description="x" * (settings.max_request_body_bytes + 10))
    before = count(session, "competition")
    answer = client.post(
        "/competitions",
        content=json.dumps(body),
        headers=bearer(world.lead_officer) | {"content-type": "application/json"},
    )
    problem = _problem(answer, 413)
    assert problem["title"] == "Request too large"
    assert count(session, "competition") == before


def test_deeply_nested_json_is_a_4xx_problem(client: TestClient[Litestar], session: Session) -> None:
    world = make_ring_world(session)
    for depth in (1_000, 10_000, 100_000):
        nested = "[" * depth + "]" * depth
        wrapped = '{"lots": ' + nested + "}"
        for raw in (nested, wrapped):
            answer = client.post(
                "/competitions",
                content=raw,
                headers=bearer(world.lead_officer) | {"content-type": "application/json"},
            )
            assert 400 <= answer.status_code < 500, (depth, answer.status_code, answer.text[:200])
            assert answer.headers["content-type"].startswith(PROBLEM)
    assert count(session, "competition") == 0
    assert client.get("/health").status_code == 200  # the app is still standing


def test_huge_numbers_are_422(client: TestClient[Litestar], session: Session) -> None:
    world = make_ring_world(session)
    officer = bearer(world.lead_officer)
    for field in ("demand", "max_unit_price_cents"):
        body = competition_body(world)
        body["lots"][0][field] = 2**70
        _problem(client.post("/competitions", json=body, headers=officer), 422)
    for field, value in (("budget_cents", 2**70), ("budget_cents", 2**63), ("budget_cents", -(2**70))):
        _problem(
            client.post("/competitions", json=competition_body(world, **{field: value}), headers=officer), 422
        )
    assert count(session, "competition") == 0


def test_huge_bid_numbers_are_422(client: TestClient[Litestar], session: Session) -> None:
    cw = publish_competition(client, session, bidders=1)
    url = f"/competitions/{cw.competition_id}/bids"
    for field in ("unit_price_cents", "capacity", "committed_flow_through_bp"):
        body = bid_body()
        body["lines"][0][field] = 2**70
        _problem(client.post(url, json=body, headers=cw.bidders[0].headers), 422)
    assert count(session, "bid") == 0


def test_unicode_names_round_trip(client: TestClient[Litestar], session: Session) -> None:
    name = "Äänekosken Öljy & Åkerö 🚀 שירות עבודה Oy"
    registered = client.post(
        "/suppliers", json={"business_id": "0737546-2", "name": name, "contact_email": "a@b.fi"}
    )
    assert registered.status_code == 201, registered.text
    me = client.get("/suppliers/me", headers=bearer(registered.json()["token"]))
    assert me.json()["name"] == name
    world = make_ring_world(session)
    title = "Työllistymisvalmennus – 🧑‍🔧 وظائف – ääkköset"
    created = client.post(
        "/competitions", json=competition_body(world, title=title), headers=bearer(world.lead_officer)
    )
    assert created.status_code == 201, created.text
    assert (
        client.get(f"/competitions/{created.json()['id']}", headers=bearer(world.lead_officer)).json()[
            "title"
        ]
        == title
    )


def test_too_many_lots_or_lines_are_422_with_the_limit_named(
    client: TestClient[Litestar], session: Session
) -> None:
    cw = publish_competition(client, session, bidders=1)
    lot = competition_body(cw.world)["lots"][0]
    many_lots = [lot | {"code": f"L{i}"} for i in range(201)]
    answer = client.post("/competitions", json=competition_body(cw.world, lots=many_lots), headers=cw.officer)
    problem = _problem(answer, 422)
    assert "lots" in problem["detail"] and "200" in problem["detail"]
    body = bid_body()
    body["lines"] = body["lines"] * 201
    answer = client.post(f"/competitions/{cw.competition_id}/bids", json=body, headers=cw.bidders[0].headers)
    problem = _problem(answer, 422)
    assert "lines" in problem["detail"] and "200" in problem["detail"]
    assert (count(session, "competition"), count(session, "bid")) == (1, 0)
