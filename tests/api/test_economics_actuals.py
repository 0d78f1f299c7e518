"""Forecast against actual over HTTP: verified employment, outcomes and the phased forecast, and the files."""

from datetime import timedelta

from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session

from outcomes.economics import forecasts
from outcomes.economics.actual_rules import Employment, avoided_by_month, month_of, phase_evenly
from outcomes.economics.liability import EXAMPLE_RATES
from outcomes.tracking.rules import BenefitDaysTier
from procurement.core.clock import helsinki_today, utc_now
from procurement.core.money import round_half_up
from procurement.core.settings import Settings
from tests.factories.outcomes import Step, make_outcome_world, run_referral


def test_forecast_against_actual_by_contract_municipality_and_month(
    client: TestClient[Litestar], session: Session, settings: Settings
) -> None:
    ow = make_outcome_world(session, suppliers=1)
    cid = ow.awarded.competition.id
    now = utc_now()
    forecasts.store_at_publication(session, caller=ow.officer.caller, competition_id=cid, now=now)
    today = helsinki_today(now)
    job_day = today - timedelta(days=30)
    run_referral(
        session,
        ow,
        settings=settings,
        n=1,
        referred=today - timedelta(days=60),
        started=today - timedelta(days=59),
        tier="T4",
        steps=(Step(event_type="employment_start", on=job_day),),
        today=today,
    )
    answer = client.get(f"/competitions/{cid}/forecast-vs-actual", headers=ow.officer.headers)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    contract = str(ow.contracts[0].id)
    lahti = {r["month"]: r for r in report["rows"] if r["municipality_code"] == "398"}
    # The verified job avoids liability from its start to today (the example's 40 % for T4).
    job = Employment(
        start=job_day, end=None, service_start=today - timedelta(days=59), tier=BenefitDaysTier.T4
    )
    expected = avoided_by_month(job, liability=EXAMPLE_RATES, cutoff=today, horizon_months=12)
    assert {m: lahti[m]["avoided_liability_cents"] for m in expected} == {
        m: round_half_up(v) for m, v in expected.items()
    }
    assert lahti[month_of(job_day)]["employment_starts"] == 1
    assert lahti[month_of(job_day)]["outcomes"] == 1  # the job start; the service start is no outcome
    assert {r["contract_id"] for r in report["rows"]} == {contract}
    # The expected forecast of LAHTI × 398, phased evenly over 12 months from the month delivery began: the
    # first service start (59 days ago) came before the contract's conclusion (19 days ago) in this world.
    stored = client.get(f"/competitions/{cid}/forecast", headers=ow.officer.headers).json()
    row = next(
        r
        for r in stored["rows"]
        if (r["scenario"], r["lot_code"], r["municipality_code"]) == ("expected", "LAHTI", "398")
    )
    phased = phase_evenly(row["cost_cents"], first_month=today - timedelta(days=59), months=12)
    for month, cells in lahti.items():
        assert cells["forecast_cost_cents"] == phased[month]
        assert cells["cost_gap_cents"] == cells["paid_cents"] - cells["forecast_cost_cents"]
    assert report["avoided_liability_cents"] == sum(r["avoided_liability_cents"] for r in report["rows"])

    csv = client.get(
        f"/competitions/{cid}/forecast-vs-actual/export?format=csv-fi", headers=ow.officer.headers
    )
    assert csv.status_code == 200
    assert csv.headers["content-type"] == "text/csv; charset=utf-8"
    lines = csv.content.decode("utf-8").split("\r\n")
    assert lines[0] == (
        "\ufeffSopimus;Palveluntuottaja;Kunta;Kuukausi;Maksettu (€);Tulokset;Työllistymiset;"
        "Vältetty etuusvastuu (€);Ennuste: kustannus (€);Ennuste: vältetty etuusvastuu (€);"
        "Ero: kustannus (€);Ero: vältetty etuusvastuu (€)"
    )
    first = lahti[min(lahti)]
    cost = first["forecast_cost_cents"]
    assert f";398;{min(lahti)};0,00;" in csv.text
    assert f";{cost // 100},{cost % 100:02d};" in csv.text
    assert (
        csv.content
        == client.get(
            f"/competitions/{cid}/forecast-vs-actual/export?format=csv-fi", headers=ow.officer.headers
        ).content
    )
    xlsx = client.get(
        f"/competitions/{cid}/forecast-vs-actual/export?format=xlsx", headers=ow.officer.headers
    )
    assert (xlsx.status_code, xlsx.content[:2]) == (200, b"PK")
    other = client.get(f"/competitions/{cid}/forecast-vs-actual", headers=ow.other_officer.headers)
    assert other.status_code == 403
