"""Errors of the core. They name a kind of problem, never an HTTP status: the edge translates."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ErrorKind(StrEnum):
    NOT_FOUND = "notFound"
    CONFLICT = "conflict"
    INVALID = "invalid"  # business validation of a payload (MEF 422)
    BAD_REQUEST = "badRequest"  # malformed request (MEF 400)
    FORBIDDEN = "forbidden"
    UNAUTHENTICATED = "unauthenticated"
    NOT_IMPLEMENTED = "notImplemented"
    UNAVAILABLE = "unavailable"  # a dependency (the database) cannot be reached now: retry later (503)


@dataclass(frozen=True, slots=True)
class Problem:
    """One issue in a payload. `code` uses the MEF 422 vocabulary; `path` is a JSON pointer."""

    code: str
    reason: str
    path: str | None = None


class CoreError(Exception):
    kind: ErrorKind = ErrorKind.CONFLICT
    code: str | None = None  # MEF error code when the kind alone is not precise enough

    def __init__(self, reason: str, *, problems: list[Problem] | None = None, code: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.problems = problems or []
        if code is not None:
            self.code = code


class NotFound(CoreError):
    kind = ErrorKind.NOT_FOUND


class Conflict(CoreError):
    kind = ErrorKind.CONFLICT


class TransitionNotAllowed(Conflict):
    """A state machine refused a move; the resource is unchanged."""


class StaleVersion(Conflict):
    """Optimistic lock lost: someone changed the resource since it was read."""


class Invalid(CoreError):
    """A payload breaks a business rule; carries one or more MEF 422 problems."""

    kind = ErrorKind.INVALID

    def __init__(self, reason: str, *, problems: list[Problem] | None = None, code: str | None = None):
        super().__init__(reason, problems=problems or [Problem(code or "invalidValue", reason)], code=code)


class BadRequest(CoreError):
    kind = ErrorKind.BAD_REQUEST
    code = "invalidBody"


class Forbidden(CoreError):
    kind = ErrorKind.FORBIDDEN
    code = "accessDenied"


class Unauthenticated(CoreError):
    kind = ErrorKind.UNAUTHENTICATED
    code = "missingCredentials"


class Unavailable(CoreError):
    """The Seller cannot serve the request now (its database is unreachable); nothing was changed by it."""

    kind = ErrorKind.UNAVAILABLE
    code = "serviceUnavailable"


class NotImplementedByUs(CoreError):
    kind = ErrorKind.NOT_IMPLEMENTED
    code = "notImplemented"
