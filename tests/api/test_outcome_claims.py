"""Outcome claims over HTTP: episodes and windows, verified neutral exits, duplicates flagged when made."""

from datetime import timedelta
from typing import Any

from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import text
from sqlmodel import Session

from outcomes.tracking.rules import add_months
from procurement.core.clock import helsinki_today as today
from procurement.core.clock import utc_now
from procurement.core.settings import Settings
from tests.factories.outcomes import OutcomeWorld, make_outcome_world, run_referral
from tests.factories.payments import (
    end,
    exported_period,
    make_pay_world,
    months_ago,
    outcome,
    person,
    start,
)

Client = TestClient[Litestar]
TODAY = today(utc_now())
TODAY_FROM_CLOCK = True  # conftest sets TODAY again at each test's start
EVIDENCE = "e" * 64


def started(session: Session, ow: OutcomeWorld, settings: Settings, *, n: int, days_ago: int) -> str:
    day = TODAY - timedelta(days=days_ago)
    return str(run_referral(session, ow, settings=settings, n=n, referred=day, started=day, today=TODAY))


def report(client: Client, ow: OutcomeWorld, referral: str, supplier: int = 0, **body: Any):  # type: ignore[no-untyped-def]
    payload = {"event_type": "employment_start", "event_date": TODAY.isoformat(), "evidence_sha256": EVIDENCE}
    return client.post(
        f"/referrals/{referral}/events", json=payload | body, headers=ow.supplier_parties[supplier].headers
    )


def test_a_sustainment_outcome_belongs_to_the_verified_job_start_of_its_referral_and_its_window(
    client: Client, session: Session, settings: Settings
) -> None:
    ow = make_outcome_world(session)
    referral = started(session, ow, settings, n=1, days_ago=200)
    job_day = TODAY - timedelta(days=150)
    job = client.post(
        f"/referrals/{referral}/events",
        json={
            "event_type": "employment_start",
            "event_date": job_day.isoformat(),
            "source_register": "tulorekisteri",
        },
        headers=ow.officer.headers,
    ).json()
    three = add_months(job_day, 3).isoformat()

    # The episode is never the reporter's choice.
    chosen = report(
        client, ow, referral, event_type="employed_3_months", event_date=three, episode_start=three
    )
    assert chosen.status_code == 422, chosen.text
    assert "episode_start" in chosen.json()["detail"]
    # "3 months employed" a month after the job start is outside its window.
    early = report(
        client,
        ow,
        referral,
        event_type="employed_3_months",
        event_date=(job_day + timedelta(days=31)).isoformat(),
    )
    assert early.status_code == 422, early.text
    assert early.json()["errors"][0]["field"] == "event_date"
    assert f"between {three} and {add_months(job_day, 4).isoformat()}" in early.json()["detail"]
    made = report(client, ow, referral, event_type="employed_3_months", event_date=three)
    assert made.status_code == 201, made.text
    assert (made.json()["episode_id"], made.json()["episode_start"]) == (
        job["episode_id"],
        job_day.isoformat(),
    )

    # A job start only reported, not yet verified, sustains nothing.
    other = started(session, ow, settings, n=2, days_ago=200)
    assert report(client, ow, other, event_date=job_day.isoformat()).status_code == 201
    unverified = report(client, ow, other, event_type="employed_3_months", event_date=three)
    assert unverified.status_code == 422
    assert unverified.json()["errors"][0]["field"] == "event_type"
    assert "verified job start" in unverified.json()["detail"]


def test_job_or_studies_within_180_days_is_counted_from_the_service_start(
    client: Client, session: Session, settings: Settings
) -> None:
    ow = make_outcome_world(session, category="COMPETENCE")
    referral = started(session, ow, settings, n=1, days_ago=200)
    begun = TODAY - timedelta(days=200)
    late = report(
        client,
        ow,
        referral,
        event_type="job_or_studies_within_180_days",
        event_date=(begun + timedelta(days=181)).isoformat(),
    )
    assert late.status_code == 422, late.text
    assert late.json()["errors"][0]["field"] == "event_date"
    on_time = report(
        client,
        ow,
        referral,
        event_type="job_or_studies_within_180_days",
        event_date=(begun + timedelta(days=180)).isoformat(),
    )
    assert on_time.status_code == 201, on_time.text


def flow_through(client: Client, ow: OutcomeWorld) -> dict[str, int]:
    cells = client.get(
        f"/reports/flow-through?by=supplier&cutoff={TODAY}", headers=ow.officer.headers
    ).json()["cells"]
    cell = next(c for c in cells if c["key"]["supplier"] == str(ow.suppliers[0].id))
    return {k: cell[k] for k in ("matured", "neutral", "denominator")}


def test_a_neutral_exit_needs_evidence_a_recent_date_and_an_officer_to_count(
    client: Client, session: Session, settings: Settings
) -> None:
    ow = make_outcome_world(session)
    referral = started(session, ow, settings, n=1, days_ago=100)
    seller = ow.supplier_parties[0].headers

    def end_as(days_ago: int, **extra: Any):  # type: ignore[no-untyped-def]
        body = {
            "ended_on": (TODAY - timedelta(days=days_ago)).isoformat(),
            "reason": "neutral_exit",
            "neutral_exit_kind": "moved_away",
        }
        return client.post(f"/referrals/{referral}/end", json=body | extra, headers=seller)

    backdated = end_as(31, evidence_sha256=EVIDENCE)
    assert backdated.status_code == 422, backdated.text
    assert backdated.json()["errors"][0]["field"] == "ended_on"
    assert "within 30 days" in backdated.json()["detail"]
    no_evidence = end_as(30)
    assert no_evidence.status_code == 422 and no_evidence.json()["errors"][0]["field"] == "evidence_sha256"
    assert (
        session.execute(text("SELECT state FROM referral WHERE id = :r"), {"r": referral}).scalar_one()
        == "started"
    )

    reported = end_as(30, evidence_sha256=EVIDENCE)
    assert reported.status_code == 200, reported.text
    assert reported.json()["neutral_exit_state"] == "reported"
    # Reported only: the start still counts on both sides of flow-through.
    assert flow_through(client, ow) == {"matured": 1, "neutral": 0, "denominator": 1}
    assert client.post(f"/referrals/{referral}/neutral-exit/verify", headers=seller).status_code == 403
    verified = client.post(f"/referrals/{referral}/neutral-exit/verify", headers=ow.officer.headers)
    assert verified.status_code == 200 and verified.json()["neutral_exit_state"] == "verified"
    assert flow_through(client, ow) == {"matured": 1, "neutral": 1, "denominator": 0}
    again = client.post(f"/referrals/{referral}/neutral-exit/verify", headers=ow.officer.headers)
    assert again.status_code == 409 and again.json()["current_state"] == "verified"


def test_a_duplicate_claim_is_flagged_when_reported_and_verified_and_never_shown_as_paid(
    client: Client, session: Session, settings: Settings
) -> None:
    """Contract 0 has the job start verified; contract 1's claim of the same job is flagged at once."""
    pw = make_pay_world(session, settings=settings, prices=(240_000, 200_000))
    day = months_ago(3).first_day
    who = person(session, pw, n=7, tier="T2", on=day)
    first, _ = start(session, pw, participant_id=who, supplier=0, on=day)
    end(session, pw, referral_id=first, supplier=0, on=day + timedelta(days=10))
    second, _ = start(session, pw, participant_id=who, supplier=1, on=day + timedelta(days=12))
    job = day + timedelta(days=20)
    paid = outcome(session, pw, referral_id=first, supplier=0, event_type="employment_start", on=job)

    claim = report(client, pw.ow, str(second), supplier=1, event_date=job.isoformat())
    assert claim.status_code == 201, claim.text
    assert claim.json()["duplicate_of"] == str(paid)
    queue = client.get("/outcome-events?state=reported", headers=pw.officer.headers)
    assert queue.status_code == 200, queue.text
    assert [(e["id"], e["duplicate_of"]) for e in queue.json()] == [(claim.json()["id"], str(paid))]
    verified = client.post(
        f"/outcome-events/{claim.json()['id']}/verify", json={}, headers=pw.officer.headers
    )
    assert (verified.status_code, verified.json()["duplicate_of"]) == (200, str(paid))

    exported_period(session, pw, month=months_ago(1))
    states = dict(
        session.execute(
            text("SELECT id::text, state FROM outcome_event WHERE id IN (:a, :b)"),
            {"a": paid, "b": claim.json()["id"]},
        ).all()
    )
    # The refused claim was computed (an ineligible line says why) but 0 € was paid: it is not "paid".
    assert states == {str(paid): "paid", claim.json()["id"]: "payable"}
    first_claim = client.get(f"/referrals/{first}", headers=pw.officer.headers).json()["events"]
    assert [e["duplicate_of"] for e in first_claim if e["event_type"] == "employment_start"] == [None]
