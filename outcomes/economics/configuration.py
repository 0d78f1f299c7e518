"""Use cases of the ring's liability configuration: store a version (admin, audited), read, resolve a day."""

import uuid
from datetime import date, datetime

from sqlmodel import Session, col, select

from outcomes.economics.liability import EXAMPLE_RATES, LiabilityRates, effective_rates
from outcomes.economics.models import LiabilityRate
from outcomes.economics.schemas import LiabilityRateIn, LiabilityRateOut, LiabilityRatesOut
from outcomes.tracking.rules import BenefitDaysTier
from procurement.core import audit
from procurement.core.auth import Caller
from procurement.core.clock import helsinki_today
from procurement.core.errors import InvalidInput, NotFound
from procurement.ring.rings import get_ring

_TIERS = tuple(BenefitDaysTier)
EXAMPLE_BASIS = "Shipped example (SPEC 4.8): an administrator must check it against the law in force."


def _shares(row: LiabilityRate) -> dict[str, int]:
    return {"T1": row.share_t1_bp, "T2": row.share_t2_bp, "T3": row.share_t3_bp, "T4": row.share_t4_bp}


def rates_of(row: LiabilityRate) -> LiabilityRates:
    """A stored version as the rules see it."""
    return LiabilityRates(
        shares_bp=tuple((t, _shares(row)[t.value]) for t in _TIERS),
        daily_benefit_cents=row.daily_benefit_cents,
        benefit_days_per_month_centi=row.benefit_days_per_month_centi,
        effective_from=row.effective_from,
        example=False,
        rate_id=str(row.id),
    )


def rate_out(
    rates: LiabilityRates, *, ring_id: uuid.UUID, row: LiabilityRate | None = None
) -> LiabilityRateOut:
    """Shape a version (or the shipped example, which has no row)."""
    return LiabilityRateOut(
        id=row.id if row else (uuid.UUID(rates.rate_id) if rates.rate_id else None),
        ring_id=ring_id,
        effective_from=rates.effective_from,
        shares_bp={t.value: s for t, s in rates.shares_bp},
        daily_benefit_cents=rates.daily_benefit_cents,
        benefit_days_per_month_centi=rates.benefit_days_per_month_centi,
        example=rates.example,
        basis=row.basis if row else (EXAMPLE_BASIS if rates.example else None),
        created_at=row.created_at if row else None,
        superseded_at=row.superseded_at if row else None,
    )


def _rows(session: Session, ring_id: uuid.UUID) -> list[LiabilityRate]:
    return list(
        session.exec(
            select(LiabilityRate)
            .where(LiabilityRate.ring_id == ring_id)
            .order_by(col(LiabilityRate.effective_from), col(LiabilityRate.created_at))
        )
    )


def in_force(session: Session, *, ring_id: uuid.UUID, on: date) -> LiabilityRates:
    """The ring's configuration in force on a day (the shipped example when it has none yet)."""
    current = [rates_of(r) for r in _rows(session, ring_id) if r.superseded_at is None]
    return effective_rates(current, on=on)


def configure(
    session: Session, *, caller: Caller, ring_id: uuid.UUID, data: LiabilityRateIn, now: datetime
) -> LiabilityRateOut:
    """Store a version from its effective date on; one for the same date is superseded (a correction)."""
    caller.require("admin")
    ring = get_ring(session, ring_id)
    if set(data.shares_bp) != {t.value for t in _TIERS}:
        raise InvalidInput("Give the municipal share of each tier T1–T4.", field="shares_bp")
    row = LiabilityRate(
        ring_id=ring.id,
        effective_from=data.effective_from,
        share_t1_bp=data.shares_bp["T1"],
        share_t2_bp=data.shares_bp["T2"],
        share_t3_bp=data.shares_bp["T3"],
        share_t4_bp=data.shares_bp["T4"],
        daily_benefit_cents=data.daily_benefit_cents,
        benefit_days_per_month_centi=data.benefit_days_per_month_centi,
        basis=data.basis,
        created_by=caller.id,
        created_at=now,
    )
    previous = session.exec(
        select(LiabilityRate)
        .where(
            LiabilityRate.ring_id == ring.id,
            LiabilityRate.effective_from == data.effective_from,
            col(LiabilityRate.superseded_at).is_(None),
        )
        .with_for_update()
    ).first()
    if previous is not None:
        # Supersede first: the partial unique index allows one current version per date at every flush.
        previous.superseded_at = now
        session.add(previous)
        session.flush()
    session.add(row)
    session.flush()
    audit.record(
        session,
        aggregate=("liability_rate", ring.id),
        actor=caller.label,
        action="liability_rate.corrected" if previous else "liability_rate.configured",
        at=now,
        before=_audit_view(previous) if previous else None,
        after=_audit_view(row),
    )
    return rate_out(rates_of(row), ring_id=ring.id, row=row)


def _audit_view(row: LiabilityRate) -> dict[str, object]:
    return {
        "id": row.id,
        "effective_from": row.effective_from,
        "shares_bp": _shares(row),
        "daily_benefit_cents": row.daily_benefit_cents,
        "benefit_days_per_month_centi": row.benefit_days_per_month_centi,
        "basis": row.basis,
    }


def list_rates(session: Session, *, ring_id: uuid.UUID, now: datetime) -> LiabilityRatesOut:
    """Every version of the ring's configuration and the one in force today (public, like the ring)."""
    ring = get_ring(session, ring_id)
    rows = _rows(session, ring.id)
    today = helsinki_today(now)
    current = in_force(session, ring_id=ring.id, on=today)
    by_id = {str(r.id): r for r in rows}
    return LiabilityRatesOut(
        ring_id=ring.id,
        in_force=rate_out(current, ring_id=ring.id, row=by_id.get(current.rate_id or "")),
        versions=[rate_out(rates_of(r), ring_id=ring.id, row=r) for r in rows],
    )


def get_rate(session: Session, *, ring_id: uuid.UUID, rate_id: uuid.UUID) -> LiabilityRateOut:
    """One stored version."""
    row = session.get(LiabilityRate, rate_id)
    if row is None or row.ring_id != ring_id:
        raise NotFound("No liability configuration of this ring has that id.")
    return rate_out(rates_of(row), ring_id=ring_id, row=row)


__all__ = ["EXAMPLE_RATES", "configure", "get_rate", "in_force", "list_rates", "rate_out"]
