"""Admissions after the decision: suspension, exclusion, the public register, evidence expiry."""

import uuid
from datetime import date, datetime

from sqlmodel import Session, col, select

from procurement.core import audit, outbox
from procurement.core.auth import Caller
from procurement.core.clock import helsinki_today
from procurement.core.errors import InvalidInput, NotFound
from procurement.ring.dps import dps_category_codes
from procurement.ring.models import Category, Dps, EvidenceType
from procurement.ring.rings import get_ring, require_ring_officer
from registry import rules
from registry.models import Admission, Evidence, Supplier
from registry.schemas import AdmissionOut, ExpiringEvidence, PublicRegister, RegisterCategory, RegisterEntry
from registry.standing import record_change

# The event each change of an admission announces (its DPS release and the supplier's notification).
_EVENT_OF = {
    "suspended": "admission.suspended",
    "active": "admission.reinstated",
    "excluded": "admission.excluded",
}


def admission_out(admission: Admission, supplier: Supplier, *, on: date) -> AdmissionOut:
    """Shape an admission with its state as of the day."""
    state = rules.effective_admission_state(
        state=admission.state, suspended_until=admission.suspended_until, on=on
    )
    return AdmissionOut(
        id=admission.id,
        dps_id=admission.dps_id,
        supplier_id=supplier.id,
        supplier_business_id=supplier.business_id,
        supplier_name=supplier.name,
        category=admission.category_code,
        state=state,
        suspended_until=admission.suspended_until if state == "suspended" else None,
        reason=admission.exclusion_reason if state == "excluded" else admission.suspension_reason,
    )


def _dps_for_officer(
    session: Session, *, caller: Caller, dps_id: uuid.UUID, now: datetime, lead: bool
) -> Dps:
    dps = session.get(Dps, dps_id)
    if dps is None:
        raise NotFound("No DPS has that id.")
    require_ring_officer(session, caller=caller, ring=get_ring(session, dps.ring_id), now=now, lead=lead)
    return dps


def list_admissions(
    session: Session, *, caller: Caller, dps_id: uuid.UUID, now: datetime
) -> list[AdmissionOut]:
    """Every admission of a DPS, for officers of the ring's members."""
    dps = _dps_for_officer(session, caller=caller, dps_id=dps_id, now=now, lead=False)
    rows = session.exec(
        select(Admission, Supplier)
        .join(Supplier, col(Supplier.id) == Admission.supplier_id)
        .where(Admission.dps_id == dps.id)
        .order_by(col(Admission.category_code), col(Supplier.name))
    ).all()
    return [admission_out(a, s, on=helsinki_today(now)) for a, s in rows]


def _load_admission(session: Session, *, caller: Caller, admission_id: uuid.UUID, now: datetime) -> Admission:
    admission = session.get(Admission, admission_id, with_for_update=True)
    if admission is None:
        raise NotFound("No admission has that id.")
    try:
        _dps_for_officer(session, caller=caller, dps_id=admission.dps_id, now=now, lead=True)
    except NotFound as exc:
        raise NotFound("No admission has that id.") from exc
    return admission


def _change(
    session: Session,
    *,
    caller: Caller,
    admission: Admission,
    target: str,
    now: datetime,
    reason: str,
    **fields: object,
) -> AdmissionOut:
    day = helsinki_today(now)
    current = rules.effective_admission_state(
        state=admission.state, suspended_until=admission.suspended_until, on=day
    )
    rules.ADMISSION_MACHINE.check(current, target)
    before = {"state": current, "suspended_until": admission.suspended_until}
    admission.state = target
    admission.suspended_until = None
    admission.suspension_reason = None
    for name, value in fields.items():
        setattr(admission, name, value)
    admission.changed_at = now
    session.add(admission)
    session.flush()
    # The history keeps the interval that ends here; the admission row holds only the current status.
    record_change(
        session,
        admission=admission,
        state=target,
        at=now,
        suspended_until=admission.suspended_until,
        reason=reason,
    )
    audit.record(
        session,
        aggregate=("supplier", admission.supplier_id),
        actor=caller.label,
        action=f"admission.{target}",
        at=now,
        before={"admission": admission.id, "category": admission.category_code, **before},
        after={
            "admission": admission.id,
            "category": admission.category_code,
            "state": target,
            "reason": reason,
        },
    )
    outbox.emit(session, _EVENT_OF[target], subject=("admission", admission.id), at=now)
    supplier = session.get(Supplier, admission.supplier_id)
    assert supplier is not None  # noqa: S101 (foreign key)
    return admission_out(admission, supplier, on=day)


def suspend(
    session: Session, *, caller: Caller, admission_id: uuid.UUID, until: date, reason: str, now: datetime
) -> AdmissionOut:
    """Suspend an active admission until a day, with a reason."""
    admission = _load_admission(session, caller=caller, admission_id=admission_id, now=now)
    if until < helsinki_today(now):
        raise InvalidInput("A suspension must last at least until today.", field="until")
    return _change(
        session,
        caller=caller,
        admission=admission,
        target="suspended",
        now=now,
        reason=reason,
        suspended_until=until,
        suspension_reason=reason,
    )


def lift(
    session: Session, *, caller: Caller, admission_id: uuid.UUID, reason: str, now: datetime
) -> AdmissionOut:
    """Lift a suspension before its end."""
    admission = _load_admission(session, caller=caller, admission_id=admission_id, now=now)
    return _change(session, caller=caller, admission=admission, target="active", now=now, reason=reason)


def exclude(
    session: Session, *, caller: Caller, admission_id: uuid.UUID, reason: str, now: datetime
) -> AdmissionOut:
    """Exclude a supplier from a category: this admission ends (the supplier may apply again, SPEC 4.1)."""
    admission = _load_admission(session, caller=caller, admission_id=admission_id, now=now)
    return _change(
        session,
        caller=caller,
        admission=admission,
        target="excluded",
        now=now,
        reason=reason,
        exclusion_reason=reason,
    )


def public_register(session: Session, *, dps_id: uuid.UUID, now: datetime) -> PublicRegister:
    """Admitted suppliers per category with their status: no contact data, no evidence."""
    dps = session.get(Dps, dps_id)
    if dps is None or dps.state == "draft":
        raise NotFound("No published DPS has that id.")
    day = helsinki_today(now)
    rows = session.exec(
        select(Admission, Supplier)
        .join(Supplier, col(Supplier.id) == Admission.supplier_id)
        .where(Admission.dps_id == dps.id, Admission.state != "excluded")
        .order_by(col(Supplier.name))
    ).all()
    by_category: dict[str, list[RegisterEntry]] = {
        code: [] for code in sorted(dps_category_codes(session, dps.id))
    }
    for admission, supplier in rows:
        status = rules.effective_admission_state(
            state=admission.state, suspended_until=admission.suspended_until, on=day
        )
        by_category.setdefault(admission.category_code, []).append(
            RegisterEntry(
                business_id=supplier.business_id,
                name=supplier.name,
                status=status,
                admitted_on=helsinki_today(admission.admitted_at),
            )
        )
    order = {c.code: c.position for c in session.exec(select(Category))}
    return PublicRegister(
        dps_id=dps.id,
        title=dps.title,
        categories=[
            RegisterCategory(category=code, suppliers=entries)
            for code, entries in sorted(by_category.items(), key=lambda item: order.get(item[0], 99))
        ],
    )


def evidence_problems_of(
    session: Session, *, dps_id: uuid.UUID, supplier_id: uuid.UUID, on: date, within_days: int = 0
) -> list[str]:
    """What keeps a supplier's evidence for a DPS from being in order on the day."""
    types = {
        t.code: t.max_age_days
        for t in session.exec(select(EvidenceType).where(EvidenceType.dps_id == dps_id))
    }
    held = [
        rules.EvidenceFact(e.type_code, e.issued_on, e.valid_until, types[e.type_code])
        for e in session.exec(
            select(Evidence).where(Evidence.dps_id == dps_id, Evidence.supplier_id == supplier_id)
        )
        if e.type_code in types
    ]
    return rules.evidence_problems(required=types, held=held, on=on, within_days=within_days)


def award_blockers(session: Session, *, dps_id: uuid.UUID, supplier_id: uuid.UUID, on: date) -> list[str]:
    """Why a supplier cannot be awarded today (empty: it can): expired or missing evidence."""
    return evidence_problems_of(session, dps_id=dps_id, supplier_id=supplier_id, on=on)


def expiring_evidence(
    session: Session, *, caller: Caller, dps_id: uuid.UUID, within_days: int, now: datetime
) -> list[ExpiringEvidence]:
    """Admitted suppliers whose required evidence has expired or expires within N days."""
    dps = _dps_for_officer(session, caller=caller, dps_id=dps_id, now=now, lead=False)
    day = helsinki_today(now)
    suppliers = session.exec(
        select(Supplier)
        .join(Admission, col(Admission.supplier_id) == Supplier.id)
        .where(Admission.dps_id == dps.id, Admission.state != "excluded")
        .distinct()
        .order_by(col(Supplier.name))
    ).all()
    out = []
    for supplier in suppliers:
        problems = evidence_problems_of(
            session, dps_id=dps.id, supplier_id=supplier.id, on=day, within_days=within_days
        )
        if problems:
            out.append(
                ExpiringEvidence(
                    supplier_id=supplier.id,
                    business_id=supplier.business_id,
                    name=supplier.name,
                    problems=problems,
                )
            )
    return out


def eligible_suppliers(
    session: Session, *, dps_id: uuid.UUID, category_code: str, on: date
) -> list[Supplier]:
    """Every supplier admitted in the category and neither suspended nor excluded on the day, by id."""
    rows = session.exec(
        select(Admission, Supplier)
        .join(Supplier, col(Supplier.id) == Admission.supplier_id)
        .where(
            Admission.dps_id == dps_id,
            Admission.category_code == category_code,
            Admission.state != "excluded",
        )
        .order_by(col(Supplier.id))
    ).all()
    return [
        s
        for a, s in rows
        if rules.effective_admission_state(state=a.state, suspended_until=a.suspended_until, on=on)
        == "active"
    ]
