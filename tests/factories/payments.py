"""Factories for payment scenarios: participants with verified events through the services, and periods."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import text
from sqlmodel import Session

from minicompetition.award.models import Contract
from outcomes.payments import periods as payment_service
from outcomes.payments.contract_terms import snapshot_terms
from outcomes.payments.period_rules import Month
from outcomes.payments.trace import full_trace
from outcomes.tracking import events, participants, referrals
from outcomes.tracking.schemas import EndIn, EventIn, ParticipantIn, ReferralIn, StartIn, VerifyIn
from procurement.core.clock import helsinki_today as today
from procurement.core.clock import utc_now
from procurement.core.settings import Settings
from tests.factories.outcomes import OutcomeWorld, Party, at, hetu, make_outcome_world, party


def months_ago(n: int) -> Month:
    """The calendar month n months before the current one (1 = last month, which has ended)."""
    first = today(utc_now()).replace(day=1)
    for _ in range(n):
        first = (first - timedelta(days=1)).replace(day=1)
    return Month(first.year, first.month)


@dataclass
class PayWorld:
    """An outcome world whose lead authority pays, with finance users of it and of the member authority."""

    ow: OutcomeWorld
    settings: Settings
    finance: Party
    other_finance: Party

    @property
    def officer(self) -> Party:
        return self.ow.officer

    def contract(self, supplier: int) -> Contract:
        return self.ow.contracts[supplier]


def make_pay_world(
    session: Session,
    *,
    settings: Settings,
    prices: tuple[int, ...] = (240_000, 240_000),
    ceiling_cents: int = 100_000_000,
    category: str = "EMPLOYMENT",
    volumes: dict[str, int] | None = None,
) -> PayWorld:
    """One contract per price (one supplier each), every lot at that price, with the given ceiling."""
    ow = make_outcome_world(session, suppliers=len(prices), category=category, volumes=volumes)
    for contract, price in zip(ow.contracts, prices, strict=True):
        session.execute(
            text("UPDATE contract_lot SET unit_price_cents = :p WHERE contract_id = :c"),
            {"p": price, "c": contract.id},
        )
        session.execute(
            text("UPDATE contract SET value_ceiling_cents = :v WHERE id = :c"),
            {"v": ceiling_cents, "c": contract.id},
        )
    session.expire_all()
    return PayWorld(
        ow=ow,
        settings=settings,
        finance=party(session, role="finance", authority_id=ow.world.lead_id),
        other_finance=party(session, role="finance", authority_id=ow.world.member_id),
    )


def person(
    session: Session,
    pw: PayWorld,
    *,
    n: int,
    tier: str = "T2",
    partial: bool = False,
    municipality: str = "398",
    on: date,
) -> uuid.UUID:
    """Register participant n (a synthetic hetu) by the paying authority's officer."""
    out, _ = participants.register(
        session,
        caller=pw.officer.caller,
        now=at(on),
        settings=pw.settings,
        data=ParticipantIn(
            hetu=hetu(n),
            home_municipality_code=municipality,
            tier=tier,  # type: ignore[arg-type]
            partial_work_ability=partial,
        ),
    )
    return out.id


def start(
    session: Session,
    pw: PayWorld,
    *,
    participant_id: uuid.UUID,
    supplier: int = 0,
    lot: str = "LAHTI",
    on: date,
) -> tuple[uuid.UUID, uuid.UUID]:
    """Refer and start on the same day; the officer verifies the start. Returns (referral, start event)."""
    referral = referrals.refer(
        session,
        caller=pw.officer.caller,
        now=at(on),
        data=ReferralIn(
            participant_id=participant_id,
            contract_id=pw.contract(supplier).id,
            lot_id=pw.ow.awarded.lots[lot].id,
        ),
    )
    seller = pw.ow.supplier_parties[supplier].caller
    started = referrals.start(
        session,
        caller=seller,
        referral_id=referral.id,
        now=at(on),
        data=StartIn(started_on=on, evidence_sha256="b" * 64),
    )
    event_id = started.events[0].id
    events.verify(session, caller=pw.officer.caller, event_id=event_id, data=VerifyIn(), now=at(on))
    return referral.id, event_id


def outcome(
    session: Session,
    pw: PayWorld,
    *,
    referral_id: uuid.UUID,
    event_type: str,
    on: date,
    supplier: int = 0,
    verify: bool = True,
    pre_dates_referral: bool = False,
    verified_at: datetime | None = None,
) -> uuid.UUID:
    """The supplier reports an outcome with evidence; the officer verifies it (unless told not to).

    Both happen at 10:00 on the event's day unless ``verified_at`` says when the officer verifies.
    """
    reported = events.report(
        session,
        caller=pw.ow.supplier_parties[supplier].caller,
        referral_id=referral_id,
        now=at(on),
        data=EventIn(
            event_type=event_type,
            event_date=on,
            evidence_sha256="c" * 64,
            pre_dates_referral=pre_dates_referral,
        ),
    )
    if verify:
        when = verified_at or at(on)
        events.verify(session, caller=pw.officer.caller, event_id=reported.id, data=VerifyIn(), now=when)
    return reported.id


def end(session: Session, pw: PayWorld, *, referral_id: uuid.UUID, on: date, supplier: int = 0) -> None:
    """The supplier records a completed service."""
    referrals.end(
        session,
        caller=pw.ow.supplier_parties[supplier].caller,
        referral_id=referral_id,
        now=at(on),
        data=EndIn(ended_on=on, reason="completed"),
        settings=pw.settings,
    )


def closed_period(session: Session, pw: PayWorld, *, month: Month, workers: int | None = None) -> uuid.UUID:
    """Open and close the month's period of the paying authority (finance); returns its id."""
    period = payment_service.create_period(
        session, caller=pw.finance.caller, month=month.label, now=utc_now()
    )
    payment_service.close_period(
        session, caller=pw.finance.caller, period_id=period.id, now=utc_now(), workers=workers
    )
    return period.id


def approved_period(session: Session, pw: PayWorld, *, month: Month) -> uuid.UUID:
    """A closed period approved by the paying authority's officer."""
    period_id = closed_period(session, pw, month=month)
    payment_service.approve_period(session, caller=pw.officer.caller, period_id=period_id, now=utc_now())
    return period_id


def lines_of(session: Session, period_id: uuid.UUID) -> list[dict[str, object]]:
    """The period's lines in line order, as plain dicts, each with its full (rebuilt) trace."""
    frozen = session.execute(
        text("SELECT snapshot FROM payment_period WHERE id = :p"), {"p": period_id}
    ).scalar_one()
    rows = session.execute(
        text("SELECT * FROM payment_line WHERE period_id = :p ORDER BY id"), {"p": period_id}
    ).mappings()
    return [
        {
            **r,
            "trace": full_trace(
                stored=r["trace"], row=r, terms_of=lambda key: snapshot_terms(frozen, terms_key=key)
            ),
        }
        for r in rows
    ]


def quarter_start(months_back: int) -> date:
    """The first day of the calendar quarter of the month n months back."""
    month = months_ago(months_back)
    return date(month.year, (month.month - 1) // 3 * 3 + 1, 1)


def exported_period(session: Session, pw: PayWorld, *, month: Month) -> uuid.UUID:
    """A period closed, approved and confirmed exported: its events are paid."""
    period_id = approved_period(session, pw, month=month)
    payment_service.confirm_export(session, caller=pw.finance.caller, period_id=period_id, now=utc_now())
    return period_id


@dataclass(frozen=True)
class Member:
    """One start of a cohort: its referral, its start event and its job start (None without one)."""

    referral: uuid.UUID
    start: uuid.UUID
    job: uuid.UUID | None
    on: date


def make_cohort(
    session: Session,
    pw: PayWorld,
    *,
    first_day: date,
    count: int,
    qualified: int,
    n0: int = 100,
    supplier: int = 0,
    lot: str = "LAHTI",
    job_after_days: int = 20,
    tiers: tuple[str, ...] = ("T2",),
) -> list[Member]:
    """``count`` starts on consecutive days from ``first_day`` (tiers in turn, T2 by default); the first
    ``qualified`` find a job."""
    made = []
    for i in range(count):
        day = first_day + timedelta(days=i)
        municipality = "398" if lot == "LAHTI" else "098"
        who = person(session, pw, n=n0 + i, on=day, municipality=municipality, tier=tiers[i % len(tiers)])
        referral, started = start(session, pw, participant_id=who, supplier=supplier, lot=lot, on=day)
        job = None
        if i < qualified:
            job = outcome(
                session,
                pw,
                referral_id=referral,
                supplier=supplier,
                event_type="employment_start",
                on=day + timedelta(days=job_after_days),
            )
        made.append(Member(referral=referral, start=started, job=job, on=day))
    return made
