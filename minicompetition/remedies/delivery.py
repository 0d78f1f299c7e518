"""Decision documents stored immutably with their SHA-256, and delivered to every bidder's inbox."""

import uuid
from datetime import datetime

from sqlalchemy import text
from sqlmodel import Session

from minicompetition.award import rules as award_rules
from minicompetition.award.models import AwardDecision
from minicompetition.remedies import rules
from minicompetition.remedies.compose import Block
from minicompetition.remedies.models import DecisionDelivery, DecisionDocument
from minicompetition.remedies.render import sha256, to_html, to_pdf
from procurement.core import audit

LANGUAGES = ("fi", "en")  # Finnish is the decision's language; the English rendering goes alongside

# Bidders whose bids were opened: a withdrawn bid left no trace, so its supplier is no party.
_BIDDERS = text(
    "SELECT supplier_id FROM bid WHERE competition_id = :c AND opened_at IS NOT NULL"
    " AND state IN ('eligible', 'ineligible') ORDER BY supplier_id"
)


def bidders(session: Session, competition_id: uuid.UUID) -> list[uuid.UUID]:
    """The parties a decision is delivered to: every bidder whose bid was opened."""
    return list(session.execute(_BIDDERS, {"c": competition_id}).scalars().all())


def store(
    session: Session,
    *,
    decision: AwardDecision,
    rectification_id: uuid.UUID | None,
    blocks: dict[str, list[Block]],
    title: dict[str, str],
    at: datetime,
    actor: str,
) -> list[DecisionDocument]:
    """Render and store the documents (one per language); their hashes go into the audit trail."""
    kind = "award" if rectification_id is None else "rectification"
    docs = []
    for lang in LANGUAGES:
        html = to_html(blocks[lang], lang=lang, title=title[lang])
        pdf, pages = to_pdf(blocks[lang], lang=lang, title=title[lang], created_at=at, author=title["author"])
        docs.append(
            DecisionDocument(
                competition_id=decision.competition_id,
                award_id=decision.id,
                rectification_id=rectification_id,
                kind=kind,
                lang=lang,
                created_at=at,
                pages=pages,
                pdf=pdf,
                pdf_sha256=sha256(pdf),
                html=html,
                html_sha256=sha256(html.encode()),
            )
        )
    session.add_all(docs)
    session.flush()
    audit.record(
        session,
        aggregate=("competition", decision.competition_id),
        actor=actor,
        action=f"{kind}_decision.documents_stored",
        at=at,
        after={
            "award": decision.id,
            "rectification": rectification_id,
            "documents": [
                {
                    "id": d.id,
                    "lang": d.lang,
                    "pages": d.pages,
                    "pdf_sha256": d.pdf_sha256,
                    "html_sha256": d.html_sha256,
                }
                for d in docs
            ],
        },
    )
    return docs


def deliver(
    session: Session,
    *,
    decision: AwardDecision,
    rectification_id: uuid.UUID | None,
    at: datetime,
    actor: str,
) -> list[uuid.UUID]:
    """Make the decision available in every bidder's inbox now; that moment is the electronic notice."""
    parties = bidders(session, decision.competition_id)
    session.add_all(
        DecisionDelivery(
            award_id=decision.id,
            rectification_id=rectification_id,
            supplier_id=supplier,
            made_available_at=at,
        )
        for supplier in parties
    )
    session.flush()
    audit.record(
        session,
        aggregate=("competition", decision.competition_id),
        actor=actor,
        action="rectification_decision.delivered" if rectification_id else "award_decision.delivered",
        at=at,
        after={
            "award": decision.id,
            "rectification": rectification_id,
            "made_available_at": at,
            "bidders": parties,
        },
    )
    return parties


def mark_delivered(decision: AwardDecision, *, at: datetime, standstill_days: int) -> None:
    """The award decision is delivered: its standstill now runs from the moment of delivery."""
    rules.AWARD_DECISION_MACHINE.check(decision.state, "delivered")
    decision.state, decision.delivered_at = "delivered", at
    decision.standstill_ends_at = award_rules.standstill_end(at, days=standstill_days)
