"""What the `dpr` sub-commands share: the console, the settings, the operator's name in the audit trail."""

import getpass

import typer
from rich.console import Console

from procurement.app.models import load_all_models
from procurement.core.settings import Settings, SettingsError, ensure_secrets, load_settings

console = Console(stderr=True)


def settings(**overrides: object) -> Settings:
    """The settings with their secrets, or exit 2 saying what to set."""
    load_all_models()
    try:
        return ensure_secrets(load_settings(**{k: v for k, v in overrides.items() if v is not None}))
    except SettingsError as exc:
        console.print(f"[red]Configuration error:[/red] {exc}")
        raise typer.Exit(2) from exc


def operator() -> str:
    """How the audit trail names an operator at the server's command line."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"operator:{user} (dpr)"


def refuse(message: str) -> typer.Exit:
    """Print a refusal and return the exit to raise (status 2)."""
    console.print(f"[red]Refused:[/red] {message}")
    return typer.Exit(2)
