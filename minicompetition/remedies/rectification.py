"""Rectification requests (hankintaoikaisu): a bidder files within 14 days of delivery, an officer decides."""

import base64
import binascii
import hashlib
import uuid
from datetime import datetime

from sqlmodel import Session, col, select

from minicompetition.award.models import AwardDecision
from minicompetition.remedies import compose, delivery, facts, rules
from minicompetition.remedies.access import load_decision
from minicompetition.remedies.models import DecisionDelivery, RectificationAttachment, RectificationRequest
from minicompetition.remedies.reads import request_out
from minicompetition.remedies.schemas import (
    MAX_ATTACHMENT_BYTES,
    RectificationDecisionIn,
    RectificationIn,
    RectificationOut,
)
from minicompetition.remedies.texts import T
from minicompetition.remedies.withdrawal import withdraw_locked
from minicompetition.tender import access
from minicompetition.tender.models import Competition
from procurement.core import audit, outbox
from procurement.core.auth import Caller
from procurement.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from procurement.core.settings import Settings

REQUEST_NOT_FOUND = "No rectification request has that id."


class RectificationTooLate(Conflict):
    """The 14 days from delivery have passed: the request can no longer be filed."""

    title = "Rectification period over"


def _attachments(data: RectificationIn) -> list[tuple[str, str, bytes]]:
    out = []
    for i, a in enumerate(data.attachments):
        try:
            content = base64.b64decode(a.content_base64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise InvalidInput(
                "An attachment's content is base64 text.", field=f"attachments[{i}].content_base64"
            ) from exc
        if not content or len(content) > MAX_ATTACHMENT_BYTES:
            raise InvalidInput(
                f"An attachment holds 1 to {MAX_ATTACHMENT_BYTES} bytes.",
                field=f"attachments[{i}].content_base64",
            )
        out.append((a.filename, a.media_type, content))
    return out


def file_request(
    session: Session, *, caller: Caller, award_id: uuid.UUID, data: RectificationIn, now: datetime
) -> RectificationOut:
    """A bidder the decision was delivered to files its request, within 14 days of delivery."""
    files = _attachments(data)
    decision, competition, reader = load_decision(session, caller, award_id, lock=True)
    if reader.officer or reader.supplier_id is None:
        raise Forbidden("Only a bidder the decision was delivered to may request its rectification.")
    mine = session.exec(
        select(DecisionDelivery).where(
            DecisionDelivery.award_id == decision.id,
            DecisionDelivery.supplier_id == reader.supplier_id,
            col(DecisionDelivery.rectification_id).is_(None),
        )
    ).first()
    if mine is None:
        raise NotFound("This award decision was not delivered to you.")
    if decision.state == "withdrawn":
        raise Conflict(
            "The award decision has been withdrawn; there is nothing to rectify.", current_state="withdrawn"
        )
    deadline = rules.period_end(mine.made_available_at, days=rules.RECTIFICATION_DAYS)
    if now >= deadline:
        raise RectificationTooLate(
            "A rectification request is filed within 14 days of delivery; this decision was delivered to "
            f"you on {mine.made_available_at.isoformat()} and the period ended at {deadline.isoformat()}.",
            deadline_at=deadline.isoformat(),
        )
    open_one = session.exec(
        select(RectificationRequest.id).where(
            RectificationRequest.award_id == decision.id,
            RectificationRequest.supplier_id == reader.supplier_id,
            RectificationRequest.state == "filed",
        )
    ).first()
    if open_one is not None:
        raise Conflict(
            f"Your request {open_one} on this decision is still undecided; add to it when it is decided, "
            "or wait for its decision.",
            current_state="filed",
        )
    request = RectificationRequest(
        competition_id=competition.id,
        award_id=decision.id,
        supplier_id=reader.supplier_id,
        filed_by=caller.id,
        filed_at=now,
        deadline_at=deadline,
        reasons=data.reasons,
    )
    session.add(request)
    session.flush()
    session.add_all(
        RectificationAttachment(
            request_id=request.id,
            position=i + 1,
            filename=name,
            media_type=media,
            size_bytes=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            content=content,
        )
        for i, (name, media, content) in enumerate(files)
    )
    session.flush()
    audit.record(
        session,
        aggregate=("competition", competition.id),
        actor=caller.label,
        action="rectification.filed",
        at=now,
        after={
            "request": request.id,
            "award": decision.id,
            "supplier": reader.supplier_id,
            "attachments": [hashlib.sha256(c).hexdigest() for _, _, c in files],
        },
    )
    outbox.emit(session, "competition.rectification_filed", subject=("competition", competition.id), at=now)
    return request_out(session, request, competition)


def _load_request(
    session: Session, caller: Caller, request_id: uuid.UUID, *, lock: bool = False
) -> tuple[RectificationRequest, AwardDecision, Competition, bool]:
    request = session.get(RectificationRequest, request_id)
    if request is None:
        raise NotFound(REQUEST_NOT_FOUND)
    decision, competition, reader = load_decision(session, caller, request.award_id, lock=lock)
    if not reader.officer and request.supplier_id != reader.supplier_id:
        raise NotFound(REQUEST_NOT_FOUND)
    if lock:
        session.refresh(request, with_for_update=True)
    return request, decision, competition, reader.officer


def get_request(session: Session, *, caller: Caller, request_id: uuid.UUID) -> RectificationOut:
    """A request, to the buying officers and to the bidder that filed it (404 otherwise)."""
    request, _, competition, _ = _load_request(session, caller, request_id)
    return request_out(session, request, competition)


def attachment(
    session: Session, *, caller: Caller, request_id: uuid.UUID, position: int
) -> RectificationAttachment:
    """An attachment's content, to the same readers as its request."""
    _load_request(session, caller, request_id)
    found = session.get(RectificationAttachment, (request_id, position))
    if found is None:
        raise NotFound("The request has no attachment at that position.")
    return found


def queue(session: Session, *, caller: Caller, state: str | None) -> list[RectificationOut]:
    """Officers: their authority's requests by deadline (undecided first); suppliers: their own."""
    query = select(RectificationRequest, Competition).join(
        Competition,
        Competition.id == RectificationRequest.competition_id,  # type: ignore[arg-type]
    )
    if caller.role == "officer":
        query = query.where(Competition.authority_id == caller.authority_id)
    elif caller.role == "supplier":
        query = query.where(RectificationRequest.supplier_id == access.supplier_of(session, caller).id)
    else:
        return []
    if state is not None:
        query = query.where(RectificationRequest.state == state)
    rows = session.exec(
        query.order_by(
            col(RectificationRequest.state) != "filed",
            col(RectificationRequest.deadline_at),
            col(RectificationRequest.id),
        )
    ).all()
    return [request_out(session, r, c) for r, c in rows]


def decide(
    session: Session,
    *,
    caller: Caller,
    request_id: uuid.UUID,
    data: RectificationDecisionIn,
    now: datetime,
    settings: Settings,
) -> RectificationOut:
    """The buying officer decides with reasons; upheld withdraws the award; the decision is delivered."""
    request, decision, competition, officer = _load_request(session, caller, request_id, lock=True)
    if not officer:
        raise Forbidden("Only officers of the buying authority decide rectification requests.")
    rules.RECTIFICATION_MACHINE.check(request.state, data.outcome)
    if data.outcome == "upheld" and decision.state != "withdrawn":
        reason = f"Rectification request {request.id} upheld: {data.reasons}"[:4000]
        withdraw_locked(
            session, decision=decision, competition=competition, reason=reason, by=caller, now=now
        )
    request.state, request.decided_by, request.decided_at = data.outcome, caller.id, now
    request.decision_reasons = data.reasons
    session.add(request)
    session.flush()
    audit.record(
        session,
        aggregate=("competition", competition.id),
        actor=caller.label,
        action=f"rectification.{data.outcome}",
        at=now,
        before={"state": "filed"},
        after={"request": request.id, "state": data.outcome, "reasons": data.reasons},
    )
    decided = session.exec(
        select(RectificationRequest.id).where(
            RectificationRequest.competition_id == competition.id,
            col(RectificationRequest.decided_at).is_not(None),
        )
    ).all()
    content = facts.rectification_facts(
        session,
        competition=competition,
        decision=decision,
        request=request,
        seq=len(decided),
        settings=settings,
    )
    lang_titles = {lang: f"{T[lang]['rect_title']} {content.parties.number}" for lang in delivery.LANGUAGES}
    docs = delivery.store(
        session,
        decision=decision,
        rectification_id=request.id,
        blocks={lang: compose.rectification_blocks(content, lang) for lang in delivery.LANGUAGES},
        title=lang_titles | {"author": content.parties.buyer_name},
        at=now,
        actor=caller.label,
    )
    delivery.deliver(session, decision=decision, rectification_id=request.id, at=now, actor=caller.label)
    outbox.emit(
        session,
        "competition.rectification_decided",
        subject=("competition", competition.id),
        at=now,
        data={"outcome": data.outcome, "award_id": decision.id, "pdf_sha256": docs[0].pdf_sha256},
    )
    return request_out(session, request, competition)
