"""Use cases of suppliers: self-registration and the calling supplier's record."""

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from procurement.core import audit, tokens
from procurement.core.auth import Caller, create_principal, new_api_token
from procurement.core.errors import Conflict, NotFound
from procurement.core.models import ApiToken, Principal
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
        raise Conflict(
            f"Business id {business_id} is already registered. Make a further token with one you hold"
            " (POST /me/tokens); if every token is lost, the service's operator restores access on the"
            " server (no admin can)."
        )
    supplier = Supplier(
        business_id=business_id, name=data.name, contact_email=data.contact_email, created_at=now
    )
    session.add(supplier)
    principal = create_principal(session, role="supplier", name=data.name, business_id=business_id, now=now)
    issued = new_api_token(session, principal_id=principal.id, now=now, label="self-registration")
    audit.record(
        session,
        aggregate=("supplier", supplier.id),
        actor=f"supplier:{principal.id}@{business_id} token:{issued.id}",
        action="supplier.registered",
        at=now,
        after={"business_id": business_id, "name": data.name},
    )
    return SupplierRegistered(supplier=supplier_out(supplier), token=issued.token)


@dataclass(frozen=True)
class RestoredAccess:
    """The operator's new token for a supplier (shown once) and the tokens it revoked."""

    principal_id: uuid.UUID
    token: str = field(repr=False)
    token_id: uuid.UUID
    revoked: tuple[uuid.UUID, ...]


def restore_access(
    session: Session,
    *,
    business_id: str,
    reason: str,
    operator: str,
    now: datetime,
    keep_others: bool = False,
) -> RestoredAccess:
    """The operator gives a supplier that lost its tokens a new one, audited on the supplier's chain.

    The new token gets a fresh holder key, so it reads no copy of a bid made before it; every other
    token of the supplier is revoked (it may have been lost to someone else) unless asked to keep them.
    """
    supplier = session.exec(select(Supplier).where(Supplier.business_id == business_id)).first()
    if supplier is None:
        raise NotFound(f"Business id {business_id} is not registered as a supplier.")
    principal = session.exec(
        select(Principal)
        .where(Principal.role == "supplier", Principal.business_id == business_id)
        .order_by(col(Principal.created_at), col(Principal.id))
    ).first()
    if principal is None:
        principal = create_principal(
            session, role="supplier", name=supplier.name, business_id=business_id, now=now
        )
    revoked: list[uuid.UUID] = []
    if not keep_others:
        active = session.exec(
            select(ApiToken.id)
            .join(Principal, col(Principal.id) == ApiToken.principal_id)
            .where(Principal.business_id == business_id, col(ApiToken.revoked_at).is_(None))
        ).all()
        for token_id in active:
            tokens.revoke(
                session, token_id=token_id, actor=operator, now=now, reason=f"access restored: {reason}"
            )
            revoked.append(token_id)
    issued = new_api_token(session, principal_id=principal.id, now=now, label="restored by the operator")
    audit.record(
        session,
        aggregate=("supplier", supplier.id),
        actor=operator,
        action="supplier.access_restored",
        at=now,
        after={"principal": principal.id, "token": issued.id, "revoked": revoked, "reason": reason},
    )
    return RestoredAccess(principal.id, issued.token, issued.id, tuple(revoked))


def current_supplier(session: Session, caller: Caller) -> Supplier:
    """The calling supplier's record."""
    caller.require("supplier")
    supplier = session.exec(select(Supplier).where(Supplier.business_id == caller.business_id)).first()
    if supplier is None:
        raise NotFound("Your business id is not registered as a supplier.")
    return supplier
