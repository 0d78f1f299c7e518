"""Bearer tokens and principals: who is calling, and which role and tenant they act for."""

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from psycopg.rows import namedtuple_row
from sqlmodel import Session

from procurement.core import holder
from procurement.core.db import driver_connection
from procurement.core.errors import Forbidden, Unauthenticated
from procurement.core.models import ApiToken, Principal

TOKEN_PREFIX = "dpr_"  # noqa: S105 (a public prefix, not a secret)


@dataclass(frozen=True)
class Caller:
    """The authenticated principal of one request."""

    id: uuid.UUID
    role: str
    name: str
    authority_id: uuid.UUID | None = None
    business_id: str | None = None
    # The token this request was authenticated with (named in every audit record).
    token_id: uuid.UUID | None = None
    # The principal's holder key, unwrapped with the presented token (None: a token without one).
    holder_key: bytes | None = field(default=None, repr=False, compare=False)

    @property
    def label(self) -> str:
        """How the audit trail names this caller: the principal, its scope and the token (never the token)."""
        scope = self.business_id or (str(self.authority_id) if self.authority_id else "")
        token = f" token:{self.token_id}" if self.token_id else ""
        return f"{self.role}:{self.id}" + (f"@{scope}" if scope else "") + token

    def require(self, *roles: str) -> None:
        """Refuse (403) unless the caller has one of the roles."""
        if self.role not in roles:
            raise Forbidden(f"This action needs the role {' or '.join(roles)}; you are {self.role}.")


def hash_token(token: str) -> str:
    """Tokens are random 256-bit values, so a plain SHA-256 is a safe stored form."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """A fresh bearer token, shown once."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def create_principal(
    session: Session,
    *,
    role: str,
    name: str,
    now: datetime,
    authority_id: uuid.UUID | None = None,
    business_id: str | None = None,
) -> Principal:
    """Add a principal (the database checks that its scope fits its role)."""
    principal = Principal(
        role=role, name=name, authority_id=authority_id, business_id=business_id, created_at=now
    )
    session.add(principal)
    session.flush()
    return principal


@dataclass(frozen=True)
class IssuedToken:
    """A new token (shown once) and its row's id."""

    token: str = field(repr=False)
    id: uuid.UUID


def new_api_token(
    session: Session,
    *,
    principal_id: uuid.UUID,
    now: datetime,
    label: str = "",
    holder_key: bytes | None = None,
) -> IssuedToken:
    """Create a token carrying the holder key (a fresh one unless the principal passes its own)."""
    token, token_id = new_token(), uuid.uuid4()
    key = holder_key if holder_key is not None else holder.new_key()
    session.add(
        ApiToken(
            id=token_id,
            principal_id=principal_id,
            token_hash=hash_token(token),
            label=label,
            created_at=now,
            holder_key_wrap=holder.wrap(token=token, token_id=token_id, key=key),
            holder_public_key=holder.public_key(key),
        )
    )
    session.flush()
    return IssuedToken(token=token, id=token_id)


def issue_token(session: Session, *, principal_id: uuid.UUID, now: datetime, label: str = "") -> str:
    """Create a token with a fresh holder key for a principal and return it; only its hash is kept."""
    return new_api_token(session, principal_id=principal_id, now=now, label=label).token


def authenticate(session: Session, authorization: str | None) -> Caller | None:
    """Resolve an Authorization header to a caller; None when no header was sent."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Send your API token as 'Authorization: Bearer <token>'.")
    # One plain statement on the session's connection: this runs on every uncached request.
    with driver_connection(session).cursor(row_factory=namedtuple_row) as cursor:
        row: Any = cursor.execute(_PRINCIPAL_BY_HASH, {"hash": hash_token(token.strip())}).fetchone()
    if row is None:
        raise Unauthenticated("The API token is not valid (unknown or revoked).")
    wrapped = row.holder_key_wrap
    key = (
        holder.unwrap(token=token.strip(), token_id=row.token_id, wrapped=bytes(wrapped)) if wrapped else None
    )
    return Caller(
        id=row.id,
        role=row.role,
        name=row.name,
        authority_id=row.authority_id,
        business_id=row.business_id,
        token_id=row.token_id,
        holder_key=key,
    )


_PRINCIPAL_BY_HASH = """
SELECT p.id, p.role, p.name, p.authority_id, p.business_id, t.id AS token_id, t.holder_key_wrap
FROM api_token t JOIN principal p ON p.id = t.principal_id
WHERE t.token_hash = %(hash)s AND t.revoked_at IS NULL
"""


class TokenCache:
    """Recently authenticated tokens, so a burst of requests does not look each one up again.

    Keyed by the token's hash; an entry lives `ttl_s` seconds, so a revoked token stops working
    within that time.
    """

    def __init__(self, *, ttl_s: float = 30.0, max_entries: int = 10_000) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._entries: dict[str, tuple[float, Caller]] = {}

    def get(self, authorization: str) -> Caller | None:
        """The cached caller for an Authorization header, if fresh."""
        entry = self._entries.get(hash_token(authorization))
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, authorization: str, caller: Caller) -> None:
        """Remember a caller for the header."""
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[hash_token(authorization)] = (time.monotonic() + self.ttl_s, caller)

    def forget_token(self, token_id: uuid.UUID) -> None:
        """Drop a revoked token at once in this process (other processes within the TTL)."""
        for header_hash in [h for h, (_, c) in self._entries.items() if c.token_id == token_id]:
            self._entries.pop(header_hash, None)
