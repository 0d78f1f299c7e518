"""Use cases of participants: registration by hetu into a pseudonym, and looking one up in scope."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col, select

from outcomes.tracking import access
from outcomes.tracking.models import Participant, ParticipantRegistration
from outcomes.tracking.pseudonym import pseudonym_key, pseudonymise
from outcomes.tracking.rules import benefit_days_tier
from outcomes.tracking.schemas import ParticipantIn, ParticipantOut
from procurement.core import audit
from procurement.core.auth import Caller
from procurement.core.errors import InvalidInput
from procurement.core.settings import Settings

PARTIAL = "partial_work_ability"


def participant_out(p: Participant) -> ParticipantOut:
    """Shape a participant: attributes only, never the pseudonym."""
    return ParticipantOut(
        id=p.id,
        home_municipality_code=p.home_municipality_code,
        target_groups=list(p.target_groups),
        tier=p.tier,
        partial_work_ability=p.partial_work_ability,
    )


def _attributes(data: ParticipantIn) -> dict[str, Any]:
    if (data.benefit_days is None) == (data.tier is None):
        raise InvalidInput("Give either the benefit days or the tier (T1–T4), not both.", field="tier")
    tier = data.tier if data.tier is not None else benefit_days_tier(days=data.benefit_days or 0).value
    # The flag and the target group say the same thing; keep them in step.
    partial = data.partial_work_ability or PARTIAL in data.target_groups
    groups = sorted(set(data.target_groups) | ({PARTIAL} if partial else set()))
    return {
        "home_municipality_code": data.home_municipality_code,
        "target_groups": groups,
        "tier": tier,
        "partial_work_ability": partial,
    }


def _snapshot(p: Participant) -> dict[str, Any]:
    return {
        "home_municipality_code": p.home_municipality_code,
        "target_groups": list(p.target_groups),
        "tier": p.tier,
        "partial_work_ability": p.partial_work_ability,
    }


def register(
    session: Session, *, caller: Caller, data: ParticipantIn, now: datetime, settings: Settings
) -> tuple[ParticipantOut, bool]:
    """An officer registers a participant; the same hetu always gives the same participant (True if new)."""
    caller.require("officer")
    attributes = _attributes(data)
    pseudonym = pseudonymise(
        data.hetu, key=pseudonym_key(settings), allow_test_codes=settings.env != "production"
    )
    # ON CONFLICT makes two first registrations of one person meet on one row instead of failing.
    inserted = session.execute(
        insert(Participant)
        .values(id=uuid.uuid4(), pseudonym=pseudonym, created_at=now, updated_at=now, **attributes)
        .on_conflict_do_nothing(index_elements=["pseudonym"])
        .returning(col(Participant.id))
    ).first()
    participant = session.exec(
        select(Participant)
        .where(Participant.pseudonym == pseudonym)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    before = _snapshot(participant)
    created = inserted is not None
    if not created and before != attributes:
        for name, value in attributes.items():
            setattr(participant, name, value)
        participant.updated_at = now
        session.add(participant)
    session.execute(
        insert(ParticipantRegistration)
        .values(participant_id=participant.id, authority_id=caller.authority_id, first_at=now, last_at=now)
        .on_conflict_do_update(index_elements=["participant_id", "authority_id"], set_={"last_at": now})
    )
    if created or before != attributes:
        audit.record(
            session,
            aggregate=("participant", participant.id),
            actor=caller.label,
            action="participant.registered" if created else "participant.updated",
            at=now,
            before=None if created else before,
            after={**attributes, "authority": caller.authority_id},
        )
    session.flush()
    return participant_out(participant), created


def get(session: Session, *, caller: Caller, participant_id: uuid.UUID) -> ParticipantOut:
    """A participant in the caller's scope."""
    return participant_out(access.load_participant(session, caller=caller, participant_id=participant_id))
