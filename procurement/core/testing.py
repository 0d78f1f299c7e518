"""Routes that exist only when DPR_ENV=test, to prove how failures look to a client."""

from litestar import Controller, get

from procurement.core.http import DbSession


class TestOnlyController(Controller):
    """Test-only endpoints."""

    path = "/_test"
    include_in_schema = False

    @get("/boom")
    async def boom(self) -> None:
        raise RuntimeError("deliberate failure for the error-shape test")

    @get("/lost-connection", sync_to_thread=True)
    def lost_connection(self, db_session: DbSession) -> None:
        """The server ends this request's connection mid-transaction, as a database restart does."""
        driver = db_session.connection().connection.driver_connection
        assert driver is not None  # noqa: S101 (a checked-out connection)
        driver.execute("SELECT pg_terminate_backend(pg_backend_pid())")
