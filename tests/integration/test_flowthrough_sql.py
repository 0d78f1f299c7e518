"""The SQL flow-through aggregate equals outcomes.flowthrough.flow_through_by on the same data, per cell."""

from datetime import date, timedelta

import pytest
from sqlmodel import Session, col, select

from minicompetition.award.models import Contract
from outcomes.flowthrough.queries import COUNTED_STATES, fetch_counts
from outcomes.flowthrough.reports import cell_from_counts
from outcomes.flowthrough.rules import Dimension, TaggedStart, flow_through_by
from outcomes.flowthrough.steps import NeutralExit, NextStep, Start
from outcomes.tracking.models import OutcomeEvent, Referral
from outcomes.tracking.rules import NeutralExitKind, OutcomeEventType, Rung
from procurement.core.settings import Settings
from tests.factories.outcomes import OutcomeWorld, Step, make_outcome_world, run_referral

CUTOFF = date(2025, 12, 31)
TODAY = date(2026, 1, 20)
JOB, STUDIES, SELF, LADDER = (
    "employment_start",
    "studies_started",
    "self_employment_start",
    "next_service_step",
)


def d(start: str, plus: int = 0) -> date:
    """A day `plus` days after an ISO date."""
    return date.fromisoformat(start) + timedelta(days=plus)


def _case(session: Session, ow: OutcomeWorld, settings: Settings, n: int, start: str, **kw) -> None:  # type: ignore[no-untyped-def]
    s = d(start)
    run_referral(
        session, ow, settings=settings, n=n, referred=s - timedelta(days=3), started=s, today=TODAY, **kw
    )


def build_varied(session: Session, settings: Settings) -> OutcomeWorld:
    """Two suppliers, three municipalities, mixed target groups, every rule of SPEC 4.4 exercised once."""
    ow = make_outcome_world(session)
    # fmt: off
    a, b = {"supplier": 0}, {"supplier": 1}
    ph = {"lot": "PH", "municipality": "098"}
    # supplier A
    _case(session, ow, settings, 1, "2025-07-01", **a, groups=("long_term_unemployed",),
          steps=(Step(event_type=JOB, on=d("2025-07-01", 20)),), end=(d("2025-07-01", 30), "completed", None))
    _case(session, ow, settings, 2, "2025-07-05", **a, groups=("youth",),
          steps=(Step(event_type=JOB, on=d("2025-07-05", 40), end=d("2025-07-05", 60)),),
          end=(d("2025-07-05", 61), "interrupted", None))  # held 20 days: too short
    _case(session, ow, settings, 3, "2025-07-10", **a, groups=("long_term_unemployed", "immigrants"),
          steps=(Step(event_type=JOB, on=d("2025-07-10", 40), end=d("2025-07-10", 75)),))
    _case(session, ow, settings, 4, "2025-07-15", **a, current_rung="work_trial",
          steps=(Step(event_type=LADDER, on=d("2025-07-15", 10), rung="work_trial"),))  # sideways
    _case(session, ow, settings, 5, "2025-08-01", **a, **ph, groups=("youth",), current_rung="work_trial",
          steps=(Step(event_type=LADDER, on=d("2025-08-01", 10), rung="training"),))  # a step up
    _case(session, ow, settings, 6, "2025-08-03", **a, lot="PH", municipality="111",  # rung unknown
          steps=(Step(event_type=LADDER, on=d("2025-08-03", 10), rung="training"),))
    _case(session, ow, settings, 7, "2025-08-05", **a, lot="PH", municipality="560", groups=("over_55",),
          steps=(Step(event_type=JOB, on=d("2025-08-05", 20)),),
          end=(d("2025-08-05", 50), "neutral_exit", "moved_away"))
    _case(session, ow, settings, 8, "2025-08-10", **a,
          end=(d("2025-08-10", 100), "neutral_exit", "pension"))
    _case(session, ow, settings, 9, "2025-08-12", **a, groups=("long_term_unemployed",),  # pre-existing
          steps=(Step(event_type=JOB, on=d("2025-08-12", 5), pre_dates_referral=True),))
    _case(session, ow, settings, 10, "2025-12-01", **a, steps=(Step(event_type=JOB, on=d("2025-12-01", 10)),))
    _case(session, ow, settings, 11, "2025-09-01", **a, steps=(Step(event_type=JOB, on=d("2025-09-01", 95)),))
    _case(session, ow, settings, 12, "2025-09-05", **a,
          steps=(Step(event_type=JOB, on=d("2025-09-05", 20), decision="none"),))  # never verified
    # supplier B
    _case(session, ow, settings, 21, "2025-07-02", **b,
          steps=(Step(event_type=JOB, on=d("2025-07-02", 15), decision="reject"),))
    _case(session, ow, settings, 22, "2025-07-20", **b, groups=("youth",),
          steps=(Step(event_type=STUDIES, on=d("2025-07-20", 30)),))
    _case(session, ow, settings, 23, "2025-09-02", **b, groups=("youth", "immigrants"),
          steps=(Step(event_type=JOB, on=d("2025-09-02", 80), end=date(2026, 1, 10)),))  # held to the cut-off
    _case(session, ow, settings, 24, "2025-10-02", **b,
          steps=(Step(event_type=JOB, on=d("2025-10-02", 80), end=date(2026, 1, 5)),))  # not yet 30 days
    _case(session, ow, settings, 25, "2025-07-25", **b, steps=(Step(event_type=JOB, on=d("2025-07-25")),))
    _case(session, ow, settings, 26, "2026-01-05", **b, steps=(Step(event_type=JOB, on=d("2026-01-05", 5)),))
    run_referral(session, ow, settings=settings, n=27, referred=d("2025-08-01"), supplier=1)  # never started
    _case(session, ow, settings, 28, "2025-08-20", **b, **ph, groups=("over_55",),
          steps=(Step(event_type=SELF, on=d("2025-08-20", 45), by_officer=True),))
    _case(session, ow, settings, 29, "2025-08-25", **b, lot="PH", municipality="111",
          end=(d("2025-08-25", 30), "neutral_exit", "death"))
    _case(session, ow, settings, 30, "2025-07-28", **b, current_rung="pay_subsidised_work",
          steps=(Step(event_type=JOB, on=d("2025-07-28", 20), rung="pay_subsidised_work"),))  # sideways job
    # fmt: on
    return ow


def tagged_from_db(session: Session, *, cutoff: date) -> list[TaggedStart]:
    """The reference's input, read row by row (the test's job, never the report's)."""
    rows = session.exec(
        select(Referral, Contract)
        .join(Contract, col(Contract.id) == Referral.contract_id)
        .where(col(Referral.started_on).is_not(None), col(Referral.started_on) <= cutoff)
    ).all()
    counted = {s.value for s in COUNTED_STATES}
    out = []
    for r, c in rows:
        found = session.exec(select(OutcomeEvent).where(OutcomeEvent.referral_id == r.id)).all()
        steps = tuple(
            NextStep(
                event_type=OutcomeEventType(e.event_type),
                start=e.event_date,
                end=e.end_date,
                rung=Rung(e.rung) if e.rung else None,
                pre_dates_referral=e.pre_dates_referral,
            )
            for e in found
            if e.state in counted
        )
        exit_ = (
            NeutralExit(
                kind=NeutralExitKind(r.neutral_exit_kind),
                on=r.ended_on,
                verified=r.neutral_exit_state == "verified",
            )
            if r.neutral_exit_kind and r.ended_on
            else None
        )
        assert r.started_on is not None
        start = Start(
            referral_id=str(r.id),
            referral_date=r.referred_on,
            start_date=r.started_on,
            current_rung=Rung(r.current_rung) if r.current_rung else None,
            neutral_exit=exit_,
            next_steps=steps,
        )
        out.append(
            TaggedStart(
                start=start,
                contract_id=str(c.id),
                supplier_id=str(c.supplier_id),
                category=c.category_code,
                lot_id=str(r.lot_id),
                municipality_code=r.home_municipality_code,
                target_groups=frozenset(r.target_groups),
            )
        )
    return out


GROUPINGS = [
    *[(dim,) for dim in Dimension],
    (Dimension.SUPPLIER, Dimension.MONTH),
    (Dimension.MUNICIPALITY, Dimension.TARGET_GROUP),
    (Dimension.CONTRACT, Dimension.LOT, Dimension.TARGET_GROUP),
]


@pytest.mark.parametrize("cutoff", [CUTOFF, date(2025, 10, 31), date(2025, 7, 1)])
def test_sql_cells_equal_the_reference_cell_by_cell(
    session: Session, settings: Settings, cutoff: date
) -> None:
    build_varied(session, settings)
    tagged = tagged_from_db(session, cutoff=cutoff)
    for by in GROUPINGS:
        expected = flow_through_by(starts=tagged, by=by, cutoff=cutoff)
        got = {row.key: cell_from_counts(row) for row in fetch_counts(session, by=by, cutoff=cutoff)}
        assert list(got) == list(expected), by
        for key, cell in expected.items():
            assert got[key] == cell, (by, key)


def test_varied_data_set_figures(session: Session, settings: Settings) -> None:
    ow = build_varied(session, settings)
    (total,) = fetch_counts(session, by=(Dimension.CATEGORY,), cutoff=CUTOFF)
    cell = cell_from_counts(total)
    assert (cell.starts, cell.matured, cell.neutral, cell.denominator, cell.qualified) == (20, 19, 2, 17, 6)
    assert cell.rate_bp == 3529 and cell.gap_to_target_bp == 3529 - 8000
    assert dict(cell.neutral_by_kind) == {NeutralExitKind.MOVED_AWAY: 1, NeutralExitKind.DEATH: 1}
    by_supplier = {
        r.key[0]: cell_from_counts(r) for r in fetch_counts(session, by=(Dimension.SUPPLIER,), cutoff=CUTOFF)
    }
    a, b = by_supplier[str(ow.suppliers[0].id)], by_supplier[str(ow.suppliers[1].id)]
    assert (a.starts, a.matured, a.neutral, a.denominator, a.qualified, a.rate_bp) == (12, 11, 1, 10, 3, 3000)
    assert a.median_days_to_step == 20.0  # 10, 20 and 40 days
    assert (b.starts, b.matured, b.neutral, b.denominator, b.qualified, b.rate_bp) == (8, 8, 1, 7, 3, 4286)
    assert b.median_days_to_step == 45.0  # 30, 45 and 80 days
    assert a.interval is not None and round(a.interval[0], 4) == 0.1078 and round(a.interval[1], 4) == 0.6032
