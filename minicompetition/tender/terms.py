"""Terms between the API, the rules and the tables: conversion, storing lots, shaping a competition."""

from datetime import datetime
from typing import Any

import msgspec
from sqlmodel import Session, col, func, select

from minicompetition.tender import rules
from minicompetition.tender.models import Amendment, Competition, Invitation, Lot
from minicompetition.tender.schemas import (
    AllocationRulesIn,
    AmendmentOut,
    CompetitionOut,
    CompetitionSummary,
    LotIn,
    LotOut,
    PaymentModelIn,
    QualityCriterionIn,
    ScopeIn,
    TermsChangesIn,
    WeightsIn,
)
from procurement.core.clock import helsinki_today
from procurement.ring.models import Authority
from procurement.ring.rings import member_authorities


def lot_terms(lots: list[LotIn]) -> tuple[rules.LotTerms, ...]:
    """Lots of the API as the rules see them."""
    return tuple(
        rules.LotTerms(
            code=x.code,
            municipality_codes=tuple(x.municipality_codes),
            target_group=x.target_group,
            demand=x.demand,
            max_unit_price_cents=x.max_unit_price_cents,
        )
        for x in lots
    )


def criteria_terms(criteria: list[QualityCriterionIn]) -> tuple[rules.QualityCriterion, ...]:
    """Quality sub-criteria as the rules see them."""
    return tuple(rules.QualityCriterion(code=c.code, name=c.name, weight_bp=c.weight_bp) for c in criteria)


def payment_model_of(model: PaymentModelIn | None, *, category: str) -> dict[str, Any]:
    """The given payment model, or the category's default."""
    if model is None:
        return rules.default_payment_model(category) if category in rules.DEFAULT_SHARES_BP else {}
    out: dict[str, Any] = msgspec.to_builtins(model)
    return out


def terms_of(competition: Competition, lots: list[Lot]) -> rules.Terms:
    """The stored terms of a competition."""
    return rules.Terms(
        title=competition.title,
        description=competition.description,
        budget_cents=competition.budget_cents,
        price_bp=competition.price_weight_bp,
        quality_bp=competition.quality_weight_bp,
        outcome_bp=competition.outcome_weight_bp,
        quality_criteria=tuple(rules.QualityCriterion(**c) for c in competition.quality_criteria),
        max_suppliers_per_lot=competition.max_suppliers_per_lot,
        max_share_bp=competition.max_share_bp,
        min_allocation=competition.min_allocation,
        payment_model=competition.payment_model,
        intended_effect=competition.scope_intended_effect,
        expected_participants=competition.scope_expected_participants,
        expected_cost_cents=competition.scope_expected_cost_cents,
        expected_outcomes=competition.scope_expected_outcomes,
        qa_deadline=competition.qa_deadline,
        tender_deadline=competition.tender_deadline,
        lots=tuple(
            rules.LotTerms(
                code=x.code,
                municipality_codes=tuple(x.municipality_codes),
                target_group=x.target_group,
                demand=x.demand,
                max_unit_price_cents=x.max_unit_price_cents,
            )
            for x in lots
        ),
    )


def terms_from_changes(current: rules.Terms, changes: TermsChangesIn, *, category: str) -> rules.Terms:
    """The current terms with an amendment's changes applied."""
    w, r = changes.weights, changes.allocation_rules
    return rules.Terms(
        title=changes.title if changes.title is not None else current.title,
        description=changes.description if changes.description is not None else current.description,
        budget_cents=changes.budget_cents if changes.budget_cents is not None else current.budget_cents,
        price_bp=w.price_bp if w else current.price_bp,
        quality_bp=w.quality_bp if w else current.quality_bp,
        outcome_bp=w.outcome_bp if w else current.outcome_bp,
        quality_criteria=criteria_terms(changes.quality_criteria)
        if changes.quality_criteria is not None
        else current.quality_criteria,
        max_suppliers_per_lot=r.max_suppliers_per_lot if r else current.max_suppliers_per_lot,
        max_share_bp=r.max_share_bp if r else current.max_share_bp,
        min_allocation=r.min_allocation if r else current.min_allocation,
        payment_model=payment_model_of(changes.payment_model, category=category)
        if changes.payment_model is not None
        else current.payment_model,
        intended_effect=current.intended_effect,
        expected_participants=current.expected_participants,
        expected_cost_cents=current.expected_cost_cents,
        expected_outcomes=current.expected_outcomes,
        qa_deadline=changes.qa_deadline or current.qa_deadline,
        tender_deadline=changes.tender_deadline or current.tender_deadline,
        lots=lot_terms(changes.lots) if changes.lots is not None else current.lots,
    )


def allowed_municipalities(session: Session, *, authority_id: Any, ring_id: Any, now: datetime) -> set[str]:
    """Municipalities of the buying authority and of every ring member today."""
    codes: set[str] = set()
    buyer = session.get(Authority, authority_id)
    if buyer is not None:
        codes |= set(buyer.municipality_codes)
    for authority in member_authorities(session, ring_id=ring_id, on=helsinki_today(now)):
        codes |= set(authority.municipality_codes)
    return codes


def term_fields(terms: rules.Terms) -> dict[str, Any]:
    """The competition columns that hold the terms (lots apart)."""
    return {
        "title": terms.title,
        "description": terms.description,
        "budget_cents": terms.budget_cents,
        "price_weight_bp": terms.price_bp,
        "quality_weight_bp": terms.quality_bp,
        "outcome_weight_bp": terms.outcome_bp,
        "quality_criteria": [
            {"code": c.code, "name": c.name, "weight_bp": c.weight_bp} for c in terms.quality_criteria
        ],
        "max_suppliers_per_lot": terms.max_suppliers_per_lot,
        "max_share_bp": terms.max_share_bp,
        "min_allocation": terms.min_allocation,
        "payment_model": dict(terms.payment_model),
        "scope_intended_effect": terms.intended_effect,
        "scope_expected_participants": terms.expected_participants,
        "scope_expected_cost_cents": terms.expected_cost_cents,
        "scope_expected_outcomes": terms.expected_outcomes,
        "qa_deadline": terms.qa_deadline,
        "tender_deadline": terms.tender_deadline,
    }


def _lot_fields(lot: rules.LotTerms, position: int) -> dict[str, Any]:
    return {
        "position": position,
        "municipality_codes": list(lot.municipality_codes),
        "target_group": lot.target_group,
        "demand": lot.demand,
        "max_unit_price_cents": lot.max_unit_price_cents,
    }


def store_terms(session: Session, competition: Competition, terms: rules.Terms) -> None:
    """Write terms onto the row and its lots (lots kept by code, so their ids stay stable)."""
    for name, value in term_fields(terms).items():
        setattr(competition, name, value)
    session.add(competition)
    session.flush()
    existing = {x.code: x for x in lots_of(session, competition)}
    wanted = {x.code for x in terms.lots}
    for code, stale in existing.items():
        if code not in wanted:
            session.delete(stale)
    session.flush()
    for position, lot in enumerate(terms.lots):
        row = existing.get(lot.code)
        if row is None:
            session.add(Lot(competition_id=competition.id, code=lot.code, **_lot_fields(lot, position)))
            continue
        for name, value in _lot_fields(lot, position).items():
            setattr(row, name, value)
        session.add(row)
    session.flush()


def lots_of(session: Session, competition: Competition) -> list[Lot]:
    """A competition's lots in their order."""
    return list(
        session.exec(select(Lot).where(Lot.competition_id == competition.id).order_by(col(Lot.position)))
    )


def lot_out(x: Lot) -> LotOut:
    """Shape a lot."""
    return LotOut(
        id=x.id,
        code=x.code,
        municipality_codes=list(x.municipality_codes),
        target_group=x.target_group,
        demand=x.demand,
        max_unit_price_cents=x.max_unit_price_cents,
    )


def competition_out(session: Session, c: Competition, *, now: datetime) -> CompetitionOut:
    """Shape a competition: terms, lots and amendments; never anything about bids."""
    amendments = session.exec(
        select(Amendment).where(Amendment.competition_id == c.id).order_by(col(Amendment.seq))
    )
    return CompetitionOut(
        id=c.id,
        authority_id=c.authority_id,
        dps_id=c.dps_id,
        category=c.category_code,
        title=c.title,
        description=c.description,
        state=rules.effective_state(state=c.state, tender_deadline=c.tender_deadline, now=now),
        budget_cents=c.budget_cents,
        weights=WeightsIn(
            price_bp=c.price_weight_bp, quality_bp=c.quality_weight_bp, outcome_bp=c.outcome_weight_bp
        ),
        quality_criteria=[QualityCriterionIn(**q) for q in c.quality_criteria],
        allocation_rules=AllocationRulesIn(
            max_suppliers_per_lot=c.max_suppliers_per_lot,
            max_share_bp=c.max_share_bp,
            min_allocation=c.min_allocation,
        ),
        payment_model=c.payment_model,
        scope=ScopeIn(
            intended_effect=c.scope_intended_effect,
            expected_participants=c.scope_expected_participants,
            expected_cost_cents=c.scope_expected_cost_cents,
            expected_outcomes=c.scope_expected_outcomes,
        ),
        qa_deadline=c.qa_deadline,
        tender_deadline=c.tender_deadline,
        tender_deadline_local=rules.helsinki_text(c.tender_deadline),
        terms_version=c.terms_version,
        published_at=c.published_at,
        opened_at=c.opened_at,
        cancelled_at=c.cancelled_at,
        cancel_reason=c.cancel_reason,
        lots=[lot_out(x) for x in lots_of(session, c)],
        amendments=[AmendmentOut(seq=a.seq, at=a.at, reason=a.reason, changes=a.changes) for a in amendments],
        invitees=int(
            session.exec(
                select(func.count()).select_from(Invitation).where(Invitation.competition_id == c.id)
            ).one()
        ),
        few_invitees_confirmed_at=c.few_invitees_confirmed_at,
        unsuccessful_at=c.unsuccessful_at,
        unsuccessful_reason=c.unsuccessful_reason,
    )


def summary(c: Competition, *, now: datetime) -> CompetitionSummary:
    """A competition in a list."""
    return CompetitionSummary(
        id=c.id,
        authority_id=c.authority_id,
        category=c.category_code,
        title=c.title,
        state=rules.effective_state(state=c.state, tender_deadline=c.tender_deadline, now=now),
        tender_deadline=c.tender_deadline,
        tender_deadline_local=rules.helsinki_text(c.tender_deadline),
        cancel_reason=c.cancel_reason,
        unsuccessful_reason=c.unsuccessful_reason,
    )
