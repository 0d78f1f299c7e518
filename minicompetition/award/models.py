"""Tables of evaluation and award: quality scores, stored evaluation runs, award decisions, contracts."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Column, Index, String, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlmodel import Field, SQLModel

from procurement.core.columns import cents, moment


class QualityScore(SQLModel, table=True):
    """An evaluator's score of one bid line on one announced quality sub-criterion."""

    __tablename__ = "quality_score"
    __table_args__ = (
        # Sub-criterion scores are on the announced 0–100 scale.
        CheckConstraint("score BETWEEN 0 AND 100", name="quality_score_range"),
    )

    bid_id: uuid.UUID = Field(foreign_key="bid.id", primary_key=True)
    lot_id: uuid.UUID = Field(foreign_key="lot.id", primary_key=True)
    criterion: str = Field(primary_key=True, max_length=40)
    score: int
    entered_by: uuid.UUID = Field(foreign_key="principal.id")
    entered_at: datetime = Field(sa_column=moment())


class EvaluationRun(SQLModel, table=True):
    """One immutable evaluation: the engine's full input, solver, status, objective and result."""

    __tablename__ = "evaluation_run"
    __table_args__ = (
        UniqueConstraint("competition_id", "seq", name="evaluation_run_seq_per_competition"),
        CheckConstraint("status IN ('optimal', 'infeasible', 'not_solved')", name="evaluation_run_status"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    competition_id: uuid.UUID = Field(foreign_key="competition.id", index=True)
    seq: int
    created_by: uuid.UUID = Field(foreign_key="principal.id")
    created_at: datetime = Field(sa_column=moment())
    solver_name: str = Field(max_length=40)
    solver_version: str = Field(max_length=40)
    status: str = Field(max_length=16)
    objective: str | None = Field(default=None, max_length=80)
    input: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    result: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    wall_ms: int
    price_to_win: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))


class AwardDecision(SQLModel, table=True):
    """The officer's award: the chosen run, any overridden lots with reasons, and the standstill."""

    __tablename__ = "award_decision"
    __table_args__ = (
        # A competition has one award decision in force; a withdrawn one stays, readable and marked.
        Index(
            "award_decision_current",
            "competition_id",
            unique=True,
            postgresql_where=text("state <> 'withdrawn'"),
        ),
        UniqueConstraint("competition_id", "seq", name="award_decision_seq_per_competition"),
        CheckConstraint("standstill_ends_at >= issued_at", name="award_decision_standstill"),
        CheckConstraint("state IN ('issued', 'delivered', 'withdrawn')", name="award_decision_state"),
        # The standstill runs from delivery: a delivered decision knows when it was delivered.
        CheckConstraint(
            "state = 'issued' OR delivered_at IS NOT NULL", name="award_decision_delivered_moment"
        ),
        # A withdrawal always says when, by whom and why.
        CheckConstraint(
            "(state = 'withdrawn') = (withdrawn_at IS NOT NULL AND withdrawn_by IS NOT NULL"
            " AND withdrawal_reason IS NOT NULL)",
            name="award_decision_withdrawal",
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    competition_id: uuid.UUID = Field(foreign_key="competition.id")
    evaluation_run_id: uuid.UUID = Field(foreign_key="evaluation_run.id")
    issued_by: uuid.UUID = Field(foreign_key="principal.id")
    issued_at: datetime = Field(sa_column=moment())
    standstill_ends_at: datetime = Field(sa_column=moment())
    appeal_instructions: str = Field(max_length=8000)
    allocation: list[dict[str, Any]] = Field(sa_column=Column(JSONB, nullable=False))
    overrides: list[dict[str, Any]] = Field(sa_column=Column(JSONB, nullable=False))
    seq: int = 1
    state: str = Field(default="issued", max_length=10)
    delivered_at: datetime | None = Field(default=None, sa_column=moment(nullable=True))
    withdrawn_at: datetime | None = Field(default=None, sa_column=moment(nullable=True))
    withdrawn_by: uuid.UUID | None = Field(default=None, foreign_key="principal.id")
    withdrawal_reason: str | None = Field(default=None, max_length=4000)


class Contract(SQLModel, table=True):
    """A contract with one winning supplier: its lots, volumes, prices, ceiling and payment model."""

    __tablename__ = "contract"
    __table_args__ = (
        # One contract per winning supplier of an award.
        UniqueConstraint("award_id", "supplier_id", name="contract_one_per_winner"),
        CheckConstraint("state IN ('active', 'completed', 'terminated')", name="contract_state"),
        CheckConstraint("value_ceiling_cents > 0", name="contract_ceiling_positive"),
        # A termination always says why.
        CheckConstraint(
            "(state = 'terminated') = (termination_reason IS NOT NULL)", name="contract_termination"
        ),
        Index("contract_supplier_state", "supplier_id", "state"),
        # Referrals copy their contract's authority and supplier (to page by them); this key lets their
        # foreign key say the copy is right.
        UniqueConstraint("id", "authority_id", "supplier_id", name="contract_scope"),
        # An authority's contracts page newest first in this order (keyset).
        Index("contract_authority_order", "authority_id", "concluded_at", "id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    competition_id: uuid.UUID = Field(foreign_key="competition.id", index=True)
    award_id: uuid.UUID = Field(foreign_key="award_decision.id")
    authority_id: uuid.UUID = Field(foreign_key="authority.id", index=True)
    supplier_id: uuid.UUID = Field(foreign_key="supplier.id")
    dps_id: uuid.UUID = Field(foreign_key="dps.id")
    category_code: str = Field(foreign_key="category.code", max_length=20)
    state: str = Field(default="active", max_length=12)
    value_ceiling_cents: int = Field(sa_column=cents())
    payment_model: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    concluded_at: datetime = Field(sa_column=moment())
    ended_at: datetime | None = Field(default=None, sa_column=moment(nullable=True))
    termination_reason: str | None = Field(default=None, max_length=2000)


class ContractLot(SQLModel, table=True):
    """A lot of a contract: the awarded volume at the awarded unit price (copied, never recomputed)."""

    __tablename__ = "contract_lot"
    __table_args__ = (
        CheckConstraint("volume >= 1", name="contract_lot_volume"),
        CheckConstraint("unit_price_cents > 0", name="contract_lot_price"),
    )

    contract_id: uuid.UUID = Field(foreign_key="contract.id", primary_key=True)
    lot_id: uuid.UUID = Field(foreign_key="lot.id", primary_key=True)
    lot_code: str = Field(max_length=20)
    municipality_codes: list[str] = Field(sa_column=Column(ARRAY(String(3)), nullable=False))
    target_group: str = Field(max_length=40)
    volume: int
    unit_price_cents: int = Field(sa_column=cents())
