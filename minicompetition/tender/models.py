"""Tables of mini-competitions: competitions, lots, invitations, questions, amendments, sealed bids."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Column,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlmodel import Field, SQLModel

from procurement.core.columns import cents, moment

COMPETITION_STATES = (
    "draft",
    "published",
    "closed",
    "opened",
    "evaluated",
    "awarded",
    "concluded",
    "unsuccessful",
    "cancelled",
)
BID_STATES = ("submitted", "withdrawn", "eligible", "ineligible")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Competition(SQLModel, table=True):
    """An outcome-based mini-competition of one buying authority in one DPS category."""

    __tablename__ = "competition"
    __table_args__ = (
        # Only the states of the competition machine (SPEC 7) can be stored.
        CheckConstraint(_in("state", COMPETITION_STATES), name="competition_state"),
        # Money is never negative.
        CheckConstraint(
            "budget_cents >= 0 AND scope_expected_cost_cents >= 0", name="competition_money_not_negative"
        ),
        # Award criteria are basis points of one whole (SPEC 4.2).
        CheckConstraint(
            "price_weight_bp BETWEEN 0 AND 10000 AND quality_weight_bp BETWEEN 0 AND 10000 "
            "AND outcome_weight_bp BETWEEN 0 AND 10000 "
            "AND price_weight_bp + quality_weight_bp + outcome_weight_bp = 10000",
            name="competition_weights_sum",
        ),
        # The allocation LP needs at least one supplier, a positive share and a positive minimum.
        CheckConstraint(
            "max_suppliers_per_lot >= 1 AND max_share_bp BETWEEN 1 AND 10000 AND min_allocation >= 1",
            name="competition_allocation_rules",
        ),
        # Outcomes are counted among the expected participants.
        CheckConstraint(
            "scope_expected_outcomes BETWEEN 0 AND scope_expected_participants",
            name="competition_scope_outcomes",
        ),
        # Questions close before (or with) the tenders.
        CheckConstraint("qa_deadline <= tender_deadline", name="competition_qa_before_tender"),
        # A cancellation always says why.
        CheckConstraint(
            "(state = 'cancelled') = (cancel_reason IS NOT NULL)", name="competition_cancel_reason"
        ),
        # Only drafts (and drafts cancelled as such) lack a publication moment.
        CheckConstraint(
            "published_at IS NOT NULL OR state IN ('draft', 'cancelled')", name="competition_published_at"
        ),
        # Bids are readable only from opening on, so the opened states carry the opening moment.
        CheckConstraint(
            "opened_at IS NOT NULL OR "
            "state NOT IN ('opened', 'evaluated', 'awarded', 'concluded', 'unsuccessful')",
            name="competition_opened_at",
        ),
        # An unsuccessful competition always says why, and when it ended so.
        CheckConstraint(
            "(state = 'unsuccessful') = (unsuccessful_reason IS NOT NULL AND unsuccessful_at IS NOT NULL)",
            name="competition_unsuccessful_reason",
        ),
        # Confirming few invitees is part of publishing: never recorded on an unpublished draft.
        CheckConstraint(
            "few_invitees_confirmed_at IS NULL OR published_at IS NOT NULL", name="competition_few_invitees"
        ),
        # Lists and the deadline sweep look competitions up by state and deadline.
        Index("competition_state_deadline", "state", "tender_deadline"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    authority_id: uuid.UUID = Field(foreign_key="authority.id", index=True)
    dps_id: uuid.UUID = Field(foreign_key="dps.id", index=True)
    category_code: str = Field(foreign_key="category.code", max_length=20)
    title: str = Field(max_length=300)
    description: str = Field(sa_column=Column(Text, nullable=False))
    state: str = Field(default="draft", max_length=16)
    budget_cents: int = Field(sa_column=cents())
    price_weight_bp: int
    quality_weight_bp: int
    outcome_weight_bp: int
    quality_criteria: list[dict[str, Any]] = Field(sa_column=Column(JSONB, nullable=False))
    max_suppliers_per_lot: int
    max_share_bp: int
    min_allocation: int
    payment_model: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    scope_intended_effect: str = Field(max_length=4000)
    scope_expected_participants: int
    scope_expected_cost_cents: int = Field(sa_column=cents())
    scope_expected_outcomes: int
    qa_deadline: datetime = Field(sa_column=moment())
    tender_deadline: datetime = Field(sa_column=moment())
    terms_version: int = 0
    created_by: uuid.UUID = Field(foreign_key="principal.id")
    created_at: datetime = Field(sa_column=moment())
    updated_at: datetime = Field(sa_column=moment())
    published_at: datetime | None = Field(default=None, sa_column=moment(nullable=True))
    opened_at: datetime | None = Field(default=None, sa_column=moment(nullable=True))
    cancelled_at: datetime | None = Field(default=None, sa_column=moment(nullable=True))
    cancel_reason: str | None = Field(default=None, max_length=2000)
    unsuccessful_at: datetime | None = Field(default=None, sa_column=moment(nullable=True))
    unsuccessful_reason: str | None = Field(default=None, max_length=4000)
    # Publishing to fewer than three invitees needs the officer's confirmation (SPEC 4.2), recorded here.
    few_invitees_confirmed_at: datetime | None = Field(default=None, sa_column=moment(nullable=True))
    few_invitees_confirmed_by: uuid.UUID | None = Field(default=None, foreign_key="principal.id")


class Lot(SQLModel, table=True):
    """A lot: the municipalities it serves, its target group and demand in participants."""

    __tablename__ = "lot"
    __table_args__ = (
        # Bids name lots by code, so a code means one lot within a competition.
        UniqueConstraint("competition_id", "code", name="lot_code_per_competition"),
        # Demand is a number of participants; a lot without demand cannot be allocated.
        CheckConstraint("demand > 0", name="lot_demand_positive"),
        # A maximum price, when set, is a positive amount.
        CheckConstraint(
            "max_unit_price_cents IS NULL OR max_unit_price_cents > 0", name="lot_max_price_positive"
        ),
        # Every payable line carries a home municipality, so a lot serves at least one.
        CheckConstraint("cardinality(municipality_codes) >= 1", name="lot_has_municipalities"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    competition_id: uuid.UUID = Field(foreign_key="competition.id", index=True)
    position: int
    code: str = Field(max_length=20)
    municipality_codes: list[str] = Field(sa_column=Column(ARRAY(String(3)), nullable=False))
    target_group: str = Field(max_length=40)
    demand: int
    max_unit_price_cents: int | None = Field(default=None, sa_column=cents(nullable=True))


class Invitation(SQLModel, table=True):
    """A supplier invited at publication: a snapshot, never recomputed."""

    __tablename__ = "invitation"

    competition_id: uuid.UUID = Field(foreign_key="competition.id", primary_key=True)
    supplier_id: uuid.UUID = Field(foreign_key="supplier.id", primary_key=True, index=True)
    business_id: str = Field(max_length=9)
    supplier_name: str = Field(max_length=200)
    invited_at: datetime = Field(sa_column=moment())


class Question(SQLModel, table=True):
    """A clarification question of an invitee and the officer's answer (shown without the asker)."""

    __tablename__ = "question"
    __table_args__ = (
        # An answer is always stamped with when it was given.
        CheckConstraint("(answer IS NULL) = (answered_at IS NULL)", name="question_answered_at"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    competition_id: uuid.UUID = Field(foreign_key="competition.id", index=True)
    supplier_id: uuid.UUID = Field(foreign_key="supplier.id")
    question: str = Field(max_length=4000)
    asked_at: datetime = Field(sa_column=moment())
    answer: str | None = Field(default=None, max_length=8000)
    answered_at: datetime | None = Field(default=None, sa_column=moment(nullable=True))
    answered_by: uuid.UUID | None = Field(default=None, foreign_key="principal.id")


class Amendment(SQLModel, table=True):
    """A change to a published competition, with its reason; shown to every invitee."""

    __tablename__ = "amendment"
    __table_args__ = (
        # Amendments are numbered without forks, so "the amendment of …" is unambiguous.
        UniqueConstraint("competition_id", "seq", name="amendment_seq_per_competition"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    competition_id: uuid.UUID = Field(foreign_key="competition.id", index=True)
    seq: int
    reason: str = Field(max_length=2000)
    changes: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    at: datetime = Field(sa_column=moment())
    by: uuid.UUID = Field(foreign_key="principal.id")


class CompetitionKey(SQLModel, table=True):
    """A competition's sealing key pair: public half in clear, private half wrapped by the master key."""

    __tablename__ = "competition_key"
    __table_args__ = (
        # Destroying the wrapped key (cancellation before opening) is recorded, and only then is it gone.
        CheckConstraint(
            "(wrapped_private_key IS NULL) = (destroyed_at IS NOT NULL)", name="competition_key_destroyed"
        ),
    )

    competition_id: uuid.UUID = Field(foreign_key="competition.id", primary_key=True)
    scheme: str = Field(max_length=60)
    public_key: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    wrapped_private_key: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    wrap_nonce: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(sa_column=moment())
    destroyed_at: datetime | None = Field(default=None, sa_column=moment(nullable=True))


class CompetitionKeyShare(SQLModel, table=True):
    """The officers' share of a competition's opening key, sealed to one officer holder key."""

    __tablename__ = "competition_key_share"
    __table_args__ = (
        # An X25519 public key is 32 bytes; a sealed share is its ephemeral key, nonce, 32 bytes and tag.
        CheckConstraint(
            "octet_length(holder_public_key) = 32 AND octet_length(sealed_share) = 92",
            name="competition_key_share_sizes",
        ),
    )

    competition_id: uuid.UUID = Field(foreign_key="competition_key.competition_id", primary_key=True)
    holder_public_key: bytes = Field(sa_column=Column(LargeBinary, primary_key=True))
    principal_id: uuid.UUID = Field(foreign_key="principal.id", index=True)
    sealed_share: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(sa_column=moment())


class Bid(SQLModel, table=True):
    """A supplier's one bid in a competition; its content lives, sealed, in its versions."""

    __tablename__ = "bid"
    __table_args__ = (
        # One current bid per supplier and competition (SPEC 4.2); resubmission adds a version.
        UniqueConstraint("competition_id", "supplier_id", name="bid_one_per_supplier"),
        # Only the states of the bid machine (SPEC 7) can be stored.
        CheckConstraint(_in("state", BID_STATES), name="bid_state"),
        # An ineligible bid always says why, and only an ineligible one carries a reason.
        CheckConstraint(
            "(state = 'ineligible') = (ineligibility_reason IS NOT NULL)", name="bid_ineligibility_reason"
        ),
        # Version 0 exists only inside the transaction that stores version 1.
        CheckConstraint("current_version >= 0", name="bid_current_version"),
        # A stated capacity is at least one participant.
        CheckConstraint("supplier_capacity IS NULL OR supplier_capacity >= 1", name="bid_supplier_capacity"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    competition_id: uuid.UUID = Field(foreign_key="competition.id", index=True)
    supplier_id: uuid.UUID = Field(foreign_key="supplier.id", index=True)
    state: str = Field(default="submitted", max_length=12)
    current_version: int = 0
    needs_confirmation: bool = False
    created_at: datetime = Field(sa_column=moment())
    updated_at: datetime = Field(sa_column=moment())
    confirmed_at: datetime | None = Field(default=None, sa_column=moment(nullable=True))
    withdrawn_at: datetime | None = Field(default=None, sa_column=moment(nullable=True))
    opened_at: datetime | None = Field(default=None, sa_column=moment(nullable=True))
    ineligibility_reason: str | None = Field(default=None, max_length=2000)
    # The supplier-wide capacity across its lots, when the bid states one: written at opening, like its lines.
    supplier_capacity: int | None = None


class BidVersion(SQLModel, table=True):
    """One submission of a bid: its receipt (time, SHA-256) and its sealed content."""

    __tablename__ = "bid_version"
    __table_args__ = (
        # A retried request with the same key must find the version it created (SPEC 4.2).
        UniqueConstraint("supplier_id", "idempotency_key", name="bid_version_idempotency_key"),
        # Versions count submissions from 1, as the receipts show them.
        CheckConstraint("version >= 1", name="bid_version_positive"),
        # The receipt's digest is compared as text, so it has one spelling: lower-case hex.
        CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name="bid_version_sha256_hex"),
        # AES-GCM nonces are 96 bits; X25519 public keys 32 bytes.
        CheckConstraint(
            "octet_length(nonce) = 12 AND octet_length(ephemeral_public_key) = 32", name="bid_version_sealing"
        ),
        # The supplier's copy: a 12-byte nonce, then the ciphertext with its 16-byte tag.
        CheckConstraint(
            "supplier_copy IS NULL OR octet_length(supplier_copy) > 28", name="bid_version_supplier_copy"
        ),
    )

    bid_id: uuid.UUID = Field(foreign_key="bid.id", primary_key=True)
    version: int = Field(primary_key=True)
    supplier_id: uuid.UUID = Field(foreign_key="supplier.id")
    received_at: datetime = Field(sa_column=moment())
    sha256: str = Field(max_length=64)
    terms_version: int
    ciphertext: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    nonce: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    ephemeral_public_key: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    idempotency_key: str | None = Field(default=None, max_length=200)
    # The submitting supplier's own copy, under a key derived from its holder key (only its tokens open
    # it); NULL when made without one, erased on cancellation and for copies made before migration 0014.
    supplier_copy: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))


class BidLine(SQLModel, table=True):
    """An opened bid's offer on one lot: written only when the bids are opened after the deadline."""

    __tablename__ = "bid_line"
    __table_args__ = (
        # A free or negative price would break the price score (lowest price / price).
        CheckConstraint("unit_price_cents > 0", name="bid_line_price_positive"),
        # A line offers at least one participant place.
        CheckConstraint("capacity >= 1", name="bid_line_capacity_positive"),
        # A committed rate is a share of starts, 0–100 %.
        CheckConstraint("committed_flow_through_bp BETWEEN 0 AND 10000", name="bid_line_flow_through_bp"),
    )

    bid_id: uuid.UUID = Field(foreign_key="bid.id", primary_key=True)
    lot_id: uuid.UUID = Field(foreign_key="lot.id", primary_key=True, index=True)
    version: int
    unit_price_cents: int = Field(sa_column=cents())
    capacity: int
    committed_flow_through_bp: int
    quality_answers: dict[str, str] = Field(sa_column=Column(JSONB, nullable=False))
