"""What the app serves: the controllers of every domain and one table from domain errors to statuses."""

from operator import attrgetter
from typing import Any

import psycopg
from litestar.exceptions import HTTPException, ValidationException
from sqlalchemy.exc import DataError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from minicompetition.award.routes import AwardController
from minicompetition.publication.routes import OpenDataController
from minicompetition.remedies.routes import RemediesController
from minicompetition.tender.routes import CompetitionController
from outcomes.economics.routes import EconomicsController
from outcomes.flowthrough.routes import FlowThroughController
from outcomes.notifications.routes import DeliveryController
from outcomes.payments.routes import PaymentsController
from outcomes.tracking.routes import TrackingController
from procurement.core import errors, problems
from procurement.core.routes import CoreController
from procurement.core.throttle import Throttled
from procurement.ring.routes import RingController
from registry.routes import RegistryController
from registry.webhooks.routes import WebhookController

# One table from domain errors to HTTP statuses; order matters (subclasses before bases).
STATUS_OF: dict[type[errors.DomainError], int] = {
    errors.Unauthenticated: 401,
    errors.Forbidden: 403,
    errors.NotFound: 404,
    errors.IllegalTransition: 409,
    errors.Conflict: 409,
    errors.InvalidInput: 422,
    Throttled: 429,
    errors.Unavailable: 503,
    errors.DomainError: 400,
}


class OutcomesController(TrackingController, FlowThroughController):
    """The outcomes routes of both sub-packages as one controller under one tag."""

    def get_route_handlers(self) -> list[Any]:
        """The handlers in the order of their names, the order the published document has always had."""
        return sorted(super().get_route_handlers(), key=attrgetter("handler_name"))


CONTROLLERS: list[Any] = [
    CoreController,
    RingController,
    RegistryController,
    CompetitionController,
    AwardController,
    RemediesController,
    OutcomesController,
    PaymentsController,
    EconomicsController,
    OpenDataController,
    WebhookController,
    DeliveryController,
]

EXCEPTION_HANDLERS: dict[Any, Any] = {
    errors.DomainError: problems.domain_handler(STATUS_OF),
    ValidationException: problems.validation_handler,
    HTTPException: problems.http_handler,
    OperationalError: problems.unavailable_handler,
    InterfaceError: problems.unavailable_handler,
    PoolTimeout: problems.unavailable_handler,
    # Hot paths run SQL on the driver connection itself (minicompetition.tender.queries).
    psycopg.OperationalError: problems.unavailable_handler,
    DataError: problems.data_handler,
    psycopg.DataError: problems.data_handler,
    Exception: problems.internal_handler,
}

# The reads anyone may make, served by the read replica (DPR_READ_DATABASE_URL) to callers without
# credentials: none needs to see its own writes (ADR 0019). Path templates as the router names them (no
# parameter types); tests/api/test_read_routing.py checks that every anonymous read is named here or
# kept on the primary on purpose. A DPS's public flow-through, its performance register and its public
# page stay on the primary: their first read after a month has ended stores that month's table (ADR 0006),
# which a standby cannot write.
PUBLIC_READS: frozenset[str] = frozenset(
    {
        "/authorities",
        "/authorities/{authority_id}",
        "/categories",
        "/competitions",
        "/competitions/{competition_id}",
        "/competitions/{competition_id}/award",
        "/dps",
        "/dps/{dps_id}",
        "/dps/{dps_id}/register",
        "/feed",
        "/ocds/bulk",
        "/ocds/bulk/{month}",
        "/ocds/packages",
        "/ocds/records/{ocid}",
        "/ocds/releases",
        "/ocds/releases/{release_id}",
        "/rings/{ring_id}",
        "/rings/{ring_id}/liability-rates",
        "/rings/{ring_id}/liability-rates/{rate_id}",
        "/ui/public",
        "/ui/public/competitions/{competition_id}",
    }
)
