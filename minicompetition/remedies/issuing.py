"""Issuing the award decision: the award, its documents, delivery to every bidder, the standstill."""

import uuid
from datetime import datetime

from sqlmodel import Session

from minicompetition.award import decisions
from minicompetition.award import rules as award_rules
from minicompetition.award.models import AwardDecision
from minicompetition.award.schemas import AwardIn, AwardOut
from minicompetition.remedies import compose, delivery, facts
from minicompetition.remedies.texts import T
from minicompetition.tender.models import Competition
from procurement.core import outbox
from procurement.core.auth import Caller
from procurement.core.settings import Settings


def issue(
    session: Session,
    *,
    caller: Caller,
    competition_id: uuid.UUID,
    data: AwardIn,
    now: datetime,
    settings: Settings,
) -> AwardOut:
    """Issue the award decision, store its document and deliver it to every bidder; one transaction."""
    out = decisions.issue(
        session, caller=caller, competition_id=competition_id, data=data, now=now, settings=settings
    )
    decision = session.get(AwardDecision, out.id)
    competition = session.get(Competition, competition_id)
    assert decision is not None and competition is not None  # noqa: S101 (just written)
    # Delivery happens in this transaction: the document is in each bidder's inbox when the award commits.
    delivery.mark_delivered(decision, at=now, standstill_days=settings.standstill_days)
    session.add(decision)
    session.flush()
    notes = (
        ""
        if decision.appeal_instructions == award_rules.DEFAULT_APPEAL_INSTRUCTIONS
        else decision.appeal_instructions
    )
    content = facts.award_facts(
        session, competition=competition, decision=decision, settings=settings, notes=notes
    )
    docs = delivery.store(
        session,
        decision=decision,
        rectification_id=None,
        blocks={lang: compose.award_blocks(content, lang) for lang in delivery.LANGUAGES},
        title={lang: f"{T[lang]['award_title']} {content.parties.number}" for lang in delivery.LANGUAGES}
        | {"author": content.parties.buyer_name},
        at=now,
        actor=caller.label,
    )
    delivery.deliver(session, decision=decision, rectification_id=None, at=now, actor=caller.label)
    outbox.emit(
        session,
        "competition.award_delivered",
        subject=("competition", competition.id),
        at=now,
        data={"award_id": decision.id, "pdf_sha256": docs[0].pdf_sha256},
    )
    return decisions.award_out(session, competition, decision, now=now)
