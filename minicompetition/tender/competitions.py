"""Use cases of a competition's life: draft, edit, publish, read, list, cancel."""

import uuid
from datetime import datetime

from sqlalchemy import delete, or_, update
from sqlmodel import Session, col, select

from minicompetition.tender import access, rules, sealing
from minicompetition.tender.models import (
    Bid,
    BidVersion,
    Competition,
    CompetitionKey,
    CompetitionKeyShare,
    Invitation,
)
from minicompetition.tender.schemas import CompetitionIn, CompetitionOut, CompetitionSummary, InvitationOut
from minicompetition.tender.terms import (
    allowed_municipalities,
    competition_out,
    criteria_terms,
    lot_terms,
    payment_model_of,
    store_terms,
    summary,
    term_fields,
)
from procurement.core import audit, outbox
from procurement.core.auth import Caller
from procurement.core.clock import helsinki_today
from procurement.core.errors import Conflict, Forbidden, IllegalTransition, InvalidInput, NotFound
from procurement.core.settings import Settings
from procurement.core.tokens import officer_holder_keys
from procurement.ring.dps import dps_category_codes
from procurement.ring.models import Dps
from procurement.ring.rings import get_ring, require_ring_officer
from registry import admissions


def _terms_from_in(data: CompetitionIn) -> rules.Terms:
    return rules.Terms(
        title=data.title,
        description=data.description,
        budget_cents=data.budget_cents,
        price_bp=data.weights.price_bp,
        quality_bp=data.weights.quality_bp,
        outcome_bp=data.weights.outcome_bp,
        quality_criteria=criteria_terms(data.quality_criteria),
        max_suppliers_per_lot=data.allocation_rules.max_suppliers_per_lot,
        max_share_bp=data.allocation_rules.max_share_bp,
        min_allocation=data.allocation_rules.min_allocation,
        payment_model=payment_model_of(data.payment_model, category=data.category),
        intended_effect=data.scope.intended_effect,
        expected_participants=data.scope.expected_participants,
        expected_cost_cents=data.scope.expected_cost_cents,
        expected_outcomes=data.scope.expected_outcomes,
        qa_deadline=data.qa_deadline,
        tender_deadline=data.tender_deadline,
        lots=lot_terms(data.lots),
    )


def _checked_terms(session: Session, *, caller: Caller, data: CompetitionIn, now: datetime) -> rules.Terms:
    """Terms of a draft, checked against the DPS, the caller's ring and the rules."""
    caller.require("officer")
    dps = session.get(Dps, data.dps_id)
    if dps is None or dps.state == "draft":
        raise InvalidInput("No published DPS has that id.", field="dps_id")
    ring_row = get_ring(session, dps.ring_id)
    try:
        require_ring_officer(session, caller=caller, ring=ring_row, now=now, lead=False)
    except NotFound as exc:
        # The DPS is public, so the caller may read it: not a 404 but a refusal (403).
        raise Forbidden(
            "Your authority is not a member of this DPS's ring, so it cannot compete in it."
        ) from exc
    if helsinki_today(now) > dps.valid_until:
        raise Conflict(f"The DPS closed on {dps.valid_until.isoformat()}; nothing can be drafted in it.")
    offered = dps_category_codes(session, dps.id)
    if data.category not in offered:
        raise InvalidInput(
            f"This DPS has no category '{data.category}'; it offers {', '.join(sorted(offered))}.",
            field="category",
        )
    terms = _terms_from_in(data)
    allowed = allowed_municipalities(session, authority_id=caller.authority_id, ring_id=ring_row.id, now=now)
    rules.validate_terms(terms, category=data.category, allowed_municipalities=allowed)
    return terms


def create(session: Session, *, caller: Caller, data: CompetitionIn, now: datetime) -> CompetitionOut:
    """An officer of a ring member drafts a competition in one category of a published DPS."""
    terms = _checked_terms(session, caller=caller, data=data, now=now)
    assert caller.authority_id is not None  # noqa: S101 (officers always have one)
    competition = Competition(
        **term_fields(terms),
        authority_id=caller.authority_id,
        dps_id=data.dps_id,
        category_code=data.category,
        created_by=caller.id,
        created_at=now,
        updated_at=now,
    )
    store_terms(session, competition, terms)
    audit.record(
        session,
        aggregate=("competition", competition.id),
        actor=caller.label,
        action="competition.drafted",
        at=now,
        after={"title": terms.title, "dps": data.dps_id, "category": data.category, "lots": len(terms.lots)},
    )
    return competition_out(session, competition, now=now)


def edit(
    session: Session, *, caller: Caller, competition_id: uuid.UUID, data: CompetitionIn, now: datetime
) -> CompetitionOut:
    """Replace a draft's terms (a published competition is changed by amendment)."""
    competition, _ = access.load(session, competition_id, lock="update")
    access.require_buying_officer(caller, competition)
    if competition.state != "draft":
        raise Conflict(
            f"The competition is '{competition.state}'; only drafts are edited. Amend it instead.",
            current_state=competition.state,
        )
    if data.dps_id != competition.dps_id or data.category != competition.category_code:
        raise InvalidInput("A draft keeps its DPS and category; start a new draft instead.", field="category")
    terms = _checked_terms(session, caller=caller, data=data, now=now)
    competition.updated_at = now
    store_terms(session, competition, terms)
    audit.record(
        session,
        aggregate=("competition", competition.id),
        actor=caller.label,
        action="competition.edited",
        at=now,
        after={"title": terms.title, "lots": len(terms.lots)},
    )
    return competition_out(session, competition, now=now)


# Fewer invitees than this and publishing needs the officer's recorded confirmation (SPEC 4.2).
FEW_INVITEES = 3


def publish(
    session: Session,
    *,
    caller: Caller,
    competition_id: uuid.UUID,
    now: datetime,
    settings: Settings,
    confirm_few_invitees: bool = False,
) -> CompetitionOut:
    """Publish: snapshot every eligible supplier as an invitation and create the sealing keys."""
    competition, _ = access.load(session, competition_id, lock="update")
    access.require_buying_officer(caller, competition)
    rules.COMPETITION_MACHINE.check(competition.state, "published")
    # The draft's stored deadlines meet the clock now: a conflict (409), not invalid input.
    try:
        rules.check_tender_period(
            published_at=now, tender_deadline=competition.tender_deadline, min_days=settings.min_tender_days
        )
    except InvalidInput as exc:
        raise Conflict(f"{exc.detail} Edit the draft before publishing.") from exc
    if competition.qa_deadline <= now:
        raise Conflict("The question deadline has passed; edit the draft's deadlines before publishing.")
    try:
        rules.check_qa_deadline(
            qa_deadline=competition.qa_deadline,
            tender_deadline=competition.tender_deadline,
            min_days=settings.min_days_qa_before_deadline,
        )
    except InvalidInput as exc:
        raise Conflict(f"{exc.detail} Edit the draft before publishing.", field="qa_deadline") from exc
    dps = session.get(Dps, competition.dps_id)
    assert dps is not None  # noqa: S101 (foreign key)
    if helsinki_today(now) > dps.valid_until:
        raise Conflict(f"The DPS closed on {dps.valid_until.isoformat()}; nothing can be published in it.")
    invited = admissions.eligible_suppliers(
        session, dps_id=competition.dps_id, category_code=competition.category_code, on=helsinki_today(now)
    )
    _check_invitees(competition, len(invited), confirmed=confirm_few_invitees)
    session.add_all(
        Invitation(
            competition_id=competition.id,
            supplier_id=s.id,
            business_id=s.business_id,
            supplier_name=s.name,
            invited_at=now,
        )
        for s in invited
    )
    _seal_keys(session, competition, settings=settings, now=now)
    competition.state, competition.published_at, competition.updated_at = "published", now, now
    if len(invited) < FEW_INVITEES:
        competition.few_invitees_confirmed_at, competition.few_invitees_confirmed_by = now, caller.id
    session.add(competition)
    session.flush()
    audit.record(
        session,
        aggregate=("competition", competition.id),
        actor=caller.label,
        action="competition.published",
        at=now,
        before={"state": "draft"},
        after={
            "state": "published",
            "tender_deadline": competition.tender_deadline,
            "invited": sorted(str(s.id) for s in invited),
            "few_invitees_confirmed": competition.few_invitees_confirmed_at is not None,
        },
    )
    out = competition_out(session, competition, now=now)  # the terms as published go into the release
    outbox.emit(session, "competition.published", subject=("competition", competition.id), at=now, data=out)
    return out


def _check_invitees(competition: Competition, count: int, *, confirmed: bool) -> None:
    """Nobody to invite refuses publishing; fewer than three needs the officer's confirmation."""
    if count == 0:
        raise Conflict(
            f"No supplier is admitted and in good standing in category {competition.category_code}; a "
            "competition published to nobody could receive no bid. Nothing was published.",
            invitees=0,
        )
    if count < FEW_INVITEES and not confirmed:
        raise Conflict(
            f"Only {count} supplier{'s' if count > 1 else ''} would be invited (fewer than {FEW_INVITEES}). "
            "Publish again with confirm_few_invitees true to confirm it; the confirmation is recorded.",
            invitees=count,
        )


def _seal_keys(session: Session, competition: Competition, *, settings: Settings, now: datetime) -> None:
    """The competition's opening key: the master key's share and one share per officer holder key."""
    holders = officer_holder_keys(session, authority_id=competition.authority_id)
    if not holders:
        raise Conflict(
            "No officer of the buying authority holds a token that can open bids (tokens made before"
            " opening keys existed cannot): make a new token (POST /me/tokens) and publish again."
        )
    keys = sealing.new_competition_keys(settings, competition_id=competition.id, officer_keys=list(holders))
    session.add(
        CompetitionKey(
            competition_id=competition.id,
            scheme=keys.scheme,
            public_key=keys.public_key,
            wrapped_private_key=keys.wrapped_private_key,
            wrap_nonce=keys.wrap_nonce,
            created_at=now,
        )
    )
    session.flush()
    session.add_all(
        CompetitionKeyShare(
            competition_id=competition.id,
            holder_public_key=public_key,
            principal_id=holders[public_key],
            sealed_share=sealed,
            created_at=now,
        )
        for public_key, sealed in (keys.officer_shares or {}).items()
    )


def get(
    session: Session, *, caller: Caller | None, competition_id: uuid.UUID, now: datetime
) -> CompetitionOut:
    """A published competition is open data; a draft is seen only by the buying authority's officers."""
    competition, _ = access.load(session, competition_id)
    access.visible(caller, competition)
    return competition_out(session, competition, now=now)


def list_competitions(session: Session, *, caller: Caller | None, now: datetime) -> list[CompetitionSummary]:
    """Published competitions (newest deadline first), plus the caller's own authority's drafts."""
    query = select(Competition)
    if caller is not None and caller.role == "officer":
        query = query.where(
            or_(col(Competition.state) != "draft", col(Competition.authority_id) == caller.authority_id)
        )
    else:
        query = query.where(col(Competition.state) != "draft")
    rows = session.exec(query.order_by(col(Competition.tender_deadline).desc()).limit(500))
    return [summary(c, now=now) for c in rows]


def invitations(session: Session, *, caller: Caller, competition_id: uuid.UUID) -> list[InvitationOut]:
    """The invitation snapshot, for the buying authority's officers."""
    competition, _ = access.load(session, competition_id)
    access.require_buying_officer(caller, competition)
    rows = session.exec(
        select(Invitation)
        .where(Invitation.competition_id == competition.id)
        .order_by(col(Invitation.supplier_name), col(Invitation.supplier_id))
    )
    return [
        InvitationOut(
            supplier_id=i.supplier_id,
            business_id=i.business_id,
            supplier_name=i.supplier_name,
            invited_at=i.invited_at,
        )
        for i in rows
    ]


def _shred(session: Session, competition: Competition, *, now: datetime) -> None:
    """Crypto-shredding: without the opening key's shares and the suppliers' copies, no copy of the
    database made from now on can show the cancelled competition's bids."""
    session.execute(
        update(CompetitionKey)
        .where(col(CompetitionKey.competition_id) == competition.id)
        .values(wrapped_private_key=None, destroyed_at=now)
    )
    session.execute(
        delete(CompetitionKeyShare).where(col(CompetitionKeyShare.competition_id) == competition.id)
    )
    # The only change bid_version allows: its supplier copy erased.
    session.execute(
        update(BidVersion)
        .where(col(BidVersion.bid_id).in_(select(Bid.id).where(Bid.competition_id == competition.id)))
        .where(col(BidVersion.supplier_copy).is_not(None))
        .values(supplier_copy=None)
    )


def cancel(
    session: Session, *, caller: Caller, competition_id: uuid.UUID, reason: str, now: datetime
) -> CompetitionOut:
    """Cancel before award, with a reason; before opening the bids' key is destroyed, so they never open."""
    competition, db_now = access.load(session, competition_id, lock="update")
    access.require_buying_officer(caller, competition)
    current = rules.effective_state(
        state=competition.state, tender_deadline=competition.tender_deadline, now=db_now
    )
    if current == "cancelled" or "cancelled" not in rules.COMPETITION_MACHINE.transitions.get(current, ()):
        raise IllegalTransition(thing="competition", current=current, target="cancelled")
    before_opening = competition.opened_at is None
    if before_opening:
        _shred(session, competition, now=now)
    competition.state, competition.cancel_reason = "cancelled", reason
    competition.cancelled_at, competition.updated_at = now, now
    session.add(competition)
    session.flush()
    audit.record(
        session,
        aggregate=("competition", competition.id),
        actor=caller.label,
        action="competition.cancelled",
        at=now,
        before={"state": current},
        after={"state": "cancelled", "reason": reason, "bids_sealed_for_good": before_opening},
    )
    outbox.emit(session, "competition.cancelled", subject=("competition", competition.id), at=now)
    return competition_out(session, competition, now=now)
