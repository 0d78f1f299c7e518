"""The outcome-based register: public flow-through per admitted supplier, and the track-record score."""

import uuid
from collections.abc import Iterable
from datetime import date, datetime
from fractions import Fraction

from sqlmodel import Session, col, select

from outcomes.flowthrough.public import cell_out as public_cell_out
from outcomes.flowthrough.public import check_public_cutoff, public_table
from outcomes.flowthrough.queries import fetch_counts
from outcomes.flowthrough.reports import cell_from_counts, published_dps
from outcomes.flowthrough.rules import Dimension, pooled_rate, track_record_score
from outcomes.flowthrough.schemas import (
    CategoryPerformance,
    CellOut,
    PerformanceRegister,
    SupplierPerformance,
)
from outcomes.flowthrough.steps import DEFAULT_CONFIG
from procurement.core.clock import helsinki_today
from procurement.ring.dps import dps_category_codes
from procurement.ring.models import Category
from registry import rules as registry_rules
from registry.models import Admission, Supplier


def performance_register(
    session: Session, *, dps_id: uuid.UUID, cutoff: date | None, now: datetime
) -> PerformanceRegister:
    """Per admitted supplier and category: flow-through and rating, as the public table (supplier ×
    category, its totals published too) shows them at the end of a closed month."""
    dps = published_dps(session, dps_id)
    day = check_public_cutoff(cutoff, now=now)
    dims = (Dimension.SUPPLIER, Dimension.CATEGORY)
    shown = public_table(session, dps_id=dps.id, by=dims, cutoff=day, now=now)
    rows = session.exec(
        select(Admission, Supplier)
        .join(Supplier, col(Supplier.id) == Admission.supplier_id)
        .where(Admission.dps_id == dps.id, Admission.state != "excluded")
        .order_by(col(Supplier.name), col(Supplier.id))
    ).all()
    today = helsinki_today(now)
    by_category: dict[str, list[SupplierPerformance]] = {
        code: [] for code in sorted(dps_category_codes(session, dps.id))
    }
    for admission, supplier in rows:
        position = (str(supplier.id), admission.category_code)
        cell = public_cell_out(
            position, shown.get(position), by=dims, label=supplier.name, config=DEFAULT_CONFIG
        )
        by_category.setdefault(admission.category_code, []).append(
            SupplierPerformance(
                business_id=supplier.business_id,
                name=supplier.name,
                status=registry_rules.effective_admission_state(
                    state=admission.state, suspended_until=admission.suspended_until, on=today
                ),
                cell=CellOut(
                    key=cell.key,
                    label=cell.label,
                    starts=cell.starts,
                    matured=cell.matured,
                    neutral=cell.neutral,
                    denominator=cell.denominator,
                    qualified=cell.qualified,
                    rate_bp=cell.rate_bp,
                    wilson_low_bp=cell.wilson_low_bp,
                    wilson_high_bp=cell.wilson_high_bp,
                    target_bp=cell.target_bp,
                    gap_to_target_bp=cell.gap_to_target_bp,
                    median_days_to_step=None,
                    suppressed=cell.suppressed,
                    rating=cell.rating,
                ),
            )
        )
    order = {c.code: c.position for c in session.exec(select(Category))}
    return PerformanceRegister(
        dps_id=dps.id,
        cutoff=day,
        target_bp=DEFAULT_CONFIG.target_bp,
        categories=[
            CategoryPerformance(category=code, suppliers=entries)
            for code, entries in sorted(by_category.items(), key=lambda item: order.get(item[0], 99))
        ],
    )


def track_record_scores(
    session: Session,
    *,
    dps_id: uuid.UUID,
    category_code: str,
    supplier_ids: Iterable[uuid.UUID],
    cutoff: date,
) -> dict[uuid.UUID, int]:
    """Track-record quality 0–100 per supplier: its flow-through shrunk toward the category's pooled rate."""
    # The prior is worth 20 matured starts (FlowThroughConfig.prior_weight_starts), so a new entrant scores
    # exactly the category mean; with no matured start in the category at all, the target stands in for it.
    config = DEFAULT_CONFIG
    rows = fetch_counts(
        session,
        by=(Dimension.SUPPLIER,),
        cutoff=cutoff,
        dps_id=dps_id,
        category_code=category_code,
        config=config,
    )
    cells = {row.key[0]: cell_from_counts(row, config=config) for row in rows}
    mean = pooled_rate(cells=cells.values())
    if mean is None:
        mean = Fraction(config.target_bp, 10_000)
    scores: dict[uuid.UUID, int] = {}
    for supplier_id in supplier_ids:
        cell = cells.get(str(supplier_id))
        scores[supplier_id] = track_record_score(
            qualified=cell.qualified if cell else 0,
            denominator=cell.denominator if cell else 0,
            category_mean=mean,
            prior_weight=config.prior_weight_starts,
        )
    return scores
