"""Tables of the award decision's remedies: stored documents, deliveries, rectification requests, appeals."""

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column, Index, LargeBinary, Text, text
from sqlmodel import Field, SQLModel

from procurement.core.columns import moment


class DecisionDocument(SQLModel, table=True):
    """One rendering (PDF and HTML, in one language) of an award or rectification decision; never changed."""

    __tablename__ = "decision_document"
    __table_args__ = (
        CheckConstraint("kind IN ('award', 'rectification')", name="decision_document_kind"),
        # A rectification decision's document names its request; an award decision's names none.
        CheckConstraint(
            "(kind = 'rectification') = (rectification_id IS NOT NULL)", name="decision_document_subject"
        ),
        CheckConstraint("lang IN ('fi', 'en')", name="decision_document_lang"),
        CheckConstraint("pdf_sha256 ~ '^[0-9a-f]{64}$'", name="decision_document_pdf_sha256"),
        CheckConstraint("html_sha256 ~ '^[0-9a-f]{64}$'", name="decision_document_html_sha256"),
        CheckConstraint("pages >= 1", name="decision_document_pages"),
        # One rendering per decision and language.
        Index(
            "decision_document_once",
            "award_id",
            "kind",
            text("coalesce(rectification_id, '00000000-0000-0000-0000-000000000000'::uuid)"),
            "lang",
            unique=True,
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    competition_id: uuid.UUID = Field(foreign_key="competition.id", index=True)
    award_id: uuid.UUID = Field(foreign_key="award_decision.id")
    rectification_id: uuid.UUID | None = Field(default=None, foreign_key="rectification_request.id")
    kind: str = Field(max_length=16)
    lang: str = Field(max_length=2)
    created_at: datetime = Field(sa_column=moment())
    pages: int
    pdf: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    pdf_sha256: str = Field(max_length=64)
    html: str = Field(sa_column=Column(Text, nullable=False))
    html_sha256: str = Field(max_length=64)


class DecisionDelivery(SQLModel, table=True):
    """The moment a decision was made available to one bidder in its inbox (electronic notification)."""

    __tablename__ = "decision_delivery"
    __table_args__ = (
        # One delivery per bidder of each decision (the award's, or a rectification decision's).
        Index(
            "decision_delivery_once",
            "award_id",
            text("coalesce(rectification_id, '00000000-0000-0000-0000-000000000000'::uuid)"),
            "supplier_id",
            unique=True,
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    award_id: uuid.UUID = Field(foreign_key="award_decision.id", index=True)
    rectification_id: uuid.UUID | None = Field(default=None, foreign_key="rectification_request.id")
    supplier_id: uuid.UUID = Field(foreign_key="supplier.id", index=True)
    made_available_at: datetime = Field(sa_column=moment())
    first_read_at: datetime | None = Field(default=None, sa_column=moment(nullable=True))


class RectificationRequest(SQLModel, table=True):
    """A bidder's request for rectification (hankintaoikaisu) of an award decision, and its decision."""

    __tablename__ = "rectification_request"
    __table_args__ = (
        CheckConstraint("state IN ('filed', 'upheld', 'dismissed')", name="rectification_request_state"),
        # A decided request always has its officer, moment and reasons; a filed one has none.
        CheckConstraint(
            "(state = 'filed') = (decided_at IS NULL AND decided_by IS NULL AND decision_reasons IS NULL)",
            name="rectification_request_decided",
        ),
        CheckConstraint("filed_at <= deadline_at", name="rectification_request_in_time"),
        Index("rectification_request_queue", "state", "deadline_at"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    competition_id: uuid.UUID = Field(foreign_key="competition.id", index=True)
    award_id: uuid.UUID = Field(foreign_key="award_decision.id")
    supplier_id: uuid.UUID = Field(foreign_key="supplier.id")
    filed_by: uuid.UUID = Field(foreign_key="principal.id")
    filed_at: datetime = Field(sa_column=moment())
    deadline_at: datetime = Field(sa_column=moment())
    reasons: str = Field(max_length=8000)
    state: str = Field(default="filed", max_length=10)
    decided_by: uuid.UUID | None = Field(default=None, foreign_key="principal.id")
    decided_at: datetime | None = Field(default=None, sa_column=moment(nullable=True))
    decision_reasons: str | None = Field(default=None, max_length=8000)


class RectificationAttachment(SQLModel, table=True):
    """A document attached to a rectification request, kept with its SHA-256."""

    __tablename__ = "rectification_attachment"
    __table_args__ = (
        CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name="rectification_attachment_sha256"),
        CheckConstraint("size_bytes = octet_length(content)", name="rectification_attachment_size"),
    )

    request_id: uuid.UUID = Field(foreign_key="rectification_request.id", primary_key=True)
    position: int = Field(primary_key=True)
    filename: str = Field(max_length=200)
    media_type: str = Field(max_length=100)
    size_bytes: int
    sha256: str = Field(max_length=64)
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class MarketCourtAppeal(SQLModel, table=True):
    """An appeal to the Market Court against an award decision; pending, it blocks the contracts."""

    __tablename__ = "market_court_appeal"
    __table_args__ = (
        CheckConstraint("state IN ('pending', 'decided', 'lifted')", name="market_court_appeal_state"),
        # A resolved appeal always says when, by whom and what the court said.
        CheckConstraint(
            "(state = 'pending') = (resolved_at IS NULL AND resolved_by IS NULL AND resolution IS NULL)",
            name="market_court_appeal_resolved",
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    competition_id: uuid.UUID = Field(foreign_key="competition.id", index=True)
    award_id: uuid.UUID = Field(foreign_key="award_decision.id")
    filed_on: date
    case_number: str = Field(max_length=40)
    recorded_by: uuid.UUID = Field(foreign_key="principal.id")
    recorded_at: datetime = Field(sa_column=moment())
    state: str = Field(default="pending", max_length=10)
    resolved_by: uuid.UUID | None = Field(default=None, foreign_key="principal.id")
    resolved_at: datetime | None = Field(default=None, sa_column=moment(nullable=True))
    resolution: str | None = Field(default=None, max_length=4000)
