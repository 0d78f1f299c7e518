"""Use cases of payment periods: create, close (compute the lines), approve, and confirm the export."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import psycopg.errors
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from outcomes.payments.adjustments import corrections
from outcomes.payments.close import close_lines, moved_digest
from outcomes.payments.cohorts import settlements
from outcomes.payments.contract_terms import load_contracts, snapshot
from outcomes.payments.models import PaymentPeriod
from outcomes.payments.period_rules import PERIOD_MACHINE, has_ended, parse_month
from outcomes.payments.reads import period_out, periods_out
from outcomes.payments.schemas import PeriodOut
from outcomes.tracking import events as outcome_events
from outcomes.tracking.models import OutcomeEvent
from outcomes.tracking.rules import OutcomeEventState
from procurement.core import audit, outbox
from procurement.core.auth import Caller
from procurement.core.clock import helsinki_today
from procurement.core.errors import Conflict, NotFound
from procurement.core.paging import FIRST_PAGE, Keyset, Page, PageRequest
from procurement.ring.models import Authority

NO_PERIOD = "No payment period has that id."
_OS = OutcomeEventState

FIGURES = text(
    "SELECT count(*), COALESCE(sum(amount_cents) FILTER (WHERE status = 'payable'), 0),"
    " COALESCE(sum(unpaid_cents), 0) FROM payment_line WHERE period_id = :p"
)
# An event is paid when money was paid or held on its own component; one whose claim was refused whole
# (already paid elsewhere, or no room under a cap) stays payable with its refusal on its lines.
MARK_PAID = text(
    "UPDATE outcome_event e SET state = :paid FROM (SELECT DISTINCT event_id FROM payment_line"
    " WHERE period_id = :p AND kind IN ('start_fee', 'start_fee_withheld', 'outcome') AND amount_cents > 0) l"
    " WHERE e.id = l.event_id AND e.state = :payable"
)
CLAWED = text(
    "SELECT DISTINCT event_id FROM payment_line WHERE period_id = :p AND kind = 'clawback' ORDER BY event_id"
)


def load_period(
    session: Session, *, caller: Caller, period_id: uuid.UUID, roles: tuple[str, ...], lock: bool = False
) -> PaymentPeriod:
    """A period of the caller's authority (locked for a state change when asked); anyone else's is 404."""
    caller.require(*roles)
    query = select(PaymentPeriod).where(
        PaymentPeriod.id == period_id, PaymentPeriod.authority_id == caller.authority_id
    )
    if lock:
        query = query.with_for_update()
    period = session.exec(query).first()
    if period is None:
        raise NotFound(NO_PERIOD)
    return period


def create_period(session: Session, *, caller: Caller, month: str, now: datetime) -> PeriodOut:
    """Finance opens the period of a month for its authority; periods follow each other in month order."""
    caller.require("finance")
    wanted = parse_month(month)
    assert caller.authority_id is not None  # noqa: S101 (finance principals always have an authority)
    latest = session.exec(
        select(PaymentPeriod.month)
        .where(PaymentPeriod.authority_id == caller.authority_id, PaymentPeriod.state != "open")
        .order_by(col(PaymentPeriod.month).desc())
    ).first()
    if latest is not None and wanted.label <= latest:
        raise Conflict(f"The period {latest} is already closed; a new period must be for a later month.")
    period = PaymentPeriod(
        authority_id=caller.authority_id, month=wanted.label, created_at=now, created_by=caller.label
    )
    try:
        with session.begin_nested():
            session.add(period)
            session.flush()
    except IntegrityError as exc:
        raise Conflict(f"Your authority already has the period {wanted.label}.") from exc
    audit.record(
        session,
        aggregate=("payment_period", period.id),
        actor=caller.label,
        action="payment_period.created",
        at=now,
        after={"authority": period.authority_id, "month": period.month, "state": period.state},
    )
    return period_out(session, period)


# Newest month first (a month has one period per authority; the id only makes the key unique).
PERIOD_ORDER = Keyset("periods", (col(PaymentPeriod.month), col(PaymentPeriod.id)), descending=True)


def list_periods(
    session: Session, *, caller: Caller, state: str | None = None, page: PageRequest = FIRST_PAGE
) -> Page[PeriodOut]:
    """A page of the periods of the caller's authority (finance, officers), newest month first."""
    caller.require("finance", "officer")
    # A closed period's snapshot of the contract terms is hundreds of kilobytes of JSON that no list
    # shows: left unread, a page costs the rows it shows, not their frozen terms.
    query = (
        select(PaymentPeriod)
        .where(PaymentPeriod.authority_id == caller.authority_id)
        .options(defer(PaymentPeriod.snapshot))  # type: ignore[arg-type]
    )
    if state is not None:
        query = query.where(PaymentPeriod.state == state)
    rows = PERIOD_ORDER.page(session.exec(PERIOD_ORDER.apply(query, page)).all(), page, _period_key)
    return Page(periods_out(session, rows.items), rows.next)


def _period_key(period: PaymentPeriod) -> tuple[str, uuid.UUID]:
    return period.month, period.id


def get_period(session: Session, *, caller: Caller, period_id: uuid.UUID) -> PeriodOut:
    """One period of the caller's authority, with its figures and export manifests."""
    period = load_period(session, caller=caller, period_id=period_id, roles=("finance", "officer"))
    return period_out(session, period)


def close_period(
    session: Session, *, caller: Caller, period_id: uuid.UUID, now: datetime, workers: int | None = None
) -> PeriodOut:
    """Finance closes an ended month: its verified events become payment-basis lines, then nothing changes."""
    period = load_period(session, caller=caller, period_id=period_id, roles=("finance",), lock=True)
    PERIOD_MACHINE.check(period.state, "closed")
    month = parse_month(period.month)
    if not has_ended(month, today=helsinki_today(now)):
        raise Conflict(
            f"The month {month.label} ends on {month.last_day.isoformat()}; close its period after that.",
            current_state=period.state,
        )
    earlier = session.exec(
        select(PaymentPeriod.month).where(
            PaymentPeriod.authority_id == period.authority_id,
            PaymentPeriod.state == "open",
            PaymentPeriod.month < period.month,
        )
    ).first()
    if earlier is not None:
        raise Conflict(f"Close the period {earlier} first: periods close in month order.")
    authority = session.get(Authority, period.authority_id)
    assert authority is not None  # noqa: S101 (foreign key)
    names = {"id": str(authority.id), "name": authority.name, "business_id": authority.business_id}
    figures = _compute(session, period=period, now=now, workers=workers)
    frozen = snapshot(figures.pop("setups"), authority=names)
    # One UPDATE: the database refuses any later change to a closed period's figures.
    with session.no_autoflush:
        period.state = "closed"
        period.closed_at, period.closed_by = now, caller.label
        period.event_count = figures["events"]
        period.line_count, period.payable_cents, period.unpaid_cents = figures["figures"]
        period.snapshot = frozen
    session.add(period)
    session.flush()
    audit.record(
        session,
        aggregate=("payment_period", period.id),
        actor=caller.label,
        action="payment_period.closed",
        at=now,
        before={"state": "open"},
        after={
            "state": "closed",
            "month": period.month,
            "events_to_payable": figures["events"],
            "event_ids_sha256": figures["events_sha256"],
            "lines": period.line_count,
            "payable_cents": period.payable_cents,
            "unpaid_cents": period.unpaid_cents,
            "corrections": figures["corrections"],
            "cohorts_settled": figures["cohorts"],
        },
    )
    return period_out(session, period)


def _compute(
    session: Session, *, period: PaymentPeriod, now: datetime, workers: int | None
) -> dict[str, Any]:
    month = parse_month(period.month)
    setups = load_contracts(session, authority_id=period.authority_id)
    try:
        with session.begin_nested():
            moved = close_lines(session, period_id=period.id, setups=setups, month=month, workers=workers)
            fixed = corrections(session, period_id=period.id, authority_id=period.authority_id)
            cohorts = settlements(session, period_id=period.id, setups=setups, month=month)
            counted = session.execute(FIGURES, {"p": period.id}).one()
    except (psycopg.errors.UniqueViolation, IntegrityError) as exc:
        raise Conflict(
            "An outcome of this period was paid by another close at the same moment; nothing was changed. "
            "Close the period again."
        ) from exc
    # The set-based statements bypassed the ORM: forget what it remembered of events and periods.
    session.expire_all()
    digest = moved_digest(moved)
    return {
        "setups": setups,
        "events": digest.count,
        "events_sha256": digest.ids_sha256,
        "corrections": fixed,
        "cohorts": cohorts,
        "figures": (int(counted[0]), int(counted[1]), int(counted[2])),
    }


def approve_period(session: Session, *, caller: Caller, period_id: uuid.UUID, now: datetime) -> PeriodOut:
    """An officer of the paying authority approves a closed period's payment basis."""
    period = load_period(session, caller=caller, period_id=period_id, roles=("officer",), lock=True)
    PERIOD_MACHINE.check(period.state, "approved")
    period.state, period.approved_at, period.approved_by = "approved", now, caller.label
    session.add(period)
    session.flush()
    audit.record(
        session,
        aggregate=("payment_period", period.id),
        actor=caller.label,
        action="payment_period.approved",
        at=now,
        before={"state": "closed"},
        after={"state": "approved", "payable_cents": period.payable_cents, "lines": period.line_count},
    )
    return period_out(session, period)


def confirm_export(
    session: Session, *, caller: Caller | str, period_id: uuid.UUID, now: datetime
) -> PeriodOut:
    """Finance confirms the export: the period is exported, its events paid and its clawbacks done."""
    if isinstance(caller, Caller):
        period = load_period(session, caller=caller, period_id=period_id, roles=("finance",), lock=True)
    else:
        found = session.exec(
            select(PaymentPeriod).where(PaymentPeriod.id == period_id).with_for_update()
        ).first()
        if found is None:
            raise NotFound(NO_PERIOD)
        period = found
    actor = caller.label if isinstance(caller, Caller) else caller
    PERIOD_MACHINE.check(period.state, "exported")
    period.state, period.exported_at, period.exported_by = "exported", now, actor
    session.add(period)
    session.flush()
    marked: Any = session.execute(
        MARK_PAID, {"p": period.id, "paid": _OS.PAID.value, "payable": _OS.PAYABLE.value}
    )
    paid = int(marked.rowcount)
    clawed = _clawed_back(session, period_id=period.id, actor=caller, now=now)
    audit.record(
        session,
        aggregate=("payment_period", period.id),
        actor=actor,
        action="payment_period.exported",
        at=now,
        before={"state": "approved"},
        after={"state": "exported", "events_paid": paid, "events_clawed_back": clawed},
    )
    outbox.emit(session, "payment.lines_exported", subject=("payment_period", period.id), at=now)
    session.expire_all()
    return period_out(session, session.get(PaymentPeriod, period_id) or period)


def _clawed_back(session: Session, *, period_id: uuid.UUID, actor: Caller | str, now: datetime) -> int:
    ids = list(session.execute(CLAWED, {"p": period_id}).scalars())
    if not ids:
        return 0
    rows = session.exec(
        select(OutcomeEvent)
        .where(col(OutcomeEvent.id).in_(ids), OutcomeEvent.state == _OS.AWAITING_CLAWBACK.value)
        .order_by(col(OutcomeEvent.id))
        .with_for_update()
    ).all()
    for event in rows:
        outcome_events.change_state(session, event=event, target=_OS.CLAWED_BACK, actor=actor, now=now)
    return len(rows)
