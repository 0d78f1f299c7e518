"""A period's lines added up for its page: by status (so the counts add up), supplier and municipality."""

import uuid
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from outcomes.payments.models import PaymentLineRow
from outcomes.payments.periods import load_period
from procurement.core.auth import Caller
from registry.models import Supplier


@dataclass(frozen=True)
class Sum:
    """Lines and their amount under one heading."""

    key: str
    name: str
    lines: int
    amount_cents: int


@dataclass(frozen=True)
class PeriodSummary:
    """Every line of a period once per table; each table's lines add up to the period's line count."""

    by_status: list[Sum]
    by_supplier: list[Sum]  # payable lines only: what the payment basis pays each supplier
    by_municipality: list[Sum]  # payable lines only
    lines: int
    payable_cents: int


def period_summary(session: Session, *, caller: Caller, period_id: uuid.UUID) -> PeriodSummary:
    """The lines of one period of the caller's authority, added up three ways."""
    load_period(session, caller=caller, period_id=period_id, roles=("finance", "officer"))
    line = PaymentLineRow
    count, total = func.count(), func.coalesce(func.sum(line.amount_cents), 0)
    statuses = session.exec(
        select(line.status, count, total).where(line.period_id == period_id).group_by(line.status)
    ).all()
    suppliers = session.exec(
        select(Supplier.business_id, Supplier.name, count, total)
        .join(Supplier, col(Supplier.id) == line.supplier_id)
        .where(line.period_id == period_id, line.status == "payable")
        .group_by(Supplier.business_id, Supplier.name)
        .order_by(Supplier.name)
    ).all()
    municipalities = session.exec(
        select(line.home_municipality_code, count, total)
        .where(line.period_id == period_id, line.status == "payable")
        .group_by(line.home_municipality_code)
        .order_by(line.home_municipality_code)
    ).all()
    order = {"payable": 0, "withheld": 1, "not_payable": 2}
    by_status = sorted((Sum(s, s, n, int(t)) for s, n, t in statuses), key=lambda x: order.get(x.key, 9))
    payable = next((s.amount_cents for s in by_status if s.key == "payable"), 0)
    return PeriodSummary(
        by_status=by_status,
        by_supplier=[Sum(b, name, n, int(t)) for b, name, n, t in suppliers],
        by_municipality=[Sum(m, m, n, int(t)) for m, n, t in municipalities],
        lines=sum(s.lines for s in by_status),
        payable_cents=payable,
    )
