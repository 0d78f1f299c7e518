"""Flow-through reports over HTTP: full figures in scope, suppressed public cells, the outcome register."""

from datetime import date, timedelta

from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session

from outcomes.flowthrough.disclosure import last_closed_month_end
from procurement.core.clock import helsinki_today as today
from procurement.core.clock import utc_now
from procurement.core.settings import Settings
from tests.factories.outcomes import OutcomeWorld, make_cohorts, make_outcome_world

TODAY = today(utc_now())
TODAY_FROM_CLOCK = True  # conftest sets TODAY again at each test's start
# Public figures are cut off at the end of the last closed month: the cohorts are dated from there.
MONTH_END = last_closed_month_end(TODAY)


def _world(session: Session, settings: Settings, *, at: date = TODAY) -> OutcomeWorld:
    ow = make_outcome_world(session)
    make_cohorts(session, ow, settings=settings, today=at)
    return ow


def test_officer_report_by_supplier_has_full_figures(
    client: TestClient[Litestar], session: Session, settings: Settings
) -> None:
    ow = _world(session, settings)
    response = client.get(f"/reports/flow-through?by=supplier&cutoff={TODAY}", headers=ow.officer.headers)
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["by"], report["horizon_days"], report["target_bp"], report["public"]) == (
        ["supplier"],
        90,
        8000,
        False,
    )
    cells = {c["label"]: c for c in report["cells"]}
    good, poor = cells["Valmentaja 1 Oy"], cells["Valmentaja 2 Oy"]
    assert good == {
        "key": {"supplier": str(ow.suppliers[0].id)},
        "label": "Valmentaja 1 Oy",
        "starts": 6,
        "matured": 6,
        "neutral": 0,
        "denominator": 6,
        "qualified": 5,
        "rate_bp": 8333,
        "wilson_low_bp": 4365,
        "wilson_high_bp": 9699,
        "target_bp": 8000,
        "gap_to_target_bp": 333,
        "median_days_to_step": 20.0,
        "suppressed": False,
        "rating": "at_target",
        "neutral_by_kind": {},
    }
    assert (poor["starts"], poor["matured"], poor["denominator"], poor["qualified"], poor["rate_bp"]) == (
        3,
        2,
        2,
        0,
        0,
    )
    assert (poor["suppressed"], poor["rating"]) == (True, "not_enough_data")


def test_each_principal_sees_only_its_scope(
    client: TestClient[Litestar], session: Session, settings: Settings
) -> None:
    ow = _world(session, settings)
    mine = client.get("/reports/flow-through?by=supplier", headers=ow.supplier_parties[1].headers).json()
    assert [c["key"] for c in mine["cells"]] == [{"supplier": str(ow.suppliers[1].id)}]
    assert client.get("/reports/flow-through", headers=ow.other_officer.headers).json()["cells"] == []
    assert client.get("/reports/flow-through").status_code == 401


def test_report_inputs_are_checked(
    client: TestClient[Litestar], session: Session, settings: Settings
) -> None:
    ow = _world(session, settings)
    future = client.get(
        f"/reports/flow-through?cutoff={TODAY + timedelta(days=1)}", headers=ow.officer.headers
    )
    assert future.status_code == 422 and future.json()["errors"][0]["field"] == "cutoff"
    colour = client.get("/reports/flow-through?by=colour", headers=ow.officer.headers)
    assert colour.status_code == 422 and colour.json()["errors"][0]["field"] == "by"
    twice = client.get("/reports/flow-through?by=month&by=month", headers=ow.officer.headers)
    assert twice.status_code == 422


def test_report_by_several_dimensions(
    client: TestClient[Litestar], session: Session, settings: Settings
) -> None:
    ow = _world(session, settings)
    report = client.get("/reports/flow-through?by=lot&by=municipality", headers=ow.officer.headers).json()
    assert [(c["label"], c["starts"], c["qualified"]) for c in report["cells"]] == [("LAHTI / 398", 9, 5)]


def test_public_report_suppresses_small_cells_and_holds_no_personal_data(
    client: TestClient[Litestar], session: Session, settings: Settings
) -> None:
    ow = _world(session, settings, at=MONTH_END)
    response = client.get(f"/dps/{ow.world.dps.id}/flow-through?by=supplier")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["cutoff"], body["by"], body["threshold"]) == (MONTH_END.isoformat(), ["supplier"], 5)
    cells = {c["label"]: c for c in body["cells"]}
    assert (cells["Valmentaja 1 Oy"]["denominator"], cells["Valmentaja 1 Oy"]["rate_bp"]) == (6, 8333)
    small = cells["Valmentaja 2 Oy"]
    # Every count of a suppressed cell is hidden, its starts too (starts − denominator gave neutral exits).
    assert {k: small[k] for k in ("starts", "matured", "neutral", "qualified", "rate_bp", "suppressed")} == {
        "starts": None,
        "matured": None,
        "neutral": None,
        "qualified": None,
        "rate_bp": None,
        "suppressed": True,
    }
    # The total minus the shown cell would give the small one back: the total is hidden as well.
    [total] = body["totals"]
    assert (total["label"], total["denominator"], total["suppressed"]) == ("total", None, True)
    assert "pseudonym" not in response.text and "participant" not in response.text
    assert client.get(f"/dps/{ow.awarded.competition.id}/flow-through").status_code == 404


def test_public_cut_offs_and_dimensions_are_limited(
    client: TestClient[Litestar], session: Session, settings: Settings
) -> None:
    ow = _world(session, settings, at=MONTH_END)
    url = f"/dps/{ow.world.dps.id}/flow-through"
    for cutoff in (MONTH_END - timedelta(days=1), TODAY, MONTH_END + timedelta(days=31)):
        refused = client.get(f"{url}?cutoff={cutoff.isoformat()}")
        assert (refused.status_code, refused.json()["errors"][0]["field"]) == (422, "cutoff"), cutoff
    three = client.get(f"{url}?by=supplier&by=lot&by=municipality")
    assert (three.status_code, three.json()["errors"][0]["field"]) == (422, "by")
    assert client.get(f"{url}?by=supplier&by=municipality").status_code == 200
    assert client.get(f"/dps/{ow.world.dps.id}/performance?cutoff={TODAY.isoformat()}").status_code == 422


def test_performance_register_rates_admitted_suppliers(
    client: TestClient[Litestar], session: Session, settings: Settings
) -> None:
    ow = _world(session, settings, at=MONTH_END)
    register = client.get(f"/dps/{ow.world.dps.id}/performance")
    assert register.status_code == 200
    categories = {c["category"]: c["suppliers"] for c in register.json()["categories"]}
    assert list(categories) == ["EMPLOYMENT", "COMPETENCE", "INCLUSION"]
    assert categories["COMPETENCE"] == [] and categories["INCLUSION"] == []
    rows = {s["name"]: s for s in categories["EMPLOYMENT"]}
    good, poor = rows["Valmentaja 1 Oy"], rows["Valmentaja 2 Oy"]
    assert (good["status"], good["cell"]["denominator"], good["cell"]["rate_bp"], good["cell"]["rating"]) == (
        "active",
        6,
        8333,
        "at_target",
    )
    assert (
        poor["cell"]["suppressed"],
        poor["cell"]["starts"],
        poor["cell"]["rate_bp"],
        poor["cell"]["rating"],
    ) == (
        True,
        None,
        None,
        "not_enough_data",
    )


def test_the_openapi_document_lists_the_outcome_endpoints(client: TestClient[Litestar]) -> None:
    paths = client.get("/schema/openapi.json").json()["paths"]
    assert {
        "/participants",
        "/referrals",
        "/referrals/{referral_id}/start",
        "/referrals/{referral_id}/end",
        "/referrals/{referral_id}/events",
        "/outcome-events/{event_id}/verify",
        "/outcome-events/{event_id}/reject",
        "/outcome-events/{event_id}/void",
        "/outcome-events/{event_id}/end",
        "/reports/flow-through",
        "/dps/{dps_id}/flow-through",
        "/dps/{dps_id}/performance",
    } <= set(paths)
