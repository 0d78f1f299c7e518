"""Use cases of the shared kernel: principals and tokens, health."""

import uuid
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from procurement.core import audit
from procurement.core.auth import Caller, create_principal, hash_token, issue_token
from procurement.core.errors import InvalidInput, NotFound
from procurement.core.models import ApiToken, Principal
from procurement.core.schemas import PrincipalIn, PrincipalOut, TokenInfo, TokenOut


def principal_out(p: Principal) -> PrincipalOut:
    """Shape a principal for the API."""
    return PrincipalOut(
        id=p.id, role=p.role, name=p.name, authority_id=p.authority_id, business_id=p.business_id
    )


def add_principal(session: Session, *, caller: Caller, data: PrincipalIn, now: datetime) -> TokenOut:
    """An admin adds a principal and receives its first token."""
    caller.require("admin")
    if data.role in ("officer", "finance") and data.authority_id is None:
        raise InvalidInput(
            "Officers and finance users need the authority they act for.", field="authority_id"
        )
    if data.role == "supplier" and data.business_id is None:
        raise InvalidInput("Supplier principals need their business id (Y-tunnus).", field="business_id")
    try:
        with session.begin_nested():
            principal = create_principal(
                session,
                role=data.role,
                name=data.name,
                now=now,
                authority_id=data.authority_id if data.role in ("officer", "finance") else None,
                business_id=data.business_id if data.role == "supplier" else None,
            )
    except IntegrityError as exc:
        raise InvalidInput("No authority has that id.", field="authority_id") from exc
    token = issue_token(session, principal_id=principal.id, now=now, label="created by admin")
    audit.record(
        session,
        aggregate=("principal", principal.id),
        actor=caller.label,
        action="principal.created",
        at=now,
        after={"role": principal.role, "name": principal.name},
    )
    return TokenOut(principal=principal_out(principal), token=token, token_id=_token_id(session, token))


def _token_id(session: Session, token: str) -> uuid.UUID:
    return session.exec(select(ApiToken.id).where(ApiToken.token_hash == hash_token(token))).one()


def get_principal(session: Session, *, caller: Caller, principal_id: uuid.UUID) -> PrincipalOut:
    """A principal, to an admin or to itself (404 for anyone else)."""
    principal = session.get(Principal, principal_id)
    if principal is None or (caller.role != "admin" and caller.id != principal_id):
        raise NotFound("No principal has that id.")
    return principal_out(principal)


def get_token(session: Session, *, caller: Caller, principal_id: uuid.UUID, token_id: uuid.UUID) -> TokenInfo:
    """A token's label and dates (never its value), to an admin or to its principal."""
    get_principal(session, caller=caller, principal_id=principal_id)
    row = session.get(ApiToken, token_id)
    if row is None or row.principal_id != principal_id:
        raise NotFound("No token of this principal has that id.")
    return TokenInfo(
        id=row.id,
        principal_id=row.principal_id,
        label=row.label,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


def add_token(session: Session, *, caller: Caller, principal_id: uuid.UUID, now: datetime) -> TokenOut:
    """An admin issues another token for an existing principal."""
    caller.require("admin")
    principal = session.get(Principal, principal_id)
    if principal is None:
        raise NotFound("No principal has that id.")
    token = issue_token(session, principal_id=principal.id, now=now, label="issued by admin")
    audit.record(
        session,
        aggregate=("principal", principal.id),
        actor=caller.label,
        action="token.issued",
        at=now,
    )
    return TokenOut(principal=principal_out(principal), token=token, token_id=_token_id(session, token))


def current_revision(session: Session) -> str | None:
    """The migration the database stands at."""
    row = session.execute(text("SELECT version_num FROM alembic_version")).first()
    return row[0] if row else None
