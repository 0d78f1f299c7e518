"""API shapes of quality scoring, evaluation runs, results, price to win, award decisions and contracts."""

import uuid
from datetime import datetime
from typing import Annotated, Any

import msgspec

from minicompetition.tender.schemas import Code, QualityCriterionIn, Reason

Score = Annotated[int, msgspec.Meta(ge=0, le=100, description="sub-criterion score 0–100")]
ScoreUnits = Annotated[int, msgspec.Meta(description="score in 0.0001-point units (1 000 000 = 100 points)")]


class QualityScoreIn(msgspec.Struct, forbid_unknown_fields=True):
    """One evaluator score of one bid line on one announced quality sub-criterion."""

    bid_id: uuid.UUID
    lot_id: uuid.UUID
    criterion: Code
    score: Score


class QualityScoresIn(msgspec.Struct, forbid_unknown_fields=True):
    """Scores to enter or replace; scores not listed stay as they are."""

    scores: Annotated[list[QualityScoreIn], msgspec.Meta(min_length=1, max_length=5000)]


class LineQualityOut(msgspec.Struct):
    """A bid line's sub-criterion scores and its quality q (None while incomplete)."""

    bid_id: uuid.UUID
    supplier_id: uuid.UUID
    supplier_name: str
    lot_id: uuid.UUID
    lot: str
    scores: dict[str, int]
    missing: list[str]
    quality: int | None


class QualityTableOut(msgspec.Struct):
    """Every opened line of a competition with its quality scores."""

    competition_id: uuid.UUID
    criteria: list[QualityCriterionIn]
    lines: list[LineQualityOut]


class PriceToWinOut(msgspec.Struct):
    """The highest unit price at which a losing line would have won, everything else unchanged."""

    run_id: uuid.UUID
    bid_id: uuid.UUID
    lot_id: uuid.UUID
    lot: str
    unit_price_cents: int
    price_to_win_cents: int | None
    computed_at: datetime
    explanation: str


class PriceToWinIn(msgspec.Struct, forbid_unknown_fields=True):
    """Which line to compute the price to win for."""

    bid_id: uuid.UUID
    lot_id: uuid.UUID


class LineResultOut(msgspec.Struct):
    """One bid line's result: scores, rank, allocation, why it got nothing or fewer than offered (limit)."""

    bid_id: uuid.UUID
    supplier_id: uuid.UUID
    supplier_name: str
    business_id: str
    lot_id: uuid.UUID
    lot: str
    unit_price_cents: int | None
    capacity: int | None
    committed_flow_through_bp: int | None
    quality: int | None
    admissible: bool
    price_score: ScoreUnits | None
    quality_score: ScoreUnits | None
    outcome_score: ScoreUnits | None
    total_score: ScoreUnits | None
    total_points: str | None
    rank: int | None
    allocated: int | None
    awarded: int | None
    override_reason: str | None
    reason_code: str | None
    reason: str | None
    price_to_win: PriceToWinOut | None
    limit_code: str | None = None
    limit: str | None = None


class LotResultOut(msgspec.Struct):
    """A lot's demand, allocated participants and unmet demand in a run."""

    lot_id: uuid.UUID
    lot: str
    demand: int
    admissible_lines: int
    allocated: int | None
    unmet_demand: int | None
    unmet_reason_code: str | None = None
    unmet_reason: str | None = None


class ObjectiveOut(msgspec.Struct):
    """The lexicographic objective: participants served, then Σ S·x, then the tie-break sum."""

    participants_served: int
    score_total: int
    tie_break_total: int


class EvaluationRunOut(msgspec.Struct):
    """A stored evaluation run; a supplier sees only its own lines and no totals."""

    id: uuid.UUID
    competition_id: uuid.UUID
    seq: int
    created_at: datetime
    status: str
    message: str
    solver: str
    solver_version: str
    input_sha256: str
    wall_ms: int
    objective: ObjectiveOut | None
    budget_used_cents: int | None
    lots: list[LotResultOut]
    lines: list[LineResultOut]


class EvaluationRunSummary(msgspec.Struct):
    """A run in the list of a competition's runs."""

    id: uuid.UUID
    seq: int
    created_at: datetime
    status: str
    message: str
    solver: str
    solver_version: str
    input_sha256: str
    wall_ms: int
    objective: ObjectiveOut | None
    awarded: bool


class MyResultOut(msgspec.Struct):
    """The calling supplier's own result in the competition's current run (the awarded one once decided)."""

    competition_id: uuid.UUID
    run_id: uuid.UUID
    run_seq: int
    run_status: str
    run_created_at: datetime
    award_issued: bool
    bid_id: uuid.UUID
    bid_state: str
    ineligibility_reason: str | None
    lines: list[LineResultOut]


class PlacementIn(msgspec.Struct, forbid_unknown_fields=True):
    """Participants of an overridden lot given to one bid line."""

    bid_id: uuid.UUID
    volume: Annotated[int, msgspec.Meta(ge=1, description="participants")]


class LotOverrideIn(msgspec.Struct, forbid_unknown_fields=True):
    """An explicit allocation of one lot instead of the engine's, with the reason (stored and shown)."""

    lot_id: uuid.UUID
    reason: Reason
    allocations: Annotated[list[PlacementIn], msgspec.Meta(max_length=200)]


class AwardIn(msgspec.Struct, forbid_unknown_fields=True):
    """The award decision: the chosen optimal run, overridden lots, and the appeal instructions."""

    evaluation_run_id: uuid.UUID
    overrides: Annotated[list[LotOverrideIn], msgspec.Meta(max_length=200)] = []
    appeal_instructions: Annotated[str, msgspec.Meta(min_length=10, max_length=8000)] | None = None


class WinnerOut(msgspec.Struct):
    """A supplier awarded participants in a lot."""

    supplier_id: uuid.UUID
    business_id: str
    supplier_name: str
    bid_id: uuid.UUID
    volume: int
    unit_price_cents: int
    value_cents: int


class AwardLotOut(msgspec.Struct):
    """A lot of the award: who won how many participants at what price, and any override's reason."""

    lot_id: uuid.UUID
    lot: str
    municipality_codes: list[str]
    target_group: str
    demand: int
    awarded: int
    overridden: bool
    override_reason: str | None
    winners: list[WinnerOut]


class AwardOut(msgspec.Struct):
    """The award decision as published: winners, lots, volumes and unit prices."""

    id: uuid.UUID
    competition_id: uuid.UUID
    competition_title: str
    evaluation_run_id: uuid.UUID
    evaluation_run_seq: int
    issued_at: datetime
    standstill_ends_at: datetime
    standstill_ends_local: str
    status: str
    appeal_instructions: str
    total_value_cents: int
    lots: list[AwardLotOut]


class ContractLotOut(msgspec.Struct):
    """A lot of a contract: volume and unit price as awarded."""

    lot_id: uuid.UUID
    lot: str
    municipality_codes: list[str]
    target_group: str
    volume: int
    unit_price_cents: int
    value_cents: int


class ContractOut(msgspec.Struct):
    """A contract with one supplier: its lots, value ceiling and the payment model as concluded."""

    id: uuid.UUID
    competition_id: uuid.UUID
    award_id: uuid.UUID
    authority_id: uuid.UUID
    supplier_id: uuid.UUID
    business_id: str
    supplier_name: str
    dps_id: uuid.UUID
    category: str
    state: str
    value_ceiling_cents: int
    payment_model: dict[str, Any]
    concluded_at: datetime
    lots: list[ContractLotOut]
    ended_at: datetime | None = None  # when it was completed or terminated
    termination_reason: str | None = None


class TerminateIn(msgspec.Struct, forbid_unknown_fields=True):
    """Why a contract is terminated before its end."""

    reason: Annotated[str, msgspec.Meta(min_length=3, max_length=2000)]
