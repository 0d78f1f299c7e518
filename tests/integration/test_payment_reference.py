"""The real close on PostgreSQL against the independent reference model, over generated histories."""

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection
from sqlmodel import Session

from procurement.core.settings import Settings
from tests.reference.harness import compare
from tests.reference.history import generate

# A handful here (each history is a year of a ring's work); bench/payments_fuzz.py runs thousands.
FEW = settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FEW
@given(seed=st.integers(0, 2**32 - 1), big=st.booleans())
def test_every_period_line_matches_the_reference_model(
    connection: Connection, settings: Settings, seed: int, big: bool
) -> None:
    history = generate(random.Random(seed), big=big)
    savepoint = connection.begin_nested()
    try:
        with Session(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        ) as session:
            result = compare(session, settings, history)
    finally:
        savepoint.rollback()
    assert result.mismatches == [], f"seed {seed}: " + "\n".join(result.mismatches[:20])
    assert result.lines_compared > 0
