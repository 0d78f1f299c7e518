"""Reading payments: a period with its manifests, lines in the caller's scope, and a line's trace."""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select

from outcomes.payments.contract_terms import snapshot_terms
from outcomes.payments.models import ExportBatch, PaymentLineRow, PaymentPeriod
from outcomes.payments.schemas import LineOut, ManifestOut, PeriodOut, TraceOut
from outcomes.payments.trace import full_trace
from procurement.core.auth import Caller
from procurement.core.errors import NotFound
from procurement.core.money import format_eur, format_plain
from registry.suppliers import current_supplier

NO_LINE = "No payment line has that id."
MAX_LINES = 1000


def manifest_out(batch: ExportBatch) -> ManifestOut:
    """Shape a stored manifest."""
    return ManifestOut(
        batch_id=batch.batch_id,
        format=batch.format,
        file_name=batch.file_name,
        row_count=batch.row_count,
        total_cents=batch.total_cents,
        totals_by_supplier_cents=dict(batch.totals_by_supplier),
        totals_by_municipality_cents=dict(batch.totals_by_municipality),
        size_bytes=batch.size_bytes,
        sha256=batch.sha256,
        created_at=batch.created_at,
        created_by=batch.created_by,
    )


def period_out(session: Session, period: PaymentPeriod) -> PeriodOut:
    """Shape a period with the manifests of the formats exported so far."""
    batches = session.exec(
        select(ExportBatch).where(ExportBatch.period_id == period.id).order_by(col(ExportBatch.format))
    ).all()
    return PeriodOut(
        id=period.id,
        authority_id=period.authority_id,
        month=period.month,
        state=period.state,
        created_at=period.created_at,
        closed_at=period.closed_at,
        approved_at=period.approved_at,
        exported_at=period.exported_at,
        event_count=period.event_count,
        line_count=period.line_count,
        payable_cents=period.payable_cents,
        payable_eur=None if period.payable_cents is None else format_eur(period.payable_cents),
        unpaid_cents=period.unpaid_cents,
        exports=[manifest_out(b) for b in batches],
    )


def _scope(session: Session, caller: Caller) -> ColumnElement[bool]:
    """Suppliers see their own lines; officers and finance the lines their authority pays."""
    caller.require("supplier", "officer", "finance")
    if caller.role == "supplier":
        return col(PaymentLineRow.supplier_id) == current_supplier(session, caller).id
    return col(PaymentPeriod.authority_id) == caller.authority_id


def line_out(line: PaymentLineRow) -> LineOut:
    """Shape a line (no pseudonym: the export and the trace carry it for finance and reproduction)."""
    assert line.id is not None  # noqa: S101 (stored lines have their number)
    return LineOut(
        id=line.id,
        period_id=line.period_id,
        contract_id=line.contract_id,
        supplier_id=line.supplier_id,
        home_municipality_code=line.home_municipality_code,
        event_id=line.event_id,
        event_type=line.event_type,
        event_date=line.event_date,
        component=line.component,
        kind=line.kind,
        status=line.status,
        unit_amount_cents=line.unit_amount_cents,
        share_bp=line.share_bp,
        multiplier_bp=line.multiplier_bp,
        amount_cents=line.amount_cents,
        amount_eur=format_plain(line.amount_cents),
        unpaid_cents=line.unpaid_cents,
        reason=line.reason,
        corrects_line_id=line.corrects_line_id,
        rule_version=line.rule_version,
        trace_id=line.trace_id,
        base_cents=line.base_cents,
        rate_num=line.rate_num,
        rate_den=line.rate_den,
        deducted_cents=line.deducted_cents,
    )


def list_lines(
    session: Session, *, caller: Caller, period_id: uuid.UUID | None, limit: int, offset: int
) -> list[LineOut]:
    """Lines in the caller's scope, optionally of one period, in line order."""
    query = (
        select(PaymentLineRow)
        .join(PaymentPeriod, col(PaymentPeriod.id) == PaymentLineRow.period_id)
        .where(_scope(session, caller))
    )
    if period_id is not None:
        query = query.where(PaymentLineRow.period_id == period_id)
    rows = session.exec(
        query.order_by(col(PaymentLineRow.id)).offset(offset).limit(min(max(limit, 1), MAX_LINES))
    ).all()
    return [line_out(r) for r in rows]


def line_trace(session: Session, *, caller: Caller, line_id: int) -> TraceOut:
    """The trace of one line: to its supplier, and to the paying authority's officers and finance."""
    row = session.exec(
        select(PaymentLineRow)
        .join(PaymentPeriod, col(PaymentPeriod.id) == PaymentLineRow.period_id)
        .where(PaymentLineRow.id == line_id, _scope(session, caller))
    ).first()
    if row is None or row.id is None:
        raise NotFound(NO_LINE)
    period = session.get(PaymentPeriod, row.period_id)
    assert period is not None and period.snapshot is not None  # noqa: S101 (lines exist once closed)
    frozen = period.snapshot
    trace = full_trace(
        stored=row.trace,
        row=row.model_dump(),
        terms_of=lambda key: snapshot_terms(frozen, terms_key=key),
    )
    return TraceOut(
        line_id=row.id,
        trace_id=row.trace_id,
        rule=row.rule,
        rule_version=row.rule_version,
        amount_cents=row.amount_cents,
        unpaid_cents=row.unpaid_cents,
        trace=trace,
    )
