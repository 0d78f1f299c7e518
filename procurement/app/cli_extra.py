"""The `dpr` sub-commands kept apart from cli.py: tokens and access, keys, backups."""

from typing import Any

from procurement.app.cli_access import supplier_app, token_app

# Sub-command groups of their own, and commands added to `dpr token`.
SUB_COMMANDS: dict[str, Any] = {"supplier": supplier_app}
TOKEN_COMMANDS = list(token_app.registered_commands)
