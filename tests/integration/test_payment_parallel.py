"""A close computed in worker processes gives the same lines as one computed in this process."""

from datetime import timedelta

from sqlmodel import Session

from outcomes.tracking.rules import add_months
from procurement.core.settings import Settings
from tests.factories.payments import (
    closed_period,
    end,
    lines_of,
    make_pay_world,
    months_ago,
    outcome,
    person,
    start,
)

STEPS = ("employment_start", "employed_3_months", "employed_6_months")


def test_worker_processes_give_the_serial_lines(session: Session, settings: Settings) -> None:
    pw = make_pay_world(session, settings=settings, prices=(240_000, 200_000), ceiling_cents=400_000)
    day = months_ago(11).first_day
    for n in range(8):
        supplier, tier = n % 2, ("T1", "T2", "T3", "T4")[n % 4]
        who = person(session, pw, n=40 + n, tier=tier, partial=n == 5, on=day)
        referral, _ = start(session, pw, participant_id=who, supplier=supplier, on=day + timedelta(days=n))
        job = day + timedelta(days=30 + n)
        for k, kind in enumerate(STEPS[: 1 + n % 3]):
            on = add_months(job, (0, 3, 6)[k])
            outcome(session, pw, referral_id=referral, supplier=supplier, event_type=kind, on=on)
        if n == 6:
            later = add_months(job, 6)
            end(session, pw, referral_id=referral, supplier=supplier, on=later)
            again, _ = start(session, pw, participant_id=who, supplier=supplier, on=later + timedelta(days=1))
            outcome(
                session,
                pw,
                referral_id=again,
                supplier=supplier,
                event_type="employment_start",
                on=later + timedelta(days=10),
            )
    runs = {}
    for workers in (1, 2):
        with session.begin_nested() as attempt:
            period_id = closed_period(session, pw, month=months_ago(1), workers=workers)
            lines = [
                {k: v for k, v in line.items() if k not in ("id", "period_id")}
                for line in lines_of(session, period_id)
            ]
            runs[workers] = sorted(lines, key=lambda line: str(line["line_key"]))
            attempt.rollback()
    # 9 starts (paid and withheld parts), 16 outcomes, and what the contract ceilings refuse.
    assert len(runs[1]) == 35
    assert runs[2] == runs[1]
    kinds = sorted({(str(line["kind"]), str(line["reason"])) for line in runs[1]})
    assert ("ineligible", "contract value ceiling") in kinds
