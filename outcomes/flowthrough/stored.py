"""Public tables of closed months, stored as shown: a month end's table is computed once (ADR 0006).

# The table at a month end is suppressed against every earlier month end's table, so computing it live
# costs the whole series. Each month end's shown table is stored (flow_through_month) the first time a
# writable session asks for it; the next asks read one row. The triggers of migration 0023 delete the
# stored months a changed referral or next step counts in, under a shared advisory lock on the DPS held
# to the writer's commit; the storing reader takes that lock exclusively (never waiting: when a writer
# is busy, or on a standby, it computes without storing) and reads the facts only after it holds it, so
# a month stored from facts that have since changed cannot survive. The stored months of a table are
# therefore always the series' first months, and every one equals what the whole computation gives now.
"""

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, text
from sqlmodel import Session, col, select

from minicompetition.award.models import Contract
from outcomes.flowthrough import disclosure
from outcomes.flowthrough.disclosure import Counts, History, Position, Shown
from outcomes.flowthrough.models import FlowThroughMonth
from outcomes.flowthrough.rules import Dimension
from outcomes.flowthrough.series import month_series
from outcomes.flowthrough.steps import FlowThroughConfig
from outcomes.tracking.models import Referral

LOCK_SPACE = 18004  # the advisory lock space of migration 0023's triggers


def _key(dps_id: uuid.UUID, by: Sequence[Dimension], config: FlowThroughConfig) -> dict[str, Any]:
    return {
        "dps_id": dps_id,
        "grouping": ",".join(d.value for d in by),
        "horizon_days": config.horizon_days,
        "persistence_days": config.persistence_days,
        "threshold": config.small_cell_threshold,
    }


def _months(session: Session, key: dict[str, Any], *, until: date) -> list[FlowThroughMonth]:
    query = select(FlowThroughMonth).where(
        *(getattr(FlowThroughMonth, name) == value for name, value in key.items()),
        col(FlowThroughMonth.month_end) <= until,
    )
    return list(session.exec(query.order_by(col(FlowThroughMonth.month_end))))


def encode(table: dict[Position, Shown]) -> list[list[Any]]:
    """A shown table as stored: a position without its outcome layer is stored without its counts."""
    rows = []
    for (a, b), shown in sorted(table.items(), key=lambda item: disclosure._order(item[0])):
        c = shown.counts
        counts = [c.starts, c.matured, c.neutral, c.qualified] if shown.outcome_shown else [None] * 4
        rows.append([a, b, shown.outcome_shown, shown.counts_shown, *counts])
    return rows


def decode(rows: list[list[Any]]) -> dict[Position, Shown]:
    """The shown table of a stored month (hidden counts read as zero: nothing shows them)."""
    table = {}
    for a, b, outcome_shown, counts_shown, *counts in rows:
        c = Counts(*(n or 0 for n in counts))
        table[(a, b)] = Shown(c, outcome_shown=outcome_shown, counts_shown=counts_shown)
    return table


def _history(months: list[FlowThroughMonth]) -> History:
    """What was last shown of each position in each layer after the stored months."""
    history = History()
    for month in months:
        for position, shown in decode(month.positions).items():
            if shown.outcome_shown:
                history.outcome[position] = shown.counts
            if shown.counts_shown:
                history.counts[position] = shown.counts
    return history


def _may_store(session: Session, dps_id: uuid.UUID) -> bool:
    """Take the DPS's lock against the triggers' writers, without waiting; never on a standby or in a
    read-only transaction."""
    took: bool = session.execute(
        text(
            "SELECT CASE WHEN pg_is_in_recovery() OR current_setting('transaction_read_only') = 'on'"
            " THEN false ELSE pg_try_advisory_xact_lock(:space, hashtext(CAST(:dps AS text))) END"
        ),
        {"space": LOCK_SPACE, "dps": str(dps_id)},
    ).scalar_one()
    return took


def first_start(session: Session, dps_id: uuid.UUID) -> date | None:
    """The first start under the DPS's contracts: its month end is the series' first."""
    first: date | None = session.exec(
        select(func.min(Referral.started_on))
        .join(Contract, col(Contract.id) == Referral.contract_id)
        .where(Contract.dps_id == dps_id)
    ).one()
    return first


def shown_table(
    session: Session,
    *,
    dps_id: uuid.UUID,
    by: tuple[Dimension, ...],
    cutoff: date,
    config: FlowThroughConfig,
    now: datetime,
) -> dict[Position, Shown]:
    """The public table at a closed month's end, suppressed as every earlier month end's table was shown;
    the months not stored yet are computed (and stored when this session may)."""
    key = _key(dps_id, by, config)
    stored = session.get(FlowThroughMonth, {**key, "month_end": cutoff})
    if stored is not None:
        return decode(stored.positions)
    storing = _may_store(session, dps_id)
    first = first_start(session, dps_id)
    if first is None or first > cutoff:
        return {}
    cutoffs = disclosure.month_ends(first, cutoff)
    done = _months(session, key, until=cutoff)
    if [m.month_end for m in done] != cutoffs[: len(done)]:
        # Not the series' first months (the triggers keep this from happening): compute it all afresh.
        if storing:
            session.execute(
                delete(FlowThroughMonth).where(*(getattr(FlowThroughMonth, n) == v for n, v in key.items()))
            )
        done = []
    if done and done[-1].month_end == cutoff:
        return decode(done[-1].positions)  # stored by another reader since the first look
    history = _history(done)
    todo = cutoffs[len(done) :]
    tables = month_series(session, dps_id=dps_id, by=by, cutoffs=todo, config=config)
    shown: dict[Position, Shown] = {}
    two_dimensional = len(by) == 2
    for month in todo:
        shown = disclosure.suppress(
            tables[month], history, threshold=config.small_cell_threshold, two_dimensional=two_dimensional
        )
        if storing:
            session.add(FlowThroughMonth(**key, month_end=month, positions=encode(shown), computed_at=now))
    if storing:
        session.flush()
    return shown
