"""Demo outcomes: participants referred to the demo contracts, their starts and steps, and an open period."""

import uuid
from datetime import datetime as Datetime
from datetime import timedelta

from sqlmodel import Session, col, select

from minicompetition.award.models import Contract, ContractLot
from outcomes.tracking import events, participants, referrals
from outcomes.tracking.models import Referral
from outcomes.tracking.pseudonym import synthetic_hetu
from outcomes.tracking.schemas import EndIn, EventIn, ParticipantIn, ReferralIn, StartIn, VerifyIn
from procurement.core.auth import Caller
from procurement.core.canonical import sha256_hex
from procurement.core.clock import helsinki_today
from procurement.core.models import Principal
from procurement.core.settings import Settings
from registry.models import Supplier

# Share of a demo contract's matured starts that reach a qualifying step: alternately above and below 80 %.
DEMO_SUCCESS_PER_10 = (9, 5, 10, 6, 8, 4)
DEMO_STEP = {
    "EMPLOYMENT": ("employment_start", None),
    "COMPETENCE": ("studies_started", None),
    "INCLUSION": ("next_service_step", "training"),
}


def load_outcomes(session: Session, *, now: Datetime, settings: Settings, tokens: dict[str, str]) -> None:
    """Participants, referrals and outcomes for the demo contracts (none yet: nothing to do)."""
    contracts = session.exec(
        select(Contract)
        .where(Contract.state == "active")
        .order_by(col(Contract.concluded_at), col(Contract.id))
    ).all()
    # Test codes (900–999) are refused in production, and a second load must not add more people.
    if not contracts or settings.env == "production" or session.exec(select(Referral.id)).first() is not None:
        return
    person = 0
    for index, contract in enumerate(contracts):
        supplier = session.get(Supplier, contract.supplier_id)
        officer = demo_caller(session, role="officer", authority_id=contract.authority_id)
        seller = demo_caller(session, role="supplier", business_id=supplier.business_id if supplier else None)
        if officer is None or seller is None:
            continue
        for lot in session.exec(select(ContractLot).where(ContractLot.contract_id == contract.id)).all():
            for i in range(min(lot.volume, 12)):
                person += 1
                _demo_referral(
                    session,
                    person=person,
                    i=i,
                    success=DEMO_SUCCESS_PER_10[index % len(DEMO_SUCCESS_PER_10)],
                    contract=contract,
                    lot=lot,
                    parties=(officer, seller),
                    now=now,
                    settings=settings,
                )


def demo_caller(
    session: Session, *, role: str, authority_id: uuid.UUID | None = None, business_id: str | None = None
) -> Caller | None:
    query = select(Principal).where(
        Principal.role == role, Principal.authority_id == authority_id, Principal.business_id == business_id
    )
    p = session.exec(query.order_by(col(Principal.created_at))).first()
    if p is None:
        return None
    return Caller(id=p.id, role=p.role, name=p.name, authority_id=p.authority_id, business_id=p.business_id)


def _demo_referral(
    session: Session,
    *,
    person: int,
    i: int,
    success: int,
    contract: Contract,
    lot: ContractLot,
    parties: tuple[Caller, Caller],
    now: Datetime,
    settings: Settings,
) -> None:
    officer, seller = parties
    today = helsinki_today(now)
    # Starts spread over the last ten months: most have matured (90 days), the newest have not.
    started = today - timedelta(days=300 - 23 * i - person % 7)
    referred_at = now - timedelta(days=(today - started).days + 4)
    code = synthetic_hetu(
        day=1 + person % 28, month=1 + person % 12, year=1960 + person % 45, individual=900 + person % 100
    )
    data = ParticipantIn(
        hetu=code,
        home_municipality_code=lot.municipality_codes[i % len(lot.municipality_codes)],
        target_groups=[g for g in (lot.target_group,) if g != "general"],  # type: ignore[misc]
        benefit_days=40 + 37 * i,
    )
    participant, _ = participants.register(
        session, caller=officer, data=data, now=referred_at, settings=settings
    )
    kind, rung = DEMO_STEP.get(contract.category_code, DEMO_STEP["EMPLOYMENT"])
    into = ReferralIn(
        participant_id=participant.id,
        contract_id=contract.id,
        lot_id=lot.lot_id,
        current_rung="work_trial" if rung else None,
    )
    referral = referrals.refer(session, caller=officer, data=into, now=referred_at)
    evidence = sha256_hex(f"demo:{referral.id}".encode())
    begun = StartIn(started_on=started, evidence_sha256=evidence)
    out = referrals.start(session, caller=seller, referral_id=referral.id, data=begun, now=now)
    [service_start] = out.events or []
    events.verify(session, caller=officer, event_id=service_start.id, data=VerifyIn(), now=now)
    if i % 10 == 9:
        # Reported within the neutral-exit age limit, with evidence, and verified by the officer.
        moved = EndIn(
            ended_on=max(started, today - timedelta(days=20)),
            reason="neutral_exit",
            neutral_exit_kind="moved_away",
            evidence_sha256=evidence,
        )
        referrals.end(session, caller=seller, referral_id=referral.id, data=moved, now=now, settings=settings)
        referrals.decide_neutral_exit(
            session, caller=officer, referral_id=referral.id, verified=True, now=now
        )
        return
    step_on = started + timedelta(days=14 + (7 * i) % 50)
    if (i * 7) % 10 >= success or step_on > today:
        return
    step = EventIn(event_type=kind, event_date=step_on, rung=rung, evidence_sha256=evidence)  # type: ignore[arg-type]
    reported = events.report(session, caller=seller, referral_id=referral.id, data=step, now=now)
    events.verify(session, caller=officer, event_id=reported.id, data=VerifyIn(), now=now)
    if step_on + timedelta(days=20) <= today:
        done = EndIn(ended_on=step_on + timedelta(days=20), reason="completed")
        referrals.end(session, caller=seller, referral_id=referral.id, data=done, now=now, settings=settings)


def load_payments(session: Session, *, now: Datetime) -> None:
    """Last month's payment period of each paying authority, opened and left for finance to close."""
    from outcomes.payments import periods as payment_service
    from outcomes.payments.models import PaymentPeriod
    from outcomes.tracking.models import OutcomeEvent

    paying = session.exec(
        select(Contract.authority_id)
        .join(Referral, col(Referral.contract_id) == Contract.id)
        .join(OutcomeEvent, col(OutcomeEvent.referral_id) == Referral.id)
        .where(OutcomeEvent.state == "verified")
        .distinct()
    ).all()
    month = (helsinki_today(now).replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    for authority_id in sorted(paying):
        finance = demo_caller(session, role="finance", authority_id=authority_id)
        periods = select(PaymentPeriod.id).where(PaymentPeriod.authority_id == authority_id)
        if finance is None or session.exec(periods).first() is not None:
            continue
        # Open, not closed: closing it, the officer's approval and the export are the demo's walk.
        payment_service.create_period(session, caller=finance, month=month, now=now)
