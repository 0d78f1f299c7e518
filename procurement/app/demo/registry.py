"""Demo suppliers: twelve providers applying to the demo DPS, each with its fate (admit, reject, suspend…)."""

import uuid
from datetime import datetime as Datetime
from datetime import timedelta

from sqlmodel import Session

from procurement.core.auth import Caller
from procurement.core.canonical import sha256_hex
from procurement.core.clock import helsinki_today
from procurement.core.paging import MAX_LIMIT, PageRequest
from procurement.core.settings import Settings
from registry import admissions, applications, suppliers
from registry.schemas import ApplicationIn, ApplicationOut, DecisionIn, EvidenceIn, SupplierIn

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


def load_suppliers(
    session: Session,
    tokens: dict[str, str],
    *,
    dps_id: uuid.UUID,
    officer: Caller,
    now: Datetime,
    settings: Settings,
) -> None:
    """Register every demo supplier, apply, and carry out its fate."""
    for index, (name, base, categories, fate) in enumerate(SUPPLIERS):
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
        application = _apply(
            session,
            supplier,
            index=index,
            categories=categories,
            fate=fate,
            dps_id=dps_id,
            now=now,
            settings=settings,
        )
        _decide(
            session,
            supplier,
            application=application,
            categories=categories,
            fate=fate,
            dps_id=dps_id,
            officer=officer,
            now=now,
            settings=settings,
        )


def _apply(
    session: Session,
    supplier: Caller,
    *,
    index: int,
    categories: list[str],
    fate: str,
    dps_id: uuid.UUID,
    now: Datetime,
    settings: Settings,
) -> ApplicationOut:
    """The supplier's application with four pieces of evidence, received two (or twenty) days ago."""
    today = helsinki_today(now)
    received = now - timedelta(days=20 if fate == "pending" and index % 2 else 2)
    issued = helsinki_today(received) - timedelta(days=3 + index)
    evidence = [
        EvidenceIn(
            type=code,
            issued_on=issued,
            valid_until=today + timedelta(days=days),
            sha256=sha256_hex(f"{supplier.name}:{code}".encode()),
        )
        for code, days in (
            ("TAX_DEBT", 30 + 6 * index),
            ("TRADE_REGISTER", 80),
            ("PENSION_INSURANCE", 80),
            ("LIABILITY_INSURANCE", 300),
        )
    ]
    return applications.submit_application(
        session,
        caller=supplier,
        dps_id=dps_id,
        now=received,
        settings=settings,
        data=ApplicationIn(categories=categories, evidence=evidence),
    )


def _decide(
    session: Session,
    supplier: Caller,
    *,
    application: ApplicationOut,
    categories: list[str],
    fate: str,
    dps_id: uuid.UUID,
    officer: Caller,
    now: Datetime,
    settings: Settings,
) -> None:
    """The lead officer's decision, then a suspension or an exclusion where the fate says so."""
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
    today = helsinki_today(now)
    admitted = admissions.list_admissions(
        session, caller=officer, dps_id=dps_id, now=now, page=PageRequest(limit=MAX_LIMIT)
    ).items
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
