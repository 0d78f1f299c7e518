"""Use cases of the registry: suppliers apply, the lead authority decides, admissions change."""

import uuid
from datetime import date, datetime

from sqlmodel import Session, col, select

from procurement.core import audit
from procurement.core.auth import Caller, create_principal, issue_token
from procurement.core.errors import Conflict, InvalidInput, NotFound
from procurement.core.settings import Settings
from procurement.ring import service as ring
from procurement.ring.models import Dps, EvidenceType, Ring, RingMembership
from registry import rules
from registry.models import Admission, Application, ApplicationCategory, Evidence, Supplier
from registry.schemas import (
    ApplicationCategoryOut,
    ApplicationIn,
    ApplicationOut,
    DecisionIn,
    EvidenceIn,
    EvidenceOut,
    SupplierIn,
    SupplierOut,
    SupplierRegistered,
)

# --- suppliers ----------------------------------------------------------------------------------


def supplier_out(s: Supplier) -> SupplierOut:
    """Shape a supplier for itself."""
    return SupplierOut(id=s.id, business_id=s.business_id, name=s.name, contact_email=s.contact_email)


def register_supplier(session: Session, *, data: SupplierIn, now: datetime) -> SupplierRegistered:
    """A provider registers itself and receives its API token once."""
    business_id = ring.valid_business_id(data.business_id)
    if session.exec(select(Supplier).where(Supplier.business_id == business_id)).first() is not None:
        raise Conflict(f"Business id {business_id} is already registered; ask an admin for a new token.")
    supplier = Supplier(
        business_id=business_id, name=data.name, contact_email=data.contact_email, created_at=now
    )
    session.add(supplier)
    principal = create_principal(session, role="supplier", name=data.name, business_id=business_id, now=now)
    token = issue_token(session, principal_id=principal.id, now=now, label="self-registration")
    audit.record(
        session,
        aggregate=("supplier", supplier.id),
        actor=f"supplier:{principal.id}@{business_id}",
        action="supplier.registered",
        at=now,
        after={"business_id": business_id, "name": data.name},
    )
    return SupplierRegistered(supplier=supplier_out(supplier), token=token)


def current_supplier(session: Session, caller: Caller) -> Supplier:
    """The calling supplier's record."""
    caller.require("supplier")
    supplier = session.exec(select(Supplier).where(Supplier.business_id == caller.business_id)).first()
    if supplier is None:
        raise NotFound("Your business id is not registered as a supplier.")
    return supplier


# --- applications -------------------------------------------------------------------------------


def submit_application(
    session: Session,
    *,
    caller: Caller,
    dps_id: uuid.UUID,
    data: ApplicationIn,
    now: datetime,
    settings: Settings,
) -> ApplicationOut:
    """A supplier applies to a DPS for categories, with the evidence the DPS requires."""
    supplier = current_supplier(session, caller)
    dps = ring.open_dps(session, dps_id=dps_id, now=now)
    today = ring.today(now)
    _check_categories(session, dps=dps, supplier=supplier, codes=data.categories)
    types = {t.code: t for t in ring.evidence_types_of(session, dps.id)}
    _check_evidence(data.evidence, types=types, today=today, field="evidence")
    missing = sorted(set(types) - {e.type for e in data.evidence})
    if missing:
        raise InvalidInput(
            f"The DPS requires evidence that is missing: {', '.join(missing)}.", field="evidence"
        )
    application = Application(
        dps_id=dps.id,
        supplier_id=supplier.id,
        received_at=now,
        due_on=rules.decision_due(today, settings.decision_working_days),
    )
    session.add(application)
    session.flush()
    session.add_all(
        ApplicationCategory(
            application_id=application.id, category_code=c, dps_id=dps.id, supplier_id=supplier.id
        )
        for c in data.categories
    )
    _store_evidence(
        session, supplier=supplier, dps=dps, application_id=application.id, items=data.evidence, now=now
    )
    session.flush()
    audit.record(
        session,
        aggregate=("supplier", supplier.id),
        actor=caller.label,
        action="application.submitted",
        at=now,
        after={
            "application": application.id,
            "dps": dps.id,
            "categories": data.categories,
            "due_on": application.due_on,
        },
    )
    return application_out(session, application, now=now)


def _check_categories(session: Session, *, dps: Dps, supplier: Supplier, codes: list[str]) -> None:
    offered = ring.dps_category_codes(session, dps.id)
    known = {c.code for c in ring.list_categories(session)}
    if len(set(codes)) != len(codes):
        raise InvalidInput("A category is listed twice.", field="categories")
    for i, code in enumerate(codes):
        if code not in known:
            raise InvalidInput(f"Unknown category '{code}'.", field=f"categories[{i}]")
        if code not in offered:
            raise InvalidInput(
                f"This DPS has no category '{code}'; it offers {', '.join(sorted(offered))}.",
                field=f"categories[{i}]",
            )
    admitted = session.exec(
        select(Admission).where(
            Admission.dps_id == dps.id,
            Admission.supplier_id == supplier.id,
            col(Admission.category_code).in_(codes),
        )
    ).all()
    for admission in admitted:
        raise Conflict(
            f"You are already {admission.state} in category {admission.category_code} of this DPS."
        )
    pending = session.exec(
        select(ApplicationCategory).where(
            ApplicationCategory.dps_id == dps.id,
            ApplicationCategory.supplier_id == supplier.id,
            ApplicationCategory.decision == "pending",
            col(ApplicationCategory.category_code).in_(codes),
        )
    ).first()
    if pending is not None:
        raise Conflict(
            f"You already have a pending application for category {pending.category_code} "
            f"(application {pending.application_id})."
        )


def _check_evidence(
    items: list[EvidenceIn], *, types: dict[str, EvidenceType], today: date, field: str
) -> None:
    seen: set[str] = set()
    for i, item in enumerate(items):
        where = f"{field}[{i}]"
        kind = types.get(item.type)
        if kind is None:
            raise InvalidInput(
                f"This DPS asks for no evidence of type '{item.type}'; "
                f"it asks for {', '.join(sorted(types)) or 'none'}.",
                field=f"{where}.type",
            )
        if item.type in seen:
            raise InvalidInput(f"Evidence of type '{item.type}' is given twice.", field=f"{where}.type")
        seen.add(item.type)
        if item.issued_on > today:
            raise InvalidInput("The evidence cannot be issued in the future.", field=f"{where}.issued_on")
        if item.valid_until < today:
            raise InvalidInput(
                f"The evidence expired on {item.valid_until.isoformat()}; send a current document.",
                field=f"{where}.valid_until",
            )
        fact = rules.EvidenceFact(item.type, item.issued_on, item.valid_until, kind.max_age_days)
        if fact.expires_on < today:
            raise InvalidInput(
                f"'{item.type}' may be at most {kind.max_age_days} days old; this one was issued on "
                f"{item.issued_on.isoformat()}.",
                field=f"{where}.issued_on",
            )


def _store_evidence(
    session: Session,
    *,
    supplier: Supplier,
    dps: Dps,
    application_id: uuid.UUID | None,
    items: list[EvidenceIn],
    now: datetime,
) -> None:
    session.add_all(
        Evidence(
            supplier_id=supplier.id,
            dps_id=dps.id,
            application_id=application_id,
            type_code=item.type,
            issued_on=item.issued_on,
            valid_until=item.valid_until,
            sha256=item.sha256,
            submitted_at=now,
        )
        for item in items
    )


def renew_evidence(
    session: Session, *, caller: Caller, dps_id: uuid.UUID, items: list[EvidenceIn], now: datetime
) -> list[EvidenceOut]:
    """A supplier files newer evidence for a DPS; the newest of each type counts."""
    supplier = current_supplier(session, caller)
    dps = session.get(Dps, dps_id)
    if dps is None or dps.state == "draft":
        raise NotFound("No published DPS has that id.")
    types = {t.code: t for t in ring.evidence_types_of(session, dps.id)}
    _check_evidence(items, types=types, today=ring.today(now), field="evidence")
    _store_evidence(session, supplier=supplier, dps=dps, application_id=None, items=items, now=now)
    session.flush()
    audit.record(
        session,
        aggregate=("supplier", supplier.id),
        actor=caller.label,
        action="evidence.renewed",
        at=now,
        after={"dps": dps.id, "types": [i.type for i in items]},
    )
    return _evidence_out(session, supplier_id=supplier.id, dps_id=dps.id, application_id=None)


def _evidence_out(
    session: Session, *, supplier_id: uuid.UUID, dps_id: uuid.UUID, application_id: uuid.UUID | None
) -> list[EvidenceOut]:
    query = select(Evidence, EvidenceType).join(
        EvidenceType,
        (col(EvidenceType.dps_id) == Evidence.dps_id) & (col(EvidenceType.code) == Evidence.type_code),
    )
    query = query.where(Evidence.supplier_id == supplier_id, Evidence.dps_id == dps_id)
    if application_id is not None:
        query = query.where(Evidence.application_id == application_id)
    rows = session.exec(query.order_by(col(Evidence.type_code), col(Evidence.issued_on))).all()
    return [
        EvidenceOut(
            id=e.id,
            type=e.type_code,
            issued_on=e.issued_on,
            valid_until=e.valid_until,
            sha256=e.sha256,
            expires_on=rules.EvidenceFact(e.type_code, e.issued_on, e.valid_until, t.max_age_days).expires_on,
        )
        for e, t in rows
    ]


def application_out(session: Session, application: Application, *, now: datetime) -> ApplicationOut:
    """Shape an application."""
    supplier = session.get(Supplier, application.supplier_id)
    assert supplier is not None  # noqa: S101 (foreign key)
    categories = session.exec(
        select(ApplicationCategory)
        .where(ApplicationCategory.application_id == application.id)
        .order_by(col(ApplicationCategory.category_code))
    ).all()
    return ApplicationOut(
        id=application.id,
        dps_id=application.dps_id,
        supplier_id=supplier.id,
        supplier_business_id=supplier.business_id,
        supplier_name=supplier.name,
        state=application.state,
        received_at=application.received_at,
        due_on=application.due_on,
        overdue=application.state in rules.PENDING_STATES and ring.today(now) > application.due_on,
        extension_reason=application.extension_reason,
        decided_at=application.decided_at,
        decision_reason=application.decision_reason,
        categories=[ApplicationCategoryOut(code=c.category_code, decision=c.decision) for c in categories],
        evidence=_evidence_out(
            session, supplier_id=supplier.id, dps_id=application.dps_id, application_id=application.id
        ),
    )


def _visible_ring_ids(session: Session, *, caller: Caller, now: datetime) -> list[uuid.UUID]:
    """Rings whose registry the calling officer's authority may see."""
    day = ring.today(now)
    memberships = session.exec(
        select(RingMembership).where(RingMembership.authority_id == caller.authority_id)
    ).all()
    ids = {
        m.ring_id
        for m in memberships
        if ring.rules.member_on(valid_from=m.valid_from, valid_until=m.valid_until, on=day)
    }
    ids |= set(session.exec(select(Ring.id).where(Ring.lead_authority_id == caller.authority_id)).all())
    return sorted(ids)


def list_applications(
    session: Session, *, caller: Caller, state: str | None, now: datetime
) -> list[ApplicationOut]:
    """A supplier's own applications, or an officer's queue ordered by due date (overdue flagged)."""
    query = select(Application)
    if caller.role == "supplier":
        query = query.where(Application.supplier_id == current_supplier(session, caller).id)
    else:
        caller.require("officer")
        rings = _visible_ring_ids(session, caller=caller, now=now)
        query = query.join(Dps, col(Dps.id) == Application.dps_id).where(col(Dps.ring_id).in_(rings))
    if state == "pending":
        query = query.where(col(Application.state).in_(rules.PENDING_STATES))
    elif state is not None:
        query = query.where(Application.state == state)
    rows = session.exec(query.order_by(col(Application.due_on), col(Application.received_at))).all()
    return [application_out(session, a, now=now) for a in rows]


def load_application(
    session: Session,
    *,
    caller: Caller,
    application_id: uuid.UUID,
    now: datetime,
    lead: bool = False,
    lock: bool = False,
) -> Application:
    """An application in the caller's scope (404 outside it; 403 for a non-lead officer deciding)."""
    application = session.get(Application, application_id, with_for_update=lock)
    if application is None:
        raise NotFound("No application has that id.")
    if caller.role == "supplier":
        if lead or application.supplier_id != current_supplier(session, caller).id:
            raise NotFound("No application has that id.")
        return application
    dps = session.get(Dps, application.dps_id)
    assert dps is not None  # noqa: S101 (foreign key)
    try:
        ring.require_ring_officer(
            session, caller=caller, ring=ring.get_ring(session, dps.ring_id), now=now, lead=lead
        )
    except NotFound as exc:
        raise NotFound("No application has that id.") from exc
    return application


def withdraw_application(
    session: Session, *, caller: Caller, application_id: uuid.UUID, now: datetime
) -> ApplicationOut:
    """The supplier withdraws a pending application."""
    caller.require("supplier")
    application = load_application(session, caller=caller, application_id=application_id, now=now, lock=True)
    rules.APPLICATION_MACHINE.check(application.state, "withdrawn")
    before = application.state
    application.state = "withdrawn"
    _set_category_decisions(session, application.id, {"pending": "withdrawn"})
    session.add(application)
    audit.record(
        session,
        aggregate=("supplier", application.supplier_id),
        actor=caller.label,
        action="application.withdrawn",
        at=now,
        before={"application": application.id, "state": before},
        after={"application": application.id, "state": "withdrawn"},
    )
    return application_out(session, application, now=now)


def extend_application(
    session: Session,
    *,
    caller: Caller,
    application_id: uuid.UUID,
    reason: str,
    now: datetime,
    settings: Settings,
) -> ApplicationOut:
    """The lead authority extends the decision deadline once, to 15 working days, with a reason."""
    application = load_application(
        session, caller=caller, application_id=application_id, now=now, lead=True, lock=True
    )
    rules.APPLICATION_MACHINE.check(application.state, "extended")
    before = {"state": application.state, "due_on": application.due_on}
    received_on = ring.today(application.received_at)
    application.state = "extended"
    application.extension_reason = reason
    application.due_on = rules.decision_due(received_on, settings.extended_decision_working_days)
    session.add(application)
    audit.record(
        session,
        aggregate=("supplier", application.supplier_id),
        actor=caller.label,
        action="application.extended",
        at=now,
        before={"application": application.id, **before},
        after={
            "application": application.id,
            "state": "extended",
            "due_on": application.due_on,
            "reason": reason,
        },
    )
    return application_out(session, application, now=now)


def decide_application(
    session: Session, *, caller: Caller, application_id: uuid.UUID, data: DecisionIn, now: datetime
) -> ApplicationOut:
    """The lead authority admits or rejects each category asked for."""
    application = load_application(
        session, caller=caller, application_id=application_id, now=now, lead=True, lock=True
    )
    asked = set(
        session.exec(
            select(ApplicationCategory.category_code).where(
                ApplicationCategory.application_id == application.id
            )
        ).all()
    )
    admit, reject = set(data.admit), set(data.reject)
    if admit & reject:
        raise InvalidInput(
            f"Categories both admitted and rejected: {', '.join(sorted(admit & reject))}.", field="admit"
        )
    if admit | reject != asked:
        raise InvalidInput(
            f"Decide every category asked for, and only those: {', '.join(sorted(asked))}.", field="admit"
        )
    if reject and not (data.reason and data.reason.strip()):
        raise InvalidInput("A rejection needs its reason.", field="reason")
    outcome = rules.decision_outcome(admitted=admit, rejected=reject)
    rules.APPLICATION_MACHINE.check(application.state, outcome)
    before = application.state
    application.state, application.decided_at, application.decided_by = outcome, now, caller.id
    application.decision_reason = data.reason
    session.add(application)
    _set_category_decisions(
        session, application.id, {c: "admitted" for c in admit} | {c: "rejected" for c in reject}
    )
    session.add_all(
        Admission(
            dps_id=application.dps_id,
            supplier_id=application.supplier_id,
            category_code=code,
            application_id=application.id,
            admitted_at=now,
            changed_at=now,
        )
        for code in sorted(admit)
    )
    session.flush()
    audit.record(
        session,
        aggregate=("supplier", application.supplier_id),
        actor=caller.label,
        action="application.decided",
        at=now,
        before={"application": application.id, "state": before},
        after={
            "application": application.id,
            "state": outcome,
            "admitted": sorted(admit),
            "rejected": sorted(reject),
            "reason": data.reason,
        },
    )
    return application_out(session, application, now=now)


def _set_category_decisions(session: Session, application_id: uuid.UUID, decisions: dict[str, str]) -> None:
    for row in session.exec(
        select(ApplicationCategory).where(ApplicationCategory.application_id == application_id)
    ):
        new = decisions.get(row.category_code, decisions.get(row.decision))
        if new is not None:
            row.decision = new
            session.add(row)
    session.flush()
