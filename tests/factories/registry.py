"""Factories for rings, DPSs, suppliers and admissions (built through the real services where it matters)."""

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session

from procurement.core.auth import create_principal, issue_token
from procurement.core.clock import utc_now
from procurement.ring.models import Dps, DpsCategory, EvidenceType, Ring, RingMembership
from registry.models import Admission, AdmissionStatus, Application, ApplicationCategory, Evidence, Supplier
from tests.factories.core import make_authority, make_token


def business_id(n: int) -> str:
    """The n-th valid Y-tunnus (check digit computed as stdnum does), for tests."""
    base = 1_000_000 + n * 7
    while True:
        digits = f"{base:07d}"
        remainder = sum(int(d) * w for d, w in zip(digits, (7, 9, 10, 5, 8, 4, 2), strict=True)) % 11
        if remainder != 1:
            return f"{digits}-{0 if remainder == 0 else 11 - remainder}"
        base += 1


@dataclass
class RingWorld:
    """A lead authority with an officer, a member authority with an officer, a ring and a published DPS."""

    lead_id: uuid.UUID
    member_id: uuid.UUID
    ring: Ring
    dps: Dps
    lead_officer: str
    member_officer: str
    admin: str


def make_ring_world(
    session: Session,
    *,
    categories: tuple[str, ...] = ("EMPLOYMENT", "COMPETENCE", "INCLUSION"),
    evidence: tuple[tuple[str, int], ...] = (("TAX_DEBT", 90), ("TRADE_REGISTER", 90)),
    published: bool = True,
) -> RingWorld:
    lead = make_authority(
        session, name="Lahden kaupunki", municipality_codes=("398",), lead_municipality="398"
    )
    member = make_authority(
        session,
        name="Päijät-Hämeen työllisyysalue",
        kind="employment_area",
        municipality_codes=("016", "081", "098", "111", "142", "316", "560", "576", "781"),
        lead_municipality="098",
    )
    now = utc_now()
    admin_principal = create_principal(session, role="admin", name="admin", now=now)
    ring = Ring(name="Päijät-Hämeen hankintarengas", lead_authority_id=lead.id, created_at=now)
    session.add(ring)
    session.flush()
    start = date(2025, 1, 1)
    session.add(RingMembership(ring_id=ring.id, authority_id=lead.id, valid_from=start))
    session.add(RingMembership(ring_id=ring.id, authority_id=member.id, valid_from=start))
    dps = Dps(
        ring_id=ring.id,
        title="Työllisyyspalvelujen dynaaminen hankintajärjestelmä",
        valid_from=start,
        valid_until=date(2030, 12, 31),
        state="published" if published else "draft",
        created_by=admin_principal.id,
        created_at=now,
        published_at=now if published else None,
    )
    session.add(dps)
    session.flush()
    session.add_all(DpsCategory(dps_id=dps.id, category_code=c) for c in categories)
    session.add_all(EvidenceType(dps_id=dps.id, code=c, name=c.title(), max_age_days=d) for c, d in evidence)
    session.flush()
    return RingWorld(
        lead_id=lead.id,
        member_id=member.id,
        ring=ring,
        dps=dps,
        lead_officer=make_token(session, role="officer", authority_id=lead.id),
        member_officer=make_token(session, role="officer", authority_id=member.id),
        admin=issue_token(session, principal_id=admin_principal.id, now=now),
    )


def make_supplier(session: Session, *, business_id: str, name: str | None = None) -> tuple[Supplier, str]:
    """A registered supplier and its token."""
    supplier = Supplier(
        business_id=business_id,
        name=name or f"Palvelu {business_id} Oy",
        contact_email="info@example.fi",
        created_at=utc_now(),
    )
    session.add(supplier)
    session.flush()
    return supplier, make_token(session, role="supplier", business_id=business_id, name=supplier.name)


def admit(
    session: Session,
    *,
    dps: Dps,
    supplier: Supplier,
    categories: tuple[str, ...] = ("EMPLOYMENT",),
    evidence_days_left: int = 60,
    state: str = "active",
    suspended_until: date | None = None,
) -> list[Admission]:
    """Admit a supplier directly (decided application, current evidence), for tests that start later."""
    now = utc_now()
    application = Application(
        dps_id=dps.id,
        supplier_id=supplier.id,
        state="admitted",
        received_at=now,
        due_on=now.date(),
        decided_at=now,
    )
    session.add(application)
    session.flush()
    session.add_all(
        ApplicationCategory(
            application_id=application.id,
            category_code=c,
            dps_id=dps.id,
            supplier_id=supplier.id,
            decision="admitted",
        )
        for c in categories
    )
    for code in ("TAX_DEBT", "TRADE_REGISTER"):
        session.add(
            Evidence(
                supplier_id=supplier.id,
                dps_id=dps.id,
                application_id=application.id,
                type_code=code,
                issued_on=now.date() - timedelta(days=5),
                valid_until=now.date() + timedelta(days=evidence_days_left),
                sha256="a" * 64,
                submitted_at=now,
            )
        )
    rows = [
        Admission(
            dps_id=dps.id,
            supplier_id=supplier.id,
            category_code=c,
            application_id=application.id,
            state=state,
            # Admitted a month ago, so a deadline moved just into the past still falls inside the admission.
            admitted_at=now - timedelta(days=30),
            changed_at=now,
            suspended_until=suspended_until,
            suspension_reason="test suspension" if state == "suspended" else None,
            exclusion_reason="test exclusion" if state == "excluded" else None,
        )
        for c in categories
    ]
    session.add_all(rows)
    session.flush()
    # The history the services keep: active from admission, then the state asked for.
    for row in rows:
        if state == "active":
            session.add(
                AdmissionStatus(admission_id=row.id, state="active", valid_from=now - timedelta(days=30))
            )
        else:
            session.add(
                AdmissionStatus(
                    admission_id=row.id, state="active", valid_from=now - timedelta(days=30), valid_to=now
                )
            )
            session.add(
                AdmissionStatus(
                    admission_id=row.id,
                    state=state,
                    valid_from=now,
                    suspended_until=suspended_until,
                    reason=row.suspension_reason or row.exclusion_reason,
                )
            )
    session.flush()
    return rows
