"""Use cases of suppliers: self-registration and the calling supplier's record."""

from datetime import datetime

from sqlmodel import Session, select

from procurement.core import audit
from procurement.core.auth import Caller, create_principal, issue_token
from procurement.core.errors import Conflict, NotFound
from procurement.ring.rules import valid_business_id
from registry.models import Supplier
from registry.schemas import (
    SupplierIn,
    SupplierOut,
    SupplierRegistered,
)


def supplier_out(s: Supplier) -> SupplierOut:
    """Shape a supplier for itself."""
    return SupplierOut(id=s.id, business_id=s.business_id, name=s.name, contact_email=s.contact_email)


def register_supplier(session: Session, *, data: SupplierIn, now: datetime) -> SupplierRegistered:
    """A provider registers itself and receives its API token once."""
    business_id = valid_business_id(data.business_id)
    if session.exec(select(Supplier).where(Supplier.business_id == business_id)).first() is not None:
        raise Conflict(f"Business id {business_id} is already registered; ask an admin for a new token.")
    supplier = Supplier(
        business_id=business_id, name=data.name, contact_email=data.contact_email, created_at=now
    )
    session.add(supplier)
    principal = create_principal(session, role="supplier", name=data.name, business_id=business_id, now=now)
    token = issue_token(session, principal_id=principal.id, now=now, label="self-registration")
    audit.record(
        session,
        aggregate=("supplier", supplier.id),
        actor=f"supplier:{principal.id}@{business_id}",
        action="supplier.registered",
        at=now,
        after={"business_id": business_id, "name": data.name},
    )
    return SupplierRegistered(supplier=supplier_out(supplier), token=token)


def current_supplier(session: Session, caller: Caller) -> Supplier:
    """The calling supplier's record."""
    caller.require("supplier")
    supplier = session.exec(select(Supplier).where(Supplier.business_id == caller.business_id)).first()
    if supplier is None:
        raise NotFound("Your business id is not registered as a supplier.")
    return supplier
