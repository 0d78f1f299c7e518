"""Opening the database for the service and the CLI: the configured server or the embedded one, at head."""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine

from migrations.runner import upgrade_head
from procurement.core.db import make_engine
from procurement.core.embedded import EmbeddedPostgres
from procurement.core.settings import Settings


@contextmanager
def serving_database(settings: Settings) -> Iterator[str]:
    """The URL of the configured server, or of the embedded one started here; schema brought to head."""
    embedded = None
    url = settings.database_url
    if url is None:
        embedded = EmbeddedPostgres(settings.data_dir)
        url = embedded.start()
    try:
        upgrade_head(url)
        yield url
    finally:
        if embedded is not None:
            embedded.stop()


@contextmanager
def open_database(settings: Settings) -> Iterator[Engine]:
    """Connect to the configured server, or start the embedded one; schema brought to head."""
    with serving_database(settings) as url:
        engine = make_engine(url, pool_size=settings.db_pool_size)
        try:
            yield engine
        finally:
            engine.dispose()
