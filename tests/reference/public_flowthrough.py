"""The public table as it was computed before the months were stored: every month end's counts by the
cut-off by cut-off aggregate, then suppressed in date order. The reference the stored tables must equal."""

import uuid
from datetime import date

from sqlmodel import Session

from outcomes.flowthrough import disclosure
from outcomes.flowthrough.disclosure import Counts, Position, Shown
from outcomes.flowthrough.public import cell_out
from outcomes.flowthrough.queries import CellCounts, fetch_series
from outcomes.flowthrough.rules import Dimension
from outcomes.flowthrough.schemas import PublicCellOut
from outcomes.flowthrough.steps import DEFAULT_CONFIG, FlowThroughConfig
from outcomes.flowthrough.stored import first_start


def _counts(cell: CellCounts) -> Counts:
    return Counts(
        starts=cell.starts,
        matured=cell.matured,
        neutral=sum(n for _, n in cell.neutral_by_kind),
        qualified=cell.qualified,
    )


def tables(
    session: Session,
    *,
    dps_id: uuid.UUID,
    by: tuple[Dimension, ...],
    cutoffs: list[date],
    config: FlowThroughConfig,
) -> dict[date, dict[Position, Counts]]:
    """Every position's counts at every cut-off: the cells, the row and column totals and the total."""
    out: dict[date, dict[Position, Counts]] = {c: {} for c in cutoffs}
    groupings: list[tuple[tuple[Dimension, ...], int | None]] = [(by, None), ((), -1)]
    if len(by) == 2:
        groupings += [((by[0],), 0), ((by[1],), 1)]
    for dims, margin in groupings:
        series = fetch_series(session, by=dims, cutoffs=cutoffs, dps_id=dps_id, config=config)
        for cutoff, cells in series.items():
            for cell in cells:
                if margin is None:
                    position: Position = (cell.key[0], cell.key[1] if len(by) == 2 else None)
                elif margin == -1:
                    position = disclosure.TOTAL
                else:
                    position = (cell.key[0], None) if margin == 0 else (None, cell.key[0])
                out[cutoff][position] = _counts(cell)
    return out


def reference_table(
    session: Session,
    *,
    dps_id: uuid.UUID,
    by: tuple[Dimension, ...],
    cutoff: date,
    config: FlowThroughConfig = DEFAULT_CONFIG,
) -> dict[Position, Shown]:
    """The table at a public cut-off, computed from scratch over the whole series."""
    first = first_start(session, dps_id)
    if first is None or first > cutoff:
        return {}
    cutoffs = disclosure.month_ends(first, cutoff)
    counts = tables(session, dps_id=dps_id, by=by, cutoffs=cutoffs, config=config)
    return disclosure.suppress_over_time(
        counts, threshold=config.small_cell_threshold, two_dimensional=len(by) == 2
    )


def public_view(table: dict[Position, Shown], by: tuple[Dimension, ...]) -> dict[Position, PublicCellOut]:
    """What the public reads of each position (hidden layers null)."""
    return {p: cell_out(p, s, by=by, label="", config=DEFAULT_CONFIG) for p, s in table.items()}
