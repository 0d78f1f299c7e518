"""Demo data: the Päijät-Häme ring with a registry to try the product with; loading twice changes nothing."""

import json
import os
import uuid
from datetime import date, timedelta
from datetime import datetime as Datetime
from pathlib import Path

from sqlmodel import Session, col, select

from minicompetition.award.models import Contract, ContractLot
from outcomes.tracking import events, participants, referrals
from outcomes.tracking.models import Referral
from outcomes.tracking.pseudonym import synthetic_hetu
from outcomes.tracking.schemas import EndIn, EventIn, ParticipantIn, ReferralIn, StartIn, VerifyIn
from procurement.core.auth import Caller, create_principal, issue_token
from procurement.core.canonical import sha256_hex
from procurement.core.clock import helsinki_today
from procurement.core.models import Principal
from procurement.core.settings import Settings
from procurement.ring.dps import create_dps, publish_dps
from procurement.ring.rings import create_authority, create_ring
from procurement.ring.schemas import AuthorityIn, DpsIn, EvidenceTypeIn, MemberIn, RingIn
from registry import admissions, applications, suppliers
from registry.models import Supplier
from registry.schemas import ApplicationIn, DecisionIn, EvidenceIn, SupplierIn

DEMO_ADMIN = "Demo admin"
PAIJAT_HAME = ["016", "081", "098", "111", "142", "316", "560", "576", "781"]

# name, base for a valid demo business id, categories applied for, fate
SUPPLIERS = [
    ("Työpolku Oy", 2_100_001, ["EMPLOYMENT", "COMPETENCE"], "admit"),
    ("Osaamo Koulutus Oy", 2_100_002, ["COMPETENCE"], "admit"),
    ("Lahden Valmennuskeskus ry", 2_100_003, ["EMPLOYMENT", "INCLUSION"], "admit"),
    ("Hämeen Työhönvalmennus Oy", 2_100_004, ["EMPLOYMENT"], "admit"),
    ("Kumppanuustalo Silta ry", 2_100_005, ["INCLUSION"], "admit"),
    ("Uraverstas Oy", 2_100_006, ["EMPLOYMENT", "COMPETENCE", "INCLUSION"], "partial"),
    ("Kielipolku Oy", 2_100_007, ["COMPETENCE"], "suspend"),
    ("Pikatyö Oy", 2_100_008, ["EMPLOYMENT"], "exclude"),
    ("Arviointipalvelu Kuntoutus Oy", 2_100_009, ["INCLUSION"], "reject"),
    ("Nuorten Väylä ry", 2_100_010, ["INCLUSION", "COMPETENCE"], "pending"),
    ("Senioriosaajat Oy", 2_100_011, ["EMPLOYMENT"], "extend"),
    ("Maahanmuuttajien Työpaja Oy", 2_100_012, ["COMPETENCE", "INCLUSION"], "pending"),
]


def demo_business_id(base: int) -> str:
    """A valid Y-tunnus near `base` (demo values, not real companies)."""
    while True:
        digits = f"{base:07d}"
        remainder = sum(int(d) * w for d, w in zip(digits, (7, 9, 10, 5, 8, 4, 2), strict=True)) % 11
        if remainder != 1:
            return f"{digits}-{0 if remainder == 0 else 11 - remainder}"
        base += 1


def load_demo(session: Session, *, data_dir: Path, now: Datetime, settings: Settings) -> dict[str, str]:
    """Create the demo world once; return the demo tokens (kept in the data directory)."""
    tokens_file = data_dir / "demo-tokens.json"
    if session.exec(select(Principal).where(Principal.name == DEMO_ADMIN)).first() is not None:
        return json.loads(tokens_file.read_text()) if tokens_file.exists() else {}
    tokens: dict[str, str] = {}
    admin = _principal(session, tokens, "admin", role="admin", name=DEMO_ADMIN, now=now)
    lahti = create_authority(
        session,
        caller=admin,
        now=now,
        data=AuthorityIn(
            name="Lahden kaupunki",
            business_id=demo_business_id(1_100_001),
            kind="municipality",
            municipality_codes=["398"],
            lead_municipality="398",
        ),
    )
    area = create_authority(
        session,
        caller=admin,
        now=now,
        data=AuthorityIn(
            name="Päijät-Hämeen työllisyysalue (vastuukunta Hollola)",
            business_id=demo_business_id(1_100_002),
            kind="employment_area",
            municipality_codes=PAIJAT_HAME,
            lead_municipality="098",
        ),
    )
    the_ring = create_ring(
        session,
        caller=admin,
        now=now,
        data=RingIn(
            name="Päijät-Hämeen dynaaminen hankintarengas",
            lead_authority_id=lahti.id,
            valid_from=date(2025, 1, 1),
            members=[MemberIn(authority_id=area.id, valid_from=date(2025, 1, 1))],
        ),
    )
    officer = _principal(
        session,
        tokens,
        "officer_lahti",
        role="officer",
        name="Hankinta Lahti",
        now=now,
        authority_id=lahti.id,
    )
    _principal(
        session,
        tokens,
        "officer_hollola",
        role="officer",
        name="Hankinta Hollola",
        now=now,
        authority_id=area.id,
    )
    _principal(
        session, tokens, "finance_lahti", role="finance", name="Talous Lahti", now=now, authority_id=lahti.id
    )
    dps = create_dps(
        session,
        caller=officer,
        now=now,
        data=DpsIn(
            ring_id=the_ring.id,
            title="Työllisyyspalvelujen dynaaminen palveluntuottajarekisteri",
            valid_from=date(2025, 1, 1),
            valid_until=date(2029, 12, 31),
            categories=["EMPLOYMENT", "COMPETENCE", "INCLUSION"],
            evidence_types=[
                EvidenceTypeIn(code="TAX_DEBT", name="Verovelkatodistus", max_age_days=90),
                EvidenceTypeIn(code="TRADE_REGISTER", name="Kaupparekisteriote", max_age_days=90),
                EvidenceTypeIn(code="PENSION_INSURANCE", name="Eläkevakuutustodistus", max_age_days=90),
                EvidenceTypeIn(code="LIABILITY_INSURANCE", name="Vastuuvakuutus", max_age_days=365),
            ],
        ),
    )
    publish_dps(session, caller=officer, dps_id=dps.id, now=now)
    for index, (name, base, categories, fate) in enumerate(SUPPLIERS):
        _demo_supplier(
            session,
            tokens,
            index=index,
            name=name,
            base=base,
            categories=categories,
            fate=fate,
            dps_id=dps.id,
            officer=officer,
            now=now,
            settings=settings,
        )
    _demo_competitions(session, now=now, settings=settings, tokens=tokens)
    _demo_outcomes(session, now=now, settings=settings, tokens=tokens)
    _demo_payments(session, now=now, data_dir=data_dir)
    _write_tokens(tokens_file, tokens)
    return tokens


def _demo_competitions(
    session: Session, *, now: Datetime, settings: Settings, tokens: dict[str, str]
) -> None:
    """One competition concluded into contracts and one open for bids, through the real services."""
    from procurement.app.demo import competitions as demo_competitions

    demo_competitions.load(session, tokens=tokens, now=now, settings=settings)


def _principal(
    session: Session,
    tokens: dict[str, str],
    key: str,
    *,
    role: str,
    name: str,
    now: Datetime,
    authority_id: uuid.UUID | None = None,
) -> Caller:
    p = create_principal(session, role=role, name=name, now=now, authority_id=authority_id)
    tokens[key] = issue_token(session, principal_id=p.id, now=now, label="demo")
    return Caller(id=p.id, role=p.role, name=p.name, authority_id=p.authority_id)


def _demo_supplier(
    session: Session,
    tokens: dict[str, str],
    *,
    index: int,
    name: str,
    base: int,
    categories: list[str],
    fate: str,
    dps_id: uuid.UUID,
    officer: Caller,
    now: Datetime,
    settings: Settings,
) -> None:
    registered = suppliers.register_supplier(
        session,
        now=now,
        data=SupplierIn(
            business_id=demo_business_id(base), name=name, contact_email=f"tarjoukset{index}@example.fi"
        ),
    )
    if index < 4:
        tokens[f"supplier_{index + 1}"] = registered.token
    supplier = Caller(
        id=registered.supplier.id, role="supplier", name=name, business_id=registered.supplier.business_id
    )
    today = helsinki_today(now)
    received = now - timedelta(days=20 if fate == "pending" and index % 2 else 2)
    issued = helsinki_today(received) - timedelta(days=3 + index)
    evidence = [
        EvidenceIn(
            type=code,
            issued_on=issued,
            valid_until=today + timedelta(days=days),
            sha256=sha256_hex(f"{name}:{code}".encode()),
        )
        for code, days in (
            ("TAX_DEBT", 30 + 6 * index),
            ("TRADE_REGISTER", 80),
            ("PENSION_INSURANCE", 80),
            ("LIABILITY_INSURANCE", 300),
        )
    ]
    application = applications.submit_application(
        session,
        caller=supplier,
        dps_id=dps_id,
        now=received,
        settings=settings,
        data=ApplicationIn(categories=categories, evidence=evidence),
    )
    decision = {
        "admit": DecisionIn(admit=categories),
        "suspend": DecisionIn(admit=categories),
        "exclude": DecisionIn(admit=categories),
        "partial": DecisionIn(
            admit=categories[:2], reject=categories[2:], reason="Ei referenssejä luokassa 3"
        ),
        "reject": DecisionIn(reject=categories, reason="Vastuuvakuutus ei kata palvelua"),
    }.get(fate)
    if fate == "extend":
        applications.extend_application(
            session,
            caller=officer,
            application_id=application.id,
            now=now,
            reason="Pyydetty lisäselvitys referensseistä",
            settings=settings,
        )
    if decision is None:
        return
    applications.decide_application(
        session, caller=officer, application_id=application.id, data=decision, now=now
    )
    admitted = admissions.list_admissions(session, caller=officer, dps_id=dps_id, now=now)
    mine = [a for a in admitted if a.supplier_id == supplier.id]
    for admission in mine:
        if fate == "suspend":
            admissions.suspend(
                session,
                caller=officer,
                admission_id=admission.id,
                until=today + timedelta(days=45),
                reason="Verovelkaa, maksusuunnitelma kesken",
                now=now,
            )
        if fate == "exclude":
            admissions.exclude(
                session,
                caller=officer,
                admission_id=admission.id,
                reason="Vakava ammatillinen virhe (HankintaL 81 §)",
                now=now,
            )


def _write_tokens(path: Path, tokens: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(tokens, handle, indent=2)


# Share of a demo contract's matured starts that reach a qualifying step: alternately above and below 80 %.
DEMO_SUCCESS_PER_10 = (9, 5, 10, 6, 8, 4)
DEMO_STEP = {
    "EMPLOYMENT": ("employment_start", None),
    "COMPETENCE": ("studies_started", None),
    "INCLUSION": ("next_service_step", "training"),
}


def _demo_outcomes(session: Session, *, now: Datetime, settings: Settings, tokens: dict[str, str]) -> None:
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
        officer = _demo_caller(session, role="officer", authority_id=contract.authority_id)
        seller = _demo_caller(
            session, role="supplier", business_id=supplier.business_id if supplier else None
        )
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


def _demo_caller(
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
        moved = EndIn(
            ended_on=started + timedelta(days=30), reason="neutral_exit", neutral_exit_kind="moved_away"
        )
        referrals.end(session, caller=seller, referral_id=referral.id, data=moved, now=now)
        return
    step_on = started + timedelta(days=14 + (7 * i) % 50)
    if (i * 7) % 10 >= success or step_on > today:
        return
    step = EventIn(event_type=kind, event_date=step_on, rung=rung, evidence_sha256=evidence)  # type: ignore[arg-type]
    reported = events.report(session, caller=seller, referral_id=referral.id, data=step, now=now)
    events.verify(session, caller=officer, event_id=reported.id, data=VerifyIn(), now=now)
    if step_on + timedelta(days=20) <= today:
        done = EndIn(ended_on=step_on + timedelta(days=20), reason="completed")
        referrals.end(session, caller=seller, referral_id=referral.id, data=done, now=now)


def _demo_payments(session: Session, *, now: Datetime, data_dir: Path) -> None:
    """Last month's payment period of each paying authority, closed and approved, with its files written."""
    from outcomes.payments import files as payment_files
    from outcomes.payments import periods as payment_service
    from outcomes.payments.basis import ExportFormat
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
    folder = data_dir / "exports"
    for authority_id in sorted(paying):
        finance = _demo_caller(session, role="finance", authority_id=authority_id)
        officer = _demo_caller(session, role="officer", authority_id=authority_id)
        periods = select(PaymentPeriod.id).where(PaymentPeriod.authority_id == authority_id)
        if finance is None or officer is None or session.exec(periods).first() is not None:
            continue
        period = payment_service.create_period(session, caller=finance, month=month, now=now)
        payment_service.close_period(session, caller=finance, period_id=period.id, now=now)
        payment_service.approve_period(session, caller=officer, period_id=period.id, now=now)
        folder.mkdir(parents=True, exist_ok=True)
        for fmt in (ExportFormat.XLSX, ExportFormat.CSV_FI):
            payment_files.produce(session, caller=finance, period_id=period.id, fmt=fmt, now=now, path=folder)
