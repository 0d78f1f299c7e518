"""Tables of the ring: authorities, rings and their memberships, DPSs with categories and evidence types."""

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, Column, String
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
