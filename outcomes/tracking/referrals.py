"""Use cases of referrals: refer within the awarded volume, record the start and the end."""

import uuid
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from minicompetition.award.models import Contract, ContractLot
from outcomes.tracking import access, events
from outcomes.tracking.models import Referral
from outcomes.tracking.rules import (
    REFERRAL_MACHINE,
    OutcomeEventState,
    OutcomeEventType,
    ReferralEndReason,
    transition,
)
from outcomes.tracking.schemas import EndIn, ReferralIn, ReferralOut, StartIn
from procurement.core import audit, outbox
from procurement.core.auth import Caller
from procurement.core.clock import helsinki_today
from procurement.core.errors import Conflict, InvalidInput, NotFound, body_reference
from procurement.core.settings import Settings

ACTIVE = ("referred", "started")


def referral_out(
    session: Session, referral: Referral, contract: Contract, *, with_events: bool = True
) -> ReferralOut:
    """Shape a referral with its snapshot of the participant and, when asked, its events."""
    return ReferralOut(
        id=referral.id,
        participant_id=referral.participant_id,
        contract_id=referral.contract_id,
        lot_id=referral.lot_id,
        supplier_id=contract.supplier_id,
        authority_id=contract.authority_id,
        category=referral.category_code,
        state=referral.state,
        referred_on=referral.referred_on,
        home_municipality_code=referral.home_municipality_code,
        target_groups=list(referral.target_groups),
        tier=referral.tier,
        partial_work_ability=referral.partial_work_ability,
        current_rung=referral.current_rung,
        started_on=referral.started_on,
        ended_on=referral.ended_on,
        end_reason=referral.end_reason,
        neutral_exit_kind=referral.neutral_exit_kind,
        neutral_exit_state=referral.neutral_exit_state,
        events=events.events_out(session, events.events_of(session, referral.id)) if with_events else None,
    )


def _locked_lot(session: Session, *, caller: Caller, data: ReferralIn) -> tuple[ContractLot, Contract]:
    # The lot row lock orders referrals to one lot, so two cannot both take its last place.
    row = session.exec(
        select(ContractLot, Contract)
        .join(Contract, col(Contract.id) == ContractLot.contract_id)
        .where(ContractLot.contract_id == data.contract_id, ContractLot.lot_id == data.lot_id)
        .with_for_update(of=ContractLot)  # type: ignore[arg-type]
    ).first()
    if row is None or row[1].authority_id != caller.authority_id:
        raise NotFound("Your authority has no contract with that lot.")
    return row[0], row[1]


def refer(session: Session, *, caller: Caller, data: ReferralIn, now: datetime) -> ReferralOut:
    """An officer of the buying authority refers a participant to a contract lot."""
    caller.require("officer")
    with body_reference("participant_id"):
        participant = access.load_participant(session, caller=caller, participant_id=data.participant_id)
    with body_reference("lot_id"):
        lot, contract = _locked_lot(session, caller=caller, data=data)
    if contract.state != "active":
        raise Conflict(
            f"The contract is '{contract.state}'; only an active contract takes referrals.",
            current_state=contract.state,
        )
    if participant.home_municipality_code not in lot.municipality_codes:
        raise InvalidInput(
            f"Lot {lot.lot_code} does not serve the participant's home municipality "
            f"{participant.home_municipality_code}; it serves {', '.join(lot.municipality_codes)}.",
            field="lot_id",
        )
    active = session.exec(
        select(Referral.id).where(
            Referral.participant_id == participant.id,
            Referral.category_code == contract.category_code,
            col(Referral.state).in_(ACTIVE),
        )
    ).first()
    if active is not None:
        raise Conflict(
            f"The participant already has an active referral in category {contract.category_code} "
            f"(referral {active}); end it first."
        )
    # Every referral takes a place: the state machine has no cancellation that would give one back.
    used = session.exec(
        select(func.count()).where(Referral.contract_id == contract.id, Referral.lot_id == lot.lot_id)
    ).one()
    if used >= lot.volume:
        raise Conflict(f"The awarded volume of lot {lot.lot_code} is used up ({used} of {lot.volume}).")
    referral = Referral(
        participant_id=participant.id,
        contract_id=contract.id,
        lot_id=lot.lot_id,
        category_code=contract.category_code,
        referred_on=helsinki_today(now),
        referred_at=now,
        referred_by=caller.id,
        home_municipality_code=participant.home_municipality_code,
        target_groups=list(participant.target_groups),
        tier=participant.tier,
        partial_work_ability=participant.partial_work_ability,
        current_rung=data.current_rung,
    )
    try:
        with session.begin_nested():
            session.add(referral)
            session.flush()
    except IntegrityError as exc:
        raise Conflict(
            f"The participant was referred in category {contract.category_code} at the same moment."
        ) from exc
    audit.record(
        session,
        aggregate=("referral", referral.id),
        actor=caller.label,
        action="referral.created",
        at=now,
        after={
            "participant": participant.id,
            "contract": contract.id,
            "lot": lot.lot_id,
            "referred_on": referral.referred_on,
            "home_municipality_code": referral.home_municipality_code,
            "target_groups": referral.target_groups,
            "tier": referral.tier,
            "partial_work_ability": referral.partial_work_ability,
            "current_rung": referral.current_rung,
        },
    )
    outbox.emit(session, "referral.made", subject=("referral", referral.id), at=now)
    return referral_out(session, referral, contract)


def _supplier_referral(
    session: Session, *, caller: Caller, referral_id: uuid.UUID
) -> tuple[Referral, Contract]:
    caller.require("supplier")
    return access.load_referral(session, caller=caller, referral_id=referral_id, lock=True)


def _move(referral: Referral, target: str) -> None:
    transition(machine=REFERRAL_MACHINE, current=referral.state, target=target)


def start(
    session: Session, *, caller: Caller, referral_id: uuid.UUID, data: StartIn, now: datetime
) -> ReferralOut:
    """The supplier records the start; it is also the service-start event the start fee is paid on."""
    referral, contract = _supplier_referral(session, caller=caller, referral_id=referral_id)
    _move(referral, "started")
    access.check_day(
        data.started_on,
        now=now,
        field="started_on",
        not_before=referral.referred_on,
        before_what="the referral",
    )
    referral.state = "started"
    referral.started_on = data.started_on
    session.add(referral)
    session.flush()
    event = events.add_event(
        session,
        referral=referral,
        kind=OutcomeEventType.SERVICE_START,
        fields={
            "event_date": data.started_on,
            "source": "supplier",
            "evidence_sha256": data.evidence_sha256,
            "recorded_by": caller.id,
            "recorded_at": now,
        },
        episode_start=data.started_on,
        state=OutcomeEventState.REPORTED,
    )
    audit.record(
        session,
        aggregate=("referral", referral.id),
        actor=caller.label,
        action="referral.started",
        at=now,
        before={"state": "referred"},
        after={"state": "started", "started_on": data.started_on, "service_start_event": event.id},
    )
    return referral_out(session, referral, contract)


def _check_neutral_exit(data: EndIn, *, now: datetime, settings: Settings) -> bool:
    neutral = data.reason == ReferralEndReason.NEUTRAL_EXIT.value
    if neutral != (data.neutral_exit_kind is not None):
        raise InvalidInput(
            "A neutral exit names its kind, and only a neutral exit has one.", field="neutral_exit_kind"
        )
    if neutral and data.evidence_sha256 is None:
        raise InvalidInput("Send the SHA-256 of the neutral exit's evidence.", field="evidence_sha256")
    if not neutral and data.evidence_sha256 is not None:
        raise InvalidInput("Only a neutral exit carries evidence here.", field="evidence_sha256")
    oldest = helsinki_today(now) - timedelta(days=settings.neutral_exit_max_age_days)
    if neutral and data.ended_on < oldest:
        # A late, backdated exit would rewrite a cohort's flow-through after the fact.
        raise InvalidInput(
            f"A neutral exit is reported within {settings.neutral_exit_max_age_days} days of its date; "
            f"{data.ended_on.isoformat()} is before {oldest.isoformat()}.",
            field="ended_on",
        )
    return neutral


def end(
    session: Session,
    *,
    caller: Caller,
    referral_id: uuid.UUID,
    data: EndIn,
    now: datetime,
    settings: Settings,
) -> ReferralOut:
    """The supplier records the end: completed, interrupted, or a neutral exit with its kind and evidence."""
    referral, contract = _supplier_referral(session, caller=caller, referral_id=referral_id)
    _move(referral, "ended")
    neutral = _check_neutral_exit(data, now=now, settings=settings)
    assert referral.started_on is not None  # noqa: S101 (a started referral has its start)
    access.check_day(
        data.ended_on, now=now, field="ended_on", not_before=referral.started_on, before_what="the start"
    )
    if data.reason != ReferralEndReason.COMPLETED.value:
        last = max(
            (
                e.event_date
                for e in events.events_of(session, referral.id)
                if e.state not in events.DEAD_STATES
            ),
            default=None,
        )
        if last is not None and last > data.ended_on:
            raise InvalidInput(
                f"An outcome is recorded on {last.isoformat()}, after this end; only a completed service "
                "has outcomes after its end.",
                field="ended_on",
            )
    referral.state = "ended"
    referral.ended_on = data.ended_on
    referral.end_reason = data.reason
    referral.neutral_exit_kind = data.neutral_exit_kind
    if neutral:
        # Reported only: the exit leaves the flow-through count once an officer has verified it.
        referral.neutral_exit_state = "reported"
        referral.neutral_exit_evidence_sha256 = data.evidence_sha256
        referral.neutral_exit_reported_at = now
    session.add(referral)
    session.flush()
    audit.record(
        session,
        aggregate=("referral", referral.id),
        actor=caller.label,
        action="referral.ended",
        at=now,
        before={"state": "started"},
        after={
            "state": "ended",
            "ended_on": data.ended_on,
            "reason": data.reason,
            "kind": data.neutral_exit_kind,
            "evidence_sha256": data.evidence_sha256,
        },
    )
    return referral_out(session, referral, contract)


def decide_neutral_exit(
    session: Session,
    *,
    caller: Caller,
    referral_id: uuid.UUID,
    verified: bool,
    now: datetime,
    reason: str | None = None,
) -> ReferralOut:
    """An officer of the buying authority verifies a reported neutral exit, or rejects it with the reason."""
    caller.require("officer")
    referral, contract = access.load_referral(session, caller=caller, referral_id=referral_id, lock=True)
    if referral.neutral_exit_state != "reported":
        state = referral.neutral_exit_state or f"none (the referral is {referral.state})"
        raise Conflict(
            f"The neutral exit is '{state}'; only a reported neutral exit can be verified or rejected.",
            current_state=referral.neutral_exit_state or referral.state,
        )
    referral.neutral_exit_state = "verified" if verified else "rejected"
    referral.neutral_exit_decided_by, referral.neutral_exit_decided_at = caller.id, now
    referral.neutral_exit_rejection = None if verified else reason
    session.add(referral)
    session.flush()
    audit.record(
        session,
        aggregate=("referral", referral.id),
        actor=caller.label,
        action=f"referral.neutral_exit_{referral.neutral_exit_state}",
        at=now,
        before={"neutral_exit_state": "reported"},
        after={"neutral_exit_state": referral.neutral_exit_state, "reason": reason},
    )
    return referral_out(session, referral, contract)


def get(session: Session, *, caller: Caller, referral_id: uuid.UUID) -> ReferralOut:
    """One referral in the caller's scope, with its events."""
    referral, contract = access.load_referral(session, caller=caller, referral_id=referral_id)
    return referral_out(session, referral, contract)


def list_referrals(
    session: Session, *, caller: Caller, contract_id: uuid.UUID | None = None, state: str | None = None
) -> list[ReferralOut]:
    """The referrals of the officer's authority, or of the calling supplier's contracts."""
    supplier_id = access.supplier_id_of(session, caller)
    query = select(Referral, Contract).join(Contract, col(Contract.id) == Referral.contract_id)
    if supplier_id is None:
        query = query.where(Contract.authority_id == caller.authority_id)
    else:
        query = query.where(Contract.supplier_id == supplier_id)
    if contract_id is not None:
        query = query.where(Referral.contract_id == contract_id)
    if state is not None:
        query = query.where(Referral.state == state)
    rows = session.exec(query.order_by(col(Referral.referred_at), col(Referral.id))).all()
    return [referral_out(session, r, c, with_events=False) for r, c in rows]
