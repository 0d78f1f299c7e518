"""What a supplier sees of its own standing: admissions (with suspensions) and evidence per DPS."""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from procurement.core.auth import Caller
from procurement.core.clock import helsinki_today
from procurement.ring.models import Dps
from registry.admissions import admission_out, evidence_problems_of
from registry.evidence import evidence_out
from registry.models import Admission
from registry.schemas import AdmissionOut, EvidenceOut
from registry.suppliers import current_supplier

EXPIRY_NOTICE_DAYS = 30


@dataclass(frozen=True)
class OwnStanding:
    """One DPS as the supplier stands in it."""

    dps_id: str
    dps_title: str
    admissions: list[AdmissionOut]
    evidence: list[EvidenceOut]
    problems: list[str]  # evidence missing, expired or expiring within EXPIRY_NOTICE_DAYS


def own_standing(session: Session, *, caller: Caller, now: datetime) -> list[OwnStanding]:
    """The calling supplier's admissions and evidence in every published DPS it has dealt with."""
    supplier = current_supplier(session, caller)
    day = helsinki_today(now)
    admitted = session.exec(
        select(Admission).where(Admission.supplier_id == supplier.id).order_by(col(Admission.category_code))
    ).all()
    out = []
    for dps in session.exec(select(Dps).where(Dps.state == "published").order_by(col(Dps.title))):
        mine = [admission_out(a, supplier, on=day) for a in admitted if a.dps_id == dps.id]
        held = evidence_out(session, supplier_id=supplier.id, dps_id=dps.id, application_id=None)
        if not mine and not held:
            continue
        problems = evidence_problems_of(
            session, dps_id=dps.id, supplier_id=supplier.id, on=day, within_days=EXPIRY_NOTICE_DAYS
        )
        out.append(OwnStanding(str(dps.id), dps.title, mine, held, problems if mine else []))
    return out
