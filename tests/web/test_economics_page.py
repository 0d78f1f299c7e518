"""The economic forecast page: the demo competition's table, chart and files, and a draft's recomputation."""

import re
from pathlib import Path

from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import text
from sqlmodel import Session

from procurement.app.demo.loader import load_demo
from procurement.core.clock import utc_now
from procurement.core.settings import Settings
from tests.factories.core import bearer
from tests.factories.minicompetition import competition_body
from tests.factories.registry import make_ring_world
from tests.web.helpers import sign_in


def test_the_concluded_demo_competition_shows_its_forecast_and_actuals(
    client: TestClient[Litestar], session: Session, settings: Settings, tmp_path: Path
) -> None:
    tokens = load_demo(session, data_dir=tmp_path, now=utc_now(), settings=settings)
    concluded = session.execute(text("SELECT id FROM competition WHERE state = 'concluded'")).scalar_one()
    sign_in(client, tokens["officer_lahti"])
    competition = client.get(f"/ui/competitions/{concluded}").text
    assert f'href="/ui/competitions/{concluded}/economics"' in competition
    page = client.get(f"/ui/competitions/{concluded}/economics")
    assert page.status_code == 200, page.text[:500]
    assert "Taloudellinen ennuste" in page.text
    assert "Ennuste ja toteuma" in page.text
    assert "ei ole palvelun syy-vaikutus" in page.text
    assert re.search(r'<table id="forecast-totals">.*?<th scope="row">odotettu</th>', page.text, re.S)
    chart = client.get(f"/ui/competitions/{concluded}/economics/chart.png")
    assert (chart.status_code, chart.headers["content-type"], chart.content[:4]) == (
        200,
        "image/png",
        b"\x89PNG",
    )
    csv = client.get(f"/ui/competitions/{concluded}/economics/export?format=csv-fi")
    assert csv.content.startswith("\ufeffSopimus;".encode())
    # Another authority's officer does not see it.
    sign_in(client, tokens["officer_hollola"])
    assert client.get(f"/ui/competitions/{concluded}/economics").status_code == 403


def test_an_officer_computes_a_drafts_forecast_on_the_page(
    client: TestClient[Litestar], session: Session
) -> None:
    world = make_ring_world(session)
    created = client.post("/competitions", json=competition_body(world), headers=bearer(world.lead_officer))
    cid = created.json()["id"]
    csrf = sign_in(client, world.lead_officer)
    assert "Ennustetta ei ole vielä laskettu." in client.get(f"/ui/competitions/{cid}/economics").text
    sent = client.post(
        f"/ui/competitions/{cid}/economics/forecast",
        data={"horizon_months": "24", "flow_through": "85", "_csrf": csrf},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    page = client.get(f"/ui/competitions/{cid}/economics").text
    assert "<dd>24</dd>" in page
    stored = session.execute(
        text("SELECT assumptions FROM competition_forecast WHERE competition_id = :c AND kind = 'draft'"),
        {"c": cid},
    ).scalar_one()
    assert stored["horizon_months"] == 24
    assert stored["rates_bp"]["flow_through"] == 8500
