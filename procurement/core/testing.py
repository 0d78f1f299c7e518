"""Routes that exist only when DPR_ENV=test, to prove how failures look to a client."""

from litestar import Controller, get


class TestOnlyController(Controller):
    """Test-only endpoints."""

    path = "/_test"
    include_in_schema = False

    @get("/boom")
    async def boom(self) -> None:
        raise RuntimeError("deliberate failure for the error-shape test")
