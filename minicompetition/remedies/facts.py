"""The decision documents' facts, read from the chosen run, the award, the competition and the settings."""

import uuid
from datetime import datetime

from sqlalchemy import text
from sqlmodel import Session

from minicompetition.award.models import AwardDecision, EvaluationRun
from minicompetition.award.results import line_outs
from minicompetition.award.runs import lots_by_code
from minicompetition.engine.scoring import format_score
from minicompetition.remedies import rules
from minicompetition.remedies.document import (
    AwardFacts,
    Court,
    Criterion,
    Line,
    LotPart,
    Parties,
    RectificationFacts,
    Remedies,
)
from minicompetition.remedies.models import RectificationRequest
from minicompetition.tender.models import Competition
from procurement.core.models import Principal
from procurement.core.settings import Settings
from procurement.ring.models import Authority
from registry.models import Supplier


def number(competition: Competition, seq: int, *, prefix: str = "") -> str:
    """A decision's number: the competition's short id and its sequence number (R: a rectification)."""
    return f"{str(competition.id)[:8].upper()}/{prefix}{seq}"


def _points(units: int | None) -> str:
    return "–" if units is None else format_score(units)


def _parties(
    session: Session, competition: Competition, *, seq: int, by: uuid.UUID, at: datetime, prefix: str = ""
) -> Parties:
    buyer = session.get(Authority, competition.authority_id)
    officer = session.get(Principal, by)
    assert buyer is not None and officer is not None  # noqa: S101 (foreign keys)
    return Parties(
        number=number(competition, seq, prefix=prefix),
        buyer_name=buyer.name,
        buyer_business_id=buyer.business_id,
        competition_title=competition.title,
        competition_id=str(competition.id),
        category=competition.category_code,
        decided_by=officer.name,
        decided_at=at,
        delivered_at=at,  # made available in every bidder's inbox in the same transaction
    )


def remedies(settings: Settings, *, award_id: uuid.UUID, delivered_at: datetime) -> Remedies:
    """The rectification and appeal instructions' dates (from delivery) and addressees."""
    return Remedies(
        rectification_last_day=rules.last_day(delivered_at, days=rules.RECTIFICATION_DAYS),
        appeal_last_day=rules.last_day(delivered_at, days=rules.APPEAL_DAYS),
        rectification_url=f"{settings.public_base_url}/ui/decisions/{award_id}",
        court=Court(
            name_fi=settings.market_court_name_fi,
            name_en=settings.market_court_name_en,
            address=settings.market_court_address,
            email=settings.market_court_email,
            phone=settings.market_court_phone,
            fee_cents=settings.market_court_fee_cents,
        ),
    )


def _criteria(competition: Competition) -> tuple[Criterion, ...]:
    return (
        Criterion("price", competition.price_weight_bp),
        Criterion(
            "quality",
            competition.quality_weight_bp,
            tuple((c["name"], c["weight_bp"]) for c in competition.quality_criteria),
        ),
        Criterion("outcome", competition.outcome_weight_bp),
    )


def _ineligible(session: Session, competition_id: uuid.UUID) -> tuple[tuple[str, str, str], ...]:
    rows = session.execute(
        text(
            "SELECT s.name, s.business_id, b.ineligibility_reason FROM bid b"
            " JOIN supplier s ON s.id = b.supplier_id"
            " WHERE b.competition_id = :c AND b.state = 'ineligible' ORDER BY s.business_id"
        ),
        {"c": competition_id},
    ).all()
    return tuple((n, b, r or "") for n, b, r in rows)


def award_facts(
    session: Session,
    *,
    competition: Competition,
    decision: AwardDecision,
    settings: Settings,
    notes: str,
) -> AwardFacts:
    """The award decision's document content; the run's lines with the decision's awarded volumes."""
    run = session.get(EvaluationRun, decision.evaluation_run_id)
    assert run is not None  # noqa: S101 (foreign key)
    lines = line_outs(session, run, competition, supplier_id=None)
    reasons = {o["lot"]: o["reason"] for o in decision.overrides}
    parts = []
    for code, lot in lots_by_code(session, competition.id).items():
        mine = sorted(
            (x for x in lines if x.lot == code), key=lambda x: (x.rank is None, x.rank or 0, x.business_id)
        )
        parts.append(
            LotPart(
                code=code,
                municipalities=tuple(lot.municipality_codes),
                target_group=lot.target_group,
                demand=lot.demand,
                awarded=sum(x.awarded or 0 for x in mine),
                override_reason=reasons.get(code),
                lines=tuple(
                    Line(
                        bidder=x.supplier_name,
                        business_id=x.business_id,
                        unit_price_cents=x.unit_price_cents or 0,
                        price_score=_points(x.price_score),
                        quality_score=_points(x.quality_score),
                        outcome_score=_points(x.outcome_score),
                        total_points=x.total_points or "–",
                        rank=x.rank,
                        awarded=x.awarded or 0,
                        reason=x.reason or x.limit or "",
                        reason_code=x.reason_code or x.limit_code,
                    )
                    for x in mine
                ),
            )
        )
    delivered = decision.delivered_at or decision.issued_at
    return AwardFacts(
        parties=_parties(
            session, competition, seq=decision.seq, by=decision.issued_by, at=decision.issued_at
        ),
        criteria=_criteria(competition),
        run_seq=run.seq,
        solver=f"{run.solver_name} {run.solver_version}",
        input_sha256=str(run.result.get("input_sha256", "")),
        lots=tuple(parts),
        ineligible=_ineligible(session, competition.id),
        total_value_cents=sum(r["volume"] * r["unit_price_cents"] for r in decision.allocation),
        standstill_ends_at=decision.standstill_ends_at,
        remedies=remedies(settings, award_id=decision.id, delivered_at=delivered),
        notes=notes,
    )


def rectification_facts(
    session: Session,
    *,
    competition: Competition,
    decision: AwardDecision,
    request: RectificationRequest,
    seq: int,
    settings: Settings,
) -> RectificationFacts:
    """The rectification decision's document content."""
    assert request.decided_by is not None and request.decided_at is not None  # noqa: S101 (decided)
    requester = session.get(Supplier, request.supplier_id)
    assert requester is not None  # noqa: S101 (foreign key)
    return RectificationFacts(
        parties=_parties(
            session, competition, seq=seq, by=request.decided_by, at=request.decided_at, prefix="R"
        ),
        award_number=number(competition, decision.seq),
        requester=f"{requester.name} ({requester.business_id})",
        filed_at=request.filed_at,
        request_reasons=request.reasons,
        outcome=request.state,
        reasons=request.decision_reasons or "",
        remedies=remedies(settings, award_id=decision.id, delivered_at=request.decided_at),
    )
