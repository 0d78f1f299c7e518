"""API shapes of mini-competitions and bids."""

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

# Upper bounds keep every number inside BIGINT and JSON's exact integers (2**53); the rules check ranges.
Bp = Annotated[int, msgspec.Meta(le=1_000_000, description="basis points: 10 000 = 100 %")]
Cents = Annotated[int, msgspec.Meta(le=10**15, description="integer euro cents")]
Count = Annotated[int, msgspec.Meta(le=1_000_000)]
Code = Annotated[str, msgspec.Meta(pattern=r"^[A-Z0-9][A-Z0-9_-]{0,19}$")]
MunicipalityCode = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{3}$", description="Statistics Finland code")]
Reason = Annotated[str, msgspec.Meta(min_length=3, max_length=2000)]
Title = Annotated[str, msgspec.Meta(min_length=1, max_length=300)]
TargetGroup = Literal[
    "general", "long_term_unemployed", "youth", "over_55", "immigrants", "partial_work_ability"
]
Component = Literal["start", "outcome_a", "outcome_b", "outcome_c"]


class LotIn(msgspec.Struct, forbid_unknown_fields=True):
    """A lot: the municipalities it serves, its target group, demand and optional maximum unit price."""

    code: Code
    municipality_codes: Annotated[list[MunicipalityCode], msgspec.Meta(min_length=1, max_length=100)]
    target_group: TargetGroup
    demand: Annotated[int, msgspec.Meta(le=1_000_000, description="participants; at least 1")]
    max_unit_price_cents: Cents | None = None


class WeightsIn(msgspec.Struct, forbid_unknown_fields=True):
    """Award criteria weights; they sum to 10 000 basis points."""

    price_bp: Bp
    quality_bp: Bp
    outcome_bp: Bp


class QualityCriterionIn(msgspec.Struct, forbid_unknown_fields=True):
    """A quality sub-criterion; the sub-criteria weights sum to 10 000 of the quality weight."""

    code: Code
    name: Title
    weight_bp: Bp


class AllocationRulesIn(msgspec.Struct, forbid_unknown_fields=True):
    """How a lot may be split between suppliers."""

    max_suppliers_per_lot: Count
    max_share_bp: Bp
    min_allocation: Count


class PaymentComponentIn(msgspec.Struct, forbid_unknown_fields=True):
    """Share of the unit price paid on one event."""

    code: Component
    share_bp: Bp


class PaymentModelIn(msgspec.Struct, forbid_unknown_fields=True):
    """The payment model (SPEC 4.5); leave it out to use the category's defaults."""

    components: Annotated[list[PaymentComponentIn], msgspec.Meta(min_length=1, max_length=4)]
    tier_multipliers_bp: dict[Literal["T1", "T2", "T3", "T4"], Bp] = msgspec.field(
        default_factory=lambda: {"T1": 7500, "T2": 10_000, "T3": 12_000, "T4": 14_000}
    )
    partial_work_ability_bp: Bp = 2000
    max_multiplier_bp: Bp = 18_000
    withhold_bp: Bp = 1000
    ft_target_bp: Bp = 8000
    bonus_cap_bp: Bp = 1000
    participant_cap_bp: Bp = 12_000


class ScopeIn(msgspec.Struct, forbid_unknown_fields=True):
    """The scope record: the intended effect and the economic model."""

    intended_effect: Annotated[str, msgspec.Meta(min_length=3, max_length=4000)]
    expected_participants: Count
    expected_cost_cents: Cents
    expected_outcomes: Count


class CompetitionIn(msgspec.Struct, forbid_unknown_fields=True):
    """A draft competition (creating, or replacing a draft's terms)."""

    dps_id: uuid.UUID
    category: Annotated[str, msgspec.Meta(pattern=r"^[A-Z][A-Z0-9_]{1,19}$")]
    title: Title
    description: Annotated[str, msgspec.Meta(max_length=20_000)]
    lots: Annotated[list[LotIn], msgspec.Meta(max_length=200)]
    budget_cents: Cents
    weights: WeightsIn
    allocation_rules: AllocationRulesIn
    scope: ScopeIn
    qa_deadline: datetime
    tender_deadline: datetime
    quality_criteria: Annotated[list[QualityCriterionIn], msgspec.Meta(max_length=20)] = []
    payment_model: PaymentModelIn | None = None


class TermsChangesIn(msgspec.Struct, forbid_unknown_fields=True):
    """The terms an amendment changes; what is left out stays as it is."""

    title: Title | None = None
    description: Annotated[str, msgspec.Meta(max_length=20_000)] | None = None
    lots: Annotated[list[LotIn], msgspec.Meta(max_length=200)] | None = None
    budget_cents: Cents | None = None
    weights: WeightsIn | None = None
    quality_criteria: Annotated[list[QualityCriterionIn], msgspec.Meta(max_length=20)] | None = None
    allocation_rules: AllocationRulesIn | None = None
    payment_model: PaymentModelIn | None = None
    qa_deadline: datetime | None = None
    tender_deadline: datetime | None = None


class AmendmentIn(msgspec.Struct, forbid_unknown_fields=True):
    """An amendment of a published competition, with its reason."""

    reason: Reason
    changes: TermsChangesIn


class ReasonIn(msgspec.Struct, forbid_unknown_fields=True):
    """A reason (cancellation)."""

    reason: Reason


class PublishIn(msgspec.Struct, forbid_unknown_fields=True):
    """Publishing; with fewer than three suppliers to invite the officer confirms it (recorded)."""

    confirm_few_invitees: bool = False


class LotOut(msgspec.Struct):
    """A lot."""

    id: uuid.UUID
    code: str
    municipality_codes: list[str]
    target_group: str
    demand: int
    max_unit_price_cents: int | None


class AmendmentOut(msgspec.Struct):
    """A published change and its reason."""

    seq: int
    at: datetime
    reason: str
    changes: dict[str, Any]


class CompetitionOut(msgspec.Struct):
    """A competition as anyone allowed to see it sees it (never any bid data)."""

    id: uuid.UUID
    authority_id: uuid.UUID
    dps_id: uuid.UUID
    category: str
    title: str
    description: str
    state: str
    budget_cents: int
    weights: WeightsIn
    quality_criteria: list[QualityCriterionIn]
    allocation_rules: AllocationRulesIn
    payment_model: dict[str, Any]
    scope: ScopeIn
    qa_deadline: datetime
    tender_deadline: datetime
    tender_deadline_local: str
    terms_version: int
    published_at: datetime | None
    opened_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str | None
    lots: list[LotOut]
    amendments: list[AmendmentOut]
    invitees: int = 0
    few_invitees_confirmed_at: datetime | None = None
    unsuccessful_at: datetime | None = None
    unsuccessful_reason: str | None = None


class CompetitionSummary(msgspec.Struct):
    """A competition in a list."""

    id: uuid.UUID
    authority_id: uuid.UUID
    category: str
    title: str
    state: str
    tender_deadline: datetime
    tender_deadline_local: str
    cancel_reason: str | None
    unsuccessful_reason: str | None = None


class InvitationOut(msgspec.Struct):
    """An invited supplier (the publication snapshot)."""

    supplier_id: uuid.UUID
    business_id: str
    supplier_name: str
    invited_at: datetime


class MyBidOut(msgspec.Struct):
    """Where the caller's own bid stands."""

    bid_id: uuid.UUID
    state: str
    current_version: int
    needs_confirmation: bool


class QuestionIn(msgspec.Struct, forbid_unknown_fields=True):
    """A clarification question."""

    question: Annotated[str, msgspec.Meta(min_length=3, max_length=4000)]


class AnswerIn(msgspec.Struct, forbid_unknown_fields=True):
    """The answer to a question."""

    answer: Annotated[str, msgspec.Meta(min_length=1, max_length=8000)]


class QuestionOut(msgspec.Struct):
    """A question and its answer, never naming who asked (`mine` tells the asker it is theirs)."""

    id: uuid.UUID
    question: str
    asked_at: datetime
    answer: str | None
    answered_at: datetime | None
    mine: bool


class InboxItem(msgspec.Struct):
    """A competition the supplier is invited to."""

    competition: CompetitionSummary
    invited_at: datetime
    amendments: int
    my_bid: MyBidOut | None


class InboxDetail(msgspec.Struct):
    """An invitation in full: the terms, the amendments, the answered questions and one's own bid."""

    competition: CompetitionOut
    invited_at: datetime
    questions: list[QuestionOut]
    my_bid: MyBidOut | None


class BidLineIn(msgspec.Struct, forbid_unknown_fields=True):
    """An offer on one lot: integers only (cents, participants, basis points)."""

    lot: Code
    unit_price_cents: Annotated[int, msgspec.Meta(le=10**15, description="integer cents per participant")]
    capacity: Annotated[int, msgspec.Meta(le=1_000_000, description="participants")]
    committed_flow_through_bp: Bp
    quality_answers: Annotated[
        dict[Annotated[str, msgspec.Meta(max_length=20)], Annotated[str, msgspec.Meta(max_length=8000)]],
        msgspec.Meta(max_length=20),
    ] = {}


class BidIn(msgspec.Struct, forbid_unknown_fields=True):
    """A bid: one line per lot offered, each answering every announced quality sub-criterion."""

    lines: Annotated[list[BidLineIn], msgspec.Meta(max_length=200)]
    supplier_capacity: (
        Annotated[
            int,
            msgspec.Meta(
                le=1_000_000,
                description="participants the supplier takes across all its lots together (optional)",
            ),
        ]
        | None
    ) = None


class Receipt(msgspec.Struct):
    """Proof of one accepted submission: SHA-256 of the canonical bid JSON and the server's receive time."""

    bid_id: uuid.UUID
    competition_id: uuid.UUID
    version: int
    received_at: datetime
    sha256: str


class BidContentOut(msgspec.Struct):
    """The submitting supplier's own current version, read back before the deadline.

    `canonical` is the exact JSON whose SHA-256 is on the receipt; `lines` is the same content parsed.
    """

    bid_id: uuid.UUID
    competition_id: uuid.UUID
    state: str
    version: int
    received_at: datetime
    sha256: str
    canonical: str
    lines: list[BidLineIn]
    supplier_capacity: int | None = None


class BidLineOut(msgspec.Struct):
    """An opened bid's line."""

    lot: str
    lot_id: uuid.UUID
    unit_price_cents: int
    capacity: int
    committed_flow_through_bp: int
    quality_answers: dict[str, str]


class BidOut(msgspec.Struct):
    """A bid: its receipts always (to its supplier); its content only once opened."""

    id: uuid.UUID
    competition_id: uuid.UUID
    supplier_id: uuid.UUID
    state: str
    current_version: int
    needs_confirmation: bool
    ineligibility_reason: str | None
    versions: list[Receipt]
    lines: list[BidLineOut] | None
    sealed: bool
    supplier_capacity: int | None = None


class OpenedBidOut(msgspec.Struct):
    """An opened bid as the buying authority reads it; ineligible bids show only their reason."""

    bid_id: uuid.UUID
    supplier_id: uuid.UUID
    business_id: str
    supplier_name: str
    state: str
    ineligibility_reason: str | None
    version: int
    received_at: datetime
    sha256: str
    lines: list[BidLineOut] | None
    supplier_capacity: int | None = None


class OpeningOut(msgspec.Struct):
    """What opening found (a bid withdrawn before the deadline is not among them: it leaves no trace here)."""

    competition_id: uuid.UUID
    opened_at: datetime
    eligible: int
    ineligible: int
    bids: list[OpenedBidOut]
    state: str = "opened"
    unsuccessful_reason: str | None = None
