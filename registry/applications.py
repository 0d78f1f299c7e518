"""Use cases of applications: a supplier applies, the lead authority decides, extends or sees them."""

import uuid
from datetime import datetime

from sqlmodel import Session, col, select

from procurement.core import audit, outbox
from procurement.core.auth import Caller
from procurement.core.clock import helsinki_today
from procurement.core.errors import Conflict, InvalidInput, NotFound
from procurement.core.settings import Settings
from procurement.ring.dps import dps_category_codes, evidence_types_of, list_categories, open_dps
from procurement.ring.models import Dps, Ring, RingMembership
from procurement.ring.rings import get_ring, require_ring_officer
from procurement.ring.rules import member_on
from registry import rules
from registry.evidence import check_evidence, evidence_out, store_evidence
from registry.models import Admission, Application, ApplicationCategory, Supplier
from registry.schemas import (
    ApplicationCategoryOut,
    ApplicationIn,
    ApplicationOut,
    DecisionIn,
)
from registry.standing import open_first
from registry.suppliers import current_supplier


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
    dps = open_dps(session, dps_id=dps_id, now=now)
    today = helsinki_today(now)
    excluded = _check_categories(session, dps=dps, supplier=supplier, codes=data.categories)
    if excluded and not data.self_cleaning:
        raise InvalidInput(
            f"You were excluded from {', '.join(excluded)} in this DPS; an application after an exclusion "
            "describes the self-cleaning measures taken since (self_cleaning) and is decided like any other.",
            field="self_cleaning",
        )
    types = {t.code: t for t in evidence_types_of(session, dps.id)}
    check_evidence(data.evidence, types=types, today=today, field="evidence")
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
        self_cleaning=data.self_cleaning,
    )
    session.add(application)
    session.flush()
    session.add_all(
        ApplicationCategory(
            application_id=application.id, category_code=c, dps_id=dps.id, supplier_id=supplier.id
        )
        for c in data.categories
    )
    store_evidence(
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
            "after_exclusion": excluded,
        },
    )
    return application_out(session, application, now=now)


def _check_categories(session: Session, *, dps: Dps, supplier: Supplier, codes: list[str]) -> list[str]:
    """Refuse categories already held or pending; return those the supplier was excluded from."""
    offered = dps_category_codes(session, dps.id)
    known = {c.code for c in list_categories(session)}
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
        # An exclusion ends the admission, not the right to apply again (SPEC 4.1: the DPS stays open).
        if admission.state != "excluded":
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
    return sorted({a.category_code for a in admitted})


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
        overdue=application.state in rules.PENDING_STATES and helsinki_today(now) > application.due_on,
        extension_reason=application.extension_reason,
        decided_at=application.decided_at,
        decision_reason=application.decision_reason,
        categories=[ApplicationCategoryOut(code=c.category_code, decision=c.decision) for c in categories],
        evidence=evidence_out(
            session, supplier_id=supplier.id, dps_id=application.dps_id, application_id=application.id
        ),
        self_cleaning=application.self_cleaning,
    )


def _visible_ring_ids(session: Session, *, caller: Caller, now: datetime) -> list[uuid.UUID]:
    """Rings whose registry the calling officer's authority may see."""
    day = helsinki_today(now)
    memberships = session.exec(
        select(RingMembership).where(RingMembership.authority_id == caller.authority_id)
    ).all()
    ids = {
        m.ring_id
        for m in memberships
        if member_on(valid_from=m.valid_from, valid_until=m.valid_until, on=day)
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
        if application.supplier_id != current_supplier(session, caller).id:
            raise NotFound("No application has that id.")
        if lead:  # its own application, which it may read: a refusal, not a 404
            caller.require("officer")
        return application
    dps = session.get(Dps, application.dps_id)
    assert dps is not None  # noqa: S101 (foreign key)
    try:
        require_ring_officer(session, caller=caller, ring=get_ring(session, dps.ring_id), now=now, lead=lead)
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
    if helsinki_today(now) > application.due_on:
        # SPEC 4.1: extended only before the due date has passed; an overdue application stays overdue.
        raise Conflict(
            f"The decision was due on {application.due_on.isoformat()}; an extension must be granted before "
            "the due date has passed. Decide the application now.",
            due_on=application.due_on.isoformat(),
        )
    before = {"state": application.state, "due_on": application.due_on}
    received_on = helsinki_today(application.received_at)
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
    admissions = [
        Admission(
            dps_id=application.dps_id,
            supplier_id=application.supplier_id,
            category_code=code,
            application_id=application.id,
            admitted_at=now,
            changed_at=now,
        )
        for code in sorted(admit)
    ]
    session.add_all(admissions)
    session.flush()
    for admission in admissions:
        open_first(session, admission=admission, at=now)
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
    if admit:  # the DPS release lists each admission as an award; the supplier hears of it
        outbox.emit(session, "admission.admitted", subject=("application", application.id), at=now)
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
