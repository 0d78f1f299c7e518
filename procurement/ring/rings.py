"""Use cases of authorities, rings and their memberships, and who may act for a ring."""

import uuid
from datetime import date, datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from procurement.core import audit
from procurement.core.auth import Caller
from procurement.core.clock import helsinki_today
from procurement.core.errors import Conflict, Forbidden, InvalidInput, NotFound, body_reference
from procurement.core.paging import FIRST_PAGE, Keyset, Page, PageRequest
from procurement.ring import rules
from procurement.ring.models import Authority, Ring, RingMembership
from procurement.ring.schemas import (
    AuthorityIn,
    AuthorityOut,
    MemberIn,
    MemberOut,
    RingIn,
    RingOut,
)

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
    business_id = rules.valid_business_id(data.business_id)
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


# By name; the id separates namesakes.
AUTHORITY_ORDER = Keyset("authorities", (col(Authority.name), col(Authority.id)))


def list_authorities(session: Session, *, page: PageRequest = FIRST_PAGE) -> Page[AuthorityOut]:
    """A page of the authorities, by name."""
    query = AUTHORITY_ORDER.apply(select(Authority), page)
    rows = AUTHORITY_ORDER.page(session.exec(query).all(), page, lambda a: (a.name, a.id))
    return Page([authority_out(a) for a in rows.items], rows.next)


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
    with body_reference("lead_authority_id"):
        get_authority(session, data.lead_authority_id)
    ring = Ring(name=data.name, lead_authority_id=data.lead_authority_id, created_at=now)
    session.add(ring)
    session.flush()
    members = [MemberIn(authority_id=data.lead_authority_id, valid_from=data.valid_from)]
    for i, member in enumerate(data.members):
        with body_reference(f"members[{i}].authority_id"):
            get_authority(session, member.authority_id)
        if member.authority_id != data.lead_authority_id:
            members.append(member)
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
    with body_reference("authority_id"):
        get_authority(session, data.authority_id)
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


def require_ring_officer(
    session: Session, *, caller: Caller, ring: Ring, now: datetime, lead: bool, public: bool = False
) -> None:
    """Members' officers may look; only the lead's officers decide (others 403, outsiders 404).

    `public`: the object acted on is one anybody may read, so an outsider is refused (403), not told
    that it does not exist.
    """
    caller.require("officer")
    assert caller.authority_id is not None  # noqa: S101 (guaranteed by the principal table)
    if caller.authority_id == ring.lead_authority_id:
        return
    if not is_member(session, ring_id=ring.id, authority_id=caller.authority_id, on=helsinki_today(now)):
        if public:
            raise Forbidden("Only officers of the ring's lead authority may do this.")
        raise NotFound("Not found in your authority's rings.")
    if lead:
        raise Forbidden("Only officers of the ring's lead authority may do this.")


# --- categories and DPSs ----------------------------------------------------------------------


def count_rings(session: Session) -> int:
    """How many rings exist (demo idempotence)."""
    return int(session.exec(select(func.count()).select_from(Ring)).one())
