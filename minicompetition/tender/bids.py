"""Bids: sealed submission with receipts and idempotency, resubmission, withdrawal, confirmation."""

import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlmodel import Session

from minicompetition.tender import access, bid_rules, rules, sealing
from minicompetition.tender import queries as bid_sql
from minicompetition.tender.errors import DeadlinePassed
from minicompetition.tender.schemas import BidIn, Receipt
from procurement.core import audit
from procurement.core.auth import Caller
from procurement.core.clock import helsinki_today
from procurement.core.errors import Conflict, Forbidden, IllegalTransition, NotFound
from procurement.core.settings import Settings
from registry import rules as admission_rules


@dataclass(frozen=True)
class Submitted:
    """A receipt, and whether this request created it (False: an idempotent replay)."""

    receipt: Receipt
    created: bool


def _lines(data: BidIn) -> tuple[bid_rules.BidLineTerms, ...]:
    return tuple(
        bid_rules.BidLineTerms(
            lot_code=x.lot,
            unit_price_cents=x.unit_price_cents,
            capacity=x.capacity,
            committed_flow_through_bp=x.committed_flow_through_bp,
            quality_answers=dict(x.quality_answers),
        )
        for x in data.lines
    )


def _replay(row: Any, *, key: str, sha256: str) -> Submitted | None:
    """The original receipt for a retried key, a 409 for a reused key, None for a new key."""
    if row is None or row.replay_bid_id is None:
        return None
    if row.replay_sha256 != sha256:
        raise Conflict(
            f"The Idempotency-Key '{key}' was already used for a different bid body (bid "
            f"{row.replay_bid_id} version {row.replay_version}); use a new key for a new submission."
        )
    receipt = Receipt(
        bid_id=row.replay_bid_id,
        competition_id=row.replay_competition_id,
        version=row.replay_version,
        received_at=row.replay_received_at,
        sha256=row.replay_sha256,
    )
    return Submitted(receipt=receipt, created=False)


def _check_standing(ctx: Any) -> None:
    """An invitee suspended or excluded since publication cannot bid while that lasts."""
    state = admission_rules.effective_admission_state(
        state=ctx.admission_state or "excluded",
        suspended_until=ctx.suspended_until,
        on=helsinki_today(ctx.db_now),
    )
    if state == "suspended":
        raise Conflict(
            f"Your admission in this category is suspended until {ctx.suspended_until.isoformat()} "
            f"({ctx.suspension_reason}); you cannot bid while it lasts."
        )
    if state != "active":
        raise Conflict("Your admission in this category has been excluded; you cannot bid.")


def _submitted_audit(ctx: Any, *, competition_id: uuid.UUID, version: int, digest: str) -> dict[str, Any]:
    return {
        "competition": competition_id,
        "version": version,
        "sha256": digest,
        "received_at": ctx.db_now,
        "terms_version": ctx.terms_version,
    }


@dataclass(frozen=True, slots=True)
class _Write:
    """What one submission writes; the slow path swaps in the context read under the bid's lock."""

    ctx: Any
    competition_id: uuid.UUID
    canonical: bytes
    digest: str
    key: str | None
    actor: str
    now: datetime
    # The supplier's holder key (from its token): keys the read-back copy; None stores no copy.
    holder_key: bytes | None


def _store(session: Session, w: _Write) -> tuple[uuid.UUID, int] | None:
    """Write the next version and its audit record optimistically; None if a concurrent request of the
    supplier came first."""
    ctx = w.ctx
    first = ctx.bid_id is None
    bid_id = uuid.uuid4() if first else ctx.bid_id
    version = 1 if first else ctx.current_version + 1
    if not first:
        rules.BID_MACHINE.check(ctx.bid_state, "submitted")
    sealed = sealing.seal(w.canonical, public_key=ctx.public_key, bid_id=bid_id, version=version)
    copy = (
        sealing.seal_supplier_copy(
            w.holder_key, w.canonical, supplier_id=ctx.supplier_id, bid_id=bid_id, version=version
        )
        if w.holder_key is not None
        else None
    )
    after = _submitted_audit(ctx, competition_id=w.competition_id, version=version, digest=w.digest)
    params = {
        "bid_id": bid_id,
        "competition_id": w.competition_id,
        "version": version,
        "supplier_id": ctx.supplier_id,
        "received_at": ctx.db_now,
        "sha256": w.digest,
        "terms_version": ctx.terms_version,
        "ciphertext": sealed.ciphertext,
        "nonce": sealed.nonce,
        "ephemeral_public_key": sealed.ephemeral_public_key,
        "key": w.key,
        "supplier_copy": copy,
    }
    if first:
        # A new bid's chain starts in the statement that creates the bid.
        params |= audit.first_record_params(
            aggregate=("bid", bid_id), actor=w.actor, action="bid.submitted", at=w.now, after=after
        )
    written = bid_sql.one(session, bid_sql.FIRST_VERSION if first else bid_sql.NEXT_VERSION, params)
    if written.bid_rows == 1 and written.version_rows == 1:
        if not first:
            audit.record(
                session,
                aggregate=("bid", bid_id),
                actor=w.actor,
                action="bid.submitted",
                at=w.now,
                after=after,
            )
        return bid_id, version
    if written.bid_rows == 0 and written.version_rows == 0:
        return None
    # Half a write (the version clashed on its Idempotency-Key): raising rolls the request back.
    raise Conflict(f"The Idempotency-Key '{w.key}' is already in use by another of your bids.")


def _store_locked(session: Session, w: _Write) -> tuple[uuid.UUID, int] | Submitted:
    """The slow path: lock the supplier's bid row, then write the next version."""
    ctx = w.ctx
    bid = bid_sql.one(
        session,
        bid_sql.LOCK_BID,
        {
            "bid_id": uuid.uuid4(),
            "competition_id": w.competition_id,
            "supplier_id": ctx.supplier_id,
            "at": ctx.db_now,
        },
    )
    if w.key is not None:
        replay = _replay(
            bid_sql.one(session, bid_sql.BY_KEY, {"supplier_id": ctx.supplier_id, "key": w.key}),
            key=w.key,
            sha256=w.digest,
        )
        if replay is not None:
            return replay
    locked = ctx._replace(bid_id=bid.id, bid_state=bid.state, current_version=bid.current_version)
    stored = _store(session, replace(w, ctx=locked))
    if stored is None:
        raise Conflict("Another submission of your bid is being stored right now; retry.")
    return stored


def submit(
    session: Session,
    *,
    caller: Caller,
    competition_id: uuid.UUID,
    data: BidIn,
    idempotency_key: str | None,
    now: datetime,
    settings: Settings,
) -> Submitted:
    """An invitee submits (or resubmits) its bid before the deadline by the database clock."""
    caller.require("supplier")
    ctx = bid_sql.one(
        session,
        bid_sql.CONTEXT,
        {"competition_id": competition_id, "business_id": caller.business_id, "key": idempotency_key},
    )
    if ctx is None or ctx.state == "draft":
        raise NotFound(access.NOT_FOUND)
    if ctx.supplier_id is None:  # the published competition is public: a refusal, not a 404
        raise Forbidden(access.NOT_INVITED)
    lines = _lines(data)
    canonical = bid_rules.canonical_bid(
        competition_id=competition_id, lines=lines, supplier_capacity=data.supplier_capacity
    )
    digest = bid_rules.bid_sha256(canonical)
    if idempotency_key is not None and (replay := _replay(ctx, key=idempotency_key, sha256=digest)):
        return replay
    if ctx.state != "published":
        raise IllegalTransition(
            thing="competition",
            current=ctx.state,
            target="bid",
            detail=f"The competition is '{ctx.state}'; it takes no bids.",
        )
    if ctx.db_now >= ctx.tender_deadline:
        raise DeadlinePassed(deadline=ctx.tender_deadline, action="submitting a bid")
    _check_standing(ctx)
    bid_rules.validate_bid_lines(
        lines,
        lot_codes=ctx.lot_codes,
        criteria_codes=[c["code"] for c in ctx.quality_criteria],
        supplier_capacity=data.supplier_capacity,
    )
    write = _Write(
        ctx=ctx,
        competition_id=competition_id,
        canonical=canonical,
        digest=digest,
        key=idempotency_key,
        actor=caller.label,
        now=now,
        holder_key=caller.holder_key,
    )
    stored = _store(session, write) or _store_locked(session, write)
    if isinstance(stored, Submitted):
        return stored
    bid_id, version = stored
    receipt = Receipt(
        bid_id=bid_id, competition_id=competition_id, version=version, received_at=ctx.db_now, sha256=digest
    )
    return Submitted(receipt=receipt, created=True)


def _own_bid_for_change(session: Session, *, caller: Caller, bid_id: uuid.UUID, action: str) -> Any:
    caller.require("supplier")
    row = bid_sql.one(session, bid_sql.OWN_BID, {"bid_id": bid_id, "business_id": caller.business_id})
    if row is None:
        raise NotFound("No bid of yours has that id.")
    if row.db_now >= row.tender_deadline:
        raise DeadlinePassed(deadline=row.tender_deadline, action=action)
    if row.competition_state != "published":
        raise IllegalTransition(
            thing="competition",
            current=row.competition_state,
            target="bid",
            detail=f"The competition is '{row.competition_state}'; its bids no longer change.",
        )
    return row


def _receipt(row: Any) -> Receipt:
    return Receipt(
        bid_id=row.id,
        competition_id=row.competition_id,
        version=row.current_version,
        received_at=row.received_at,
        sha256=row.sha256,
    )


def withdraw(session: Session, *, caller: Caller, bid_id: uuid.UUID, now: datetime) -> Receipt:
    """The supplier withdraws its bid before the deadline (it may submit again later)."""
    row = _own_bid_for_change(session, caller=caller, bid_id=bid_id, action="withdrawing a bid")
    rules.BID_MACHINE.check(row.state, "withdrawn")
    bid_sql.one(
        session,
        "UPDATE bid SET state = 'withdrawn', withdrawn_at = %(at)s, needs_confirmation = false,"
        " updated_at = %(at)s WHERE id = %(id)s RETURNING id",
        {"id": bid_id, "at": row.db_now},
    )
    audit.record(
        session,
        aggregate=("bid", bid_id),
        actor=caller.label,
        action="bid.withdrawn",
        at=now,
        before={"state": row.state, "version": row.current_version},
        after={"state": "withdrawn", "withdrawn_at": row.db_now},
    )
    return _receipt(row)


def confirm(session: Session, *, caller: Caller, bid_id: uuid.UUID, now: datetime) -> Receipt:
    """The supplier confirms its current version against amended terms (no new version)."""
    row = _own_bid_for_change(session, caller=caller, bid_id=bid_id, action="confirming a bid")
    if row.state != "submitted":
        raise IllegalTransition(
            thing="bid",
            current=row.state,
            target="submitted",
            detail=f"The bid is '{row.state}'; only a submitted bid is confirmed. Submit it again instead.",
        )
    if row.needs_confirmation and row.criteria_amended:
        # The receipt means the bid is complete: answers to changed sub-criteria need a new version.
        seqs = ", ".join(str(x) for x in row.criteria_amended)
        raise Conflict(
            f"Amendment {seqs} changed the quality sub-criteria after your bid; submit the bid again with "
            "an answer to every announced sub-criterion instead of confirming it.",
            amendments=list(row.criteria_amended),
        )
    if row.needs_confirmation:
        bid_sql.one(
            session,
            "UPDATE bid SET needs_confirmation = false, confirmed_at = %(at)s, updated_at = %(at)s"
            " WHERE id = %(id)s RETURNING id",
            {"id": bid_id, "at": row.db_now},
        )
        audit.record(
            session,
            aggregate=("bid", bid_id),
            actor=caller.label,
            action="bid.confirmed",
            at=now,
            after={"version": row.current_version, "sha256": row.sha256, "confirmed_at": row.db_now},
        )
    return _receipt(row)
