"""Tables of payments: monthly periods, payment-basis lines, settled cohort starts and export batches."""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Identity,
    Index,
    SmallInteger,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSON, JSONB
from sqlmodel import Field, SQLModel

from outcomes.payments.period_rules import EXPORT_FORMATS, LINE_KINDS, LINE_STATUSES, PERIOD_STATES
from procurement.core.columns import cents, document, moment


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class PaymentPeriod(SQLModel, table=True):
    """One month of one paying authority: open → closed (lines computed) → approved → exported."""

    __tablename__ = "payment_period"
    __table_args__ = (
        # One period per paying authority and month.
        UniqueConstraint("authority_id", "month", name="payment_period_one_per_month"),
        CheckConstraint("month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'", name="payment_period_month"),
        CheckConstraint(_in("state", PERIOD_STATES), name="payment_period_state"),
        # Closing stamps the moment, the closer and the figures; an open period has none of them.
        CheckConstraint("(state = 'open') = (closed_at IS NULL)", name="payment_period_closed_at"),
        CheckConstraint(
            "closed_at IS NULL OR (closed_by IS NOT NULL AND line_count IS NOT NULL"
            " AND event_count IS NOT NULL AND payable_cents IS NOT NULL AND unpaid_cents IS NOT NULL"
            " AND snapshot IS NOT NULL)",
            name="payment_period_closed_figures",
        ),
        # Approval and export are stamped with who and when, and only in the states that follow them.
        CheckConstraint(
            "(state IN ('approved', 'exported')) = (approved_at IS NOT NULL AND approved_by IS NOT NULL)",
            name="payment_period_approved",
        ),
        CheckConstraint(
            "(state = 'exported') = (exported_at IS NOT NULL AND exported_by IS NOT NULL)",
            name="payment_period_exported",
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    authority_id: uuid.UUID = Field(foreign_key="authority.id", index=True)
    month: str = Field(max_length=7)
    state: str = Field(default="open", max_length=10)
    created_at: datetime = Field(sa_column=moment())
    created_by: str = Field(max_length=200)
    closed_at: datetime | None = Field(default=None, sa_column=moment(nullable=True))
    closed_by: str | None = Field(default=None, max_length=200)
    approved_at: datetime | None = Field(default=None, sa_column=moment(nullable=True))
    approved_by: str | None = Field(default=None, max_length=200)
    exported_at: datetime | None = Field(default=None, sa_column=moment(nullable=True))
    exported_by: str | None = Field(default=None, max_length=200)
    event_count: int | None = None
    line_count: int | None = None
    payable_cents: int | None = Field(default=None, sa_column=cents(nullable=True))
    unpaid_cents: int | None = Field(default=None, sa_column=cents(nullable=True))
    # Names as they were at closing (authority, suppliers, contracts), so re-exports stay identical.
    snapshot: dict[str, Any] | None = Field(
        default=None, sa_column=Column(JSONB(none_as_null=True), nullable=True)
    )


class PaymentLineRow(SQLModel, table=True):
    """One payment-basis line: a component of an event, a cohort settlement part, or a correction."""

    __tablename__ = "payment_line"
    __table_args__ = (
        CheckConstraint(_in("kind", LINE_KINDS), name="payment_line_kind"),
        CheckConstraint(_in("status", LINE_STATUSES), name="payment_line_status"),
        # Finance charges the participant's home municipality: every line carries a valid code.
        CheckConstraint("home_municipality_code ~ '^[0-9]{3}$'", name="payment_line_municipality"),
        # Unpaid money (cap excess, duplicate, malus) is recorded as a positive sum, never as a payment.
        CheckConstraint(
            "unpaid_cents >= 0 AND (status <> 'not_payable' OR amount_cents = 0)", name="payment_line_unpaid"
        ),
        # Only corrections take money back, and an original line never does.
        CheckConstraint(
            "CASE WHEN kind IN ('clawback', 'correction') THEN amount_cents <= 0 ELSE amount_cents >= 0 END",
            name="payment_line_sign",
        ),
        # A correction always names the line it corrects, and nothing else names one.
        CheckConstraint(
            "(corrects_line_id IS NOT NULL) = (kind IN ('clawback', 'correction'))",
            name="payment_line_corrects",
        ),
        # Money that is not paid always says why.
        CheckConstraint("(reason IS NOT NULL) = (status = 'not_payable')", name="payment_line_reason"),
        # Every line names its event: a settlement's release and malus their start, a bonus its fee.
        CheckConstraint("event_id IS NOT NULL", name="payment_line_event"),
        # Every line recomputes on its own: its value is base × rate rounded half up, less what was deducted.
        CheckConstraint(
            "rate_den > 0 AND amount_cents + unpaid_cents"
            " = round(base_cents::numeric * rate_num / rate_den) - deducted_cents",
            name="payment_line_recomputable",
        ),
        CheckConstraint("quantity >= 1 AND unit_amount_cents >= 0", name="payment_line_quantity"),
        # '^[0-9a-f]{64}$' without the regex engine, which cost a quarter of a COPY's time per line.
        CheckConstraint("length(trace_id) = 64 AND trace_id !~ '[^0-9a-f]'", name="payment_line_trace_id"),
        # An outcome (participant, outcome type, episode) is paid once across all contracts of the ring;
        # claim n + 1 of a key is written only after its n earlier paid claims were reversed. Keyed by the
        # key's MD5 (16 bytes, not ~130): equal keys share it, so nothing passes twice (migration 0028).
        Index(
            "payment_line_outcome_paid_once",
            text("(md5(outcome_key)::uuid)"),
            "outcome_claim",
            unique=True,
            postgresql_where=text("kind = 'outcome'"),
        ),
        # A line is corrected at most once.
        Index(
            "payment_line_corrected_once",
            "corrects_line_id",
            unique=True,
            postgresql_where=text("corrects_line_id IS NOT NULL"),
        ),
        Index("payment_line_period", "period_id", "id"),
        # A supplier's own lines page in line order without reading other suppliers'.
        Index("payment_line_supplier", "supplier_id", "id"),
        Index("payment_line_event", "event_id", postgresql_where=text("event_id IS NOT NULL")),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), primary_key=True))
    # Period, contract, supplier, event and corrected line are checked once per statement by the insert
    # trigger (one join over the new rows instead of a lookup per row, migration 0011), which also
    # checks that they belong together: no foreign keys.
    period_id: uuid.UUID
    contract_id: uuid.UUID
    supplier_id: uuid.UUID
    lot_id: uuid.UUID | None = None
    pseudonym: str | None = Field(default=None, max_length=64)
    home_municipality_code: str = Field(max_length=3)
    event_id: uuid.UUID | None = None
    event_type: str | None = Field(default=None, max_length=40)
    event_date: date | None = None
    episode_id: str | None = Field(default=None, max_length=32)
    component: str = Field(max_length=20)
    kind: str = Field(max_length=20)
    status: str = Field(max_length=12)
    quantity: int = 1
    unit_amount_cents: int = Field(sa_column=cents())
    share_bp: int | None = None
    multiplier_bp: int | None = None
    amount_cents: int = Field(sa_column=cents())
    unpaid_cents: int = Field(sa_column=cents())
    committed_delta_cents: int = Field(sa_column=cents())
    reason: str | None = Field(default=None, max_length=60)
    vat_code: str = Field(max_length=8)
    cost_centre: str = Field(max_length=40)
    rule: str = Field(max_length=40)
    rule_version: str = Field(max_length=40)
    # json, not jsonb: the stored text is the canonical JSON whose SHA-256 is trace_id, byte for byte.
    trace: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    trace_id: str = Field(max_length=64)
    corrects_line_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    outcome_key: str | None = Field(default=None, max_length=200)
    line_key: str = Field(max_length=200)
    # value = round_half_up(base_cents × rate_num / rate_den) − deducted_cents, so a finance clerk can
    # recompute every exported row from the row alone.
    base_cents: int = Field(sa_column=cents())
    rate_num: int = Field(sa_column=Column(BigInteger, nullable=False))
    rate_den: int = Field(sa_column=Column(BigInteger, nullable=False))
    deducted_cents: int = Field(sa_column=cents())
    outcome_claim: int = Field(default=0, sa_column=Column(SmallInteger, nullable=False))


class SettledStart(SQLModel, table=True):
    """A start whose withheld fee a cohort settlement has released or kept; a start settles once."""

    __tablename__ = "payment_settled_start"

    event_id: uuid.UUID = Field(foreign_key="outcome_event.id", primary_key=True)
    period_id: uuid.UUID = Field(foreign_key="payment_period.id", index=True)
    contract_id: uuid.UUID = Field(foreign_key="contract.id")
    # The start's referral: every later outcome fee of the referral brings a bonus at this cohort's rate.
    referral_id: uuid.UUID | None = Field(default=None, foreign_key="referral.id", unique=True)
    # "<terms key>/cohort:<cohort id>": the prefix of the settlement's line keys.
    settlement_key: str = Field(max_length=200)
    # withhold × min(1, FT/target) as "n/d": how much of this start's withheld fee was released.
    release_ratio: str = Field(max_length=40)
    # The cohort's bonus rate as "n/d", fixed at settlement (None: settled before rule version 2026.1).
    bonus_rate: str | None = Field(default=None, max_length=60)


class ExportBatch(SQLModel, table=True):
    """The manifest of one format of a period's payment basis, stored the first time it is produced."""

    __tablename__ = "export_batch"
    __table_args__ = (
        # Every later export of the format must reproduce these bytes.
        UniqueConstraint("period_id", "format", name="export_batch_one_per_format"),
        CheckConstraint(_in("format", EXPORT_FORMATS), name="export_batch_format"),
        CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name="export_batch_sha256"),
        CheckConstraint("row_count >= 0 AND size_bytes > 0", name="export_batch_counts"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    period_id: uuid.UUID = Field(foreign_key="payment_period.id")
    batch_id: str = Field(max_length=80)
    format: str = Field(max_length=12)
    file_name: str = Field(max_length=200)
    row_count: int
    total_cents: int = Field(sa_column=cents())
    totals_by_supplier: dict[str, Any] = Field(sa_column=document(nullable=False))
    totals_by_municipality: dict[str, Any] = Field(sa_column=document(nullable=False))
    size_bytes: int = Field(sa_column=Column(BigInteger, nullable=False))
    sha256: str = Field(max_length=64)
    created_at: datetime = Field(sa_column=moment())
    created_by: str = Field(max_length=200)
