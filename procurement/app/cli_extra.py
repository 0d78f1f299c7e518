"""The `dpr` sub-commands kept apart from cli.py: tokens and access, keys, backups."""

from typing import Any

from procurement.app.cli_access import supplier_app, token_app
from procurement.app.cli_ops import backup_command, keys_app, restore_command

# Sub-command groups of their own, commands added to `dpr token`, and top-level commands.
SUB_COMMANDS: dict[str, Any] = {"supplier": supplier_app, "keys": keys_app}
TOKEN_COMMANDS = list(token_app.registered_commands)
TOP_COMMANDS: dict[str, Any] = {"backup": backup_command, "restore": restore_command}
