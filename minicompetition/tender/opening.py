"""Opening after the deadline, and reading bids: sealed before, audited after."""

import uuid
from datetime import datetime

from sqlalchemy.exc import DataError, IntegrityError
from sqlmodel import Session, col, select

from minicompetition.tender import access, bid_rules, rules, sealing
from minicompetition.tender.errors import BidsSealed
from minicompetition.tender.models import (
    Amendment,
    Bid,
    BidLine,
    BidVersion,
    Competition,
    CompetitionKey,
    CompetitionKeyShare,
    Lot,
    Question,
)
from minicompetition.tender.schemas import BidLineOut, BidOut, OpenedBidOut, OpeningOut, Receipt
from minicompetition.tender.unsuccessful import end_unsuccessful
from procurement.core import audit, holder, outbox
from procurement.core.auth import Caller
from procurement.core.errors import Conflict, Forbidden, IllegalTransition, NotFound
from procurement.core.models import Principal
from procurement.core.settings import Settings
from registry.models import Supplier
from registry.standing import standing as admission_standing

NO_BID = "No bid has that id."


def open_bids(
    session: Session, *, caller: Caller, competition_id: uuid.UUID, now: datetime, settings: Settings
) -> OpeningOut:
    """After the deadline (database clock) an officer of the buying authority opens the bids."""
    competition, db_now = access.load(session, competition_id, lock="update")
    access.require_buying_officer(caller, competition)
    if competition.state == "published" and db_now < competition.tender_deadline:
        raise Conflict(
            "The bids open only after the tender deadline "
            f"{rules.helsinki_text(competition.tender_deadline)}."
        )
    current = rules.effective_state(
        state=competition.state, tender_deadline=competition.tender_deadline, now=db_now
    )
    rules.COMPETITION_MACHINE.check(current, "opened")
    _refuse_unanswered(session, competition)
    opening_key = _opening_key(session, competition, caller=caller, settings=settings)
    lots = {x.code: x for x in session.exec(select(Lot).where(Lot.competition_id == competition.id))}
    last_amendment = session.exec(
        select(Amendment.at)
        .where(Amendment.competition_id == competition.id)
        .order_by(col(Amendment.seq).desc())
    ).first()
    bids = session.exec(
        select(Bid)
        .where(Bid.competition_id == competition.id, col(Bid.current_version) > 0)
        .order_by(col(Bid.id))
        .with_for_update()
    ).all()
    for bid in bids:
        _open_one(
            session,
            competition,
            bid,
            key=opening_key,
            lots=lots,
            amended_at=rules.helsinki_text(last_amendment) if last_amendment else None,
            actor=caller.label,
            db_now=db_now,
            now=now,
        )
    competition.state, competition.opened_at, competition.updated_at = "opened", db_now, now
    session.add(competition)
    session.flush()
    out = _opening_out(session, competition)
    audit.record(
        session,
        aggregate=("competition", competition.id),
        actor=caller.label,
        action="competition.opened",
        at=now,
        before={"state": current},
        after={"state": "opened", "eligible": out.eligible, "ineligible": out.ineligible},
    )
    outbox.emit(session, "competition.opened", subject=("competition", competition.id), at=now)
    if out.eligible == 0:
        why = (
            f"no admissible bid: none of the {out.ineligible} bids could be opened (see each one's reason)"
            if out.ineligible
            else "no admissible bid: no bid was received by the tender deadline"
        )
        end_unsuccessful(session, competition, current="opened", reason=why, actor=caller.label, now=now)
        out = _opening_out(session, competition)
    return out


def _refuse_unanswered(session: Session, competition: Competition) -> None:
    """Every question asked in time is answered before the bids are opened (SPEC 4.2)."""
    unanswered = session.exec(
        select(Question.id)
        .where(Question.competition_id == competition.id, col(Question.answer).is_(None))
        .order_by(col(Question.asked_at))
    ).all()
    if unanswered:
        raise Conflict(
            f"{len(unanswered)} question{'s' if len(unanswered) > 1 else ''} asked in time "
            f"{'are' if len(unanswered) > 1 else 'is'} not answered; answer every question before opening "
            "the bids (and where too little time is left, amend the tender deadline before it passes).",
            unanswered=[str(x) for x in unanswered],
        )


def _opening_key(
    session: Session, competition: Competition, *, caller: Caller, settings: Settings
) -> sealing.OpeningKey:
    """The competition's opening key, joined from the master key's share and the calling officer's."""
    keys = session.get(CompetitionKey, competition.id)
    if keys is None or keys.wrapped_private_key is None:
        raise Conflict("The competition's sealing key is gone; its bids can never be opened.")
    share = None
    if keys.scheme != sealing.LEGACY_SCHEME:
        share = _officer_share(session, competition, caller=caller)
    try:
        return sealing.unwrap_opening_key(
            settings,
            sealing.CompetitionKeys(keys.public_key, keys.wrapped_private_key, keys.wrap_nonce, keys.scheme),
            competition_id=competition.id,
            officer_share=share,
            holder_key=caller.holder_key,
        )
    except sealing.SealingError as exc:
        raise Conflict(f"Nothing was opened: {exc}.") from exc


def _officer_share(session: Session, competition: Competition, *, caller: Caller) -> bytes:
    """The share sealed to the caller's holder key; a 409 naming the officers who hold one otherwise."""
    mine = holder.public_key(caller.holder_key) if caller.holder_key else None
    shares = session.exec(
        select(CompetitionKeyShare, Principal)
        .join(Principal, col(Principal.id) == CompetitionKeyShare.principal_id)
        .where(CompetitionKeyShare.competition_id == competition.id)
    ).all()
    for share, _ in shares:
        if mine is not None and bytes(share.holder_public_key) == mine:
            return bytes(share.sealed_share)
    holders = sorted({p.name for _, p in shares})
    raise Conflict(
        "Nothing was opened: your token holds no share of this competition's opening key (shares were"
        " sealed at publication to the tokens the buying authority's officers held then). Officers"
        f" who can open it: {', '.join(holders) or 'none left'}.",
        holders=holders,
    )


def _open_one(
    session: Session,
    competition: Competition,
    bid: Bid,
    *,
    key: sealing.OpeningKey,
    lots: dict[str, Lot],
    amended_at: str | None,
    actor: str,
    db_now: datetime,
    now: datetime,
) -> None:
    """Decide one bid at opening: withdrawn, ineligible with its reason, or eligible and decrypted."""
    # SPEC 4.2: standing as of the deadline instant T, so the result never depends on when opening runs.
    standing, reason = admission_standing(
        session,
        dps_id=competition.dps_id,
        supplier_id=bid.supplier_id,
        category_code=competition.category_code,
        at=competition.tender_deadline,
    )
    verdict, why = bid_rules.opening_verdict(
        state=bid.state,
        needs_confirmation=bid.needs_confirmation,
        standing=standing,
        standing_reason=reason,
        amended_at=amended_at,
    )
    if verdict == "withdrawn":
        return
    if verdict == "eligible":
        try:
            why = _decrypt_lines(session, bid=bid, key=key, lots=lots)
        except sealing.SealingError as exc:
            # A bid that does not decrypt was altered in storage: stop, so no supplier loses silently.
            raise Conflict(f"Nothing was opened: {exc}; the stored bid was altered.") from exc
        verdict = "ineligible" if why else "eligible"
    rules.BID_MACHINE.check(bid.state, verdict)
    bid.state, bid.ineligibility_reason, bid.opened_at, bid.updated_at = verdict, why, db_now, now
    session.add(bid)
    audit.record(
        session,
        aggregate=("bid", bid.id),
        actor=actor,
        action=f"bid.{verdict}",
        at=now,
        before={"state": "submitted"},
        after={"state": verdict, "reason": why, "version": bid.current_version},
    )


def _decrypt_lines(
    session: Session, *, bid: Bid, key: sealing.OpeningKey, lots: dict[str, Lot]
) -> str | None:
    """Decrypt the current version into bid lines; a reason if it cannot be used."""
    version = session.get(BidVersion, (bid.id, bid.current_version))
    assert version is not None  # noqa: S101 (current_version points at a stored version)
    plaintext = key.open(
        sealing.SealedBid(version.ciphertext, version.nonce, version.ephemeral_public_key),
        bid_id=bid.id,
        version=bid.current_version,
    )
    if bid_rules.bid_sha256(plaintext) != version.sha256:
        return "the opened content does not match its receipt's SHA-256"
    try:
        _, lines = bid_rules.parse_canonical_bid(plaintext)
    except (ValueError, KeyError, TypeError):
        return "the opened content is not a bid this service can read"
    usable = [x for x in lines if x.lot_code in lots]
    if not usable:
        return "no line of the bid names a lot of the competition as amended"
    why = bid_rules.unstorable(tuple(usable))
    if why is not None:
        return why
    try:
        # One bid's content never stops the opening of the others: what the database refuses (no rule
        # above foresaw it) makes this bid ineligible, in a savepoint of its own.
        with session.begin_nested():
            session.add_all(
                BidLine(
                    bid_id=bid.id,
                    lot_id=lots[x.lot_code].id,
                    version=bid.current_version,
                    unit_price_cents=x.unit_price_cents,
                    capacity=x.capacity,
                    committed_flow_through_bp=x.committed_flow_through_bp,
                    quality_answers=dict(x.quality_answers),
                )
                for x in usable
            )
            session.flush()
    except (DataError, IntegrityError) as exc:
        return f"the bid's content cannot be stored ({type(exc.orig).__name__})"
    bid.supplier_capacity = bid_rules.canonical_supplier_capacity(plaintext)
    return None


def _lines_of(session: Session, bid_id: uuid.UUID) -> list[BidLineOut]:
    rows = session.exec(
        select(BidLine, Lot)
        .join(Lot, col(Lot.id) == BidLine.lot_id)
        .where(BidLine.bid_id == bid_id)
        .order_by(col(Lot.position))
    ).all()
    return [
        BidLineOut(
            lot=lot.code,
            lot_id=lot.id,
            unit_price_cents=line.unit_price_cents,
            capacity=line.capacity,
            committed_flow_through_bp=line.committed_flow_through_bp,
            quality_answers=line.quality_answers,
        )
        for line, lot in rows
    ]


def _opened_bids(session: Session, competition: Competition) -> list[OpenedBidOut]:
    rows = session.exec(
        select(Bid, BidVersion, Supplier)
        .join(
            BidVersion, (col(BidVersion.bid_id) == Bid.id) & (col(BidVersion.version) == Bid.current_version)
        )
        .join(Supplier, col(Supplier.id) == Bid.supplier_id)
        # A bid withdrawn before the deadline leaves no trace the buyer can see (only the audit keeps it).
        .where(Bid.competition_id == competition.id, Bid.state != "withdrawn")
        .order_by(col(BidVersion.received_at), col(Bid.id))
    ).all()
    return [
        OpenedBidOut(
            bid_id=bid.id,
            supplier_id=supplier.id,
            business_id=supplier.business_id,
            supplier_name=supplier.name,
            state=bid.state,
            ineligibility_reason=bid.ineligibility_reason,
            version=bid.current_version,
            received_at=version.received_at,
            sha256=version.sha256,
            # Ineligible bids were never decrypted: they have no lines to show.
            lines=_lines_of(session, bid.id) if bid.state == "eligible" else None,
            supplier_capacity=bid.supplier_capacity,
        )
        for bid, version, supplier in rows
    ]


def _opening_out(session: Session, competition: Competition) -> OpeningOut:
    bids = _opened_bids(session, competition)
    assert competition.opened_at is not None  # noqa: S101 (opened)
    return OpeningOut(
        competition_id=competition.id,
        opened_at=competition.opened_at,
        eligible=sum(1 for b in bids if b.state == "eligible"),
        ineligible=sum(1 for b in bids if b.state == "ineligible"),
        bids=bids,
        state=competition.state,
        unsuccessful_reason=competition.unsuccessful_reason,
    )


def _sealed_reason(competition: Competition, db_now: datetime) -> str:
    if competition.state == "cancelled":
        return "The competition was cancelled before opening; its bids are never opened or shown to anyone."
    if db_now < competition.tender_deadline:
        return (
            f"Bids are sealed until the tender deadline {rules.helsinki_text(competition.tender_deadline)}; "
            "neither their content nor their number is shown to anyone before then."
        )
    return "The tender deadline has passed but the bids are not opened yet; open them first."


def _require_reader(caller: Caller, competition: Competition, db_now: datetime) -> None:
    """Opened bids are read by the buying authority's officers; before opening by no one."""
    if caller.role == "admin":
        if competition.opened_at is None:
            raise BidsSealed(_sealed_reason(competition, db_now) + " Admins never read bid content.")
        raise Forbidden("Opened bids are read by the buying authority's officers.")
    if not access.is_buying_officer(caller, competition):
        access.visible(caller, competition)
        raise NotFound("Bids are shown only to the buying authority.")
    if competition.opened_at is None:
        raise BidsSealed(_sealed_reason(competition, db_now))


def list_bids(
    session: Session, *, caller: Caller, competition_id: uuid.UUID, now: datetime
) -> list[OpenedBidOut]:
    """The opened bids, for the buying authority's officers (every read audited)."""
    competition, db_now = access.load(session, competition_id)
    _require_reader(caller, competition, db_now)
    bids = _opened_bids(session, competition)
    audit.record(
        session,
        aggregate=("competition", competition.id),
        actor=caller.label,
        action="bids.read",
        at=now,
        after={"bids": [b.bid_id for b in bids]},
    )
    return bids


def get_bid(session: Session, *, caller: Caller, bid_id: uuid.UUID, now: datetime) -> BidOut:
    """A bid: to its supplier always (content once opened); to the buying authority once opened."""
    bid = session.get(Bid, bid_id)
    if bid is None or bid.current_version == 0:
        raise NotFound(NO_BID)
    competition, db_now = access.load(session, bid.competition_id)
    if caller.role == "supplier":
        if access.supplier_of(session, caller).id != bid.supplier_id:
            raise NotFound(NO_BID)
    elif bid.state == "withdrawn":
        raise NotFound(NO_BID)  # withdrawn before the deadline: no trace for the buyer
    else:
        if competition.opened_at is None:
            # Before opening a bid id answers as an unknown one: no oracle for whether bids exist.
            raise NotFound(NO_BID)
        _require_reader(caller, competition, db_now)
        audit.record(
            session,
            aggregate=("competition", competition.id),
            actor=caller.label,
            action="bids.read",
            at=now,
            after={"bids": [bid.id]},
        )
    versions = session.exec(
        select(BidVersion).where(BidVersion.bid_id == bid.id).order_by(col(BidVersion.version))
    )
    opened = bid.state == "eligible"
    return BidOut(
        id=bid.id,
        competition_id=bid.competition_id,
        supplier_id=bid.supplier_id,
        state=bid.state,
        current_version=bid.current_version,
        needs_confirmation=bid.needs_confirmation,
        ineligibility_reason=bid.ineligibility_reason,
        versions=[
            Receipt(
                bid_id=bid.id,
                competition_id=bid.competition_id,
                version=v.version,
                received_at=v.received_at,
                sha256=v.sha256,
            )
            for v in versions
        ],
        lines=_lines_of(session, bid.id) if opened else None,
        sealed=not opened,
        supplier_capacity=bid.supplier_capacity if opened else None,
    )


def require_opened(competition: Competition) -> None:
    """Refuse unless the competition's bids have been opened (and it is not cancelled before that)."""
    if competition.opened_at is None:
        raise IllegalTransition(
            thing="competition",
            current=competition.state,
            target="evaluated",
            detail=f"The competition is '{competition.state}'; its bids have not been opened.",
        )
