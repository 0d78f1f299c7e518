"""Flow-through reports: SQL counts turned into cells, full for the buyer, suppressed for the public."""

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from fractions import Fraction

from sqlmodel import Session, col, select

from minicompetition.tender.models import Lot
from outcomes.flowthrough.queries import CellCounts, fetch_counts
from outcomes.flowthrough.rules import (
    Dimension,
    FlowThroughCell,
    half_up,
    public_cell,
    rate_against_target,
    wilson_interval,
)
from outcomes.flowthrough.schemas import CellOut, FlowThroughReport
from outcomes.flowthrough.steps import DEFAULT_CONFIG, FlowThroughConfig
from outcomes.tracking import access
from outcomes.tracking.rules import NeutralExitKind
from procurement.core.auth import Caller
from procurement.core.clock import helsinki_today
from procurement.core.errors import InvalidInput, NotFound
from procurement.ring.models import Dps
from registry.models import Supplier

MAX_DIMENSIONS = 3


def cell_from_counts(
    counts: CellCounts | None, *, config: FlowThroughConfig = DEFAULT_CONFIG
) -> FlowThroughCell:
    """The cell flow_through() would give for these counts (None: a cell without starts)."""
    starts = matured = qualified = 0
    kinds: tuple[tuple[NeutralExitKind, int], ...] = ()
    median = None
    if counts is not None:
        starts, matured, qualified = counts.starts, counts.matured, counts.qualified
        kinds, median = counts.neutral_by_kind, counts.median_days
    neutral = sum(n for _, n in kinds)
    denominator = matured - neutral
    rate = Fraction(qualified, denominator) if denominator else None
    rate_bp = half_up(rate * 10_000) if rate is not None else None
    return FlowThroughCell(
        starts=starts,
        matured=matured,
        neutral=neutral,
        denominator=denominator,
        qualified=qualified,
        neutral_by_kind=kinds,
        rate=rate,
        rate_bp=rate_bp,
        interval=wilson_interval(successes=qualified, n=denominator),
        target_bp=config.target_bp,
        gap_to_target_bp=rate_bp - config.target_bp if rate_bp is not None else None,
        median_days_to_step=median,
        suppressed=denominator < config.small_cell_threshold,
        rating=rate_against_target(
            successes=qualified, n=denominator, target_bp=config.target_bp, min_n=config.small_cell_threshold
        ),
    )


def _bp(value: float) -> int:
    return half_up(Fraction(value) * 10_000)


def cell_out(
    *,
    key: dict[str, str],
    label: str,
    cell: FlowThroughCell,
    public: bool,
    config: FlowThroughConfig = DEFAULT_CONFIG,
) -> CellOut:
    """Shape a cell; public output blanks small counts (outcomes.flowthrough.public_cell)."""
    shown = public_cell(cell=cell, config=config) if public else cell
    interval = shown.interval
    return CellOut(
        key=key,
        label=label,
        starts=shown.starts,
        matured=shown.matured,
        neutral=shown.neutral,
        denominator=shown.denominator,
        qualified=shown.qualified,
        rate_bp=shown.rate_bp,
        wilson_low_bp=_bp(interval[0]) if interval else None,
        wilson_high_bp=_bp(interval[1]) if interval else None,
        target_bp=shown.target_bp,
        gap_to_target_bp=shown.gap_to_target_bp,
        median_days_to_step=shown.median_days_to_step,
        suppressed=shown.suppressed,
        rating=shown.rating.value,
        neutral_by_kind=None if public else {k.value: n for k, n in cell.neutral_by_kind},
    )


def _names(session: Session, by: Sequence[Dimension], keys: Sequence[tuple[str, ...]]) -> dict[str, str]:
    """Readable names for supplier and lot ids among the keys."""
    names: dict[str, str] = {}
    for i, dimension in enumerate(by):
        ids = (
            sorted({uuid.UUID(k[i]) for k in keys})
            if dimension in (Dimension.SUPPLIER, Dimension.LOT)
            else []
        )
        if not ids:
            continue
        if dimension is Dimension.SUPPLIER:
            # Only the two columns: a supplier's row is wide, and a report may name hundreds.
            query = select(Supplier.id, Supplier.name).where(col(Supplier.id).in_(ids))
            names.update({str(i): name for i, name in session.exec(query)})
        else:
            lots = select(Lot.id, Lot.code).where(col(Lot.id).in_(ids))
            names.update({str(i): code for i, code in session.exec(lots)})
    return names


def check_cutoff(cutoff: date | None, *, now: datetime) -> date:
    """The cut-off (default today in Finland); a future cut-off would count the unknown as failures."""
    today = helsinki_today(now)
    if cutoff is None:
        return today
    if cutoff > today:
        raise InvalidInput(f"The cut-off {cutoff.isoformat()} is in the future.", field="cutoff")
    return cutoff


def check_by(by: Sequence[str] | None) -> tuple[Dimension, ...]:
    """The grouping dimensions: known, each once, at most three (default: by supplier)."""
    names = list(by or [Dimension.SUPPLIER.value])
    try:
        dims = tuple(Dimension(n) for n in names)
    except ValueError:
        known = ", ".join(d.value for d in Dimension)
        raise InvalidInput(f"Group by one of {known}.", field="by") from None
    if len(set(dims)) != len(dims) or len(dims) > MAX_DIMENSIONS:
        raise InvalidInput(f"Group by up to {MAX_DIMENSIONS} different dimensions.", field="by")
    return dims


def build_report(
    session: Session,
    *,
    by: Sequence[Dimension],
    cutoff: date,
    public: bool,
    authority_id: uuid.UUID | None = None,
    supplier_id: uuid.UUID | None = None,
    dps_id: uuid.UUID | None = None,
    config: FlowThroughConfig = DEFAULT_CONFIG,
) -> FlowThroughReport:
    """Flow-through cells from the SQL aggregate, in the given scope."""
    rows = fetch_counts(
        session,
        by=by,
        cutoff=cutoff,
        authority_id=authority_id,
        supplier_id=supplier_id,
        dps_id=dps_id,
        config=config,
    )
    names = _names(session, by, [r.key for r in rows])
    cells = [
        cell_out(
            key={d.value: v for d, v in zip(by, row.key, strict=True)},
            label=" / ".join(names.get(v, v) for v in row.key),
            cell=cell_from_counts(row, config=config),
            public=public,
            config=config,
        )
        for row in rows
    ]
    return FlowThroughReport(
        by=[d.value for d in by],
        cutoff=cutoff,
        horizon_days=config.horizon_days,
        target_bp=config.target_bp,
        public=public,
        cells=cells,
    )


def flow_through_report(
    session: Session, *, caller: Caller, by: Sequence[str] | None, cutoff: date | None, now: datetime
) -> FlowThroughReport:
    """Full figures: an officer's authority's contracts, or the calling supplier's own."""
    supplier_id = access.supplier_id_of(session, caller)
    return build_report(
        session,
        by=check_by(by),
        cutoff=check_cutoff(cutoff, now=now),
        public=False,
        authority_id=caller.authority_id if supplier_id is None else None,
        supplier_id=supplier_id,
    )


def published_dps(session: Session, dps_id: uuid.UUID) -> Dps:
    """A published DPS, or 404."""
    dps = session.get(Dps, dps_id)
    if dps is None or dps.state == "draft":
        raise NotFound("No published DPS has that id.")
    return dps
