"""Tokens a principal holds: listed and revoked by the principal itself (and by an admin for staff)."""

import uuid
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from procurement.core import audit
from procurement.core.auth import Caller, new_api_token
from procurement.core.errors import Forbidden, NotFound
from procurement.core.models import ApiToken, Principal, WebSession
from procurement.core.schemas import PrincipalOut, TokenInfo, TokenOut

SUPPLIERS_OWN = (
    "A supplier's tokens are its own: it makes and revokes them itself (POST /me/tokens); one that has"
    " lost every token is helped by the service's operator on the server."
)


def principal_out(p: Principal) -> PrincipalOut:
    """Shape a principal for the API."""
    return PrincipalOut(
        id=p.id, role=p.role, name=p.name, authority_id=p.authority_id, business_id=p.business_id
    )


def token_info(token: ApiToken, *, current: uuid.UUID | None) -> TokenInfo:
    return TokenInfo(
        id=token.id,
        principal_id=token.principal_id,
        label=token.label,
        created_at=token.created_at,
        revoked_at=token.revoked_at,
        revoked_by=token.revoked_by,
        current=token.id == current,
    )


def tokens_of(
    session: Session, *, principal_id: uuid.UUID, current: uuid.UUID | None = None
) -> list[TokenInfo]:
    """Every token of a principal, newest first (revoked ones too, for the record)."""
    rows = session.exec(
        select(ApiToken)
        .where(ApiToken.principal_id == principal_id)
        .order_by(col(ApiToken.created_at).desc(), col(ApiToken.id))
    ).all()
    return [token_info(t, current=current) for t in rows]


def own_tokens(session: Session, *, caller: Caller) -> list[TokenInfo]:
    """The calling principal's tokens; the one this request used is marked current."""
    return tokens_of(session, principal_id=caller.id, current=caller.token_id)


def add_own_token(session: Session, *, caller: Caller, label: str, now: datetime) -> TokenOut:
    """A further token of the caller's own, sharing its holder key (it opens what the caller's opens)."""
    principal = session.get(Principal, caller.id)
    if principal is None:
        raise NotFound("Your principal no longer exists.")
    issued = new_api_token(
        session, principal_id=caller.id, now=now, label=label, holder_key=caller.holder_key
    )
    audit.record(
        session,
        aggregate=("principal", caller.id),
        actor=caller.label,
        action="token.created",
        at=now,
        after={"token": issued.id, "label": label, "inherits_holder_key": caller.holder_key is not None},
    )
    return TokenOut(principal=principal_out(principal), token=issued.token, token_id=issued.id)


def revoke(session: Session, *, token_id: uuid.UUID, actor: str, now: datetime, reason: str = "") -> ApiToken:
    """Revoke a token now: its wrap of the holder key is erased and its browser sessions end."""
    token = session.exec(select(ApiToken).where(ApiToken.id == token_id).with_for_update()).first()
    if token is None:
        raise NotFound("No token has that id.")
    if token.revoked_at is not None:
        return token
    token.revoked_at, token.revoked_by, token.holder_key_wrap = now, actor, None
    session.add(token)
    session.execute(
        update(WebSession)
        .where(col(WebSession.token_id) == token_id, col(WebSession.ended_at).is_(None))
        .values(ended_at=now, end_reason="token revoked", holder_key_wrap=None)
    )
    audit.record(
        session,
        aggregate=("principal", token.principal_id),
        actor=actor,
        action="token.revoked",
        at=now,
        after={"token": token.id, "label": token.label, "reason": reason},
    )
    return token


def revoke_own(session: Session, *, caller: Caller, token_id: uuid.UUID, now: datetime) -> TokenInfo:
    """The caller revokes one of its own tokens (the one in use too: the request still completes)."""
    owned = session.get(ApiToken, token_id)
    if owned is None or owned.principal_id != caller.id:
        raise NotFound("No token of yours has that id.")
    return token_info(
        revoke(session, token_id=token_id, actor=caller.label, now=now), current=caller.token_id
    )


def _staff_principal(session: Session, *, caller: Caller, principal_id: uuid.UUID) -> Principal:
    caller.require("admin")
    principal = session.get(Principal, principal_id)
    if principal is None:
        raise NotFound("No principal has that id.")
    if principal.role == "supplier":
        raise Forbidden(SUPPLIERS_OWN)
    return principal


def staff_tokens(session: Session, *, caller: Caller, principal_id: uuid.UUID) -> list[TokenInfo]:
    """An admin lists the tokens of an admin, officer or finance user."""
    principal = _staff_principal(session, caller=caller, principal_id=principal_id)
    return tokens_of(session, principal_id=principal.id, current=caller.token_id)


def revoke_staff_token(
    session: Session, *, caller: Caller, principal_id: uuid.UUID, token_id: uuid.UUID, now: datetime
) -> TokenInfo:
    """An admin revokes a token of an admin, officer or finance user (never a supplier's)."""
    principal = _staff_principal(session, caller=caller, principal_id=principal_id)
    owned = session.get(ApiToken, token_id)
    if owned is None or owned.principal_id != principal.id:
        raise NotFound("That principal has no token with that id.")
    return token_info(
        revoke(session, token_id=token_id, actor=caller.label, now=now), current=caller.token_id
    )


def officer_holder_keys(session: Session, *, authority_id: uuid.UUID) -> dict[bytes, uuid.UUID]:
    """The holder public keys of the authority's officers' active tokens, with the officer holding each."""
    rows = session.exec(
        select(ApiToken.holder_public_key, Principal.id)
        .join(Principal, col(Principal.id) == ApiToken.principal_id)
        .where(
            Principal.role == "officer",
            Principal.authority_id == authority_id,
            col(ApiToken.revoked_at).is_(None),
            col(ApiToken.holder_public_key).is_not(None),
        )
        .order_by(col(ApiToken.created_at), col(ApiToken.id))
    ).all()
    return {bytes(key): principal_id for key, principal_id in rows if key is not None}
