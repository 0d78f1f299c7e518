"""Factories for principals, tokens and authorities."""

import uuid

from sqlmodel import Session

from procurement.core.auth import create_principal, issue_token
from procurement.core.clock import utc_now
from procurement.ring.models import Authority


def make_authority(
    session: Session,
    *,
    name: str = "Lahden kaupunki",
    business_id: str | None = None,
    kind: str = "municipality",
    municipality_codes: tuple[str, ...] = ("398",),
    lead_municipality: str = "398",
) -> Authority:
    authority = Authority(
        name=name,
        business_id=business_id or f"{uuid.uuid4().int % 10_000_000:07d}-{uuid.uuid4().int % 10}",
        kind=kind,
        municipality_codes=list(municipality_codes),
        lead_municipality=lead_municipality,
        created_at=utc_now(),
    )
    session.add(authority)
    session.flush()
    return authority


def make_token(
    session: Session,
    *,
    role: str,
    name: str | None = None,
    authority_id: uuid.UUID | None = None,
    business_id: str | None = None,
) -> str:
    """A principal of the role and its bearer token."""
    principal = create_principal(
        session,
        role=role,
        name=name or f"test {role}",
        now=utc_now(),
        authority_id=authority_id,
        business_id=business_id,
    )
    return issue_token(session, principal_id=principal.id, now=utc_now())


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
