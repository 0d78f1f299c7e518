"""API shapes of payment periods, payment lines, traces and export manifests."""

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

import msgspec

Month = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")]
ExportFormatName = Literal["csv-fi", "csv-rfc4180", "xlsx", "parquet"]


class PeriodIn(msgspec.Struct, forbid_unknown_fields=True):
    """Open the payment period of a month."""

    month: Month


class ManifestOut(msgspec.Struct):
    """What one export format of a period holds, stored the first time it was produced."""

    batch_id: str
    format: str
    file_name: str
    row_count: int
    total_cents: int
    totals_by_supplier_cents: dict[str, int]
    totals_by_municipality_cents: dict[str, int]
    size_bytes: int
    sha256: str
    created_at: datetime
    created_by: str


class PeriodOut(msgspec.Struct):
    """A payment period with its state, figures and the manifests of its exports."""

    id: uuid.UUID
    authority_id: uuid.UUID
    month: str
    state: str
    created_at: datetime
    closed_at: datetime | None
    approved_at: datetime | None
    exported_at: datetime | None
    event_count: int | None
    line_count: int | None
    payable_cents: int | None
    payable_eur: str | None
    unpaid_cents: int | None
    exports: list[ManifestOut]


class LineOut(msgspec.Struct):
    """A payment line: what was paid, held or refused for one event component or cohort."""

    id: int
    period_id: uuid.UUID
    contract_id: uuid.UUID
    supplier_id: uuid.UUID
    home_municipality_code: str
    event_id: uuid.UUID | None
    event_type: str | None
    event_date: date | None
    component: str
    kind: str
    status: str
    unit_amount_cents: int
    share_bp: int | None
    multiplier_bp: int | None
    amount_cents: int
    amount_eur: str
    unpaid_cents: int
    reason: str | None
    corrects_line_id: int | None
    rule_version: str
    trace_id: str
    # The line's value recomputed on its own: round(base_cents × rate_num / rate_den) − deducted_cents.
    base_cents: int = 0
    rate_num: int = 1
    rate_den: int = 1
    deducted_cents: int = 0


class TraceOut(msgspec.Struct):
    """A line's calculation trace: inputs, rule version and intermediate values, with its SHA-256."""

    line_id: int
    trace_id: str
    rule: str
    rule_version: str
    amount_cents: int
    unpaid_cents: int
    trace: dict[str, Any]
