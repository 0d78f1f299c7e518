"""Who may see what: officers see their authority's contracts, suppliers their own; anything else is 404."""

import uuid
from datetime import date, datetime

from sqlalchemy import exists
from sqlmodel import Session, col, select

from minicompetition.award.models import Contract
from outcomes.tracking.models import OutcomeEvent, Participant, ParticipantRegistration, Referral
from procurement.core.auth import Caller
from procurement.core.clock import helsinki_today
from procurement.core.errors import InvalidInput, NotFound
from registry.models import Supplier
from registry.suppliers import current_supplier

NO_REFERRAL = "No referral has that id."
NO_EVENT = "No outcome event has that id."
NO_PARTICIPANT = "No participant has that id."


def supplier_id_of(session: Session, caller: Caller) -> uuid.UUID | None:
    """The calling supplier's id, or None for an officer; other roles are refused (403)."""
    caller.require("officer", "supplier")
    if caller.role == "officer":
        return None
    supplier: Supplier = current_supplier(session, caller)
    return supplier.id


def sees_contract(caller: Caller, contract: Contract, supplier_id: uuid.UUID | None) -> bool:
    """Officers of the buying authority and the contracted supplier."""
    if caller.role == "officer":
        return contract.authority_id == caller.authority_id
    return supplier_id is not None and contract.supplier_id == supplier_id


def load_referral(
    session: Session, *, caller: Caller, referral_id: uuid.UUID, lock: bool = False
) -> tuple[Referral, Contract]:
    """A referral in the caller's scope (locked for a state change when asked), with its contract."""
    supplier_id = supplier_id_of(session, caller)
    query = select(Referral, Contract).join(Contract, col(Contract.id) == Referral.contract_id)
    query = query.where(Referral.id == referral_id)
    if lock:
        query = query.with_for_update(of=Referral)  # type: ignore[arg-type]
    row = session.exec(query).first()
    if row is None or not sees_contract(caller, row[1], supplier_id):
        raise NotFound(NO_REFERRAL)
    return row[0], row[1]


def load_event(
    session: Session, *, caller: Caller, event_id: uuid.UUID, lock: bool = False
) -> tuple[OutcomeEvent, Referral, Contract]:
    """An outcome event in the caller's scope (locked when asked), with its referral and contract."""
    supplier_id = supplier_id_of(session, caller)
    query = (
        select(OutcomeEvent, Referral, Contract)
        .join(Referral, col(Referral.id) == OutcomeEvent.referral_id)
        .join(Contract, col(Contract.id) == Referral.contract_id)
        .where(OutcomeEvent.id == event_id)
    )
    if lock:
        query = query.with_for_update(of=OutcomeEvent)  # type: ignore[arg-type]
    row = session.exec(query).first()
    if row is None or not sees_contract(caller, row[2], supplier_id):
        raise NotFound(NO_EVENT)
    return row[0], row[1], row[2]


def load_participant(session: Session, *, caller: Caller, participant_id: uuid.UUID) -> Participant:
    """A participant registered by the officer's authority, or referred to the calling supplier."""
    supplier_id = supplier_id_of(session, caller)
    if supplier_id is None:
        visible = exists().where(
            col(ParticipantRegistration.participant_id) == participant_id,
            col(ParticipantRegistration.authority_id) == caller.authority_id,
        )
    else:
        visible = exists().where(
            col(Referral.participant_id) == participant_id,
            col(Contract.id) == Referral.contract_id,
            col(Contract.supplier_id) == supplier_id,
        )
    participant = session.exec(select(Participant).where(Participant.id == participant_id, visible)).first()
    if participant is None:
        raise NotFound(NO_PARTICIPANT)
    return participant


def check_day(day: date, *, now: datetime, field: str, not_before: date, before_what: str) -> None:
    """Refuse a day in the future (Finnish calendar) or before a given day, naming the field."""
    if day > helsinki_today(now):
        raise InvalidInput(f"The date {day.isoformat()} is in the future.", field=field)
    if day < not_before:
        raise InvalidInput(
            f"The date {day.isoformat()} is before {before_what} ({not_before.isoformat()}).", field=field
        )
