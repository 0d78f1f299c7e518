"""Use cases of the shared kernel: principals and tokens, health."""

import uuid
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from procurement.core import audit
from procurement.core.auth import Caller, create_principal, new_api_token
from procurement.core.errors import Forbidden, InvalidInput, NotFound
from procurement.core.models import ApiToken, Principal
from procurement.core.schemas import PrincipalIn, PrincipalOut, TokenInfo, TokenOut
from procurement.core.tokens import SUPPLIERS_OWN, principal_out, token_info

NO_SUPPLIER_PRINCIPALS = (
    "An admin cannot create a principal that acts as a supplier: suppliers register themselves"
    " (POST /suppliers) and make their own further tokens."
)


def add_principal(session: Session, *, caller: Caller, data: PrincipalIn, now: datetime) -> TokenOut:
    """An admin adds an admin, officer or finance user and receives its first token."""
    caller.require("admin")
    if data.role not in ("admin", "officer", "finance"):
        raise InvalidInput(NO_SUPPLIER_PRINCIPALS, field="role")
    if data.role in ("officer", "finance") and data.authority_id is None:
        raise InvalidInput(
            "Officers and finance users need the authority they act for.", field="authority_id"
        )
    try:
        with session.begin_nested():
            principal = create_principal(
                session,
                role=data.role,
                name=data.name,
                now=now,
                authority_id=data.authority_id if data.role in ("officer", "finance") else None,
            )
    except IntegrityError as exc:
        raise InvalidInput("No authority has that id.", field="authority_id") from exc
    issued = new_api_token(session, principal_id=principal.id, now=now, label="created by admin")
    audit.record(
        session,
        aggregate=("principal", principal.id),
        actor=caller.label,
        action="principal.created",
        at=now,
        after={"role": principal.role, "name": principal.name, "token": issued.id},
    )
    return TokenOut(principal=principal_out(principal), token=issued.token, token_id=issued.id)


def get_principal(session: Session, *, caller: Caller, principal_id: uuid.UUID) -> PrincipalOut:
    """A principal, to an admin or to itself (404 for anyone else)."""
    principal = session.get(Principal, principal_id)
    if principal is None or (caller.role != "admin" and caller.id != principal_id):
        raise NotFound("No principal has that id.")
    return principal_out(principal)


def get_token(session: Session, *, caller: Caller, principal_id: uuid.UUID, token_id: uuid.UUID) -> TokenInfo:
    """A token's label and dates (never its value), to its principal, or to an admin for a staff one."""
    principal = get_principal(session, caller=caller, principal_id=principal_id)
    if caller.id != principal_id and principal.role == "supplier":
        raise Forbidden(SUPPLIERS_OWN)
    row = session.get(ApiToken, token_id)
    if row is None or row.principal_id != principal_id:
        raise NotFound("No token of this principal has that id.")
    return token_info(row, current=caller.token_id)


def add_token(session: Session, *, caller: Caller, principal_id: uuid.UUID, now: datetime) -> TokenOut:
    """An admin issues another token for an admin, officer or finance user (never for a supplier).

    The new token has a fresh holder key: it opens nothing sealed to the principal's earlier tokens.
    """
    caller.require("admin")
    principal = session.get(Principal, principal_id)
    if principal is None:
        raise NotFound("No principal has that id.")
    if principal.role == "supplier":
        raise Forbidden(SUPPLIERS_OWN)
    issued = new_api_token(session, principal_id=principal.id, now=now, label="issued by admin")
    audit.record(
        session,
        aggregate=("principal", principal.id),
        actor=caller.label,
        action="token.issued",
        at=now,
        after={"token": issued.id},
    )
    return TokenOut(principal=principal_out(principal), token=issued.token, token_id=issued.id)


def current_revision(session: Session) -> str | None:
    """The migration the database stands at."""
    row = session.execute(text("SELECT version_num FROM alembic_version")).first()
    return row[0] if row else None
