"""The opened bids of a competition as plain data: what evaluation (scoring and the LP) starts from."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from minicompetition.tender import access
from minicompetition.tender.models import Bid, BidLine, BidVersion, Lot
from minicompetition.tender.opening import require_opened
from procurement.core import audit


@dataclass(frozen=True)
class OpenedLot:
    """A lot with what the allocation needs of it."""

    lot_id: uuid.UUID
    code: str
    demand: int
    max_unit_price_cents: int | None


@dataclass(frozen=True)
class OpenedLine:
    """One opened bid line (the current version of an eligible bid)."""

    bid_id: uuid.UUID
    supplier_id: uuid.UUID
    lot_id: uuid.UUID
    unit_price_cents: int
    capacity: int
    committed_flow_through_bp: int
    quality_answers: dict[str, str]
    received_at: datetime
    eligible: bool
    ineligibility_reason: str | None


@dataclass(frozen=True)
class SealedOut:
    """A bid left out at opening: never decrypted, only its reason is known."""

    bid_id: uuid.UUID
    supplier_id: uuid.UUID
    reason: str


@dataclass(frozen=True)
class OpenedBids:
    """What evaluation reads of a competition's bids, in a stable order (lots by position, lines by id)."""

    competition_id: uuid.UUID
    budget_cents: int
    price_bp: int
    quality_bp: int
    outcome_bp: int
    max_suppliers_per_lot: int
    max_share_bp: int
    min_allocation: int
    lots: tuple[OpenedLot, ...]
    lines: tuple[OpenedLine, ...]
    excluded: tuple[SealedOut, ...]
    # Supplier-wide capacities the opened bids state: (supplier id, participants across its lots).
    supplier_capacities: tuple[tuple[uuid.UUID, int], ...] = ()


def opened_bid_lines(session: Session, *, competition_id: uuid.UUID, actor: str, now: datetime) -> OpenedBids:
    """The opened, eligible bid lines (the caller checks who may evaluate; the read is audited)."""
    competition, _ = access.load(session, competition_id)
    require_opened(competition)
    lots = session.exec(
        select(Lot).where(Lot.competition_id == competition.id).order_by(col(Lot.position))
    ).all()
    rows = session.exec(
        select(BidLine, Bid, BidVersion)
        .join(Bid, col(Bid.id) == BidLine.bid_id)
        .join(BidVersion, (col(BidVersion.bid_id) == Bid.id) & (col(BidVersion.version) == BidLine.version))
        .where(Bid.competition_id == competition.id, Bid.state == "eligible")
        .order_by(col(BidLine.lot_id), col(BidLine.bid_id))
    ).all()
    excluded = session.exec(
        select(Bid)
        .where(Bid.competition_id == competition.id, Bid.state == "ineligible")
        .order_by(col(Bid.id))
    ).all()
    out = OpenedBids(
        competition_id=competition.id,
        budget_cents=competition.budget_cents,
        price_bp=competition.price_weight_bp,
        quality_bp=competition.quality_weight_bp,
        outcome_bp=competition.outcome_weight_bp,
        max_suppliers_per_lot=competition.max_suppliers_per_lot,
        max_share_bp=competition.max_share_bp,
        min_allocation=competition.min_allocation,
        lots=tuple(OpenedLot(x.id, x.code, x.demand, x.max_unit_price_cents) for x in lots),
        lines=tuple(
            OpenedLine(
                bid_id=bid.id,
                supplier_id=bid.supplier_id,
                lot_id=line.lot_id,
                unit_price_cents=line.unit_price_cents,
                capacity=line.capacity,
                committed_flow_through_bp=line.committed_flow_through_bp,
                quality_answers=dict(line.quality_answers),
                received_at=version.received_at,
                eligible=True,
                ineligibility_reason=None,
            )
            for line, bid, version in rows
        ),
        excluded=tuple(SealedOut(b.id, b.supplier_id, b.ineligibility_reason or "") for b in excluded),
        supplier_capacities=tuple(
            sorted(
                {
                    (bid.supplier_id, bid.supplier_capacity)
                    for _, bid, _ in rows
                    if bid.supplier_capacity is not None
                }
            )
        ),
    )
    audit.record(
        session,
        aggregate=("competition", competition.id),
        actor=actor,
        action="bids.read_for_evaluation",
        at=now,
        after={"lines": len(out.lines), "excluded": len(out.excluded)},
    )
    return out
