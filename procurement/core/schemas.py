"""API shapes of the shared kernel."""

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

Role = Literal["admin", "officer", "finance", "supplier"]


class PrincipalIn(msgspec.Struct, forbid_unknown_fields=True):
    """A new principal; officers and finance name their authority, suppliers their business id."""

    role: Role
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    authority_id: uuid.UUID | None = None
    business_id: Annotated[str, msgspec.Meta(pattern=r"^\d{7}-\d$")] | None = None


class PrincipalOut(msgspec.Struct):
    """A principal as the API shows it."""

    id: uuid.UUID
    role: str
    name: str
    authority_id: uuid.UUID | None
    business_id: str | None


class TokenOut(msgspec.Struct):
    """A token, shown this once."""

    principal: PrincipalOut
    token: str
    token_id: uuid.UUID


class TokenInfo(msgspec.Struct):
    """A token as it can be read later: never its value."""

    id: uuid.UUID
    principal_id: uuid.UUID
    label: str
    created_at: datetime
    revoked_at: datetime | None


class Health(msgspec.Struct):
    """Service health."""

    status: str
    database: str
    migrations: str
