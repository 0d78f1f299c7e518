"""Admission history: the status an admission held from when to when, and a supplier's standing at an instant.

Every change closes the admission's open interval and opens the next, so nothing is overwritten and a rule can
ask what a supplier's standing was at an instant T (the tender deadline), whenever it asks.
"""

import uuid
from datetime import date, datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from procurement.core.auth import Caller
from procurement.core.errors import Conflict, NotFound
from procurement.ring.models import Dps
from procurement.ring.rings import get_ring, require_ring_officer
from registry import rules
from registry.models import Admission, AdmissionStatus
from registry.schemas import AdmissionStatusOut


def open_first(session: Session, *, admission: Admission, at: datetime) -> None:
    """The first interval of a new admission: active from its admission."""
    session.add(AdmissionStatus(admission_id=admission.id, state="active", valid_from=at))


def record_change(
    session: Session,
    *,
    admission: Admission,
    state: str,
    at: datetime,
    suspended_until: date | None = None,
    reason: str | None = None,
) -> None:
    """Close the admission's current interval at `at` and open the next one from there."""
    current = session.exec(
        select(AdmissionStatus)
        .where(AdmissionStatus.admission_id == admission.id, col(AdmissionStatus.valid_to).is_(None))
        .with_for_update()
    ).one()
    if current.valid_from > at:
        raise Conflict("The admission's current status began after this change's moment; try again.")
    if current.valid_from == at:
        # Two changes at one instant (one transaction): the first held no time at all, so nothing is lost.
        current.state, current.suspended_until, current.reason = state, suspended_until, reason
        session.add(current)
        return
    session.execute(update(AdmissionStatus).where(col(AdmissionStatus.id) == current.id).values(valid_to=at))
    session.add(
        AdmissionStatus(
            admission_id=admission.id,
            state=state,
            valid_from=at,
            suspended_until=suspended_until,
            reason=reason,
        )
    )


def standing(
    session: Session, *, dps_id: uuid.UUID, supplier_id: uuid.UUID, category_code: str, at: datetime
) -> tuple[str, str | None]:
    """A supplier's status in a category at the instant, and the reason when not active.

    After an exclusion a new admission may follow; the newest admission holding an interval at `at` decides.
    """
    row = session.exec(
        select(AdmissionStatus)
        .join(Admission, col(Admission.id) == AdmissionStatus.admission_id)
        .where(
            Admission.dps_id == dps_id,
            Admission.supplier_id == supplier_id,
            Admission.category_code == category_code,
            col(AdmissionStatus.valid_from) <= at,
            (col(AdmissionStatus.valid_to).is_(None)) | (col(AdmissionStatus.valid_to) > at),
        )
        .order_by(col(Admission.admitted_at).desc())
        .limit(1)
    ).first()
    intervals = [] if row is None else [_interval(row)]
    return rules.standing_at(intervals, at=at)


def _interval(row: AdmissionStatus) -> rules.StatusInterval:
    return rules.StatusInterval(row.state, row.valid_from, row.valid_to, row.suspended_until, row.reason)


def history(
    session: Session, *, caller: Caller, admission_id: uuid.UUID, now: datetime
) -> list[AdmissionStatusOut]:
    """Every interval of an admission, oldest first, for officers of the ring's members."""
    admission = session.get(Admission, admission_id)
    dps = None if admission is None else session.get(Dps, admission.dps_id)
    if admission is None or dps is None:
        raise NotFound("No admission has that id.")
    try:
        require_ring_officer(session, caller=caller, ring=get_ring(session, dps.ring_id), now=now, lead=False)
    except NotFound as exc:
        raise NotFound("No admission has that id.") from exc
    rows = session.exec(
        select(AdmissionStatus)
        .where(AdmissionStatus.admission_id == admission.id)
        .order_by(col(AdmissionStatus.valid_from))
    )
    return [
        AdmissionStatusOut(
            state=r.state,
            valid_from=r.valid_from,
            valid_to=r.valid_to,
            suspended_until=r.suspended_until,
            reason=r.reason,
        )
        for r in rows
    ]
