"""Factories for awarded competitions, contracts and referral scenarios (award flow tested elsewhere)."""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session

from minicompetition.award.models import AwardDecision, Contract, ContractLot, EvaluationRun
from minicompetition.tender.models import Competition, Lot
from minicompetition.tender.rules import default_payment_model
from outcomes.tracking import events, participants, referrals
from outcomes.tracking.pseudonym import synthetic_hetu
from outcomes.tracking.schemas import EndIn, EventIn, ParticipantIn, ReferralIn, StartIn, VerifyIn
from procurement.core.auth import Caller, create_principal, issue_token
from procurement.core.clock import utc_now
from procurement.core.settings import Settings
from registry.models import Supplier
from tests.factories.registry import RingWorld, admit, business_id, make_ring_world, make_supplier

# code, municipalities served, target group, awarded volume
LotSpec = tuple[str, tuple[str, ...], str, int]
DEFAULT_LOTS: tuple[LotSpec, ...] = (
    ("LAHTI", ("398",), "long_term_unemployed", 50),
    ("PH", ("098", "111", "560"), "youth", 50),
)


@dataclass
class Awarded:
    """An awarded competition with its lots and award decision."""

    competition: Competition
    lots: dict[str, Lot]
    award: AwardDecision


@dataclass
class Party:
    """A principal usable both as a service caller and through HTTP."""

    caller: Caller
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class OutcomeWorld:
    """A ring, an officer of the lead (buying) authority, suppliers with contracts, and a stranger officer."""

    world: RingWorld
    officer: Party
    other_officer: Party
    awarded: Awarded
    suppliers: list[Supplier] = field(default_factory=list)
    supplier_parties: list[Party] = field(default_factory=list)
    contracts: list[Contract] = field(default_factory=list)


def party(
    session: Session, *, role: str, authority_id: uuid.UUID | None = None, supplier: Supplier | None = None
) -> Party:
    """A principal of the role, its Caller and token."""
    now = utc_now()
    principal = create_principal(
        session,
        role=role,
        name=f"test {role}",
        now=now,
        authority_id=authority_id,
        business_id=supplier.business_id if supplier else None,
    )
    caller = Caller(
        id=principal.id,
        role=role,
        name=principal.name,
        authority_id=authority_id,
        business_id=principal.business_id,
    )
    return Party(caller=caller, token=issue_token(session, principal_id=principal.id, now=now))


def make_awarded(
    session: Session,
    *,
    world: RingWorld,
    created_by: uuid.UUID,
    category: str = "EMPLOYMENT",
    lots: tuple[LotSpec, ...] = DEFAULT_LOTS,
) -> Awarded:
    """An awarded competition of the lead authority, with lots, an evaluation run and the award."""
    now = utc_now()
    competition = Competition(
        authority_id=world.lead_id,
        dps_id=world.dps.id,
        category_code=category,
        title="Työllistymisvalmennus",
        description="Valmennus avoimille työmarkkinoille.",
        state="awarded",
        budget_cents=50_000_000,
        price_weight_bp=5000,
        quality_weight_bp=2000,
        outcome_weight_bp=3000,
        quality_criteria=[],
        max_suppliers_per_lot=3,
        max_share_bp=10_000,
        min_allocation=1,
        payment_model=default_payment_model(category),
        scope_intended_effect="Työllistyminen",
        scope_expected_participants=100,
        scope_expected_cost_cents=40_000_000,
        scope_expected_outcomes=60,
        qa_deadline=now - timedelta(days=40),
        tender_deadline=now - timedelta(days=30),
        created_by=created_by,
        created_at=now - timedelta(days=60),
        updated_at=now,
        published_at=now - timedelta(days=50),
        opened_at=now - timedelta(days=30),
    )
    session.add(competition)
    session.flush()
    made = {}
    for position, (code, municipalities, group, volume) in enumerate(lots):
        lot = Lot(
            competition_id=competition.id,
            position=position,
            code=code,
            municipality_codes=list(municipalities),
            target_group=group,
            demand=volume,
        )
        session.add(lot)
        made[code] = lot
    run = EvaluationRun(
        competition_id=competition.id,
        seq=1,
        created_by=created_by,
        created_at=now - timedelta(days=25),
        solver_name="HiGHS",
        solver_version="test",
        status="optimal",
        objective="0",
        input={},
        result={},
        wall_ms=1,
    )
    session.add(run)
    session.flush()
    award = AwardDecision(
        competition_id=competition.id,
        evaluation_run_id=run.id,
        issued_by=created_by,
        issued_at=now - timedelta(days=20),
        standstill_ends_at=now - timedelta(days=20),
        appeal_instructions="Oikaisuvaatimus 14 päivän kuluessa.",
        allocation=[],
        overrides=[],
    )
    session.add(award)
    session.flush()
    return Awarded(competition=competition, lots=made, award=award)


def make_contract(
    session: Session,
    *,
    awarded: Awarded,
    supplier: Supplier,
    volumes: dict[str, int] | None = None,
    state: str = "active",
) -> Contract:
    """A contract with the supplier over the given lots (default: every lot at its demand)."""
    competition = awarded.competition
    contract = Contract(
        competition_id=competition.id,
        award_id=awarded.award.id,
        authority_id=competition.authority_id,
        supplier_id=supplier.id,
        dps_id=competition.dps_id,
        category_code=competition.category_code,
        state=state,
        value_ceiling_cents=30_000_000,
        payment_model=competition.payment_model,
        concluded_at=utc_now() - timedelta(days=19),
        termination_reason="test termination" if state == "terminated" else None,
    )
    session.add(contract)
    session.flush()
    for code, volume in (volumes or {c: lot.demand for c, lot in awarded.lots.items()}).items():
        lot = awarded.lots[code]
        session.add(
            ContractLot(
                contract_id=contract.id,
                lot_id=lot.id,
                lot_code=lot.code,
                municipality_codes=list(lot.municipality_codes),
                target_group=lot.target_group,
                volume=volume,
                unit_price_cents=250_000,
            )
        )
    session.flush()
    return contract


def make_outcome_world(
    session: Session,
    *,
    suppliers: int = 2,
    category: str = "EMPLOYMENT",
    lots: tuple[LotSpec, ...] = DEFAULT_LOTS,
    volumes: dict[str, int] | None = None,
) -> OutcomeWorld:
    """A ring with an awarded competition of the lead authority and one active contract per supplier."""
    world = make_ring_world(session)
    officer = party(session, role="officer", authority_id=world.lead_id)
    other = party(session, role="officer", authority_id=world.member_id)
    awarded = make_awarded(session, world=world, created_by=officer.caller.id, category=category, lots=lots)
    out = OutcomeWorld(world=world, officer=officer, other_officer=other, awarded=awarded)
    for n in range(suppliers):
        supplier, _ = make_supplier(session, business_id=business_id(600 + n), name=f"Valmentaja {n + 1} Oy")
        admit(session, dps=world.dps, supplier=supplier, categories=(category,))
        out.suppliers.append(supplier)
        out.supplier_parties.append(party(session, role="supplier", supplier=supplier))
        out.contracts.append(make_contract(session, awarded=awarded, supplier=supplier, volumes=volumes))
    return out


def hetu(n: int) -> str:
    """The n-th synthetic test hetu (individual number 900–999: no real person has one)."""
    return synthetic_hetu(
        day=1 + n % 28, month=1 + (n // 28) % 12, year=1960 + n % 40, individual=900 + n % 100
    )


def at(day: date) -> datetime:
    """Mid-day of a Finnish calendar day, as a service's `now`."""
    return datetime.combine(day, time(10, 0), tzinfo=UTC)


@dataclass(frozen=True, kw_only=True)
class Step:
    """An outcome event to record in a scenario, and what the officer does with it."""

    event_type: str
    on: date
    end: date | None = None
    rung: str | None = None
    pre_dates_referral: bool = False
    decision: str = "verify"  # verify | reject | none
    by_officer: bool = False


def run_referral(
    session: Session,
    ow: OutcomeWorld,
    *,
    settings: Settings,
    n: int,
    referred: date,
    supplier: int = 0,
    lot: str = "LAHTI",
    municipality: str = "398",
    groups: tuple[str, ...] = (),
    tier: str = "T2",
    current_rung: str | None = None,
    started: date | None = None,
    steps: tuple[Step, ...] = (),
    end: tuple[date, str, str | None] | None = None,
    exit_verified: bool = True,
    today: date | None = None,
) -> uuid.UUID:
    """Register participant n, refer, start, record steps and end through the services, dated as given.

    A neutral exit is reported with evidence and, unless ``exit_verified`` is False, verified by the officer.
    """
    later = at(today or max([referred, *(s.on for s in steps), *([end[0]] if end else [])]))
    officer, seller = ow.officer.caller, ow.supplier_parties[supplier].caller
    person, _ = participants.register(
        session,
        caller=officer,
        now=at(referred),
        settings=settings,
        data=ParticipantIn(
            hetu=hetu(n),
            home_municipality_code=municipality,
            target_groups=list(groups),
            tier=tier,  # type: ignore[arg-type]
        ),
    )
    contract = ow.contracts[supplier]
    made = referrals.refer(
        session,
        caller=officer,
        now=at(referred),
        data=ReferralIn(
            participant_id=person.id,
            contract_id=contract.id,
            lot_id=ow.awarded.lots[lot].id,
            current_rung=current_rung,  # type: ignore[arg-type]
        ),
    )
    if started is None:
        return made.id
    referrals.start(
        session,
        caller=seller,
        referral_id=made.id,
        now=later,
        data=StartIn(started_on=started, evidence_sha256="b" * 64),
    )
    for step in steps:
        data = EventIn(
            event_type=step.event_type,
            event_date=step.on,
            end_date=step.end,
            rung=step.rung,  # type: ignore[arg-type]
            pre_dates_referral=step.pre_dates_referral,
            evidence_sha256=None if step.by_officer else "c" * 64,
            source_register="tulorekisteri" if step.by_officer else None,
        )
        out = events.report(
            session, caller=officer if step.by_officer else seller, referral_id=made.id, data=data, now=later
        )
        if step.decision == "verify" and not step.by_officer:
            events.verify(session, caller=officer, event_id=out.id, data=VerifyIn(), now=later)
        elif step.decision == "reject":
            events.reject(session, caller=officer, event_id=out.id, reason="Ei näyttöä", now=later)
    if end is not None:
        neutral = end[1] == "neutral_exit"
        referrals.end(
            session,
            caller=seller,
            referral_id=made.id,
            now=at(end[0]) if neutral else later,
            data=EndIn(
                ended_on=end[0],
                reason=end[1],  # type: ignore[arg-type]
                neutral_exit_kind=end[2],  # type: ignore[arg-type]
                evidence_sha256="d" * 64 if neutral else None,
            ),
            settings=settings,
        )
        if neutral and exit_verified:
            referrals.decide_neutral_exit(
                session, caller=officer, referral_id=made.id, verified=True, now=at(end[0])
            )
    return made.id


def make_cohorts(session: Session, ow: OutcomeWorld, *, settings: Settings, today: date) -> None:
    """Supplier 1: six matured starts, five with a job on day 20. Supplier 2: two matured without; one new."""
    for i in range(6):
        start = today - timedelta(days=200 - i)
        steps = (Step(event_type="employment_start", on=start + timedelta(days=20)),) if i < 5 else ()
        run_referral(
            session, ow, settings=settings, n=100 + i, referred=start, started=start, steps=steps, today=today
        )
    for i in range(2):
        start = today - timedelta(days=150 - i)
        run_referral(
            session, ow, settings=settings, n=110 + i, referred=start, started=start, supplier=1, today=today
        )
    start = today - timedelta(days=10)
    run_referral(
        session, ow, settings=settings, n=120, referred=start, started=start, supplier=1, today=today
    )
