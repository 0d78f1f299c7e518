"""Reading award decisions: their state, documents, deliveries, requests and appeals, as each reader may."""

import uuid
from datetime import datetime

from sqlmodel import Session, col, select

from minicompetition.award.models import AwardDecision, Contract
from minicompetition.award.runs import suppliers_by_id
from minicompetition.remedies import rules
from minicompetition.remedies.access import Reader, load_decision, reader_of
from minicompetition.remedies.facts import number
from minicompetition.remedies.models import (
    DecisionDelivery,
    DecisionDocument,
    MarketCourtAppeal,
    RectificationAttachment,
    RectificationRequest,
)
from minicompetition.remedies.schemas import (
    AppealOut,
    AttachmentOut,
    DecisionOut,
    DeliveryOut,
    DocumentOut,
    RectificationOut,
)
from minicompetition.tender import access
from minicompetition.tender.models import Competition
from procurement.core import audit
from procurement.core.auth import Caller
from procurement.core.errors import NotFound


def document_out(d: DecisionDocument) -> DocumentOut:
    """A stored rendering and its addresses."""
    return DocumentOut(
        id=d.id,
        kind=d.kind,
        lang=d.lang,
        pages=d.pages,
        pdf_sha256=d.pdf_sha256,
        html_sha256=d.html_sha256,
        created_at=d.created_at,
        pdf_url=f"/decision-documents/{d.id}/pdf",
        html_url=f"/decision-documents/{d.id}/html",
        rectification_id=d.rectification_id,
    )


def documents_of(session: Session, award_id: uuid.UUID) -> list[DecisionDocument]:
    """Every document of a decision (the award's and its rectification decisions'), oldest first."""
    return list(
        session.exec(
            select(DecisionDocument)
            .where(DecisionDocument.award_id == award_id)
            .order_by(
                col(DecisionDocument.created_at), col(DecisionDocument.kind), col(DecisionDocument.lang)
            )
        ).all()
    )


def request_out(session: Session, r: RectificationRequest, competition: Competition) -> RectificationOut:
    """A rectification request with its attachments and decision documents."""
    supplier = suppliers_by_id(session, {r.supplier_id})[str(r.supplier_id)]
    files = session.exec(
        select(RectificationAttachment)
        .where(RectificationAttachment.request_id == r.id)
        .order_by(col(RectificationAttachment.position))
    ).all()
    docs = session.exec(select(DecisionDocument).where(DecisionDocument.rectification_id == r.id)).all()
    return RectificationOut(
        id=r.id,
        competition_id=r.competition_id,
        competition_title=competition.title,
        award_id=r.award_id,
        supplier_id=r.supplier_id,
        business_id=supplier.business_id,
        supplier_name=supplier.name,
        state=r.state,
        filed_at=r.filed_at,
        deadline_at=r.deadline_at,
        reasons=r.reasons,
        attachments=[
            AttachmentOut(
                position=a.position,
                filename=a.filename,
                media_type=a.media_type,
                size_bytes=a.size_bytes,
                sha256=a.sha256,
                url=f"/rectification-requests/{r.id}/attachments/{a.position}",
            )
            for a in files
        ],
        decided_at=r.decided_at,
        decision_reasons=r.decision_reasons,
        documents=[document_out(d) for d in sorted(docs, key=lambda d: d.lang)],
    )


def appeal_out(a: MarketCourtAppeal) -> AppealOut:
    """A recorded appeal."""
    return AppealOut(
        id=a.id,
        competition_id=a.competition_id,
        award_id=a.award_id,
        filed_on=a.filed_on,
        case_number=a.case_number,
        state=a.state,
        recorded_at=a.recorded_at,
        resolved_at=a.resolved_at,
        resolution=a.resolution,
    )


def pending(
    session: Session, award_id: uuid.UUID
) -> tuple[list[RectificationRequest], list[MarketCourtAppeal]]:
    """The undecided rectification requests and pending appeals of a decision: each blocks the contracts."""
    requests = session.exec(
        select(RectificationRequest).where(
            RectificationRequest.award_id == award_id, RectificationRequest.state == "filed"
        )
    ).all()
    appeals = session.exec(
        select(MarketCourtAppeal).where(
            MarketCourtAppeal.award_id == award_id, MarketCourtAppeal.state == "pending"
        )
    ).all()
    return list(requests), list(appeals)


def decision_out(
    session: Session, decision: AwardDecision, competition: Competition, reader: Reader, *, now: datetime
) -> DecisionOut:
    """The decision as the reader may see it: a bidder sees its own delivery and requests only."""
    deliveries = session.exec(
        select(DecisionDelivery)
        .where(DecisionDelivery.award_id == decision.id)
        .order_by(col(DecisionDelivery.made_available_at), col(DecisionDelivery.supplier_id))
    ).all()
    if not reader.officer:
        deliveries = [d for d in deliveries if d.supplier_id == reader.supplier_id]
    suppliers = suppliers_by_id(session, {d.supplier_id for d in deliveries})
    requests = session.exec(
        select(RectificationRequest)
        .where(RectificationRequest.award_id == decision.id)
        .order_by(col(RectificationRequest.filed_at))
    ).all()
    if not reader.officer:
        requests = [r for r in requests if r.supplier_id == reader.supplier_id]
    appeals = session.exec(
        select(MarketCourtAppeal)
        .where(MarketCourtAppeal.award_id == decision.id)
        .order_by(col(MarketCourtAppeal.recorded_at))
    ).all()
    blocking = pending(session, decision.id)
    concluded = session.exec(select(Contract.id).where(Contract.award_id == decision.id)).first() is not None
    docs = [d for d in documents_of(session, decision.id) if d.kind == "award"]
    return DecisionOut(
        id=decision.id,
        competition_id=competition.id,
        competition_title=competition.title,
        number=number(competition, decision.seq),
        seq=decision.seq,
        state=decision.state,
        status=rules.decision_status(
            state=decision.state,
            now=now,
            standstill_ends_at=decision.standstill_ends_at,
            concluded=concluded,
            blocked=bool(blocking[0] or blocking[1]),
        ),
        evaluation_run_id=decision.evaluation_run_id,
        issued_at=decision.issued_at,
        delivered_at=decision.delivered_at,
        standstill_ends_at=decision.standstill_ends_at,
        rectification_deadline_at=None
        if decision.delivered_at is None
        else rules.period_end(decision.delivered_at, days=rules.RECTIFICATION_DAYS),
        rectification_last_day=None
        if decision.delivered_at is None
        else rules.last_day(decision.delivered_at, days=rules.RECTIFICATION_DAYS),
        withdrawn_at=decision.withdrawn_at,
        withdrawal_reason=decision.withdrawal_reason,
        documents=[document_out(d) for d in docs],
        deliveries=[
            DeliveryOut(
                supplier_id=d.supplier_id,
                business_id=suppliers[str(d.supplier_id)].business_id,
                supplier_name=suppliers[str(d.supplier_id)].name,
                made_available_at=d.made_available_at,
                first_read_at=d.first_read_at,
                rectification_id=d.rectification_id,
            )
            for d in deliveries
        ],
        rectification_requests=[request_out(session, r, competition) for r in requests],
        appeals=[appeal_out(a) for a in appeals],
    )


def get_decision(session: Session, *, caller: Caller, award_id: uuid.UUID, now: datetime) -> DecisionOut:
    """One award decision, to the buying officers and the bidders it was delivered to (404 otherwise)."""
    decision, competition, reader = load_decision(session, caller, award_id)
    return decision_out(session, decision, competition, reader, now=now)


def list_decisions(
    session: Session, *, caller: Caller, competition_id: uuid.UUID, now: datetime
) -> list[DecisionOut]:
    """Every award decision of a competition, withdrawn ones included, newest first."""
    competition, _ = access.load(session, competition_id)
    reader = reader_of(session, caller, competition, missing=access.NOT_FOUND)
    rows = session.exec(
        select(AwardDecision)
        .where(AwardDecision.competition_id == competition.id)
        .order_by(col(AwardDecision.seq).desc())
    ).all()
    return [decision_out(session, d, competition, reader, now=now) for d in rows]


def read_document(
    session: Session, *, caller: Caller, document_id: uuid.UUID, now: datetime
) -> DecisionDocument:
    """A stored document; a bidder's first read of its own delivery is recorded."""
    doc = session.get(DecisionDocument, document_id)
    if doc is None:
        raise NotFound("No decision document has that id.")
    competition, _ = access.load(session, doc.competition_id)
    reader = reader_of(session, caller, competition, missing="No decision document has that id.")
    if reader.officer:
        return doc
    mine = session.exec(
        select(DecisionDelivery).where(
            DecisionDelivery.award_id == doc.award_id,
            DecisionDelivery.supplier_id == reader.supplier_id,
            col(DecisionDelivery.rectification_id).is_(None)
            if doc.rectification_id is None
            else DecisionDelivery.rectification_id == doc.rectification_id,
        )
    ).first()
    if mine is None:
        raise NotFound("No decision document has that id.")
    if mine.first_read_at is None:
        mine.first_read_at = now
        session.add(mine)
        session.flush()
        audit.record(
            session,
            aggregate=("competition", competition.id),
            actor=caller.label,
            action="decision.first_read",
            at=now,
            after={"document": doc.id, "supplier": reader.supplier_id},
        )
    return doc
