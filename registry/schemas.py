"""API shapes of the registry."""

import uuid
from datetime import date, datetime
from typing import Annotated

import msgspec

Code = Annotated[str, msgspec.Meta(pattern=r"^[A-Z][A-Z0-9_]{1,39}$")]
Reason = Annotated[str, msgspec.Meta(min_length=3, max_length=2000)]
Sha256 = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{64}$", description="lower-case hex SHA-256")]


class SupplierIn(msgspec.Struct, forbid_unknown_fields=True):
    """A supplier registering itself."""

    business_id: Annotated[str, msgspec.Meta(max_length=11, description="Y-tunnus, e.g. 0737546-2")]
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    contact_email: Annotated[str, msgspec.Meta(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)]


class SupplierOut(msgspec.Struct):
    """A supplier as it sees itself."""

    id: uuid.UUID
    business_id: str
    name: str
    contact_email: str


class SupplierRegistered(msgspec.Struct):
    """The new supplier and its API token, shown this once."""

    supplier: SupplierOut
    token: str


class EvidenceIn(msgspec.Struct, forbid_unknown_fields=True):
    """A piece of evidence: its type, dates and the SHA-256 of the document."""

    type: Code
    issued_on: date
    valid_until: date
    sha256: Sha256


class ApplicationIn(msgspec.Struct, forbid_unknown_fields=True):
    """An application to a DPS; after an exclusion from a category, with the supplier's self-cleaning."""

    categories: Annotated[list[Code], msgspec.Meta(min_length=1, max_length=20)]
    evidence: Annotated[list[EvidenceIn], msgspec.Meta(max_length=30)] = []
    self_cleaning: (
        Annotated[
            str,
            msgspec.Meta(
                min_length=3,
                max_length=8000,
                description="after an exclusion: the measures taken since (itsepuhdistautuminen)",
            ),
        ]
        | None
    ) = None


class RenewEvidenceIn(msgspec.Struct, forbid_unknown_fields=True):
    """Renewed evidence for a DPS."""

    dps_id: uuid.UUID
    evidence: Annotated[list[EvidenceIn], msgspec.Meta(min_length=1, max_length=30)]


class ExtendIn(msgspec.Struct, forbid_unknown_fields=True):
    """Why the decision needs more time."""

    reason: Reason


class DecisionIn(msgspec.Struct, forbid_unknown_fields=True):
    """A decision on every category asked for; a reason is required when any is rejected."""

    admit: Annotated[list[Code], msgspec.Meta(max_length=20)] = []
    reject: Annotated[list[Code], msgspec.Meta(max_length=20)] = []
    reason: Annotated[str, msgspec.Meta(max_length=4000)] | None = None


class SuspendIn(msgspec.Struct, forbid_unknown_fields=True):
    """A suspension until a day, with its reason."""

    until: date
    reason: Reason


class ReasonIn(msgspec.Struct, forbid_unknown_fields=True):
    """A reason for a change."""

    reason: Reason


class EvidenceOut(msgspec.Struct):
    """Evidence on file."""

    id: uuid.UUID
    type: str
    issued_on: date
    valid_until: date
    sha256: str
    expires_on: date


class ApplicationCategoryOut(msgspec.Struct):
    """A category asked for and its decision."""

    code: str
    decision: str


class ApplicationOut(msgspec.Struct):
    """An application and where it stands."""

    id: uuid.UUID
    dps_id: uuid.UUID
    supplier_id: uuid.UUID
    supplier_business_id: str
    supplier_name: str
    state: str
    received_at: datetime
    due_on: date
    overdue: bool
    extension_reason: str | None
    decided_at: datetime | None
    decision_reason: str | None
    categories: list[ApplicationCategoryOut]
    evidence: list[EvidenceOut]
    self_cleaning: str | None = None


class AdmissionOut(msgspec.Struct):
    """A supplier's standing in one category of a DPS."""

    id: uuid.UUID
    dps_id: uuid.UUID
    supplier_id: uuid.UUID
    supplier_business_id: str
    supplier_name: str
    category: str
    state: str
    suspended_until: date | None
    reason: str | None


class AdmissionStatusOut(msgspec.Struct):
    """One interval of an admission's history; `valid_to` null while it lasts."""

    state: str
    valid_from: datetime
    valid_to: datetime | None
    suspended_until: date | None
    reason: str | None


class RegisterEntry(msgspec.Struct):
    """One admitted supplier in the public register (no contact data, no evidence)."""

    business_id: str
    name: str
    status: str
    admitted_on: date


class RegisterCategory(msgspec.Struct):
    """The public register of one category."""

    category: str
    suppliers: list[RegisterEntry]


class PublicRegister(msgspec.Struct):
    """The public register of a DPS."""

    dps_id: uuid.UUID
    title: str
    categories: list[RegisterCategory]


class ExpiringEvidence(msgspec.Struct):
    """A supplier whose required evidence is missing, expired or about to expire."""

    supplier_id: uuid.UUID
    business_id: str
    name: str
    problems: list[str]
