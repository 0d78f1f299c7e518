"""Which reads may go to the read replica: every anonymous read is named in PUBLIC_READS or kept on the
primary on purpose, and nothing named there needs a caller (tests/integration/test_read_replica.py runs
them on a real standby)."""

import re

from litestar import Litestar
from litestar.handlers import HTTPRouteHandler

from procurement.app.surface import PUBLIC_READS
from procurement.app.web.routes_public import PublicPages

# Anonymous reads the replica must not serve: /health checks the primary's schema and asks the standby;
# a DPS's public flow-through, performance register and page store each ended month's table on first read.
KEPT_ON_PRIMARY = {
    "/health",
    "/dps/{dps_id}/flow-through",
    "/dps/{dps_id}/performance",
    "/ui/public/dps/{dps_id}",
}


def _template(path: str) -> str:
    return re.sub(r"\{(\w+):\w+\}", r"{\1}", path)


def _gets(app: Litestar) -> list[tuple[str, HTTPRouteHandler]]:
    found = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if isinstance(handler, HTTPRouteHandler) and "GET" in handler.http_methods:
                found.append((_template(route.path), handler))
    return found


def test_every_anonymous_read_is_classified(app: Litestar) -> None:
    gets = _gets(app)
    api_anonymous = {
        path
        for path, handler in gets
        if "db_session" in handler.parsed_fn_signature.parameters
        and "caller" not in handler.parsed_fn_signature.parameters
        and not path.startswith("/_test")
    }
    assert api_anonymous - KEPT_ON_PRIMARY == {p for p in PUBLIC_READS if not p.startswith("/ui/")}
    # The pages without sign-in are exactly the public pages' controller.
    declared = {
        _template("/ui" + path)
        for value in vars(PublicPages).values()
        if isinstance(value, HTTPRouteHandler)
        for path in value.paths
    }
    assert {p for p in PUBLIC_READS if p.startswith("/ui/")} == declared - KEPT_ON_PRIMARY
    assert {path for path, _ in gets} >= PUBLIC_READS
