"""Evidence of a supplier for a DPS: checked against the DPS's evidence types, stored, renewed, shown."""

import uuid
from collections.abc import Sequence
from datetime import date, datetime

from sqlmodel import Session, col, select

from procurement.core import audit
from procurement.core.auth import Caller
from procurement.core.clock import helsinki_today
from procurement.core.errors import InvalidInput
from procurement.ring.dps import evidence_types_of
from procurement.ring.models import Dps, EvidenceType
from registry import rules
from registry.models import Evidence, Supplier
from registry.schemas import (
    EvidenceIn,
    EvidenceOut,
)
from registry.suppliers import current_supplier


def check_evidence(
    items: list[EvidenceIn], *, types: dict[str, EvidenceType], today: date, field: str
) -> None:
    seen: set[str] = set()
    for i, item in enumerate(items):
        where = f"{field}[{i}]"
        kind = types.get(item.type)
        if kind is None:
            raise InvalidInput(
                f"This DPS asks for no evidence of type '{item.type}'; "
                f"it asks for {', '.join(sorted(types)) or 'none'}.",
                field=f"{where}.type",
            )
        if item.type in seen:
            raise InvalidInput(f"Evidence of type '{item.type}' is given twice.", field=f"{where}.type")
        seen.add(item.type)
        if item.issued_on > today:
            raise InvalidInput("The evidence cannot be issued in the future.", field=f"{where}.issued_on")
        if item.valid_until < today:
            raise InvalidInput(
                f"The evidence expired on {item.valid_until.isoformat()}; send a current document.",
                field=f"{where}.valid_until",
            )
        fact = rules.EvidenceFact(item.type, item.issued_on, item.valid_until, kind.max_age_days)
        if fact.expires_on < today:
            raise InvalidInput(
                f"'{item.type}' may be at most {kind.max_age_days} days old; this one was issued on "
                f"{item.issued_on.isoformat()}.",
                field=f"{where}.issued_on",
            )


def store_evidence(
    session: Session,
    *,
    supplier: Supplier,
    dps: Dps,
    application_id: uuid.UUID | None,
    items: list[EvidenceIn],
    now: datetime,
) -> None:
    session.add_all(
        Evidence(
            supplier_id=supplier.id,
            dps_id=dps.id,
            application_id=application_id,
            type_code=item.type,
            issued_on=item.issued_on,
            valid_until=item.valid_until,
            sha256=item.sha256,
            submitted_at=now,
        )
        for item in items
    )


def renew_evidence(
    session: Session, *, caller: Caller, dps_id: uuid.UUID, items: list[EvidenceIn], now: datetime
) -> list[EvidenceOut]:
    """A supplier files newer evidence for a DPS; the newest of each type counts."""
    supplier = current_supplier(session, caller)
    dps = session.get(Dps, dps_id)
    if dps is None or dps.state == "draft":
        raise InvalidInput("No published DPS has that id.", field="dps_id")
    types = {t.code: t for t in evidence_types_of(session, dps.id)}
    check_evidence(items, types=types, today=helsinki_today(now), field="evidence")
    store_evidence(session, supplier=supplier, dps=dps, application_id=None, items=items, now=now)
    session.flush()
    audit.record(
        session,
        aggregate=("supplier", supplier.id),
        actor=caller.label,
        action="evidence.renewed",
        at=now,
        after={"dps": dps.id, "types": [i.type for i in items]},
    )
    return evidence_out(session, supplier_id=supplier.id, dps_id=dps.id, application_id=None)


def evidence_out(
    session: Session, *, supplier_id: uuid.UUID, dps_id: uuid.UUID, application_id: uuid.UUID | None
) -> list[EvidenceOut]:
    query = select(Evidence, EvidenceType).join(
        EvidenceType,
        (col(EvidenceType.dps_id) == Evidence.dps_id) & (col(EvidenceType.code) == Evidence.type_code),
    )
    query = query.where(Evidence.supplier_id == supplier_id, Evidence.dps_id == dps_id)
    if application_id is not None:
        query = query.where(Evidence.application_id == application_id)
    rows = session.exec(query.order_by(col(Evidence.type_code), col(Evidence.issued_on))).all()
    return _outs(rows)


def evidence_of_applications(
    session: Session, application_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[EvidenceOut]]:
    """The evidence filed with each of these applications, read in one statement."""
    query = select(Evidence, EvidenceType).join(
        EvidenceType,
        (col(EvidenceType.dps_id) == Evidence.dps_id) & (col(EvidenceType.code) == Evidence.type_code),
    )
    rows = session.exec(
        query.where(col(Evidence.application_id).in_(application_ids)).order_by(
            col(Evidence.type_code), col(Evidence.issued_on)
        )
    ).all()
    grouped: dict[uuid.UUID, list[tuple[Evidence, EvidenceType]]] = {a: [] for a in application_ids}
    for e, t in rows:
        if e.application_id is not None:
            grouped[e.application_id].append((e, t))
    return {a: _outs(r) for a, r in grouped.items()}


def _outs(rows: Sequence[tuple[Evidence, EvidenceType]]) -> list[EvidenceOut]:
    return [
        EvidenceOut(
            id=e.id,
            type=e.type_code,
            issued_on=e.issued_on,
            valid_until=e.valid_until,
            sha256=e.sha256,
            expires_on=rules.EvidenceFact(e.type_code, e.issued_on, e.valid_until, t.max_age_days).expires_on,
        )
        for e, t in rows
    ]
