"""The submitting supplier reads its own bid's content back, before the deadline only, audited."""

import uuid
from datetime import datetime
from typing import Any

from sqlmodel import Session

from minicompetition.tender import bid_rules, sealing
from minicompetition.tender import queries as bid_sql
from minicompetition.tender.errors import DeadlinePassed
from minicompetition.tender.schemas import BidContentOut, BidLineIn
from procurement.core import audit
from procurement.core.auth import Caller
from procurement.core.errors import Conflict, IllegalTransition, NotFound
from procurement.core.settings import Settings


def _open_copy(caller: Caller, row: Any) -> bytes:
    """The copy, opened with the caller's holder key; a 409 when its token does not share that key."""
    refused = Conflict(
        f"Version {row.current_version}'s copy was made with a token whose key yours does not share (a"
        " token made for you by the operator reads no copy made before it). Use the token you submitted"
        " with, or one made from it; the receipt's SHA-256 stays checkable."
    )
    if caller.holder_key is None:
        raise refused
    try:
        return sealing.open_supplier_copy(
            caller.holder_key,
            bytes(row.supplier_copy),
            supplier_id=row.supplier_id,
            bid_id=row.id,
            version=row.current_version,
        )
    except sealing.SealingError as exc:
        raise refused from exc


def own_content(
    session: Session, *, caller: Caller, bid_id: uuid.UUID, now: datetime, settings: Settings
) -> BidContentOut:
    """Decrypt the supplier's copy of its current version (ADR 0003); nobody else has this path."""
    caller.require("supplier")
    row = bid_sql.one(session, bid_sql.OWN_CONTENT, {"bid_id": bid_id, "business_id": caller.business_id})
    if row is None or row.current_version == 0:
        raise NotFound("No bid of yours has that id.")
    if row.competition_state != "published":
        # Cancelled competitions' bids are never shown again; opened ones are read through GET /bids/{id}.
        raise IllegalTransition(
            thing="competition",
            current=row.competition_state,
            target="read own bid",
            detail=f"The competition is '{row.competition_state}'; your bid's content is not readable here.",
        )
    if row.db_now >= row.tender_deadline:
        raise DeadlinePassed(deadline=row.tender_deadline, action="reading your bid's content back")
    if row.supplier_copy is None:
        raise Conflict(
            f"Version {row.current_version} has no read-back copy (it was stored before copies were"
            " keyed to suppliers' tokens, or with a token that had no key); only its receipt is available."
            " Compare your own copy with the receipt's SHA-256."
        )
    canonical = _open_copy(caller, row)
    if bid_rules.bid_sha256(canonical) != row.sha256:
        raise sealing.SealingError(f"bid {row.id} version {row.current_version} does not match its receipt")
    audit.record(
        session,
        aggregate=("bid", row.id),
        actor=caller.label,
        action="bid.content_read",
        at=now,
        after={"version": row.current_version, "sha256": row.sha256},
    )
    _, lines = bid_rules.parse_canonical_bid(canonical)
    return BidContentOut(
        bid_id=row.id,
        competition_id=row.competition_id,
        state=row.state,
        version=row.current_version,
        received_at=row.received_at,
        sha256=row.sha256,
        canonical=canonical.decode(),
        lines=[
            BidLineIn(
                lot=x.lot_code,
                unit_price_cents=x.unit_price_cents,
                capacity=x.capacity,
                committed_flow_through_bp=x.committed_flow_through_bp,
                quality_answers=dict(x.quality_answers),
            )
            for x in lines
        ],
        supplier_capacity=bid_rules.canonical_supplier_capacity(canonical),
    )
