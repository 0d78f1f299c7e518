"""Use cases of the DPS: categories, drafting, publishing, reading and the open check."""

import uuid
from datetime import datetime

from sqlmodel import Session, col, select

from procurement.core import audit, outbox
from procurement.core.auth import Caller
from procurement.core.clock import helsinki_today
from procurement.core.errors import Conflict, InvalidInput, NotFound, body_reference
from procurement.core.states import machine
from procurement.ring import rules
from procurement.ring.models import Category, Dps, DpsCategory, EvidenceType
from procurement.ring.rings import get_ring, is_member, require_ring_officer
from procurement.ring.schemas import (
    CategoryOut,
    DpsIn,
    DpsOut,
    EvidenceTypeOut,
)

DPS_MACHINE = machine("DPS", {"draft": {"published"}, "published": set()})


def list_categories(session: Session) -> list[CategoryOut]:
    """The outcome categories."""
    rows = session.exec(select(Category).order_by(col(Category.position)))
    return [CategoryOut(code=c.code, name_fi=c.name_fi, name_en=c.name_en) for c in rows]


def dps_out(session: Session, dps: Dps, *, now: datetime) -> DpsOut:
    """Shape a DPS."""
    categories = session.exec(
        select(DpsCategory.category_code)
        .join(Category, col(Category.code) == DpsCategory.category_code)
        .where(DpsCategory.dps_id == dps.id)
        .order_by(col(Category.position))
    ).all()
    types = session.exec(
        select(EvidenceType).where(EvidenceType.dps_id == dps.id).order_by(col(EvidenceType.code))
    )
    return DpsOut(
        id=dps.id,
        ring_id=dps.ring_id,
        title=dps.title,
        valid_from=dps.valid_from,
        valid_until=dps.valid_until,
        state=rules.dps_effective_state(
            state=dps.state, valid_until=dps.valid_until, today=helsinki_today(now)
        ),
        categories=list(categories),
        evidence_types=[
            EvidenceTypeOut(code=t.code, name=t.name, max_age_days=t.max_age_days) for t in types
        ],
    )


def create_dps(session: Session, *, caller: Caller, data: DpsIn, now: datetime) -> DpsOut:
    """An officer of the ring's lead authority drafts a DPS."""
    caller.require("officer")
    with body_reference("ring_id"):
        ring = get_ring(session, data.ring_id)
    require_ring_officer(session, caller=caller, ring=ring, now=now, lead=True, public=True)
    if data.valid_until <= data.valid_from:
        raise InvalidInput("The validity must end after it begins.", field="valid_until")
    known = set(session.exec(select(Category.code)).all())
    for i, code in enumerate(data.categories):
        if code not in known:
            raise InvalidInput(
                f"Unknown category '{code}'; known: {', '.join(sorted(known))}.", field=f"categories[{i}]"
            )
    if len(set(data.categories)) != len(data.categories):
        raise InvalidInput("A category is listed twice.", field="categories")
    if len({t.code for t in data.evidence_types}) != len(data.evidence_types):
        raise InvalidInput("An evidence type code is listed twice.", field="evidence_types")
    dps = Dps(
        ring_id=ring.id,
        title=data.title,
        valid_from=data.valid_from,
        valid_until=data.valid_until,
        created_by=caller.id,
        created_at=now,
    )
    session.add(dps)
    session.flush()
    session.add_all(DpsCategory(dps_id=dps.id, category_code=code) for code in data.categories)
    session.add_all(
        EvidenceType(dps_id=dps.id, code=t.code, name=t.name, max_age_days=t.max_age_days)
        for t in data.evidence_types
    )
    session.flush()
    audit.record(
        session,
        aggregate=("dps", dps.id),
        actor=caller.label,
        action="dps.created",
        at=now,
        after={
            "title": dps.title,
            "categories": data.categories,
            "evidence": [t.code for t in data.evidence_types],
        },
    )
    return dps_out(session, dps, now=now)


def publish_dps(session: Session, *, caller: Caller, dps_id: uuid.UUID, now: datetime) -> DpsOut:
    """Open a drafted DPS for applications."""
    dps = session.get(Dps, dps_id, with_for_update=True)
    if dps is None:
        raise NotFound("No DPS has that id.")
    ring = get_ring(session, dps.ring_id)
    require_ring_officer(session, caller=caller, ring=ring, now=now, lead=True, public=dps.state != "draft")
    DPS_MACHINE.check(dps.state, "published")
    if helsinki_today(now) > dps.valid_until:
        raise Conflict("The DPS's validity has already ended; it cannot be published.")
    dps.state, dps.published_at = "published", now
    session.add(dps)
    audit.record(
        session,
        aggregate=("dps", dps.id),
        actor=caller.label,
        action="dps.published",
        at=now,
        before={"state": "draft"},
        after={"state": "published"},
    )
    outbox.emit(session, "dps.published", subject=("dps", dps.id), at=now)
    return dps_out(session, dps, now=now)


def get_dps(session: Session, *, caller: Caller | None, dps_id: uuid.UUID, now: datetime) -> DpsOut:
    """A published DPS is public; a draft only to its ring's officers and admins."""
    dps = session.get(Dps, dps_id)
    if dps is None:
        raise NotFound("No DPS has that id.")
    if dps.state == "draft" and not _may_see_drafts(session, caller=caller, dps=dps, now=now):
        raise NotFound("No DPS has that id.")
    return dps_out(session, dps, now=now)


def list_dps(session: Session, *, now: datetime) -> list[DpsOut]:
    """Published DPSs, newest first."""
    rows = session.exec(select(Dps).where(Dps.state == "published").order_by(col(Dps.valid_from).desc()))
    return [dps_out(session, d, now=now) for d in rows]


def _may_see_drafts(session: Session, *, caller: Caller | None, dps: Dps, now: datetime) -> bool:
    if caller is None:
        return False
    if caller.role == "admin":
        return True
    if caller.role != "officer" or caller.authority_id is None:
        return False
    ring = get_ring(session, dps.ring_id)
    return caller.authority_id == ring.lead_authority_id or is_member(
        session, ring_id=ring.id, authority_id=caller.authority_id, on=helsinki_today(now)
    )


def open_dps(session: Session, *, dps_id: uuid.UUID, now: datetime) -> Dps:
    """A DPS that accepts applications now, or a clear refusal."""
    dps = session.get(Dps, dps_id)
    if dps is None or dps.state == "draft":
        raise NotFound("No published DPS has that id.")
    day = helsinki_today(now)
    if rules.dps_effective_state(state=dps.state, valid_until=dps.valid_until, today=day) == "closed":
        raise Conflict(f"The DPS closed on {dps.valid_until.isoformat()}; it takes no more applications.")
    if day < dps.valid_from:
        raise Conflict(f"The DPS opens for applications on {dps.valid_from.isoformat()}.")
    return dps


def dps_category_codes(session: Session, dps_id: uuid.UUID) -> set[str]:
    """Codes of the DPS's categories."""
    return set(session.exec(select(DpsCategory.category_code).where(DpsCategory.dps_id == dps_id)).all())


def evidence_types_of(session: Session, dps_id: uuid.UUID) -> list[EvidenceType]:
    """The evidence the DPS requires."""
    return list(session.exec(select(EvidenceType).where(EvidenceType.dps_id == dps_id)))
