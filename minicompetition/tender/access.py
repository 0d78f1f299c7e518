"""Who may see and change a competition: loading with locks, the buying authority, invitees, the DB clock."""

import uuid
from datetime import datetime
from typing import Literal

from sqlalchemy import func
from sqlmodel import Session, select

from minicompetition.tender.models import Competition, Invitation
from procurement.core.auth import Caller
from procurement.core.errors import Forbidden, NotFound
from registry.models import Supplier

Lock = Literal["share", "update"] | None

NOT_FOUND = "No competition has that id."
NOT_INVITED = "You are not invited to this competition."


def load(session: Session, competition_id: uuid.UUID, *, lock: Lock = None) -> tuple[Competition, datetime]:
    """A competition (locked as asked) and the database clock read in the same statement."""
    query = select(Competition, func.clock_timestamp()).where(Competition.id == competition_id)
    if lock is not None:
        query = query.with_for_update(read=lock == "share", of=Competition)  # type: ignore[arg-type]
    row = session.exec(query).first()
    if row is None:
        raise NotFound(NOT_FOUND)
    return row[0], row[1]


def db_clock(session: Session) -> datetime:
    """The database server's clock now (not the transaction start): the clock that decides deadlines."""
    moment: datetime = session.exec(select(func.clock_timestamp())).one()
    return moment


def is_buying_officer(caller: Caller | None, competition: Competition) -> bool:
    """An officer of the authority that buys."""
    return caller is not None and caller.role == "officer" and caller.authority_id == competition.authority_id


def visible(caller: Caller | None, competition: Competition) -> None:
    """Drafts are seen only by the buying authority's officers; everything else is public."""
    if competition.state == "draft" and not is_buying_officer(caller, competition):
        raise NotFound(NOT_FOUND)


def require_buying_officer(caller: Caller, competition: Competition) -> None:
    """Refuse unless the caller is an officer of the buying authority (404 for drafts, else 403)."""
    if is_buying_officer(caller, competition):
        return
    visible(caller, competition)
    raise Forbidden("Only officers of the buying authority may do this.")


def supplier_of(session: Session, caller: Caller) -> Supplier:
    """The calling supplier."""
    caller.require("supplier")
    supplier = session.exec(select(Supplier).where(Supplier.business_id == caller.business_id)).first()
    if supplier is None:
        raise NotFound("Your business id is not registered as a supplier.")
    return supplier


def require_invitation(session: Session, *, competition: Competition, supplier_id: uuid.UUID) -> None:
    """Refuse a supplier that is not invited: 403 once the competition is public, 404 for a draft."""
    visible(None, competition)
    if session.get(Invitation, (competition.id, supplier_id)) is None:
        raise Forbidden(NOT_INVITED)


def invitation_of(session: Session, *, competition: Competition, supplier_id: uuid.UUID) -> Invitation:
    """The supplier's invitation, or 404 (suppliers not invited do not see invitee-only things)."""
    invitation = session.get(Invitation, (competition.id, supplier_id))
    if invitation is None or competition.state == "draft":
        raise NotFound(NOT_INVITED)
    return invitation
