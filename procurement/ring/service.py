"""Use cases of authorities, rings and DPSs."""

import uuid
from datetime import date, datetime

from sqlalchemy import func
from sqlmodel import Session, col, select
from stdnum.fi import ytunnus

from procurement.core import audit
from procurement.core.auth import Caller
from procurement.core.clock import to_helsinki
from procurement.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from procurement.core.states import machine
from procurement.ring import rules
from procurement.ring.models import Authority, Category, Dps, DpsCategory, EvidenceType, Ring, RingMembership
from procurement.ring.schemas import (
    AuthorityIn,
    AuthorityOut,
    CategoryOut,
    DpsIn,
    DpsOut,
    EvidenceTypeOut,
    MemberIn,
    MemberOut,
    RingIn,
    RingOut,
)

DPS_MACHINE = machine("DPS", {"draft": {"published"}, "published": set()})


def today(now: datetime) -> date:
    """The calendar day in Finland."""
    return to_helsinki(now).date()


def valid_business_id(value: str, *, field: str = "business_id") -> str:
    """A Y-tunnus in its compact form, or a 422 naming the field."""
    if not ytunnus.is_valid(value):
        raise InvalidInput(
            f"'{value}' is not a valid Finnish business id (Y-tunnus, e.g. 0737546-2).", field=field
        )
    return str(ytunnus.format(value))


# --- authorities --------------------------------------------------------------------------------


def authority_out(a: Authority) -> AuthorityOut:
    """Shape an authority."""
    return AuthorityOut(
        id=a.id,
        name=a.name,
        business_id=a.business_id,
        kind=a.kind,
        municipality_codes=list(a.municipality_codes),
        lead_municipality=a.lead_municipality,
    )


def create_authority(session: Session, *, caller: Caller, data: AuthorityIn, now: datetime) -> AuthorityOut:
    """An admin adds an authority."""
    caller.require("admin")
    business_id = valid_business_id(data.business_id)
    if data.lead_municipality not in data.municipality_codes:
        raise InvalidInput(
            "The lead municipality must be one of the authority's municipalities.", field="lead_municipality"
        )
    if session.exec(select(Authority).where(Authority.business_id == business_id)).first() is not None:
        raise Conflict(f"An authority with business id {business_id} already exists.")
    authority = Authority(
        name=data.name,
        business_id=business_id,
        kind=data.kind,
        municipality_codes=sorted(set(data.municipality_codes)),
        lead_municipality=data.lead_municipality,
        created_at=now,
    )
    session.add(authority)
    session.flush()
    audit.record(
        session,
        aggregate=("authority", authority.id),
        actor=caller.label,
        action="authority.created",
        at=now,
        after={
            "name": authority.name,
            "business_id": business_id,
            "municipalities": authority.municipality_codes,
        },
    )
    return authority_out(authority)


def list_authorities(session: Session) -> list[AuthorityOut]:
    """Every authority, by name."""
    return [authority_out(a) for a in session.exec(select(Authority).order_by(col(Authority.name)))]


def get_authority(session: Session, authority_id: uuid.UUID) -> Authority:
    """An authority, or 404."""
    authority = session.get(Authority, authority_id)
    if authority is None:
        raise NotFound("No authority has that id.")
    return authority


# --- rings --------------------------------------------------------------------------------------


def ring_out(session: Session, ring: Ring) -> RingOut:
    """Shape a ring with its memberships."""
    rows = session.exec(
        select(RingMembership, Authority)
        .join(Authority, col(Authority.id) == RingMembership.authority_id)
        .where(RingMembership.ring_id == ring.id)
        .order_by(col(RingMembership.valid_from), col(Authority.name))
    ).all()
    members = [
        MemberOut(
            id=m.id,
            authority_id=a.id,
            authority_name=a.name,
            valid_from=m.valid_from,
            valid_until=m.valid_until,
        )
        for m, a in rows
    ]
    return RingOut(id=ring.id, name=ring.name, lead_authority_id=ring.lead_authority_id, members=members)


def create_ring(session: Session, *, caller: Caller, data: RingIn, now: datetime) -> RingOut:
    """An admin founds a ring; the lead authority is its first member."""
    caller.require("admin")
    get_authority(session, data.lead_authority_id)
    ring = Ring(name=data.name, lead_authority_id=data.lead_authority_id, created_at=now)
    session.add(ring)
    session.flush()
    members = [MemberIn(authority_id=data.lead_authority_id, valid_from=data.valid_from)]
    members += [m for m in data.members if m.authority_id != data.lead_authority_id]
    for member in members:
        _add_membership(session, ring=ring, member=member)
    audit.record(
        session,
        aggregate=("ring", ring.id),
        actor=caller.label,
        action="ring.created",
        at=now,
        after={
            "name": ring.name,
            "lead": ring.lead_authority_id,
            "members": [m.authority_id for m in members],
        },
    )
    return ring_out(session, ring)


def add_member(
    session: Session, *, caller: Caller, ring_id: uuid.UUID, data: MemberIn, now: datetime
) -> RingOut:
    """An admin adds a membership period."""
    caller.require("admin")
    ring = get_ring(session, ring_id)
    _add_membership(session, ring=ring, member=data)
    audit.record(
        session,
        aggregate=("ring", ring.id),
        actor=caller.label,
        action="ring.member_added",
        at=now,
        after={"authority": data.authority_id, "from": data.valid_from, "until": data.valid_until},
    )
    return ring_out(session, ring)


def end_membership(
    session: Session,
    *,
    caller: Caller,
    ring_id: uuid.UUID,
    membership_id: uuid.UUID,
    valid_until: date,
    now: datetime,
) -> RingOut:
    """An admin ends a membership on a day (the lead authority's membership cannot end)."""
    caller.require("admin")
    ring = get_ring(session, ring_id)
    membership = session.get(RingMembership, membership_id, with_for_update=True)
    if membership is None or membership.ring_id != ring.id:
        raise NotFound("No membership of this ring has that id.")
    if membership.authority_id == ring.lead_authority_id:
        raise Conflict("The lead authority's membership cannot end while it leads the ring.")
    if valid_until < membership.valid_from:
        raise InvalidInput("A membership cannot end before it began.", field="valid_until")
    before = membership.valid_until
    membership.valid_until = valid_until
    session.add(membership)
    audit.record(
        session,
        aggregate=("ring", ring.id),
        actor=caller.label,
        action="ring.member_ended",
        at=now,
        before={"membership": membership.id, "until": before},
        after={"membership": membership.id, "until": valid_until},
    )
    return ring_out(session, ring)


def _add_membership(session: Session, *, ring: Ring, member: MemberIn) -> None:
    get_authority(session, member.authority_id)
    if member.valid_until is not None and member.valid_until < member.valid_from:
        raise InvalidInput("A membership cannot end before it begins.", field="valid_until")
    session.add(
        RingMembership(
            ring_id=ring.id,
            authority_id=member.authority_id,
            valid_from=member.valid_from,
            valid_until=member.valid_until,
        )
    )
    session.flush()


def get_ring(session: Session, ring_id: uuid.UUID) -> Ring:
    """A ring, or 404."""
    ring = session.get(Ring, ring_id)
    if ring is None:
        raise NotFound("No ring has that id.")
    return ring


def is_member(session: Session, *, ring_id: uuid.UUID, authority_id: uuid.UUID, on: date) -> bool:
    """Whether the authority is a member of the ring on the day."""
    return any(
        rules.member_on(valid_from=m.valid_from, valid_until=m.valid_until, on=on)
        for m in session.exec(
            select(RingMembership).where(
                RingMembership.ring_id == ring_id, RingMembership.authority_id == authority_id
            )
        )
    )


def member_authorities(session: Session, *, ring_id: uuid.UUID, on: date) -> list[Authority]:
    """The ring's member authorities on the day."""
    rows = session.exec(
        select(RingMembership, Authority)
        .join(Authority, col(Authority.id) == RingMembership.authority_id)
        .where(RingMembership.ring_id == ring_id)
    ).all()
    return [a for m, a in rows if rules.member_on(valid_from=m.valid_from, valid_until=m.valid_until, on=on)]


def require_ring_officer(session: Session, *, caller: Caller, ring: Ring, now: datetime, lead: bool) -> None:
    """Members' officers may look; only the lead's officers decide (others 403, outsiders 404)."""
    caller.require("officer")
    assert caller.authority_id is not None  # noqa: S101 (guaranteed by the principal table)
    if caller.authority_id == ring.lead_authority_id:
        return
    if not is_member(session, ring_id=ring.id, authority_id=caller.authority_id, on=today(now)):
        raise NotFound("Not found in your authority's rings.")
    if lead:
        raise Forbidden("Only officers of the ring's lead authority may do this.")


# --- categories and DPSs ----------------------------------------------------------------------


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
        state=rules.dps_effective_state(state=dps.state, valid_until=dps.valid_until, today=today(now)),
        categories=list(categories),
        evidence_types=[
            EvidenceTypeOut(code=t.code, name=t.name, max_age_days=t.max_age_days) for t in types
        ],
    )


def create_dps(session: Session, *, caller: Caller, data: DpsIn, now: datetime) -> DpsOut:
    """An officer of the ring's lead authority drafts a DPS."""
    ring = get_ring(session, data.ring_id)
    require_ring_officer(session, caller=caller, ring=ring, now=now, lead=True)
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
    require_ring_officer(session, caller=caller, ring=get_ring(session, dps.ring_id), now=now, lead=True)
    DPS_MACHINE.check(dps.state, "published")
    if today(now) > dps.valid_until:
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
        session, ring_id=ring.id, authority_id=caller.authority_id, on=today(now)
    )


def open_dps(session: Session, *, dps_id: uuid.UUID, now: datetime) -> Dps:
    """A DPS that accepts applications now, or a clear refusal."""
    dps = session.get(Dps, dps_id)
    if dps is None or dps.state == "draft":
        raise NotFound("No published DPS has that id.")
    day = today(now)
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


def count_rings(session: Session) -> int:
    """How many rings exist (demo idempotence)."""
    return int(session.exec(select(func.count()).select_from(Ring)).one())
