"""The demo gains contracts, participants, referrals and outcomes: suppliers above and below 80 %."""

from pathlib import Path

from sqlalchemy import text
from sqlmodel import Session

from outcomes.flowthrough.reports import build_report
from outcomes.flowthrough.rules import Dimension
from procurement.app.demo.loader import load_demo
from procurement.core.clock import helsinki_today as today
from procurement.core.clock import utc_now
from procurement.core.settings import Settings


def _count(session: Session, table: str) -> int:
    return int(session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_demo_outcomes_show_suppliers_above_and_below_target(
    session: Session, tmp_path: Path, settings: Settings
) -> None:
    now = utc_now()
    load_demo(session, data_dir=tmp_path, now=now, settings=settings)
    counts = {t: _count(session, t) for t in ("contract", "participant", "referral", "outcome_event")}
    report = build_report(session, by=(Dimension.SUPPLIER,), cutoff=today(now), public=False)
    rates = sorted((c.label, c.qualified, c.denominator, c.rate_bp) for c in report.cells)
    assert (counts["contract"], counts["participant"], counts["referral"]) == (3, 42, 42)
    assert counts["outcome_event"] > 42  # a start per started referral, plus the next steps
    # Which demo supplier gets which profile follows the generated ids; the spread is what matters.
    assert len(rates) == 3
    assert sum(1 for *_, rate in rates if rate is not None and rate >= 8000) == 2
    assert sum(1 for *_, rate in rates if rate is not None and rate < 8000) == 1

    load_demo(session, data_dir=tmp_path, now=now, settings=settings)
    assert {t: _count(session, t) for t in counts} == counts
