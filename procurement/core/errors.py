"""Domain errors: they know nothing about HTTP; the app factory maps them to problems."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class DomainError(Exception):
    """A rule of the product refused the request."""

    title = "Request refused"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class Unauthenticated(DomainError):
    """No valid credentials were presented."""

    title = "Authentication required"


class Forbidden(DomainError):
    """The principal is known but its role may not do this."""

    title = "Not allowed for your role"


class NotFound(DomainError):
    """The object does not exist or lies outside the principal's scope."""

    title = "Not found"


class Conflict(DomainError):
    """The request conflicts with the current state of the object."""

    title = "Conflict"


class IllegalTransition(Conflict):
    """A state machine refused a transition; the message names the current state."""

    title = "Illegal state transition"

    def __init__(self, *, thing: str, current: str, target: str, detail: str | None = None) -> None:
        super().__init__(
            detail or f"The {thing} is '{current}'; it cannot become '{target}'.",
            current_state=current,
            requested_state=target,
        )


class InvalidInput(DomainError):
    """The input is well-formed but breaks a rule; names the offending field."""

    title = "Invalid input"

    def __init__(self, detail: str, *, field: str | None = None, **extra: Any) -> None:
        if field is not None:
            extra["errors"] = [{"field": field, "message": detail}]
        super().__init__(detail, **extra)


class Unavailable(DomainError):
    """A dependency (the database) is down; the client may retry."""

    title = "Service unavailable"


@contextmanager
def body_reference(field: str) -> Iterator[None]:
    """An id sent in the body that names nothing the caller may use: 422 naming the field, never 404.

    A 404 says the request's own address does not exist; an id inside the body is content.
    """
    try:
        yield
    except NotFound as exc:
        raise InvalidInput(exc.detail, field=field) from exc
