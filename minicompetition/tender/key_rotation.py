"""Rotating the sealing master key: every competition's wrapped key re-wrapped, one row at a time."""

import uuid
from datetime import datetime

from sqlmodel import Session, col, select

from minicompetition.tender import sealing
from minicompetition.tender.models import CompetitionKey
from procurement.core import audit
from procurement.core.settings import Settings


def keys_to_rewrap(session: Session) -> list[uuid.UUID]:
    """The competitions whose wrapped key (share) still exists (not shredded by a cancellation)."""
    return list(
        session.exec(
            select(CompetitionKey.competition_id)
            .where(col(CompetitionKey.wrapped_private_key).is_not(None))
            .order_by(col(CompetitionKey.competition_id))
        ).all()
    )


def rewrap_one(
    session: Session, *, competition_id: uuid.UUID, settings: Settings, actor: str, now: datetime
) -> bool:
    """Re-wrap one competition's key under the current master key (row-locked, so a running service's
    opening waits for it); False when it was under the current key already."""
    row = session.exec(
        select(CompetitionKey).where(CompetitionKey.competition_id == competition_id).with_for_update()
    ).first()
    if row is None or row.wrapped_private_key is None:
        return False
    keys = sealing.CompetitionKeys(row.public_key, row.wrapped_private_key, row.wrap_nonce, row.scheme)
    if sealing.wrapped_under_current(settings, keys, competition_id=competition_id):
        return False
    moved = sealing.rewrap(settings, keys, competition_id=competition_id)
    row.wrapped_private_key, row.wrap_nonce = moved.wrapped_private_key, moved.wrap_nonce
    session.add(row)
    audit.record(
        session,
        aggregate=("competition", competition_id),
        actor=actor,
        action="competition.sealing_key_rewrapped",
        at=now,
    )
    return True
