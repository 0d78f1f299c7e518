"""API shapes of the award decision's documents, deliveries, rectification requests, withdrawal, appeals."""

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

from procurement.core.text import LINE_PATTERN, TEXT_PATTERN

Reasons = Annotated[str, msgspec.Meta(min_length=10, max_length=8000, pattern=TEXT_PATTERN)]
Reason = Annotated[str, msgspec.Meta(min_length=10, max_length=4000, pattern=TEXT_PATTERN)]
MAX_ATTACHMENT_BYTES = 512 * 1024  # decoded; the request body's own limit bounds their sum
MAX_ATTACHMENTS = 5


class AttachmentIn(msgspec.Struct, forbid_unknown_fields=True):
    """A document attached to a rectification request, base64-encoded; the service computes its SHA-256."""

    filename: Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=LINE_PATTERN)]
    content_base64: Annotated[str, msgspec.Meta(min_length=1, max_length=700_000)]
    media_type: Annotated[str, msgspec.Meta(max_length=100, pattern=r"^[a-z]+/[a-z0-9.+-]+$")] = (
        "application/octet-stream"
    )


class RectificationIn(msgspec.Struct, forbid_unknown_fields=True):
    """A bidder's request for rectification: its grounds and optional attachments."""

    reasons: Reasons
    attachments: Annotated[list[AttachmentIn], msgspec.Meta(max_length=MAX_ATTACHMENTS)] = []


class RectificationDecisionIn(msgspec.Struct, forbid_unknown_fields=True):
    """The officer's decision on a rectification request, with reasons (upheld withdraws the award)."""

    outcome: Literal["upheld", "dismissed"]
    reasons: Reasons


class WithdrawIn(msgspec.Struct, forbid_unknown_fields=True):
    """Why the award decision is withdrawn (an upheld rectification, or the officer's own correction)."""

    reason: Reason


class AppealIn(msgspec.Struct, forbid_unknown_fields=True):
    """A Market Court appeal the authority was told of: the day it was filed and the court's case number."""

    filed_on: date
    case_number: Annotated[str, msgspec.Meta(min_length=1, max_length=40, pattern=LINE_PATTERN)]


class AppealResolutionIn(msgspec.Struct, forbid_unknown_fields=True):
    """The court's decision in the case, or its lifting of the ban on contracts, as the officer records it."""

    outcome: Literal["decided", "lifted"]
    resolution: Reason


class DocumentOut(msgspec.Struct):
    """One stored rendering of a decision: language, pages, hashes and where to read it."""

    id: uuid.UUID
    kind: str
    lang: str
    pages: int
    pdf_sha256: str
    html_sha256: str
    created_at: datetime
    pdf_url: str
    html_url: str
    rectification_id: uuid.UUID | None = None


class DeliveryOut(msgspec.Struct):
    """When a decision was made available to a bidder (the moment of electronic notice)."""

    supplier_id: uuid.UUID
    business_id: str
    supplier_name: str
    made_available_at: datetime
    first_read_at: datetime | None
    rectification_id: uuid.UUID | None = None


class AttachmentOut(msgspec.Struct):
    """An attachment's name, type, size and SHA-256 (its content is read at its own address)."""

    position: int
    filename: str
    media_type: str
    size_bytes: int
    sha256: str
    url: str


class RectificationOut(msgspec.Struct):
    """A rectification request and, once decided, its outcome and reasons."""

    id: uuid.UUID
    competition_id: uuid.UUID
    competition_title: str
    award_id: uuid.UUID
    supplier_id: uuid.UUID
    business_id: str
    supplier_name: str
    state: str
    filed_at: datetime
    deadline_at: datetime
    reasons: str
    attachments: list[AttachmentOut]
    decided_at: datetime | None
    decision_reasons: str | None
    documents: list[DocumentOut]


class AppealOut(msgspec.Struct):
    """A recorded Market Court appeal; pending, it blocks the contracts."""

    id: uuid.UUID
    competition_id: uuid.UUID
    award_id: uuid.UUID
    filed_on: date
    case_number: str
    state: str
    recorded_at: datetime
    resolved_at: datetime | None
    resolution: str | None


class DecisionOut(msgspec.Struct):
    """An award decision as a legal act: its state, delivery, standstill, documents and remedies."""

    id: uuid.UUID
    competition_id: uuid.UUID
    competition_title: str
    number: str
    seq: int
    state: str
    status: str
    evaluation_run_id: uuid.UUID
    issued_at: datetime
    delivered_at: datetime | None
    standstill_ends_at: datetime
    rectification_deadline_at: datetime | None
    rectification_last_day: date | None  # the deadline as the document states it (Helsinki day)
    withdrawn_at: datetime | None
    withdrawal_reason: str | None
    documents: list[DocumentOut]
    deliveries: list[DeliveryOut]
    rectification_requests: list[RectificationOut]
    appeals: list[AppealOut]
