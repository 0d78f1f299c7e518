"""Use cases of outcome events: report, record from a register, verify, reject, void, end a step."""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from minicompetition.award.models import Contract
from outcomes.tracking import access, claims
from outcomes.tracking.models import OutcomeEvent, Participant, Referral
from outcomes.tracking.rules import (
    JOB_STARTS,
    NEXT_STEP_TYPES,
    OUTCOME_EVENT_MACHINE,
    RUNG_REQUIRED,
    SUSTAINMENT,
    Category,
    OutcomeEventState,
    OutcomeEventType,
    ReferralEndReason,
    allowed_event_types,
    metric_window,
    transition,
)
from outcomes.tracking.schemas import EventIn, EventOut, StepEndIn, VerifyIn
from procurement.core import audit, outbox
from procurement.core.auth import Caller
from procurement.core.canonical import sha256_hex
from procurement.core.errors import Conflict, InvalidInput, NotFound

_ET = OutcomeEventType
_OS = OutcomeEventState
# Events that no longer stand: they neither block a new report nor count for anything. A clawed-back
# outcome (and one awaiting its clawback) was taken back, so a correct claim of it may be made again.
DEAD_STATES = (_OS.REJECTED.value, _OS.VOIDED.value, _OS.AWAITING_CLAWBACK.value, _OS.CLAWED_BACK.value)
# States of an event that an officer or a register has verified and that still stands.
VERIFIED_STATES = (_OS.VERIFIED.value, _OS.PAYABLE.value, _OS.PAID.value)


# The supplier hears of an officer's decision on its outcome claim.
_ANNOUNCED = {_OS.VERIFIED: "outcome.verified", _OS.REJECTED: "outcome.rejected"}


def episode_id(*, pseudonym: str, episode_start: date) -> str:
    """The id of a participant's episode that began on a day (first 32 hex of a SHA-256)."""
    # With the outcome type this is the payment rules' ring-wide once-only key: a job that began on one day
    # is one episode whichever contract reports it, and its 3- and 6-month outcomes share its id.
    return sha256_hex(f"episode|{pseudonym}|{episode_start.isoformat()}".encode())[:32]


def event_out(e: OutcomeEvent, *, duplicate_of: uuid.UUID | None = None) -> EventOut:
    """Shape an outcome event."""
    return EventOut(
        id=e.id,
        referral_id=e.referral_id,
        event_type=e.event_type,
        event_date=e.event_date,
        end_date=e.end_date,
        rung=e.rung,
        episode_id=e.episode_id,
        episode_start=e.episode_start,
        pre_dates_referral=e.pre_dates_referral,
        state=e.state,
        source=e.source,
        source_register=e.source_register,
        evidence_sha256=e.evidence_sha256,
        reason=e.reason,
        recorded_at=e.recorded_at,
        decided_at=e.decided_at,
        duplicate_of=duplicate_of,
    )


def events_out(session: Session, events: list[OutcomeEvent]) -> list[EventOut]:
    """Shape events, each flagged with the claim of the same outcome verified before it, if any."""
    duplicates = claims.duplicates_of(session, events)
    return [event_out(e, duplicate_of=duplicates.get(e.id)) for e in events]


def one_out(session: Session, event: OutcomeEvent) -> EventOut:
    """Shape one event with its duplicate flag."""
    return events_out(session, [event])[0]


def events_of(session: Session, referral_id: uuid.UUID) -> list[OutcomeEvent]:
    """A referral's events in date order."""
    query = select(OutcomeEvent).where(OutcomeEvent.referral_id == referral_id)
    return list(session.exec(query.order_by(col(OutcomeEvent.event_date), col(OutcomeEvent.recorded_at))))


def _event_type(data: EventIn, *, category: str) -> OutcomeEventType:
    try:
        kind = OutcomeEventType(data.event_type)
    except ValueError:
        known = ", ".join(t.value for t in OutcomeEventType)
        raise InvalidInput(
            f"Unknown event type '{data.event_type}'; use {known}.", field="event_type"
        ) from None
    if kind is _ET.SERVICE_START:
        raise InvalidInput("The service start is recorded with the referral's start.", field="event_type")
    allowed = allowed_event_types(category=Category(category))
    if kind not in allowed:
        names = ", ".join(sorted(t.value for t in allowed if t is not _ET.SERVICE_START))
        raise InvalidInput(
            f"Event type '{kind.value}' is not allowed in category {category}; it allows {names}.",
            field="event_type",
        )
    if kind in RUNG_REQUIRED and data.rung is None:
        raise InvalidInput(f"A {kind.value} needs the rung of the service ladder it lands on.", field="rung")
    if data.rung is not None and kind not in NEXT_STEP_TYPES:
        raise InvalidInput(f"A {kind.value} has no rung on the service ladder.", field="rung")
    return kind


def _check_dates(data: EventIn, *, referral: Referral, now: datetime) -> None:
    access.check_day(
        data.event_date,
        now=now,
        field="event_date",
        not_before=referral.referred_on,
        before_what="the referral",
    )
    # After completion the follow-up outcomes are what the contract pays for; after an interruption or a
    # neutral exit nothing more can be credited to the supplier.
    ended_early = referral.end_reason not in (None, ReferralEndReason.COMPLETED.value)
    if ended_early and referral.ended_on is not None and data.event_date > referral.ended_on:
        raise InvalidInput(
            f"The date {data.event_date.isoformat()} is after the referral ended "
            f"({referral.end_reason}, {referral.ended_on.isoformat()}).",
            field="event_date",
        )
    if data.end_date is not None:
        access.check_day(
            data.end_date, now=now, field="end_date", not_before=data.event_date, before_what="the event"
        )


def _sustained_job(
    session: Session, data: EventIn, *, kind: OutcomeEventType, referral: Referral
) -> OutcomeEvent | None:
    """The verified job start of the referral that a sustainment outcome sustains (None for other types)."""
    if kind not in SUSTAINMENT:
        return None
    job = session.exec(
        select(OutcomeEvent)
        .where(
            OutcomeEvent.referral_id == referral.id,
            col(OutcomeEvent.event_type).in_([t.value for t in JOB_STARTS]),
            col(OutcomeEvent.state).in_(VERIFIED_STATES),
            OutcomeEvent.event_date <= data.event_date,
        )
        .order_by(col(OutcomeEvent.event_date).desc(), col(OutcomeEvent.id))
    ).first()
    if job is None:
        raise InvalidInput(
            f"A {kind.value} outcome is counted from a verified job start of this referral, and it has none "
            "on or before that date.",
            field="event_type",
        )
    return job


def _check_window(
    data: EventIn, *, kind: OutcomeEventType, referral: Referral, job: OutcomeEvent | None
) -> None:
    assert referral.started_on is not None  # noqa: S101 (outcomes are reported on started referrals)
    window = metric_window(
        event_type=kind, job_start=None if job is None else job.event_date, service_start=referral.started_on
    )
    if window is not None and not window[0] <= data.event_date <= window[1]:
        since = "the job start" if job is not None else "the service start"
        raise InvalidInput(
            f"A {kind.value} outcome falls between {window[0].isoformat()} and {window[1].isoformat()} "
            f"(counted from {since}); {data.event_date.isoformat()} is outside its window.",
            field="event_date",
        )


def add_event(
    session: Session,
    *,
    referral: Referral,
    kind: OutcomeEventType,
    fields: dict[str, Any],
    episode_start: date,
    state: OutcomeEventState,
) -> OutcomeEvent:
    """Insert an event of a referral under its episode; a live duplicate is a 409."""
    participant = session.get(Participant, referral.participant_id)
    assert participant is not None  # noqa: S101 (foreign key)
    episode = episode_id(pseudonym=participant.pseudonym, episode_start=episode_start)
    duplicate = session.exec(
        select(OutcomeEvent.id).where(
            OutcomeEvent.referral_id == referral.id,
            OutcomeEvent.event_type == kind.value,
            OutcomeEvent.episode_id == episode,
            col(OutcomeEvent.state).not_in(DEAD_STATES),
        )
    ).first()
    if duplicate is not None:
        raise Conflict(f"This outcome is already recorded for the referral (event {duplicate}).")
    event = OutcomeEvent(
        referral_id=referral.id,
        participant_id=referral.participant_id,
        event_type=kind.value,
        episode_start=episode_start,
        episode_id=episode,
        state=state.value,
        **fields,
    )
    try:
        with session.begin_nested():
            session.add(event)
            session.flush()
    except IntegrityError as exc:
        raise Conflict("This outcome was recorded for the referral at the same moment.") from exc
    return event


def report(
    session: Session, *, caller: Caller, referral_id: uuid.UUID, data: EventIn, now: datetime
) -> EventOut:
    """A supplier reports an outcome with evidence, or an officer records one verified from a register."""
    referral, contract = access.load_referral(session, caller=caller, referral_id=referral_id, lock=True)
    supplier = caller.role == "supplier"
    if supplier and data.evidence_sha256 is None:
        raise InvalidInput("Send the SHA-256 of the evidence document.", field="evidence_sha256")
    if supplier and data.source_register is not None:
        raise InvalidInput("Only officers record outcomes from a register.", field="source_register")
    if not supplier and data.source_register is None:
        raise InvalidInput("Name the register the outcome was verified from.", field="source_register")
    if referral.state == "referred":
        raise Conflict(
            "The referral is 'referred'; record the start before its outcomes.", current_state=referral.state
        )
    kind = _event_type(data, category=contract.category_code)
    _check_dates(data, referral=referral, now=now)
    # The episode is never the reporter's choice: a job start opens one on its own date, a sustainment
    # outcome belongs to the verified job start it sustains, anything else to its own date.
    job = _sustained_job(session, data, kind=kind, referral=referral)
    _check_window(data, kind=kind, referral=referral, job=job)
    episode_start = data.event_date if job is None else job.episode_start
    # An officer's register record is verified as it is made; a supplier's claim waits for an officer.
    state = _OS.REPORTED if supplier else _OS.VERIFIED
    fields: dict[str, Any] = {
        "event_date": data.event_date,
        "end_date": data.end_date,
        "rung": data.rung,
        # A job that began before the referral never counts, and neither does its sustainment.
        "pre_dates_referral": data.pre_dates_referral or (job is not None and job.pre_dates_referral),
        "source": "supplier" if supplier else "register",
        "source_register": data.source_register,
        "evidence_sha256": data.evidence_sha256,
        "recorded_by": caller.id,
        "recorded_at": now,
        "decided_by": None if supplier else caller.id,
        "decided_at": None if supplier else now,
    }
    event = add_event(
        session, referral=referral, kind=kind, fields=fields, episode_start=episode_start, state=state
    )
    audit.record(
        session,
        aggregate=("referral", referral.id),
        actor=caller.label,
        action="outcome_event.reported" if supplier else "outcome_event.recorded_verified",
        at=now,
        after=_audit_view(event),
    )
    if not supplier:
        outbox.emit(session, "outcome.verified", subject=("outcome_event", event.id), at=now)
    return one_out(session, event)


def _audit_view(e: OutcomeEvent) -> dict[str, Any]:
    return {
        "event": e.id,
        "type": e.event_type,
        "date": e.event_date,
        "end_date": e.end_date,
        "rung": e.rung,
        "episode": e.episode_id,
        "pre_dates_referral": e.pre_dates_referral,
        "state": e.state,
        "source": e.source_register or e.source,
        "evidence_sha256": e.evidence_sha256,
    }


def locked_event(session: Session, *, event_id: uuid.UUID) -> OutcomeEvent:
    """An event locked for a state change by a job without a caller (the payment run); 404 if unknown."""
    event = session.exec(
        select(OutcomeEvent)
        .where(OutcomeEvent.id == event_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if event is None:
        raise NotFound(access.NO_EVENT)
    return event


def change_state(
    session: Session,
    *,
    event: OutcomeEvent,
    target: OutcomeEventState,
    actor: Caller | str,
    now: datetime,
    reason: str | None = None,
) -> OutcomeEvent:
    """Move a locked event along the machine and audit it; the payment issue calls this for payable/paid."""
    transition(machine=OUTCOME_EVENT_MACHINE, current=event.state, target=target)
    before = event.state
    event.state = target.value
    if reason is not None:
        event.reason = reason
    if isinstance(actor, Caller) and target in (_OS.VERIFIED, _OS.REJECTED):
        event.decided_by, event.decided_at = actor.id, now
    session.add(event)
    session.flush()
    audit.record(
        session,
        aggregate=("referral", event.referral_id),
        actor=actor.label if isinstance(actor, Caller) else actor,
        action=f"outcome_event.{target.value}",
        at=now,
        before={"event": event.id, "state": before},
        after={"event": event.id, "state": event.state, "reason": reason},
    )
    if target in _ANNOUNCED:
        outbox.emit(session, _ANNOUNCED[target], subject=("outcome_event", event.id), at=now)
    return event


def get(session: Session, *, caller: Caller, event_id: uuid.UUID) -> EventOut:
    """An outcome event in the caller's scope (404 outside it)."""
    event, _, _ = access.load_event(session, caller=caller, event_id=event_id)
    return one_out(session, event)


def _officer_event(
    session: Session, *, caller: Caller, event_id: uuid.UUID
) -> tuple[OutcomeEvent, Referral, Contract]:
    caller.require("officer")
    return access.load_event(session, caller=caller, event_id=event_id, lock=True)


def verify(
    session: Session, *, caller: Caller, event_id: uuid.UUID, data: VerifyIn, now: datetime
) -> EventOut:
    """An officer verifies a reported event (noting a pre-existing job if the register shows one)."""
    event, _, _ = _officer_event(session, caller=caller, event_id=event_id)
    if data.pre_dates_referral:
        event.pre_dates_referral = True
    return one_out(session, change_state(session, event=event, target=_OS.VERIFIED, actor=caller, now=now))


def reject(session: Session, *, caller: Caller, event_id: uuid.UUID, reason: str, now: datetime) -> EventOut:
    """An officer rejects a reported event, with the reason."""
    event, _, _ = _officer_event(session, caller=caller, event_id=event_id)
    return one_out(
        session, change_state(session, event=event, target=_OS.REJECTED, actor=caller, now=now, reason=reason)
    )


def void(session: Session, *, caller: Caller, event_id: uuid.UUID, reason: str, now: datetime) -> EventOut:
    """An officer voids a verified event; a paid one becomes awaiting clawback instead."""
    event, _, _ = _officer_event(session, caller=caller, event_id=event_id)
    target = _OS.AWAITING_CLAWBACK if event.state == _OS.PAID.value else _OS.VOIDED
    return one_out(
        session, change_state(session, event=event, target=target, actor=caller, now=now, reason=reason)
    )


def end_step(
    session: Session, *, caller: Caller, event_id: uuid.UUID, data: StepEndIn, now: datetime
) -> EventOut:
    """Record the day a job, studies or ladder step ended (it decides the 30-day persistence)."""
    event, _, _ = access.load_event(session, caller=caller, event_id=event_id, lock=True)
    if OutcomeEventType(event.event_type) not in NEXT_STEP_TYPES:
        raise InvalidInput(f"A {event.event_type} has no end to record.", field="end_date")
    if event.state in DEAD_STATES:
        raise Conflict(f"The event is '{event.state}'; it has no end to record.", current_state=event.state)
    if event.end_date is not None:
        raise Conflict(f"The end is already recorded ({event.end_date.isoformat()}).")
    access.check_day(
        data.end_date, now=now, field="end_date", not_before=event.event_date, before_what="the event"
    )
    event.end_date = data.end_date
    session.add(event)
    session.flush()
    audit.record(
        session,
        aggregate=("referral", event.referral_id),
        actor=caller.label,
        action="outcome_event.step_ended",
        at=now,
        after={"event": event.id, "end_date": event.end_date},
    )
    return one_out(session, event)
