"""Duplicate claims: the same outcome of the same episode claimed twice anywhere in the ring (SPEC 4.4–4.5).

A claim is flagged as soon as it is reported and again when it is verified, not only when a period
closes: of two claims of one outcome the one verified first is paid, so a claim that another claim
preceded names it.
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from outcomes.tracking.models import OutcomeEvent, Referral
from outcomes.tracking.rules import Category, OutcomeEventType, PaymentComponent, payment_component

# Verified claims that still stand: these hold an outcome against a later claim.
STANDING = ("verified", "payable", "paid")
_LAST = datetime.max.replace(tzinfo=UTC)

ClaimKey = tuple[uuid.UUID, str, str, str]  # participant, category, component, episode


def _key(event: OutcomeEvent, category: str) -> ClaimKey | None:
    component = payment_component(category=Category(category), event_type=OutcomeEventType(event.event_type))
    # A start fee belongs to its referral, and a type that earns nothing in the category is no claim.
    if component is None or component is PaymentComponent.START:
        return None
    return (event.participant_id, category, component.value, event.episode_id)


def _order(event: OutcomeEvent) -> tuple[datetime, str]:
    # First verified, first paid; a claim not yet verified comes after every verified one.
    decided = event.decided_at if event.state in STANDING and event.decided_at is not None else _LAST
    return (decided, str(event.id))


def duplicates_of(session: Session, events: Sequence[OutcomeEvent]) -> dict[uuid.UUID, uuid.UUID]:
    """Each given event that another standing claim of the same outcome precedes, and that claim's id."""
    if not events:
        return {}
    ids = [e.id for e in events]
    categories = dict(
        session.exec(
            select(OutcomeEvent.id, Referral.category_code)
            .join(Referral, col(Referral.id) == OutcomeEvent.referral_id)
            .where(col(OutcomeEvent.id).in_(ids))
        ).all()
    )
    wanted = {e.id: _key(e, categories[e.id]) for e in events}
    if not any(wanted.values()):
        return {}
    rows = session.exec(
        select(OutcomeEvent, Referral.category_code)
        .join(Referral, col(Referral.id) == OutcomeEvent.referral_id)
        .where(
            col(OutcomeEvent.participant_id).in_({k[0] for k in wanted.values() if k}),
            col(OutcomeEvent.episode_id).in_({k[3] for k in wanted.values() if k}),
            col(OutcomeEvent.state).in_(STANDING),
        )
    ).all()
    standing: dict[ClaimKey, list[OutcomeEvent]] = {}
    for other, category in rows:
        key = _key(other, category)
        if key is not None:
            standing.setdefault(key, []).append(other)
    found: dict[uuid.UUID, uuid.UUID] = {}
    for event in events:
        key = wanted[event.id]
        if key is None:
            continue
        earlier = [o for o in standing.get(key, []) if o.id != event.id and _order(o) < _order(event)]
        if earlier:
            found[event.id] = min(earlier, key=_order).id
    return found
