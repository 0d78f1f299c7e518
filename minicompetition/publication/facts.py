"""Reading what a release shows, as it was at the event: the DPS's and the competitions' facts."""

import uuid
from collections import defaultdict
from typing import Any

from sqlmodel import Session, col, func, select

from minicompetition.award.models import AwardDecision, Contract, ContractLot
from minicompetition.publication import ocds
from minicompetition.publication.competition_release import (
    Answer,
    AwardFacts,
    BidCounts,
    CompetitionFacts,
    ContractFacts,
    Placement,
    Winner,
)
from minicompetition.publication.releases import AdmissionAward, DpsFacts, Org
from minicompetition.tender.models import Bid, BidLine, Competition, Lot, Question
from procurement.core import outbox
from procurement.core.clock import helsinki_today
from procurement.ring.models import Authority, Category, Dps, DpsCategory, Ring, RingMembership
from registry.models import Admission, Supplier

TERMS_KINDS = ("competition.published", "competition.amended")
# What an admission event makes of the award that stands for the admission.
ADMISSION_STATUS = {
    "admission.admitted": ("active", "Admitted"),
    "admission.suspended": ("active", "Suspended"),
    "admission.reinstated": ("active", "Suspension lifted"),
    "admission.excluded": ("cancelled", "Excluded"),
}


def _org(authority: Authority) -> Org:
    return Org(authority.business_id, authority.name)


def dps_facts(session: Session, dps_id: uuid.UUID, event: outbox.Event) -> DpsFacts | None:
    """The DPS with its lead and members on the event's day, and the admissions the event is about."""
    dps = session.get(Dps, dps_id)
    if dps is None:
        return None
    ring = session.get(Ring, dps.ring_id)
    assert ring is not None  # noqa: S101 (foreign key)
    lead = session.get(Authority, ring.lead_authority_id)
    assert lead is not None  # noqa: S101 (foreign key)
    day = helsinki_today(event.at)
    members = session.exec(
        select(Authority)
        .join(RingMembership, col(RingMembership.authority_id) == Authority.id)
        .where(
            RingMembership.ring_id == ring.id,
            col(RingMembership.valid_from) <= day,
            (col(RingMembership.valid_until).is_(None)) | (col(RingMembership.valid_until) >= day),
            Authority.id != lead.id,
        )
        .order_by(col(Authority.business_id))
    ).all()
    categories = session.exec(
        select(Category)
        .join(DpsCategory, col(DpsCategory.category_code) == Category.code)
        .where(DpsCategory.dps_id == dps.id)
        .order_by(col(Category.position))
    ).all()
    return DpsFacts(
        id=str(dps.id),
        title=dps.title,
        valid_from=dps.valid_from,
        valid_until=dps.valid_until,
        lead=_org(lead),
        members=[_org(m) for m in members],
        categories=[(c.code, c.name_fi, c.name_en) for c in categories],
        awards=_admission_awards(session, event),
    )


def _admission_awards(session: Session, event: outbox.Event) -> list[AdmissionAward]:
    if event.kind not in ADMISSION_STATUS:
        return []
    status, note = ADMISSION_STATUS[event.kind]
    key = col(Admission.application_id) if event.subject_type == "application" else col(Admission.id)
    rows = session.exec(
        select(Admission, Supplier)
        .join(Supplier, col(Supplier.id) == Admission.supplier_id)
        .where(key == uuid.UUID(event.subject_id))
        .order_by(col(Admission.category_code))
    ).all()
    return [
        AdmissionAward(
            id=str(a.id),
            supplier=Org(s.business_id, s.name),
            category=a.category_code,
            admitted_at=a.admitted_at,
            status=status,
            note=note,
        )
        for a, s in rows
    ]


def competition_facts(
    session: Session, competition_id: uuid.UUID, event: outbox.Event, *, prefix: str
) -> CompetitionFacts | None:
    """The competition as of the event: the terms then in force and what had happened by then."""
    competition = session.get(Competition, competition_id)
    if competition is None:
        return None
    history = outbox.events_of(session, subject=("competition", competition.id), upto=event.cursor)
    terms = [e.data for e in history if e.kind in TERMS_KINDS]
    if not terms:
        return None  # never published: nothing to show
    kinds = {e.kind for e in history}
    buyer = session.get(Authority, competition.authority_id)
    dps = session.get(Dps, competition.dps_id)
    assert buyer is not None and dps is not None  # noqa: S101 (foreign keys)
    award = _award(session, competition, event) if "competition.awarded" in kinds else None
    return CompetitionFacts(
        terms=terms[-1],
        buyer=_org(buyer),
        dps_ocid=ocds.ocid(prefix, dps.id),
        dps_title=dps.title,
        status=_tender_status(kinds),
        answers=_answers(session, competition.id, event),
        bids=_bid_counts(session, competition.id) if "competition.opened" in kinds else None,
        award=award,
        contracts=_contracts(session, competition.id, event) if award is not None else [],
        notes=_notes(competition, history),
    )


def _tender_status(kinds: set[str]) -> str:
    if "competition.cancelled" in kinds:
        return "cancelled"
    if "competition.unsuccessful" in kinds:
        return "unsuccessful"
    if "competition.awarded" in kinds:
        return "complete"
    return "active"


def _answers(session: Session, competition_id: uuid.UUID, event: outbox.Event) -> list[Answer]:
    rows = session.exec(
        select(Question)
        .where(
            Question.competition_id == competition_id,
            col(Question.answered_at).is_not(None),
            col(Question.answered_at) <= event.at,
        )
        .order_by(col(Question.answered_at), col(Question.id))
    ).all()
    return [Answer(str(q.id), q.question, q.answer or "", q.answered_at) for q in rows if q.answered_at]


def _bid_counts(session: Session, competition_id: uuid.UUID) -> BidCounts:
    """Counts of opened bids; an ineligible bid stays sealed, so only eligible ones count per lot."""
    states = dict(
        session.exec(
            select(Bid.state, func.count())
            .where(Bid.competition_id == competition_id, col(Bid.opened_at).is_not(None))
            .group_by(col(Bid.state))
        ).all()
    )
    per_lot = session.exec(
        select(Lot.code, func.count())
        .join(BidLine, col(BidLine.lot_id) == Lot.id)
        .join(Bid, col(Bid.id) == BidLine.bid_id)
        .where(Lot.competition_id == competition_id, Bid.state == "eligible")
        .group_by(col(Lot.code))
    ).all()
    valid, disqualified = int(states.get("eligible", 0)), int(states.get("ineligible", 0))
    return BidCounts(
        received=valid + disqualified,
        valid=valid,
        disqualified=disqualified,
        valid_per_lot={code: int(n) for code, n in per_lot},
    )


def _award(session: Session, competition: Competition, event: outbox.Event) -> AwardFacts | None:
    decision = session.exec(
        select(AwardDecision).where(AwardDecision.competition_id == competition.id)
    ).first()
    if decision is None:
        return None
    by_supplier: dict[str, list[Placement]] = defaultdict(list)
    for row in decision.allocation:
        by_supplier[row["supplier_id"]].append(Placement(row["lot"], row["volume"], row["unit_price_cents"]))
    suppliers = _suppliers(session, set(by_supplier))
    return AwardFacts(
        decision_id=str(decision.id),
        issued_at=decision.issued_at,
        winners=[
            Winner(suppliers[sid], sorted(placements, key=lambda p: p.lot))
            for sid, placements in sorted(by_supplier.items(), key=lambda kv: suppliers[kv[0]].business_id)
        ],
        overrides={o["lot"]: o["reason"] for o in decision.overrides},
        # Over by the clock, whenever the sweep announces it: every release dated later says so.
        standstill_over=decision.standstill_ends_at <= event.at,
    )


def _suppliers(session: Session, ids: set[str]) -> dict[str, Org]:
    if not ids:
        return {}
    rows = session.exec(select(Supplier).where(col(Supplier.id).in_([uuid.UUID(i) for i in ids]))).all()
    return {str(s.id): Org(s.business_id, s.name) for s in rows}


def _contracts(session: Session, competition_id: uuid.UUID, event: outbox.Event) -> list[ContractFacts]:
    rows = session.exec(
        select(Contract)
        .where(Contract.competition_id == competition_id, col(Contract.concluded_at) <= event.at)
        .order_by(col(Contract.id))
    ).all()
    suppliers = _suppliers(session, {str(c.supplier_id) for c in rows})
    lots: dict[uuid.UUID, list[Placement]] = defaultdict(list)
    for lot in session.exec(
        select(ContractLot)
        .where(col(ContractLot.contract_id).in_([c.id for c in rows]))
        .order_by(col(ContractLot.lot_code))
    ):
        lots[lot.contract_id].append(Placement(lot.lot_code, lot.volume, lot.unit_price_cents))
    return [
        ContractFacts(
            id=str(c.id),
            supplier=suppliers[str(c.supplier_id)],
            concluded_at=c.concluded_at,
            ended=c.ended_at is not None and c.ended_at <= event.at,
            value_ceiling_cents=c.value_ceiling_cents,
            placements=lots[c.id],
        )
        for c in rows
    ]


def _notes(competition: Competition, history: list[outbox.Event]) -> list[dict[str, Any]]:
    """Documents giving the reason of a cancellation or of ending without an award."""
    notes: list[dict[str, Any]] = []
    for e in history:
        if e.kind == "competition.cancelled" and competition.cancel_reason:
            notes.append(
                _note(
                    "cancellation",
                    "cancellationDetails",
                    "Reason for cancellation",
                    competition.cancel_reason,
                    e,
                )
            )
        elif e.kind == "competition.unsuccessful" and e.data.get("reason"):
            notes.append(_note("no-award", "evaluationReports", "Why no award was made", e.data["reason"], e))
    return notes


def _note(id_: str, kind: str, title: str, text: str, event: outbox.Event) -> dict[str, Any]:
    return {
        "id": id_,
        "documentType": kind,
        "title": title,
        "description": text,
        "datePublished": ocds.moment(event.at),
    }
