"""Demo data: the Päijät-Häme ring with a registry to try the product with; loading twice changes nothing."""

import json
import os
import uuid
from datetime import date
from datetime import datetime as Datetime
from pathlib import Path

from sqlmodel import Session, select

from procurement.app.demo import competitions as demo_competitions
from procurement.app.demo import outcomes as demo_outcomes
from procurement.app.demo import registry as demo_registry
from procurement.app.demo.competitions import PAIJAT_HAME
from procurement.app.demo.registry import demo_business_id
from procurement.core.auth import Caller, create_principal, issue_token
from procurement.core.models import Principal
from procurement.core.settings import Settings
from procurement.ring.dps import create_dps, publish_dps
from procurement.ring.rings import create_authority, create_ring
from procurement.ring.schemas import AuthorityIn, DpsIn, EvidenceTypeIn, MemberIn, RingIn

DEMO_ADMIN = "Demo admin"


def load_demo(session: Session, *, data_dir: Path, now: Datetime, settings: Settings) -> dict[str, str]:
    """Create the demo world once; return the demo tokens (kept in the data directory)."""
    tokens_file = data_dir / "demo-tokens.json"
    if session.exec(select(Principal).where(Principal.name == DEMO_ADMIN)).first() is not None:
        return json.loads(tokens_file.read_text()) if tokens_file.exists() else {}
    tokens: dict[str, str] = {}
    officer, dps_id = _ring(session, tokens, now=now)
    demo_registry.load_suppliers(session, tokens, dps_id=dps_id, officer=officer, now=now, settings=settings)
    demo_competitions.load(session, tokens=tokens, now=now, settings=settings)
    demo_outcomes.load_outcomes(session, now=now, settings=settings, tokens=tokens)
    demo_outcomes.load_payments(session, now=now)
    _write_tokens(tokens_file, tokens)
    return tokens


def _ring(session: Session, tokens: dict[str, str], *, now: Datetime) -> tuple[Caller, uuid.UUID]:
    """Lahti and the Päijät-Häme area in one ring, their officers and finance, and the published DPS."""
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
    return officer, dps.id


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


def _write_tokens(path: Path, tokens: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(tokens, handle, indent=2)
