"""The operator's side of tokens at the command line: no supplier token by `dpr token create`, a
supplier's access restored (audited, the lost tokens revoked), tokens listed and revoked."""

from pathlib import Path

from sqlalchemy import text
from sqlmodel import Session

from procurement.core.auth import hash_token
from procurement.core.db import make_engine
from tests.conftest import run_cli
from tests.factories.registry import business_id, make_supplier


def test_the_operator_restores_a_suppliers_access_and_no_one_makes_supplier_tokens(
    scratch_database_url: str, tmp_path: Path
) -> None:
    env = {"DPR_DATABASE_URL": scratch_database_url, "DPR_DATA_DIR": str(tmp_path / "data")}
    refused = run_cli(
        "token", "create", "--role", "supplier", "--name", "Vale", "--business-id", "2331972-7", env=env
    )
    assert refused.returncode == 2 and "restore-access" in refused.stderr
    engine = make_engine(scratch_database_url, pool_size=1)
    with Session(engine, expire_on_commit=False) as session:
        supplier, lost = make_supplier(session, business_id=business_id(5), name="Polku Oy")
        session.commit()

    restored = run_cli(
        "supplier",
        "restore-access",
        supplier.business_id,
        "--reason",
        "Tunnistettu Suomi.fi-valtuuksin.",
        env=env,
    )
    assert restored.returncode == 0, restored.stderr
    token = restored.stdout.strip().splitlines()[-1]
    assert token.startswith("dpr_") and "other token(s) revoked" in " ".join(restored.stderr.split())
    assert "1 other" in " ".join(restored.stderr.split())

    listed = run_cli("token", "list", "--business-id", supplier.business_id, env=env)
    rows = [line.split("\t") for line in listed.stdout.strip().splitlines()]
    assert sorted((r[4], r[6].split(" ")[0]) for r in rows) == [
        ("", "revoked"),
        ("restored by the operator", "active"),
    ]
    with Session(engine) as session:
        lost_state = session.execute(
            text("SELECT revoked_by FROM api_token WHERE token_hash = :h"), {"h": hash_token(lost)}
        ).scalar_one()
        new_id = session.execute(
            text("SELECT id FROM api_token WHERE token_hash = :h"), {"h": hash_token(token)}
        ).scalar_one()
        audited = session.execute(
            text("SELECT actor FROM audit_record WHERE action = 'supplier.access_restored'")
        ).scalar_one()
    assert lost_state.startswith("operator:") and audited.startswith("operator:")

    revoked = run_cli("token", "revoke", str(new_id), "--reason", "Laite kadonnut.", env=env)
    assert revoked.returncode == 0, revoked.stderr
    again = run_cli("token", "list", "--business-id", supplier.business_id, "--active", env=env)
    assert again.stdout.strip() == ""
    engine.dispose()
