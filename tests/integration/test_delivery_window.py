"""A delivery is retried with backoff within the retry window and then marked failed, each try logged."""

from datetime import timedelta

from sqlmodel import Session, select

from outcomes.notifications import deliveries, sender
from outcomes.notifications.fanout import fan_out
from procurement.core.auth import Caller
from procurement.core.clock import utc_now
from procurement.core.models import Principal
from procurement.core.settings import Settings
from registry.webhooks import endpoints
from registry.webhooks.schemas import EndpointIn
from tests.factories.registry import business_id, make_supplier


def test_retried_until_the_window_closes_then_failed(session: Session, settings: Settings) -> None:
    settings = settings.model_copy(update={"webhook_allow_private": True, "webhook_retry_hours": 24.0})
    supplier, _ = make_supplier(session, business_id=business_id(41))
    principal = session.exec(select(Principal).where(Principal.business_id == supplier.business_id)).one()
    caller = Caller(id=principal.id, role="supplier", name=principal.name, business_id=supplier.business_id)
    now = utc_now()
    made = endpoints.create(
        session,
        caller=caller,
        data=EndpointIn(url="http://127.0.0.1:9/x", event_types=["competition.published"]),
        now=now - timedelta(seconds=1),
        settings=settings,
    )
    deliveries.test(session, caller=caller, endpoint_id=made.endpoint.id, now=now)
    fan_out(session, now=now, settings=settings)
    refused = sender.Result(status=None, error="ConnectError: refused", duration_ms=3)

    [job] = sender.claim(session, now=now, limit=10, settings=settings)
    assert sender.claim(session, now=now, limit=10, settings=settings) == []  # leased: nobody else takes it
    assert sender.record(session, job, refused, now=now, settings=settings) == "pending"
    assert sender.claim(session, now=now + timedelta(seconds=9), limit=10, settings=settings) == []
    [again] = sender.claim(session, now=now + timedelta(seconds=10), limit=10, settings=settings)
    assert again.attempt == 2 and again.body == job.body and again.msg_id == job.msg_id
    assert (
        sender.record(
            session, again, sender.Result(503, None, 4), now=now + timedelta(seconds=10), settings=settings
        )
        == "pending"
    )
    late = now + timedelta(hours=23, minutes=59, seconds=30)  # the next wait (40 s) would pass 24 h
    [last] = sender.claim(session, now=late, limit=10, settings=settings)
    assert sender.record(session, last, refused, now=late, settings=settings) == "failed"
    assert sender.claim(session, now=late + timedelta(days=2), limit=10, settings=settings) == []
    [logged] = deliveries.log(session, caller=caller, endpoint_id=made.endpoint.id, limit=10)
    assert (logged.state, logged.attempts, logged.next_attempt_at) == ("failed", 3, None)
    assert [(a.attempt, a.status, a.error) for a in logged.log] == [
        (1, None, "ConnectError: refused"),
        (2, 503, None),
        (3, None, "ConnectError: refused"),
    ]
    assert logged.failed_at == late
