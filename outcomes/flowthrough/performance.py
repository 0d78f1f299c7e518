"""The outcome-based register: public flow-through per admitted supplier, and the track-record score."""

import uuid
from collections.abc import Iterable
from datetime import date, datetime
from fractions import Fraction

from sqlmodel import Session, col, select

from outcomes.flowthrough.queries import fetch_counts
from outcomes.flowthrough.reports import cell_from_counts, cell_out, check_cutoff, published_dps
from outcomes.flowthrough.rules import Dimension, pooled_rate, track_record_score
from outcomes.flowthrough.schemas import CategoryPerformance, PerformanceRegister, SupplierPerformance
from outcomes.flowthrough.steps import DEFAULT_CONFIG
from procurement.core.clock import helsinki_today
from procurement.ring.dps import dps_category_codes
from procurement.ring.models import Category
from registry import rules as registry_rules
from registry.models import Admission, Supplier


def performance_register(
    session: Session, *, dps_id: uuid.UUID, cutoff: date | None, now: datetime
) -> PerformanceRegister:
    """Per admitted supplier and category: flow-through over matured starts (suppressed under 5), rating."""
    dps = published_dps(session, dps_id)
    day = check_cutoff(cutoff, now=now)
    counts = {
        row.key: row
        for row in fetch_counts(
            session, by=(Dimension.SUPPLIER, Dimension.CATEGORY), cutoff=day, dps_id=dps.id
        )
    }
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
        cell = cell_from_counts(counts.get((str(supplier.id), admission.category_code)))
        by_category.setdefault(admission.category_code, []).append(
            SupplierPerformance(
                business_id=supplier.business_id,
                name=supplier.name,
                status=registry_rules.effective_admission_state(
                    state=admission.state, suspended_until=admission.suspended_until, on=today
                ),
                cell=cell_out(
                    key={"supplier": str(supplier.id), "category": admission.category_code},
                    label=supplier.name,
                    cell=cell,
                    public=True,
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
