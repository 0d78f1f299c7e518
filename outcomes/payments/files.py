"""The payment basis of a period as files: the batch read back, produced by the export, its manifest kept."""

from __future__ import annotations

import sys
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col, select

from outcomes.payments.basis import BasisLine, BatchMeta, ExportFormat, Manifest, Progress
from outcomes.payments.export import export_bytes, export_to_path
from outcomes.payments.models import ExportBatch, PaymentPeriod
from outcomes.payments.period_rules import batch_id, parse_month
from outcomes.payments.periods import NO_PERIOD, load_period
from outcomes.payments.reads import manifest_out
from outcomes.payments.schemas import ManifestOut
from procurement.core import audit
from procurement.core.auth import Caller
from procurement.core.db import driver_connection
from procurement.core.errors import Conflict, InvalidInput, NotFound

EXPORTABLE = ("approved", "exported")
MEDIA_TYPES = {
    ExportFormat.CSV_FI: "text/csv; charset=utf-8",
    ExportFormat.CSV_RFC4180: "text/csv; charset=utf-8",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ExportFormat.PARQUET: "application/vnd.apache.parquet",
}
# Only payable lines are the payment basis; withheld, refused and malus lines stay in the API and traces.
BASIS = """
SELECT id, home_municipality_code, contract_id::text, pseudonym, event_type, event_date, component, quantity,
       unit_amount_cents, multiplier_bp, amount_cents, cost_centre, rule_version, trace_id, corrects_line_id,
       vat_code, share_bp, base_cents, rate_num, rate_den, deducted_cents
FROM payment_line WHERE period_id = %(p)s AND status = 'payable' ORDER BY id
"""


class ExportNotReproducible(RuntimeError):
    """A format of a period no longer gives the bytes of its first export: a bug, never a user error."""


def export_format(name: str) -> ExportFormat:
    """A format name, or a 422 naming the choices."""
    try:
        return ExportFormat(name)
    except ValueError:
        choices = ", ".join(f.value for f in ExportFormat)
        raise InvalidInput(f"Unknown export format {name!r}; use {choices}.", field="format") from None


def exportable(session: Session, *, caller: Caller | str, period_id: uuid.UUID) -> PaymentPeriod:
    """An approved or exported period of finance's own authority (the CLI may name any period)."""
    if isinstance(caller, Caller):
        period = load_period(session, caller=caller, period_id=period_id, roles=("finance",))
    else:
        found = session.get(PaymentPeriod, period_id)
        if found is None:
            raise NotFound(NO_PERIOD)
        period = found
    if period.state not in EXPORTABLE:
        raise Conflict(
            f"The payment period is '{period.state}'; only an approved period can be exported.",
            current_state=period.state,
        )
    return period


def batch_of(session: Session, period: PaymentPeriod) -> tuple[list[BasisLine], BatchMeta]:
    """The period's payable lines with the names as they were at closing, and the batch's fixed facts."""
    assert period.snapshot is not None and period.approved_at is not None  # noqa: S101 (approved)
    authority = period.snapshot["authority"]
    contracts = period.snapshot["contracts"]
    meta = BatchMeta(
        batch_id=batch_id(authority_business_id=authority["business_id"], month=parse_month(period.month)),
        period=period.month,
        paying_authority=authority["business_id"],
        # Fixed at approval, so every export of the batch writes the same XLSX creation time.
        created_at=period.approved_at,
    )
    lines: list[BasisLine] = []
    with driver_connection(session).cursor(name=f"basis_{period.id.hex}") as cursor:
        cursor.itersize = 50_000
        cursor.execute(BASIS, {"p": period.id})
        for row in cursor:
            contract = contracts[row[2]]
            lines.append(
                BasisLine(
                    line_id=row[0],
                    home_municipality_code=sys.intern(row[1]),
                    supplier_business_id=contract["supplier_business_id"],
                    supplier_name=contract["supplier_name"],
                    contract_id=sys.intern(row[2]),
                    competition_id=contract["competition_id"],
                    category=contract["category"],
                    participant_pseudonym=None if row[3] is None else sys.intern(row[3]),
                    event_type=None if row[4] is None else sys.intern(row[4]),
                    event_date=row[5],
                    component=sys.intern(row[6]),
                    quantity=row[7],
                    unit_amount_cents=row[8],
                    multiplier_bp=row[9],
                    amount_cents=row[10],
                    cost_centre=sys.intern(row[11]),
                    rule_version=sys.intern(row[12]),
                    trace_id=row[13],
                    corrects_line_id=row[14],
                    vat_code=sys.intern(row[15]),
                    share_bp=row[16],
                    base_cents=row[17],
                    rate_numerator=row[18],
                    rate_denominator=row[19],
                    deducted_cents=row[20],
                )
            )
    return lines, meta


@dataclass(frozen=True, kw_only=True)
class Produced:
    """One format of a period: the bytes (unless written to a file), the manifest and the stored batch."""

    data: bytes | None
    manifest: Manifest
    stored: ManifestOut
    media_type: str
    load_s: float  # reading the lines back from the database
    write_s: float  # the export module writing the format


def produce(
    session: Session,
    *,
    caller: Caller | str,
    period_id: uuid.UUID,
    fmt: ExportFormat,
    now: datetime,
    path: Path | None = None,
    progress: Progress | None = None,
) -> Produced:
    """Export one format of an approved period; the first export keeps its manifest, later ones match it."""
    period = exportable(session, caller=caller, period_id=period_id)
    started = time.perf_counter()
    lines, meta = batch_of(session, period)
    loaded = time.perf_counter()
    data: bytes | None = None
    if path is None:
        result = export_bytes(batch=lines, meta=meta, fmt=fmt, progress=progress)
        data, manifest = result.data, result.manifest
    else:
        manifest = export_to_path(batch=lines, meta=meta, fmt=fmt, path=path, progress=progress)
    written = time.perf_counter()
    actor = caller.label if isinstance(caller, Caller) else caller
    stored = _keep(session, period=period, manifest=manifest, actor=actor, now=now)
    return Produced(
        data=data,
        manifest=manifest,
        stored=manifest_out(stored),
        media_type=MEDIA_TYPES[fmt],
        load_s=loaded - started,
        write_s=written - loaded,
    )


def _keep(
    session: Session, *, period: PaymentPeriod, manifest: Manifest, actor: str, now: datetime
) -> ExportBatch:
    fresh = session.execute(
        insert(ExportBatch)
        .values(
            id=uuid.uuid4(),
            period_id=period.id,
            batch_id=manifest.batch_id,
            format=manifest.format.value,
            file_name=manifest.file_name,
            row_count=manifest.row_count,
            total_cents=manifest.total_cents,
            totals_by_supplier=dict(manifest.totals_by_supplier_cents),
            totals_by_municipality=dict(manifest.totals_by_municipality_cents),
            size_bytes=manifest.size_bytes,
            sha256=manifest.sha256,
            created_at=now,
            created_by=actor,
        )
        .on_conflict_do_nothing(constraint="export_batch_one_per_format")
        .returning(col(ExportBatch.id))
    ).first()
    stored = session.exec(
        select(ExportBatch).where(
            ExportBatch.period_id == period.id, ExportBatch.format == manifest.format.value
        )
    ).one()
    if stored.sha256 != manifest.sha256:
        raise ExportNotReproducible(
            f"period {period.id} {manifest.format.value}: {manifest.sha256} differs from the first export's "
            f"{stored.sha256}"
        )
    if fresh is not None:
        audit.record(
            session,
            aggregate=("payment_period", period.id),
            actor=actor,
            action="payment_period.export_produced",
            at=now,
            after={"format": stored.format, "rows": stored.row_count, "sha256": stored.sha256},
        )
    return stored


def manifest(
    session: Session, *, caller: Caller, period_id: uuid.UUID, fmt: ExportFormat, now: datetime
) -> ManifestOut:
    """The manifest of one format: the stored one, or produced now if the format was never exported."""
    period = exportable(session, caller=caller, period_id=period_id)
    stored = session.exec(
        select(ExportBatch).where(ExportBatch.period_id == period.id, ExportBatch.format == fmt.value)
    ).first()
    if stored is not None:
        return manifest_out(stored)
    return produce(session, caller=caller, period_id=period_id, fmt=fmt, now=now).stored
