"""API shapes of authorities, rings and DPSs."""

import uuid
from datetime import date
from typing import Annotated, Literal

import msgspec

MunicipalityCode = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{3}$", description="Statistics Finland code")]
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=300)]
# Names are stored in 200-character columns (authority, ring, evidence type).
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Code = Annotated[str, msgspec.Meta(pattern=r"^[A-Z][A-Z0-9_]{1,39}$")]


class AuthorityIn(msgspec.Struct, forbid_unknown_fields=True):
    """A municipality or an employment area."""

    name: Name
    business_id: Annotated[str, msgspec.Meta(max_length=9)]
    kind: Literal["municipality", "employment_area"]
    municipality_codes: Annotated[list[MunicipalityCode], msgspec.Meta(min_length=1, max_length=400)]
    lead_municipality: MunicipalityCode


class AuthorityOut(msgspec.Struct):
    """An authority."""

    id: uuid.UUID
    name: str
    business_id: str
    kind: str
    municipality_codes: list[str]
    lead_municipality: str


class MemberIn(msgspec.Struct, forbid_unknown_fields=True):
    """A membership period of an authority in a ring."""

    authority_id: uuid.UUID
    valid_from: date
    valid_until: date | None = None


class RingIn(msgspec.Struct, forbid_unknown_fields=True):
    """A ring and its first members (the lead is always a member)."""

    name: Name
    lead_authority_id: uuid.UUID
    valid_from: date
    members: Annotated[list[MemberIn], msgspec.Meta(max_length=200)] = []


class MembershipEndIn(msgspec.Struct, forbid_unknown_fields=True):
    """The last day of a membership."""

    valid_until: date


class MemberOut(msgspec.Struct):
    """A membership period."""

    id: uuid.UUID
    authority_id: uuid.UUID
    authority_name: str
    valid_from: date
    valid_until: date | None


class RingOut(msgspec.Struct):
    """A ring with its memberships."""

    id: uuid.UUID
    name: str
    lead_authority_id: uuid.UUID
    members: list[MemberOut]


class CategoryOut(msgspec.Struct):
    """An outcome category."""

    code: str
    name_fi: str
    name_en: str


class EvidenceTypeIn(msgspec.Struct, forbid_unknown_fields=True):
    """Evidence the DPS requires, and how old it may be."""

    code: Code
    name: Name
    max_age_days: Annotated[int, msgspec.Meta(ge=1, le=3660)]


class DpsIn(msgspec.Struct, forbid_unknown_fields=True):
    """A new DPS of a ring."""

    ring_id: uuid.UUID
    title: Text
    valid_from: date
    valid_until: date
    categories: Annotated[list[Code], msgspec.Meta(min_length=1, max_length=20)]
    evidence_types: Annotated[list[EvidenceTypeIn], msgspec.Meta(max_length=30)] = []


class EvidenceTypeOut(msgspec.Struct):
    """Required evidence."""

    code: str
    name: str
    max_age_days: int


class DpsOut(msgspec.Struct):
    """A DPS."""

    id: uuid.UUID
    ring_id: uuid.UUID
    title: str
    valid_from: date
    valid_until: date
    state: str
    categories: list[str]
    evidence_types: list[EvidenceTypeOut]
