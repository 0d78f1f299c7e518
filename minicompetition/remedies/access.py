"""Who reads an award decision's remedies: the buying officers and the bidders it was delivered to."""

import uuid
from dataclasses import dataclass

from sqlmodel import Session, select

from minicompetition.award.models import AwardDecision
from minicompetition.remedies.models import DecisionDelivery
from minicompetition.tender import access
from minicompetition.tender.models import Competition
from procurement.core.auth import Caller
from procurement.core.errors import NotFound

DECISION_NOT_FOUND = "No award decision has that id."


@dataclass(frozen=True)
class Reader:
    """The buying authority's officer (everything) or a bidder (its own deliveries and requests)."""

    officer: bool
    supplier_id: uuid.UUID | None = None


def reader_of(session: Session, caller: Caller, competition: Competition, *, missing: str) -> Reader:
    """The caller as a reader of the competition's decisions; 404 for anyone else (tenant isolation)."""
    if access.is_buying_officer(caller, competition):
        return Reader(officer=True)
    if caller.role == "supplier":
        supplier = access.supplier_of(session, caller)
        delivered = session.exec(
            select(DecisionDelivery.id)
            .join(AwardDecision, AwardDecision.id == DecisionDelivery.award_id)  # type: ignore[arg-type]
            .where(
                AwardDecision.competition_id == competition.id, DecisionDelivery.supplier_id == supplier.id
            )
        ).first()
        if delivered is not None:
            return Reader(officer=False, supplier_id=supplier.id)
    raise NotFound(missing)


def load_decision(
    session: Session, caller: Caller, award_id: uuid.UUID, *, lock: bool = False
) -> tuple[AwardDecision, Competition, Reader]:
    """A decision, its competition (locked for update when asked) and how the caller reads it."""
    decision = session.get(AwardDecision, award_id)
    if decision is None:
        raise NotFound(DECISION_NOT_FOUND)
    competition, _ = access.load(session, decision.competition_id, lock="update" if lock else None)
    reader = reader_of(session, caller, competition, missing=DECISION_NOT_FOUND)
    if lock:
        session.refresh(decision, with_for_update=True)
    return decision, competition, reader
