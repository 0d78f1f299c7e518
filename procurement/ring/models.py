"""Tables of the ring: authorities, rings and their memberships, DPSs with categories and evidence types."""

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Field, SQLModel

from procurement.core.columns import moment


class Authority(SQLModel, table=True):
    """A municipality or an employment area (with its lead municipality) that buys services."""

    __tablename__ = "authority"
    __table_args__ = (
        CheckConstraint("kind IN ('municipality', 'employment_area')", name="authority_kind"),
        # Municipality codes are Statistics Finland's three digits.
        CheckConstraint("lead_municipality ~ '^[0-9]{3}$'", name="authority_lead_municipality_code"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(max_length=200)
    business_id: str = Field(max_length=9, unique=True)
    kind: str = Field(max_length=20)
    municipality_codes: list[str] = Field(sa_column=Column(ARRAY(String(3)), nullable=False))
    lead_municipality: str = Field(max_length=3)
    created_at: datetime = Field(sa_column=moment())


class Ring(SQLModel, table=True):
    """Authorities that share one registry, founded and led by one of them."""

    __tablename__ = "ring"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(max_length=200)
    lead_authority_id: uuid.UUID = Field(foreign_key="authority.id")
    created_at: datetime = Field(sa_column=moment())


class RingMembership(SQLModel, table=True):
    """An authority's membership of a ring over a period; membership changes over time."""

    __tablename__ = "ring_membership"
    __table_args__ = (
        CheckConstraint("valid_until IS NULL OR valid_until >= valid_from", name="ring_membership_period"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    ring_id: uuid.UUID = Field(foreign_key="ring.id", index=True)
    authority_id: uuid.UUID = Field(foreign_key="authority.id", index=True)
    valid_from: date
    valid_until: date | None = None


class Category(SQLModel, table=True):
    """An outcome category of the registry (data, not code: seeded with the three of the plans)."""

    __tablename__ = "category"

    code: str = Field(primary_key=True, max_length=20)
    name_fi: str = Field(max_length=200)
    name_en: str = Field(max_length=200)
    position: int


class Dps(SQLModel, table=True):
    """A dynamic purchasing system (the registry) of a ring, open for applications while valid."""

    __tablename__ = "dps"
    __table_args__ = (
        CheckConstraint("state IN ('draft', 'published')", name="dps_state"),
        CheckConstraint("valid_until > valid_from", name="dps_validity"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    ring_id: uuid.UUID = Field(foreign_key="ring.id", index=True)
    title: str = Field(max_length=300)
    valid_from: date
    valid_until: date
    state: str = Field(default="draft", max_length=16)
    created_by: uuid.UUID = Field(foreign_key="principal.id")
    created_at: datetime = Field(sa_column=moment())
    published_at: datetime | None = Field(default=None, sa_column=moment(nullable=True))


class DpsCategory(SQLModel, table=True):
    """A category offered by a DPS."""

    __tablename__ = "dps_category"

    dps_id: uuid.UUID = Field(foreign_key="dps.id", primary_key=True)
    category_code: str = Field(foreign_key="category.code", primary_key=True, max_length=20)


class EvidenceType(SQLModel, table=True):
    """A piece of evidence a DPS requires of applicants, with its maximum age."""

    __tablename__ = "evidence_type"
    __table_args__ = (
        UniqueConstraint("dps_id", "code", name="evidence_type_code_per_dps"),
        CheckConstraint("max_age_days > 0", name="evidence_type_max_age"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    dps_id: uuid.UUID = Field(foreign_key="dps.id", index=True)
    code: str = Field(max_length=40)
    name: str = Field(max_length=200)
    max_age_days: int
