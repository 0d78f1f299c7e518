"""Participants and outcome events over HTTP: the hetu never comes back, bad events leave nothing behind."""

from datetime import date, timedelta
from typing import Any

from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import text
from sqlmodel import Session

from outcomes.tracking import events
from outcomes.tracking.rules import OutcomeEventState, add_months
from procurement.core.clock import helsinki_today as today
from procurement.core.clock import utc_now
from procurement.core.settings import Settings
from tests.factories.outcomes import OutcomeWorld, at, hetu, make_outcome_world, run_referral

TODAY = today(utc_now())
TODAY_FROM_CLOCK = True  # conftest sets TODAY again at each test's start
EVIDENCE = "e" * 64


def _count(session: Session, table: str) -> int:
    return int(session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def _register(client: TestClient[Litestar], ow: OutcomeWorld, **body: Any):  # type: ignore[no-untyped-def]
    payload = {"hetu": hetu(1), "home_municipality_code": "398", "tier": "T2"} | body
    return client.post("/participants", json=payload, headers=ow.officer.headers)


def test_an_invalid_hetu_is_refused_without_echoing_it(
    client: TestClient[Litestar], session: Session
) -> None:
    ow = make_outcome_world(session, suppliers=1)
    bad = hetu(1)[:-1] + ("A" if hetu(1)[-1] != "A" else "B")
    refused = _register(client, ow, hetu=bad)
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {
            "field": "hetu",
            "message": "The personal identity code (henkilötunnus) is not valid: "
            "check its date, number and check mark.",
        }
    ]
    assert bad not in refused.text and bad[:6] not in refused.text
    assert (_count(session, "participant"), _count(session, "participant_registration")) == (0, 0)
    # A real-range code is fine in production only; outside it test codes (900–999) are accepted too.
    assert _register(client, ow, hetu="131052-308T").status_code == 201


def test_the_same_person_twice_is_the_same_participant(
    client: TestClient[Litestar], session: Session
) -> None:
    ow = make_outcome_world(session, suppliers=1)
    first = _register(client, ow, target_groups=["youth"], benefit_days=120, tier=None)
    assert first.status_code == 201
    assert first.json() == {
        "id": first.json()["id"],
        "home_municipality_code": "398",
        "target_groups": ["youth"],
        "tier": "T2",
        "partial_work_ability": False,
    }
    again = _register(client, ow, hetu=f"  {hetu(1).lower()} ", tier="T4", partial_work_ability=True)
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert (again.json()["tier"], again.json()["target_groups"]) == ("T4", ["partial_work_ability"])
    assert _count(session, "participant") == 1
    sql = "SELECT action FROM audit_record WHERE aggregate_type = 'participant' ORDER BY seq"
    assert session.execute(text(sql)).scalars().all() == ["participant.registered", "participant.updated"]
    unchanged = _register(client, ow, tier="T4", partial_work_ability=True)
    assert unchanged.status_code == 200
    assert len(session.execute(text(sql)).scalars().all()) == 2
    both = _register(client, ow, benefit_days=10)
    assert both.status_code == 422 and both.json()["errors"][0]["field"] == "tier"


def test_participants_are_seen_by_registering_authorities_and_their_suppliers(
    client: TestClient[Litestar], session: Session, settings: Settings
) -> None:
    ow = make_outcome_world(session)
    run_referral(session, ow, settings=settings, n=1, referred=TODAY, supplier=0)
    participant = _register(client, ow).json()["id"]
    assert client.get(f"/participants/{participant}", headers=ow.officer.headers).status_code == 200
    assert (
        client.get(f"/participants/{participant}", headers=ow.supplier_parties[0].headers).status_code == 200
    )
    for stranger in (ow.other_officer.headers, ow.supplier_parties[1].headers):
        assert client.get(f"/participants/{participant}", headers=stranger).status_code == 404


def _started(session: Session, ow: OutcomeWorld, settings: Settings, *, days_ago: int = 20, **kw: Any) -> str:
    referred = TODAY - timedelta(days=days_ago)
    return str(
        run_referral(
            session, ow, settings=settings, n=1, referred=referred, started=referred, today=TODAY, **kw
        )
    )


def _report(client: TestClient[Litestar], ow: OutcomeWorld, referral: str, **body: Any):  # type: ignore[no-untyped-def]
    payload = {
        "event_type": "employment_start",
        "event_date": TODAY.isoformat(),
        "evidence_sha256": EVIDENCE,
    } | body
    return client.post(f"/referrals/{referral}/events", json=payload, headers=ow.supplier_parties[0].headers)


def test_bad_events_are_clear_problems_with_nothing_written(
    client: TestClient[Litestar], session: Session, settings: Settings
) -> None:
    ow = make_outcome_world(session)
    referral = _started(session, ow, settings)
    before = (_count(session, "outcome_event"), _count(session, "audit_record"))
    cases = [
        ({"event_date": (TODAY - timedelta(days=21)).isoformat()}, "event_date", "before the referral"),
        ({"event_date": (TODAY + timedelta(days=1)).isoformat()}, "event_date", "in the future"),
        ({"event_type": "qualification_completed"}, "event_type", "not allowed in category EMPLOYMENT"),
        ({"event_type": "got_rich"}, "event_type", "Unknown event type 'got_rich'"),
        ({"event_type": "service_start"}, "event_type", "recorded with the referral's start"),
        ({"event_type": "next_service_step"}, "rung", "needs the rung"),
        ({"evidence_sha256": None}, "evidence_sha256", "SHA-256 of the evidence"),
        ({"end_date": (TODAY - timedelta(days=1)).isoformat()}, "end_date", "before the event"),
    ]
    for body, field, words in cases:
        refused = _report(client, ow, referral, **body)
        assert refused.status_code == 422, (body, refused.text)
        assert refused.json()["errors"][0]["field"] == field
        assert words in refused.json()["detail"], refused.json()["detail"]
    assert (_count(session, "outcome_event"), _count(session, "audit_record")) == before


def test_events_after_an_interrupted_end_are_refused_but_follow_ups_after_completion_count(
    client: TestClient[Litestar], session: Session, settings: Settings
) -> None:
    ow = make_outcome_world(session)
    referred = TODAY - timedelta(days=40)
    interrupted = run_referral(
        session, ow, settings=settings, n=1, referred=referred, started=referred, today=TODAY,
        end=(referred + timedelta(days=10), "interrupted", None),
    )  # fmt: skip
    before = (_count(session, "outcome_event"), _count(session, "audit_record"))
    refused = _report(client, ow, str(interrupted), event_date=(referred + timedelta(days=11)).isoformat())
    assert refused.status_code == 422
    assert (_count(session, "outcome_event"), _count(session, "audit_record")) == before
    assert refused.json()["detail"] == (
        f"The date {(referred + timedelta(days=11)).isoformat()} is after the referral ended "
        f"(interrupted, {(referred + timedelta(days=10)).isoformat()})."
    )
    completed = run_referral(
        session, ow, settings=settings, n=2, referred=referred, started=referred, today=TODAY,
        end=(referred + timedelta(days=10), "completed", None),
    )  # fmt: skip
    assert (
        _report(
            client, ow, str(completed), event_date=(referred + timedelta(days=11)).isoformat()
        ).status_code
        == 201
    )


def test_an_event_needs_a_started_referral(
    client: TestClient[Litestar], session: Session, settings: Settings
) -> None:
    ow = make_outcome_world(session)
    referral = run_referral(session, ow, settings=settings, n=1, referred=TODAY)
    refused = _report(client, ow, str(referral))
    assert refused.status_code == 409
    assert refused.json()["current_state"] == "referred"
    stranger = client.post(
        f"/referrals/{referral}/events",
        json={"event_type": "employment_start", "event_date": TODAY.isoformat(), "evidence_sha256": EVIDENCE},
        headers=ow.supplier_parties[1].headers,
    )
    assert stranger.status_code == 404


def test_verify_reject_void_and_clawback_follow_the_machine(
    client: TestClient[Litestar], session: Session, settings: Settings
) -> None:
    ow = make_outcome_world(session)
    referral = _started(session, ow, settings)
    officer = ow.officer.headers
    job = _report(client, ow, referral, event_date=(TODAY - timedelta(days=5)).isoformat()).json()
    assert (job["state"], job["source"], job["pre_dates_referral"]) == ("reported", "supplier", False)
    # A supplier cannot verify its own claim, and another authority cannot see it.
    assert (
        client.post(
            f"/outcome-events/{job['id']}/verify", json={}, headers=ow.supplier_parties[0].headers
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"/outcome-events/{job['id']}/verify", json={}, headers=ow.other_officer.headers
        ).status_code
        == 404
    )
    voided_early = client.post(f"/outcome-events/{job['id']}/void", json={"reason": "virhe"}, headers=officer)
    assert voided_early.status_code == 409
    assert voided_early.json()["detail"] == "The outcome event is 'reported'; it cannot become 'voided'."
    verified = client.post(f"/outcome-events/{job['id']}/verify", json={}, headers=officer)
    assert (verified.status_code, verified.json()["state"]) == (200, "verified")
    again = client.post(f"/outcome-events/{job['id']}/reject", json={"reason": "myöhässä"}, headers=officer)
    assert again.status_code == 409 and again.json()["current_state"] == "verified"
    voided = client.post(
        f"/outcome-events/{job['id']}/void", json={"reason": "Tulorekisteri korjattu"}, headers=officer
    )
    assert (voided.json()["state"], voided.json()["reason"]) == ("voided", "Tulorekisteri korjattu")

    paid = _report(
        client, ow, referral, event_type="studies_started", event_date=(TODAY - timedelta(days=3)).isoformat()
    ).json()
    client.post(f"/outcome-events/{paid['id']}/verify", json={}, headers=officer)
    for target in (OutcomeEventState.PAYABLE, OutcomeEventState.PAID):
        row = events.locked_event(session, event_id=paid["id"])
        events.change_state(session, event=row, target=target, actor="finance export", now=at(TODAY))
    clawback = client.post(
        f"/outcome-events/{paid['id']}/void", json={"reason": "Opinto-oikeus peruttu"}, headers=officer
    )
    assert clawback.json()["state"] == "awaiting_clawback"
    rejected = _report(client, ow, referral, event_type="self_employment_start").json()
    no_reason = client.post(f"/outcome-events/{rejected['id']}/reject", json={}, headers=officer)
    assert no_reason.status_code == 422
    done = client.post(
        f"/outcome-events/{rejected['id']}/reject", json={"reason": "Ei Y-tunnusta"}, headers=officer
    )
    assert done.json()["state"] == "rejected"
    actions = (
        session.execute(
            text("SELECT action FROM audit_record WHERE aggregate_id = :i ORDER BY seq"), {"i": referral}
        )
        .scalars()
        .all()
    )
    assert actions[-9:] == [
        "outcome_event.verified",
        "outcome_event.voided",
        "outcome_event.reported",
        "outcome_event.verified",
        "outcome_event.payable",
        "outcome_event.paid",
        "outcome_event.awaiting_clawback",
        "outcome_event.reported",
        "outcome_event.rejected",
    ]


def test_register_records_episodes_and_pre_existing_jobs(
    client: TestClient[Litestar], session: Session, settings: Settings
) -> None:
    ow = make_outcome_world(session)
    referral = _started(session, ow, settings, days_ago=120)
    job_day = TODAY - timedelta(days=100)
    officer = ow.officer.headers
    recorded = client.post(
        f"/referrals/{referral}/events",
        json={
            "event_type": "employment_start",
            "event_date": job_day.isoformat(),
            "source_register": "tulorekisteri",
        },
        headers=officer,
    )
    assert recorded.status_code == 201, recorded.text
    job = recorded.json()
    assert (job["state"], job["source"], job["source_register"]) == ("verified", "register", "tulorekisteri")
    three = _report(
        client,
        ow,
        referral,
        event_type="employed_3_months",
        event_date=add_months(job_day, 3).isoformat(),
    )
    assert (three.json()["episode_id"], three.json()["episode_start"]) == (
        job["episode_id"],
        job_day.isoformat(),
    )
    duplicate = _report(
        client,
        ow,
        referral,
        event_type="employed_3_months",
        event_date=(add_months(job_day, 3) + timedelta(days=1)).isoformat(),
    )
    assert duplicate.status_code == 409
    assert (
        duplicate.json()["detail"]
        == f"This outcome is already recorded for the referral (event {three.json()['id']})."
    )
    # A job whose employment began before the referral is kept, flagged, and never counts.
    early = _report(
        client,
        ow,
        referral,
        event_type="self_employment_start",
        pre_dates_referral=True,
    )
    assert (early.status_code, early.json()["pre_dates_referral"]) == (201, True)
    ended = client.post(
        f"/outcome-events/{job['id']}/end",
        json={"end_date": (job_day + timedelta(days=20)).isoformat()},
        headers=ow.supplier_parties[0].headers,
    )
    assert (ended.status_code, ended.json()["end_date"]) == (200, (job_day + timedelta(days=20)).isoformat())
    twice = client.post(
        f"/outcome-events/{job['id']}/end", json={"end_date": TODAY.isoformat()}, headers=officer
    )
    assert twice.status_code == 409


def test_a_ladder_step_carries_its_rung(
    client: TestClient[Litestar], session: Session, settings: Settings
) -> None:
    ow = make_outcome_world(session, category="INCLUSION")
    referral = _started(session, ow, settings, current_rung="rehabilitative_work_activity")
    step = _report(client, ow, referral, event_type="next_service_step", rung="work_trial")
    assert (step.status_code, step.json()["rung"]) == (201, "work_trial")
    no_rung_here = _report(client, ow, referral, event_type="step_up_held_30_days", rung="work_trial")
    assert no_rung_here.status_code == 422 and no_rung_here.json()["errors"][0]["field"] == "rung"
    assert date.fromisoformat(step.json()["event_date"]) == TODAY
