"""Demo data: a realistic ring to try the product with; loading twice changes nothing."""

import json
import os
from datetime import datetime
from pathlib import Path

from sqlmodel import Session, select

from procurement.core.auth import create_principal, issue_token
from procurement.core.models import Principal

DEMO_ADMIN = "Demo admin"


def load_demo(session: Session, *, data_dir: Path, now: datetime) -> dict[str, str]:
    """Create the demo world once; return the demo tokens (kept in the data directory)."""
    tokens_file = data_dir / "demo-tokens.json"
    existing = session.exec(select(Principal).where(Principal.name == DEMO_ADMIN)).first()
    if existing is not None and tokens_file.exists():
        tokens: dict[str, str] = json.loads(tokens_file.read_text())
        return tokens
    tokens = {}
    admin = existing or create_principal(session, role="admin", name=DEMO_ADMIN, now=now)
    tokens["admin"] = issue_token(session, principal_id=admin.id, now=now, label="demo")
    _write_tokens(tokens_file, tokens)
    return tokens


def _write_tokens(path: Path, tokens: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(tokens, handle, indent=2)
