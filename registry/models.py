"""Tables of the registry: suppliers, their applications and evidence, and admissions per category."""

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Index, LargeBinary, text
from sqlmodel import Column, Field, SQLModel

from procurement.core.columns import moment


class Supplier(SQLModel, table=True):
    """A service provider, identified by its business id (Y-tunnus)."""

    __tablename__ = "supplier"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    business_id: str = Field(max_length=9, unique=True)
    name: str = Field(max_length=200)
    contact_email: str = Field(max_length=254)
    created_at: datetime = Field(sa_column=moment())


class Application(SQLModel, table=True):
    """A request to participate in a DPS for one or more categories."""

    __tablename__ = "application"
    __table_args__ = (
        CheckConstraint(
            "state IN ('submitted', 'extended', 'admitted', 'partially_admitted', 'rejected', 'withdrawn')",
            name="application_state",
        ),
        # An extension is granted once and always carries its reason.
        CheckConstraint(
            "(state = 'extended') <= (extension_reason IS NOT NULL)", name="application_extension"
        ),
        Index(
            "application_pending_due", "due_on", postgresql_where=text("state IN ('submitted', 'extended')")
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    dps_id: uuid.UUID = Field(foreign_key="dps.id", index=True)
    supplier_id: uuid.UUID = Field(foreign_key="supplier.id", index=True)
    state: str = Field(default="submitted", max_length=20)
    received_at: datetime = Field(sa_column=moment())
    due_on: date
    extension_reason: str | None = Field(default=None, max_length=2000)
    decided_at: datetime | None = Field(default=None, sa_column=moment(nullable=True))
    decided_by: uuid.UUID | None = Field(default=None, foreign_key="principal.id")
    decision_reason: str | None = Field(default=None, max_length=4000)
    # An excluded supplier applying again says how it cleaned itself up (itsepuhdistautuminen).
    self_cleaning: str | None = Field(default=None, max_length=8000)


class ApplicationCategory(SQLModel, table=True):
    """One category asked for in an application, and its decision."""

    __tablename__ = "application_category"
    __table_args__ = (
        CheckConstraint(
            "decision IN ('pending', 'admitted', 'rejected', 'withdrawn')", name="application_cat_dec"
        ),
        # One pending request per supplier, DPS and category: a second would be decided twice.
        Index(
            "application_category_one_pending",
            "dps_id",
            "supplier_id",
            "category_code",
            unique=True,
            postgresql_where=text("decision = 'pending'"),
        ),
    )

    application_id: uuid.UUID = Field(foreign_key="application.id", primary_key=True)
    category_code: str = Field(foreign_key="category.code", primary_key=True, max_length=20)
    dps_id: uuid.UUID = Field(foreign_key="dps.id")
    supplier_id: uuid.UUID = Field(foreign_key="supplier.id")
    decision: str = Field(default="pending", max_length=12)


class Evidence(SQLModel, table=True):
    """A document a supplier holds for a DPS (tax-debt certificate, trade-register extract…)."""

    __tablename__ = "evidence"
    __table_args__ = (
        CheckConstraint("valid_until >= issued_on", name="evidence_validity"),
        CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name="evidence_sha256_hex"),
        Index("evidence_current", "supplier_id", "dps_id", "type_code", "issued_on"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    supplier_id: uuid.UUID = Field(foreign_key="supplier.id")
    dps_id: uuid.UUID = Field(foreign_key="dps.id")
    application_id: uuid.UUID | None = Field(default=None, foreign_key="application.id")
    type_code: str = Field(max_length=40)
    issued_on: date
    valid_until: date
    sha256: str = Field(max_length=64)
    document: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    submitted_at: datetime = Field(sa_column=moment())


class Admission(SQLModel, table=True):
    """A supplier admitted to a DPS category: active, suspended until a date, or excluded (for good)."""

    __tablename__ = "admission"
    __table_args__ = (
        # One admission in force per supplier and category; an excluded one may be followed by a new one.
        Index(
            "admission_one_in_force",
            "dps_id",
            "supplier_id",
            "category_code",
            unique=True,
            postgresql_where=text("state <> 'excluded'"),
        ),
        CheckConstraint("state IN ('active', 'suspended', 'excluded')", name="admission_state"),
        # A suspension always says why and until when.
        CheckConstraint(
            "(state = 'suspended') = (suspended_until IS NOT NULL AND suspension_reason IS NOT NULL)",
            name="admission_suspension",
        ),
        CheckConstraint("(state = 'excluded') <= (exclusion_reason IS NOT NULL)", name="admission_exclusion"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    dps_id: uuid.UUID = Field(foreign_key="dps.id", index=True)
    supplier_id: uuid.UUID = Field(foreign_key="supplier.id", index=True)
    category_code: str = Field(foreign_key="category.code", max_length=20)
    application_id: uuid.UUID = Field(foreign_key="application.id")
    state: str = Field(default="active", max_length=12)
    admitted_at: datetime = Field(sa_column=moment())
    suspended_until: date | None = None
    suspension_reason: str | None = Field(default=None, max_length=2000)
    exclusion_reason: str | None = Field(default=None, max_length=2000)
    changed_at: datetime = Field(sa_column=moment())


class AdmissionStatus(SQLModel, table=True):
    """One interval of an admission's history: who held which status from when to when (never rewritten)."""

    __tablename__ = "admission_status"
    __table_args__ = (
        CheckConstraint("state IN ('active', 'suspended', 'excluded')", name="admission_status_state"),
        # A suspension interval says until which day it lasts; no other interval does.
        CheckConstraint(
            "(state = 'suspended') = (suspended_until IS NOT NULL)", name="admission_status_until"
        ),
        # An interval ends after it starts; an open one (valid_to NULL) is the admission's current status.
        CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="admission_status_interval"),
        # One current status per admission: a change closes the open interval before it opens the next.
        Index(
            "admission_status_current", "admission_id", unique=True, postgresql_where=text("valid_to IS NULL")
        ),
        Index("admission_status_from", "admission_id", "valid_from"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    admission_id: uuid.UUID = Field(foreign_key="admission.id")
    state: str = Field(max_length=12)
    valid_from: datetime = Field(sa_column=moment())
    valid_to: datetime | None = Field(default=None, sa_column=moment(nullable=True))
    suspended_until: date | None = None
    reason: str | None = Field(default=None, max_length=2000)
