"""API shapes of flow-through reports and the performance register."""

import uuid
from datetime import date

import msgspec


class CellOut(msgspec.Struct):
    """One flow-through cell; in public output small counts are null and ``suppressed`` is true."""

    key: dict[str, str]
    label: str
    starts: int | None
    matured: int | None
    neutral: int | None
    denominator: int | None
    qualified: int | None
    rate_bp: int | None
    wilson_low_bp: int | None
    wilson_high_bp: int | None
    target_bp: int
    gap_to_target_bp: int | None
    median_days_to_step: float | None
    suppressed: bool
    rating: str
    neutral_by_kind: dict[str, int] | None = None


class FlowThroughReport(msgspec.Struct):
    """Flow-through cells at a cut-off, grouped by the given dimensions."""

    by: list[str]
    cutoff: date
    horizon_days: int
    target_bp: int
    public: bool
    cells: list[CellOut]


class SupplierPerformance(msgspec.Struct):
    """An admitted supplier's public flow-through in a category and its rating against the target."""

    business_id: str
    name: str
    status: str
    cell: CellOut


class CategoryPerformance(msgspec.Struct):
    """The performance register of one category."""

    category: str
    suppliers: list[SupplierPerformance]


class PerformanceRegister(msgspec.Struct):
    """The outcome-based public register of a DPS."""

    dps_id: uuid.UUID
    cutoff: date
    target_bp: int
    categories: list[CategoryPerformance]


class PublicCellOut(msgspec.Struct):
    """One position of a public table: a cell or a total; a hidden layer is null (``suppressed``: the
    outcome layer is hidden)."""

    key: dict[str, str]
    label: str
    total: bool
    starts: int | None
    matured: int | None
    neutral: int | None
    denominator: int | None
    qualified: int | None
    rate_bp: int | None
    wilson_low_bp: int | None
    wilson_high_bp: int | None
    target_bp: int
    gap_to_target_bp: int | None
    suppressed: bool
    rating: str


class PublicFlowThrough(msgspec.Struct):
    """A public flow-through table at the end of a closed month: its cells and its totals."""

    dps_id: uuid.UUID
    by: list[str]
    cutoff: date
    horizon_days: int
    target_bp: int
    threshold: int
    cells: list[PublicCellOut]
    totals: list[PublicCellOut]
