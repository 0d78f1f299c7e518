"""Request plumbing shared by every domain: the transaction, the caller, the request id."""

import logging
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import TypeVar

import msgspec
from anyio import to_thread
from litestar import Request, Response
from litestar.concurrency import sync_to_thread
from litestar.datastructures import ResponseHeader, State
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException, ValidationException
from litestar.types import Message, Scope
from sqlmodel import Session

from procurement.core.auth import Caller, TokenCache, authenticate
from procurement.core.body import decode_errors, is_json
from procurement.core.clock import ClockOffset, utc_now
from procurement.core.errors import Unauthenticated
from procurement.core.replica import UNREACHABLE, ReadReplica
from procurement.core.settings import Settings
from procurement.core.text import MAX_DEPTH, may_hold_control, refusals
from procurement.core.throttle import Throttle

log = logging.getLogger(__name__)

REQUEST_ID_HEADER = "x-request-id"

# Handlers name their dependencies with these, so Litestar never has to infer them.
DbSession = NamedDependency[Session]
CurrentCaller = NamedDependency[Caller]
OptionalCaller = NamedDependency[Caller | None]
Now = NamedDependency[datetime]
AppSettings = NamedDependency[Settings]

T = TypeVar("T")


async def provide_db_session(request: Request, state: State) -> AsyncIterator[Session]:
    """One transaction per request: committed before the response is sent, rolled back on any error.

    A public read by a caller without credentials runs on the read replica when one is configured and
    answers (ADR 0019); everything else, and every public read when it does not, on the primary.
    """
    replica: ReadReplica | None = public_read_replica(request, state)
    session: Session | None = None
    if replica is not None:
        session = await to_thread.run_sync(replica.session)
    if session is None:
        replica, session = None, state.session_factory()
    try:
        yield session
    except BaseException as exc:
        if replica is not None and isinstance(exc, UNREACHABLE):
            replica.mark_down()  # the standby went away mid-request: the next ones use the primary
        await to_thread.run_sync(_discard, session)
        raise
    if session.in_transaction():
        # Blocking database work runs in a worker thread, never on the event loop; one hop for both.
        await to_thread.run_sync(_finish, session, True)
    else:
        session.close()


def public_read_replica(request: Request, state: State) -> ReadReplica | None:
    """The read replica, when this request may use it: a public read (its path template is in the
    app's `public_reads`) with no token and no credential cookie (a caller reads its own writes)."""
    replica: ReadReplica | None = state.get("read_replica")
    if replica is None or request.method not in ("GET", "HEAD"):
        return None
    if request.scope.get("path_template") not in state.public_reads:
        return None
    if request.headers.get("authorization"):
        return None
    if any(name in request.cookies for name in state.credential_cookies):
        return None
    return replica


def _finish(session: Session, commit: bool) -> None:
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    except BaseException:
        _discard(session)
        raise
    finally:
        session.close()


def _discard(session: Session) -> None:
    """Roll back a failed request, never hiding its error behind a failed rollback."""
    # When the connection is lost (the database restarted) the rollback fails too; raising that
    # instead would turn the request's own 503 into a 500.
    try:
        session.rollback()
    except Exception:  # the pool has invalidated the connection; nothing is left to roll back
        log.debug("rollback on a lost connection skipped", exc_info=True)
    finally:
        session.close()


def client_key(request: Request) -> str:
    """The client a request came from, as throttling counts it (the peer address; no proxy header is
    trusted)."""
    return request.client.host if request.client else "unknown"


def check_auth_throttle(state: State, client: str) -> None:
    """Refuse (429) a client that has failed to authenticate too often lately, before looking at its token."""
    throttle: Throttle = state.auth_throttle
    throttle.check(client, what="failed authentications from your address")


def counting_failures(state: State, client: str, attempt: Callable[[], T]) -> T:
    """Run an authentication, counting a failure against the client."""
    try:
        return attempt()
    except Unauthenticated:
        state.auth_throttle.hit(client)
        raise


def provide_optional_caller(request: Request, state: State) -> Caller | None:
    """The caller if a token was sent; public routes accept anonymous requests."""
    authorization = request.headers.get("authorization")
    if not authorization:
        return None
    client = client_key(request)
    check_auth_throttle(state, client)
    cache: TokenCache = state.token_cache
    cached = cache.get(authorization)
    if cached is not None:
        return cached
    # A session of its own, closed at once: no connection is held while the handler waits for a thread.
    session: Session = state.session_factory()
    try:
        caller = counting_failures(state, client, lambda: authenticate(session, authorization))
    finally:
        session.close()
    if caller is not None:
        cache.put(authorization, caller)
    return caller


async def in_one_transaction(request: Request, work: Callable[[Session, Caller], T]) -> T:
    """Authenticate and run `work` in one worker thread, committing there: one thread hop in all.

    For hot routes: the dependency path takes three hops (caller, handler, commit) and task groups.
    A cached token is resolved here without a thread; otherwise the token is looked up in the same
    transaction. Anonymous callers get 401 as from `provide_caller`.
    """
    state: State = request.app.state
    authorization = request.headers.get("authorization")
    if not authorization:
        raise Unauthenticated("This endpoint needs an API token: send 'Authorization: Bearer <token>'.")
    client = client_key(request)
    check_auth_throttle(state, client)
    cache: TokenCache = state.token_cache
    cached = cache.get(authorization)

    def run() -> T:
        session: Session = state.session_factory()
        try:
            caller = cached or counting_failures(state, client, lambda: authenticate(session, authorization))
            assert caller is not None  # noqa: S101 (a header was sent: a caller or Unauthenticated)
            if cached is None:
                cache.put(authorization, caller)
            result = work(session, caller)
            session.commit()
            return result
        except BaseException:
            _discard(session)
            raise
        finally:
            session.close()

    return await sync_to_thread(run)


def provide_caller(optional_caller: OptionalCaller) -> Caller:
    """The caller; refuses anonymous requests with 401."""
    if optional_caller is None:
        raise Unauthenticated("This endpoint needs an API token: send 'Authorization: Bearer <token>'.")
    return optional_caller


def provide_settings(state: State) -> Settings:
    """The app's settings."""
    settings: Settings = state.settings
    return settings


def provide_now(state: State) -> datetime:
    """The request's moment, read once so every rule in the request sees the same time."""
    offset: ClockOffset = state.clock_offset
    return utc_now() + offset.delta


async def strict_body(request: Request) -> None:
    """Refuse a body that is not JSON (415), or whose JSON is not exactly the schema's (422).

    Litestar converts bodies leniently; money and counts must never be guessed from a float or a string
    ("2500" or 2500.0 for an integer), and every unknown field is named, not only the first.
    """
    field = request.route_handler.parsed_fn_signature.parameters.get("data")
    if field is None or request.method in ("GET", "HEAD", "DELETE"):
        return
    raw = await request.body()
    if not raw and field.has_default:
        return  # an optional body left out (e.g. publishing without a confirmation)
    if not is_json(request.headers.get("content-type")):
        raise HTTPException(
            status_code=415,
            detail="Send the body as application/json (Content-Type: application/json).",
        )
    try:
        errors = decode_errors(raw, field.annotation)
    except msgspec.DecodeError as exc:
        raise ValidationException(detail=f"The body is not valid JSON: {exc}") from exc
    except RecursionError as exc:
        message = f"The body is nested deeper than {MAX_DEPTH} levels."
        raise ValidationException(detail=message, extra=[{"message": message, "key": "body"}]) from exc
    if errors:
        raise ValidationException(detail=errors[0]["message"], extra=errors)
    refuse_control_characters(raw)


def refuse_control_characters(raw: bytes) -> None:
    """422 naming each field whose text holds a control character (PostgreSQL refuses NUL: never a 500)."""
    if not may_hold_control(raw):
        return
    found = [{"key": path, "message": message} for path, message in refusals(msgspec.json.decode(raw))]
    if found:
        raise ValidationException(detail=found[0]["message"], extra=found)


def created(body: T, *, location: str, headers: dict[str, str] | None = None) -> Response[T]:
    """201 Created with the new resource's address in Location."""
    return Response(body, status_code=201, headers={"Location": location, **(headers or {})})


# Documents the Location header on the 201 answer of every creating operation.
LOCATION = ResponseHeader(
    name="Location",
    description="The path of the created resource (GET it with the same token).",
    value="/",  # never sent (documentation only); it types the header as a string
    documentation_only=True,
    required=True,
)


def request_id_of(scope: Scope) -> str:
    """The request's id, made on first use, so logs and problems can be matched."""
    state = scope.setdefault("state", {})
    if "request_id" not in state:
        state["request_id"] = uuid.uuid4().hex
    request_id: str = state["request_id"]
    return request_id


async def add_request_id_header(message: Message, scope: Scope) -> None:
    """Echo the request id on every response, routed or not."""
    if message["type"] == "http.response.start":
        headers = list(message.get("headers", []))
        headers.append((REQUEST_ID_HEADER.encode(), request_id_of(scope).encode()))
        message["headers"] = headers
