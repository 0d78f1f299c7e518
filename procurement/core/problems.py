"""RFC 9457 problem documents: every error leaves the app in this one shape."""

import logging
import re
from typing import Any

import msgspec
from litestar import Litestar, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec

from procurement.core.errors import DomainError
from procurement.core.http import request_id_of

log = logging.getLogger("procurement.errors")

MEDIA_TYPE = "application/problem+json"

# Seconds a client should wait before retrying while the database is unreachable.
RETRY_AFTER_S = 2


class FieldProblem(msgspec.Struct):
    """One offending field of an invalid request."""

    field: str
    message: str


class Problem(msgspec.Struct):
    """An RFC 9457 problem document; some problems add members of their own (e.g. a deadline)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    request_id: str
    errors: list[FieldProblem] | None = None


# The statuses any operation may answer with a problem, documented on every operation.
ERROR_RESPONSES = {
    400: "Malformed request (not JSON, wrong media type).",
    401: "No valid API token.",
    403: "The caller's role may not do this.",
    404: "No such object within the caller's scope.",
    409: "The object's state does not allow this, or a conflicting request won.",
    413: "The request body is too large.",
    422: "Invalid input; the offending fields are named.",
    415: "The body is not application/json.",
    429: "Too many attempts (failed authentications, price-to-win questions); retry after Retry-After s.",
    503: "The database is unreachable; retry after Retry-After seconds, with the same Idempotency-Key.",
}


def document_problems(app: Litestar) -> None:
    """Declare the problem responses on every route handler, before the OpenAPI document is built."""
    specs = {
        status: ResponseSpec(
            data_container=Problem, media_type=MEDIA_TYPE, description=text, generate_examples=False
        )
        for status, text in sorted(ERROR_RESPONSES.items())
    }
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            # 415 only where a JSON body is read (the handler takes `data`).
            takes_body = "data" in handler.parsed_fn_signature.parameters
            mine = {k: v for k, v in specs.items() if k != 415 or takes_body}
            handler.responses = {**mine, **(handler.responses or {})}


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def problem(
    request: Request[Any, Any, Any],
    *,
    status: int,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response[dict[str, Any]]:
    """Build a problem+json response carrying the request id."""
    body: dict[str, Any] = {
        "type": f"/problems/{_slug(title)}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "request_id": request_id_of(request.scope),
    }
    body.update(extra)
    return Response(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def domain_handler(statuses: dict[type[DomainError], int]) -> Any:
    """A handler mapping each domain error class (or its nearest base) to its status."""

    def handle(request: Request[Any, Any, Any], exc: DomainError) -> Response[dict[str, Any]]:
        status = next(code for cls, code in statuses.items() if isinstance(exc, cls))
        headers = {"Retry-After": str(RETRY_AFTER_S)} if status == 503 else None
        if "retry_after_s" in exc.extra:
            headers = {"Retry-After": str(exc.extra["retry_after_s"])}
        return problem(
            request, status=status, title=exc.title, detail=exc.detail, headers=headers, **exc.extra
        )

    return handle


def validation_handler(request: Request[Any, Any, Any], exc: ValidationException) -> Response[dict[str, Any]]:
    """422 with the offending fields named."""
    errors = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if isinstance(item, dict):
            field = _public_name(request, _field_name(item))
            errors.append({"field": field, "message": _clean(str(item.get("message", "")))})
    if not errors:
        return problem(request, status=400, title="Malformed request", detail=_clean(exc.detail))
    detail = "Invalid input: " + "; ".join(
        f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in errors
    )
    return problem(request, status=422, title="Invalid input", detail=detail, errors=errors)


def http_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    """Framework errors (404 route, 405, 413…) as problems."""
    title = {
        404: "Not found",
        405: "Method not allowed",
        413: "Request too large",
        415: "Unsupported media type",
    }.get(exc.status_code, "Request refused")
    return problem(request, status=exc.status_code, title=title, detail=_clean(exc.detail))


def unavailable_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    """The database is unreachable: say so, so clients retry instead of hanging."""
    log.warning("database unavailable: %s", type(exc).__name__)
    return problem(
        request,
        status=503,
        title="Service unavailable",
        detail=(
            "The database is not reachable right now. Retry shortly; a retry with the same"
            " Idempotency-Key is never applied twice."
        ),
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


def data_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    """A value the database refuses as data (too long, NUL, out of range) that no schema caught: 422."""
    # Every input is checked before it reaches the database; this answer is the net under those checks,
    # so a miss is logged to be fixed, and the client still gets a clear refusal instead of a 500.
    log.warning(
        "value refused by the database in %s %s: %s", request.method, request.url.path, type(exc).__name__
    )
    return problem(
        request,
        status=422,
        title="Invalid input",
        detail="A value does not fit where it is stored (too long, out of range or a control character).",
    )


def internal_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    """Log the failure with the request id; never send a stack trace."""
    request_id = request_id_of(request.scope)
    log.exception("unhandled error in %s %s (request %s)", request.method, request.url.path, request_id)
    return problem(
        request,
        status=500,
        title="Internal error",
        detail=f"Something went wrong on our side; nothing was changed. Quote request id {request_id}.",
    )


def _field_name(item: dict[str, Any]) -> str:
    key = str(item.get("key") or "")
    message = str(item.get("message", ""))
    path = re.search(r"at `\$\.?([^`]*)`", message)
    missing = re.search(r"missing required field `([^`]+)`", message)
    prefix = path.group(1) if path and path.group(1) else ""
    if missing:
        return f"{prefix}.{missing.group(1)}" if prefix else missing.group(1)
    return prefix or key


def _public_name(request: Request[Any, Any, Any], name: str) -> str:
    """A parameter as the caller spells it (`?state=`), not as the handler's argument is named."""
    field = request.route_handler.parsed_fn_signature.parameters.get(name)
    kwarg = getattr(field, "kwarg_definition", None)
    aliases = (getattr(kwarg, attr, None) for attr in ("query", "header", "cookie", "name"))
    return next((alias for alias in aliases if isinstance(alias, str) and alias), name)


def _clean(message: str) -> str:
    return re.sub(r" - at `\$[^`]*`", "", message)
