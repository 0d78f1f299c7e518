"""Migrations build the schema from empty, and the models agree with them."""

import psycopg
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, inspect, text
from sqlmodel import SQLModel

from migrations.runner import upgrade_head
from procurement.app.models import load_all_models


def test_upgrade_from_empty_creates_the_tables(server_uri: str, database_url: str) -> None:
    with psycopg.connect(server_uri, autocommit=True) as conn:
        conn.execute('DROP DATABASE IF EXISTS "dpr_empty" WITH (FORCE)')
        conn.execute('CREATE DATABASE "dpr_empty"')
    url = database_url.replace("/dpr_test", "/dpr_empty")
    upgrade_head(url)
    engine = create_engine(url)
    try:
        tables = set(inspect(engine).get_table_names())
        assert {
            "principal",
            "api_token",
            "audit_record",
            "audit_head",
            "authority",
            "alembic_version",
        } <= tables
    finally:
        engine.dispose()


def test_models_and_migrations_agree(engine: Engine) -> None:
    load_all_models()
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata
        )
    assert diff == []


def test_audit_table_refuses_update_and_delete(engine: Engine) -> None:
    with engine.connect() as conn:
        for statement in (
            "UPDATE audit_record SET actor = 'x'",
            "DELETE FROM audit_record",
            "TRUNCATE audit_record",
        ):
            trans = conn.begin()
            try:
                conn.execute(text("INSERT INTO audit_head VALUES ('t', 'x', 0, 'h') ON CONFLICT DO NOTHING"))
                conn.execute(
                    text(
                        "INSERT INTO audit_record (aggregate_type, aggregate_id, seq, at, actor, action,"
                        " prev_hash, hash) VALUES ('t', 'x', 1, now(), 'a', 'b', 'p', 'h')"
                    )
                )
                try:
                    conn.execute(text(statement))
                    raised = None
                except Exception as exc:
                    raised = str(exc)
                assert raised is not None and "append-only" in raised
            finally:
                trans.rollback()
