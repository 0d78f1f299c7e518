"""The test-only clock offset: refused outside test mode; in test mode it moves the database clock too."""

import base64
import secrets
from datetime import timedelta

import pytest
from sqlalchemy import text

from procurement.app.factory import create_app
from procurement.app.testing import install_test_clock
from procurement.core.clock import ClockOffset, utc_now
from procurement.core.db import make_engine
from procurement.core.settings import Settings, SettingsError


def _key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


@pytest.mark.parametrize("env", ["local", "production"])
def test_a_clock_offset_is_refused_outside_test_mode(env: str) -> None:
    settings = Settings(env=env, clock_offset_s=86_400, pseudonym_key=_key(), sealing_key=_key())  # type: ignore[arg-type]
    with pytest.raises(SettingsError, match="DPR_CLOCK_OFFSET_S"):
        create_app(settings)


def test_the_offset_moves_the_database_clock_of_that_engine_only(scratch_database_url: str) -> None:
    offset = ClockOffset(seconds=10 * 86_400)
    shifted, plain = (
        make_engine(scratch_database_url, pool_size=1),
        make_engine(scratch_database_url, pool_size=1),
    )
    try:
        install_test_clock(shifted, offset)
        with shifted.connect() as conn:
            ahead = conn.execute(text("SELECT clock_timestamp()")).scalar_one() - utc_now()
        assert timedelta(days=9, hours=23) < ahead < timedelta(days=10, hours=1)

        offset.seconds = 0  # read again at the next checkout
        with shifted.connect() as conn:
            assert abs(conn.execute(text("SELECT clock_timestamp()")).scalar_one() - utc_now()) < timedelta(
                minutes=1
            )

        offset.seconds = 5 * 86_400
        with plain.connect() as conn:
            assert abs(conn.execute(text("SELECT clock_timestamp()")).scalar_one() - utc_now()) < timedelta(
                minutes=1
            )
    finally:
        shifted.dispose()
        plain.dispose()
