"""Public flow-through tables: at most two dimensions with their totals, at the end of a closed month,
suppressed so that neither subtraction nor comparing public cut-offs gives back a hidden figure."""

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from fractions import Fraction

from sqlmodel import Session

from outcomes.flowthrough import disclosure, stored
from outcomes.flowthrough.disclosure import Counts, Position, Shown
from outcomes.flowthrough.reports import _names, check_by, published_dps
from outcomes.flowthrough.rules import Dimension, Rating, half_up, rate_against_target, wilson_interval
from outcomes.flowthrough.schemas import PublicCellOut, PublicFlowThrough
from outcomes.flowthrough.steps import DEFAULT_CONFIG, FlowThroughConfig
from procurement.core.clock import helsinki_today
from procurement.core.errors import InvalidInput

MAX_PUBLIC_DIMENSIONS = 2


def check_public_cutoff(cutoff: date | None, *, now: datetime) -> date:
    """A public cut-off: the end of a closed month (default: the last one)."""
    last = disclosure.last_closed_month_end(helsinki_today(now))
    if cutoff is None:
        return last
    if not disclosure.is_month_end(cutoff) or cutoff > last:
        raise InvalidInput(
            f"Public figures are cut off at the end of a closed month (the latest is {last.isoformat()});"
            f" {cutoff.isoformat()} is not one.",
            field="cutoff",
        )
    return cutoff


def check_public_by(by: Sequence[str] | None) -> tuple[Dimension, ...]:
    """The dimensions of a public table: known, each once, at most two."""
    dims = check_by(by)
    if len(dims) > MAX_PUBLIC_DIMENSIONS:
        raise InvalidInput(f"Public tables have at most {MAX_PUBLIC_DIMENSIONS} dimensions.", field="by")
    return dims


def public_table(
    session: Session,
    *,
    dps_id: uuid.UUID,
    by: tuple[Dimension, ...],
    cutoff: date,
    now: datetime,
    config: FlowThroughConfig = DEFAULT_CONFIG,
) -> dict[Position, Shown]:
    """The table at a public cut-off, suppressed as every earlier month end's table was shown (the
    closed months' tables are stored: outcomes.flowthrough.stored)."""
    return stored.shown_table(session, dps_id=dps_id, by=by, cutoff=cutoff, config=config, now=now)


def _bp(value: float) -> int:
    return half_up(Fraction(value) * 10_000)


def cell_out(
    position: Position, shown: Shown | None, *, by: Sequence[Dimension], label: str, config: FlowThroughConfig
) -> PublicCellOut:
    """One public position: each layer shown or null."""
    key = {d.value: v for d, v in zip(by, position, strict=False) if v is not None}
    counts = shown.counts if shown else Counts(0, 0, 0, 0)
    outcome = shown is not None and shown.outcome_shown
    denominator = counts.denominator
    rate = Fraction(counts.qualified, denominator) if outcome and denominator else None
    interval = wilson_interval(successes=counts.qualified, n=denominator) if outcome else None
    rate_bp = half_up(rate * 10_000) if rate is not None else None
    return PublicCellOut(
        key=key,
        label=label,
        total=any(v is None for v in position[: len(by)]),
        starts=counts.starts if shown and shown.counts_shown else None,
        matured=counts.matured if shown and shown.counts_shown else None,
        neutral=counts.neutral if shown and shown.counts_shown else None,
        denominator=denominator if outcome else None,
        qualified=counts.qualified if outcome else None,
        rate_bp=rate_bp,
        wilson_low_bp=_bp(interval[0]) if interval else None,
        wilson_high_bp=_bp(interval[1]) if interval else None,
        target_bp=config.target_bp,
        gap_to_target_bp=rate_bp - config.target_bp if rate_bp is not None else None,
        suppressed=not outcome,
        rating=(
            rate_against_target(
                successes=counts.qualified,
                n=denominator,
                target_bp=config.target_bp,
                min_n=config.small_cell_threshold,
            )
            if outcome
            else Rating.NOT_ENOUGH_DATA
        ).value,
    )


def public_flow_through(
    session: Session,
    *,
    dps_id: uuid.UUID,
    by: Sequence[str] | None,
    cutoff: date | None,
    now: datetime,
    config: FlowThroughConfig = DEFAULT_CONFIG,
) -> PublicFlowThrough:
    """Open data: the contracts of a published DPS as a public table with its totals."""
    dps = published_dps(session, dps_id)
    dims, day = check_public_by(by), check_public_cutoff(cutoff, now=now)
    shown = public_table(session, dps_id=dps.id, by=dims, cutoff=day, now=now, config=config)
    keys = [tuple(v for v in p if v is not None) for p in shown]
    names = _names(session, dims, [k for k in keys if len(k) == len(dims)])
    cells: list[PublicCellOut] = []
    totals: list[PublicCellOut] = []
    for position in sorted(shown, key=disclosure._order):
        values = [v for v in position if v is not None]
        label = " / ".join(names.get(v, v) for v in values) or "total"
        out = cell_out(position, shown[position], by=dims, label=label, config=config)
        (totals if out.total else cells).append(out)
    return PublicFlowThrough(
        dps_id=dps.id,
        by=[d.value for d in dims],
        cutoff=day,
        horizon_days=config.horizon_days,
        target_bp=config.target_bp,
        threshold=config.small_cell_threshold,
        cells=cells,
        totals=totals,
    )
