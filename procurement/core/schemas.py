"""API shapes of the shared kernel."""

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from procurement.core.text import LINE_PATTERN

Role = Literal["admin", "officer", "finance", "supplier"]
# An admin adds users of the authorities; suppliers register themselves (SPEC 5).
AdminMadeRole = Literal["admin", "officer", "finance"]
Label = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=LINE_PATTERN)]


class PrincipalIn(msgspec.Struct, forbid_unknown_fields=True):
    """A new admin, officer or finance user; officers and finance name their authority."""

    role: AdminMadeRole
    name: Label
    authority_id: uuid.UUID | None = None


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


class TokenIn(msgspec.Struct, forbid_unknown_fields=True):
    """A further token of the calling principal; the label says where it is used."""

    label: Label


class TokenInfo(msgspec.Struct):
    """A token as its principal (or an admin) sees it: never the token or its hash."""

    id: uuid.UUID
    principal_id: uuid.UUID
    label: str
    created_at: datetime
    revoked_at: datetime | None
    revoked_by: str | None
    current: bool


class Health(msgspec.Struct, omit_defaults=True):
    """Service health: `degraded` when the read replica is configured but unavailable or not a standby."""

    status: str
    database: str
    migrations: str
    # Only with DPR_READ_DATABASE_URL: `ok`, `unavailable` or `not_in_recovery`; seconds and bytes behind.
    replica: str | None = None
    replica_lag_s: float | None = None
    replica_behind_bytes: int | None = None
