"""`dpr token …` and `dpr supplier restore-access`: the operator's side of tokens, audited."""

import uuid
from typing import Annotated

import typer
from sqlmodel import Session, col, select

from procurement.app.cli_common import console, operator, refuse, settings
from procurement.app.database import open_database
from procurement.core import tokens
from procurement.core.clock import utc_now
from procurement.core.errors import DomainError
from procurement.core.models import ApiToken, Principal
from registry.suppliers import restore_access

token_app = typer.Typer(
    help="API tokens: list and revoke (create: `dpr token create`).", no_args_is_help=True
)
supplier_app = typer.Typer(
    help="Suppliers: restore access for one that lost every token.", no_args_is_help=True
)


@token_app.command("list")
def token_list(
    principal_id: Annotated[str | None, typer.Option(help="Only this principal's tokens.")] = None,
    business_id: Annotated[str | None, typer.Option(help="Only this supplier's tokens.")] = None,
    active: Annotated[bool, typer.Option("--active", help="Only tokens not revoked.")] = False,
) -> None:
    """List tokens (never the tokens themselves): id, principal, role, label, created, revoked."""
    query = select(ApiToken, Principal).join(Principal, col(Principal.id) == ApiToken.principal_id)
    try:
        if principal_id:
            query = query.where(Principal.id == uuid.UUID(principal_id))
    except ValueError as exc:
        raise refuse(f"{principal_id!r} is not a principal id (a UUID).") from exc
    if business_id:
        query = query.where(Principal.business_id == business_id)
    if active:
        query = query.where(col(ApiToken.revoked_at).is_(None))
    with open_database(settings()) as engine, Session(engine) as session:
        rows = session.exec(query.order_by(col(ApiToken.created_at), col(ApiToken.id))).all()
    for token, principal in rows:
        scope = principal.business_id or principal.authority_id or ""
        revoked = (
            f"revoked {token.revoked_at.isoformat()} by {token.revoked_by}" if token.revoked_at else "active"
        )
        print(
            f"{token.id}\t{principal.id}\t{principal.role}\t{scope}\t{token.label}\t"
            f"{token.created_at.isoformat()}\t{revoked}"
        )


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[str, typer.Argument(help="The token's id (from `dpr token list`).")],
    reason: Annotated[str, typer.Option(help="Why, for the audit trail.")],
) -> None:
    """Revoke a token now (its browser sessions end too); audited with the operator's name."""
    try:
        wanted = uuid.UUID(token_id)
    except ValueError as exc:
        raise refuse(f"{token_id!r} is not a token id (a UUID).") from exc
    with open_database(settings()) as engine, Session(engine) as session:
        try:
            tokens.revoke(session, token_id=wanted, actor=operator(), now=utc_now(), reason=reason)
        except DomainError as exc:
            raise refuse(exc.detail) from exc
        session.commit()
    print(f"Revoked token {wanted}. Running services stop accepting it within DPR_TOKEN_CACHE_TTL_S.")


@supplier_app.command("restore-access")
def supplier_restore_access(
    business_id: Annotated[str, typer.Argument(help="The supplier's business id (Y-tunnus).")],
    reason: Annotated[
        str, typer.Option(help="How the supplier's identity was checked, for the audit trail.")
    ],
    keep_other_tokens: Annotated[
        bool, typer.Option("--keep-other-tokens", help="Do not revoke the supplier's other tokens.")
    ] = False,
) -> None:
    """Give a supplier that lost every token a new one (printed once). It reads no earlier bid copy."""
    with open_database(settings()) as engine, Session(engine) as session:
        try:
            restored = restore_access(
                session,
                business_id=business_id,
                reason=reason,
                operator=operator(),
                now=utc_now(),
                keep_others=keep_other_tokens,
            )
        except DomainError as exc:
            raise refuse(exc.detail) from exc
        session.commit()
    console.print(
        f"Access restored for {business_id}: token {restored.token_id}; {len(restored.revoked)} other"
        " token(s) revoked. It cannot read copies of bids made before it. The token is shown once:"
    )
    print(restored.token)
