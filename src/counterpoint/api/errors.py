"""The one translation from core errors and request problems to MEF error bodies."""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from counterpoint.api.limits import BodyTooLarge
from counterpoint.api.responses import MefJSONResponse
from counterpoint.core.shared.errors import CoreError, ErrorKind, Problem

log = logging.getLogger("counterpoint.api")

_STATUS = {
    ErrorKind.NOT_FOUND: 404, ErrorKind.CONFLICT: 409, ErrorKind.INVALID: 422,
    ErrorKind.BAD_REQUEST: 400, ErrorKind.FORBIDDEN: 403, ErrorKind.UNAUTHENTICATED: 401,
    ErrorKind.NOT_IMPLEMENTED: 501, ErrorKind.UNAVAILABLE: 503,
}
RETRY_AFTER_S = 5  # what a 503 tells the client to wait before trying again
_DEFAULT_CODE = {
    ErrorKind.NOT_FOUND: "notFound", ErrorKind.CONFLICT: "conflict", ErrorKind.BAD_REQUEST: "invalidBody",
    ErrorKind.FORBIDDEN: "accessDenied", ErrorKind.UNAUTHENTICATED: "missingCredentials",
    ErrorKind.NOT_IMPLEMENTED: "notImplemented", ErrorKind.UNAVAILABLE: "serviceUnavailable",
}

# The error responses every MEF operation may document (bodies conform to Error400..Error501), and the two
# this Seller adds (bodies with the same {code, reason} shape): a body over the size limit, and an outage.
MEF_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Bad Request"}, 401: {"description": "Unauthorized"},
    403: {"description": "Forbidden"}, 404: {"description": "Not Found"},
    409: {"description": "Conflict"}, 413: {"description": "Request body larger than the Seller accepts"},
    422: {"description": "Unprocessable entity"}, 500: {"description": "Internal Server Error"},
    503: {"description": "The Seller's database cannot be reached; retry after the Retry-After header's seconds",
          "headers": {"Retry-After": {"schema": {"type": "integer"}}}},
}


def _cut(text: str) -> str:
    return text if len(text) <= 255 else text[:252] + "..."


def error_body(code: str, reason: str, message: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "reason": _cut(reason)}
    if message:
        body["message"] = message
    return body


def problems_body(problems: list[Problem]) -> list[dict[str, Any]]:
    out = []
    for p in problems:
        item: dict[str, Any] = {"code": p.code, "reason": _cut(p.reason)}
        if p.path is not None:
            item["propertyPath"] = p.path
        out.append(item)
    return out


def core_error_response(exc: CoreError) -> MefJSONResponse:
    status = _STATUS[exc.kind]
    if exc.kind is ErrorKind.INVALID:
        return MefJSONResponse(problems_body(exc.problems), status_code=422)
    headers = {"Retry-After": str(RETRY_AFTER_S)} if exc.kind is ErrorKind.UNAVAILABLE else None
    return MefJSONResponse(error_body(exc.code or _DEFAULT_CODE[exc.kind], exc.reason), status_code=status,
                           headers=headers)


def _pointer(loc: tuple[Any, ...]) -> str:
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in loc)


_TYPE_ERRORS = ("_type", "_parsing", "date", "time", "url", "uuid", "decimal", "json")


def _problem_from_pydantic(err: dict[str, Any]) -> Problem:
    loc = tuple(p for p in err["loc"][1:] if not (isinstance(p, str) and p.startswith("function-")))
    path = _pointer(loc)
    kind: str = err["type"]
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        # a discriminated object (e.g. a place) whose `@type` names no subtype of its base, or is missing
        ctx = err.get("ctx") or {}
        names = re.findall(r"'([^']+)'", str(ctx.get("discriminator", "")))
        path = _pointer((*loc, names[-1] if names else "@type"))
        if kind == "union_tag_not_found":
            return Problem("missingProperty", f"{path} is required: it names the type of this object", path)
        return Problem("invalidValue", f"{path}: {ctx.get('tag')!r} is not one of {ctx.get('expected_tags')}",
                       path)
    if kind == "missing":
        return Problem("missingProperty", f"{path} is required", path)
    if kind == "extra_forbidden":
        return Problem("unexpectedProperty", f"{path} is not expected", path)
    if kind in ("enum", "literal_error"):
        return Problem("invalidValue", f"{path}: {err['msg']}", path)
    if any(kind.endswith(s) or s in kind for s in _TYPE_ERRORS):
        return Problem("invalidFormat", f"{path}: {err['msg']}", path)
    return Problem("invalidValue", f"{path}: {err['msg']}", path)


def _member_name(part: Any, node: Any) -> bool:
    """A loc part naming a union member (a MEF class or `@type` value), not a property of the payload."""
    return isinstance(part, str) and part[:1].isupper() and not (isinstance(node, dict) and part in node)


def _for_given_type(errors: list[dict[str, Any]], body: Any) -> list[dict[str, Any]]:
    """Errors of the union members the payload names with its `@type`, with member names out of the loc.

    Pydantic reports, for a union of MEF types (e.g. a `place` that may be a FieldedAddress or a
    GeographicSiteRef), the failures of every member and puts the member name in the loc. Only the member
    the payload's `@type` names is relevant; and a JSON pointer must not carry the member name.
    """
    kept: list[dict[str, Any]] = []
    for err in errors:
        node, loc, relevant = body, [err["loc"][0]], True
        for part in err["loc"][1:]:
            if _member_name(part, node):
                given = node.get("@type") if isinstance(node, dict) else None
                relevant = relevant and (given is None or given == part)
                continue
            loc.append(part)
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                node = None
        if relevant:
            kept.append({**err, "loc": tuple(loc)})
    return kept or errors


_METHOD_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE")


def _in_order(methods: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(methods), key=lambda m: (
        _METHOD_ORDER.index(m) if m in _METHOD_ORDER else len(_METHOD_ORDER), m)))


def _routes(app: FastAPI) -> list[Any]:
    try:  # newer FastAPI keeps included routers nested; this walks them
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI copies every included route into app.routes
        return list(app.routes)
    return list(iter_route_contexts(app.routes))


def method_table(app: FastAPI) -> list[tuple[re.Pattern[str], frozenset[str]]]:
    """Each path template served (compiled as the router matches it) with the methods its routes take."""
    by_path: dict[str, set[str]] = defaultdict(set)
    for route in _routes(app):
        path, methods = getattr(route, "path", None), getattr(route, "methods", None)
        if path and methods:
            by_path[path].update(methods)
    return [(compile_path(path)[0], frozenset(methods)) for path, methods in by_path.items()]


def allowed_methods(app: FastAPI, path: str) -> tuple[str, ...]:
    """The methods served on `path`: the union over every route whose template matches it, and HEAD
    wherever GET is (see HeadAsGet)."""
    table = getattr(app.state, "method_table", None)
    if table is None:  # routes are fixed once the app serves: built on the first 405 or HEAD
        table = app.state.method_table = method_table(app)
    found = {m for pattern, methods in table if pattern.match(path) for m in methods}
    if "GET" in found:
        found.add("HEAD")
    return _in_order(found)


class HeadAsGet:
    """HEAD on a path that serves GET answers as that GET would, without the body (RFC 9110 9.1 and 9.3.2).

    MEF's envelopes document GET only, so the routes (and the OpenAPI documents made from them) stay GET."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD" or "GET" not in allowed_methods(
                scope["app"], scope["path"]):
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)


def unexpected_response(exc: Exception) -> MefJSONResponse:
    log.exception("unhandled error", exc_info=exc)
    return MefJSONResponse(error_body("internalError", "the Seller met an unexpected condition"), status_code=500)


class ContainErrors:
    """Answers every error no handler took (500 with a MEF body) inside the application.

    Starlette's outermost error middleware re-raises what it answers, and the server then closes the
    client's keep-alive connection; an error contained here ends as an ordinary response instead.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception as exc:  # noqa: BLE001 - the one place that answers what nothing else did
            if isinstance(exc, CoreError):
                response = core_error_response(exc)
            else:
                response = unexpected_response(exc)
            if not started:
                await response(scope, receive, send)


def install(app: FastAPI) -> None:
    app.add_middleware(ContainErrors)
    app.add_middleware(HeadAsGet)

    @app.exception_handler(CoreError)
    async def _core(_: Request, exc: CoreError) -> MefJSONResponse:
        return core_error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> MefJSONResponse:
        errors = list(exc.errors())
        body_errors = _for_given_type([e for e in errors if e["loc"] and e["loc"][0] == "body"], exc.body)
        if any(e["type"] == "json_invalid" or (e["type"] in ("model_attributes_type", "dict_type", "missing")
                                               and len(e["loc"]) <= 1) for e in body_errors):
            first = body_errors[0]
            detail = (first.get("ctx") or {}).get("error") or first["msg"]
            return MefJSONResponse(error_body("invalidBody", f"request body is not valid JSON of the "
                                              f"expected shape: {detail}"), status_code=400)
        if body_errors and request.method == "PATCH":
            # MEF's PATCH operations document no 422: a body that breaks the envelope is a bad request
            first = _problem_from_pydantic(body_errors[0])
            return MefJSONResponse(error_body("invalidBody", first.reason), status_code=400)
        if body_errors:
            return MefJSONResponse(problems_body([_problem_from_pydantic(e) for e in body_errors]),
                                   status_code=422)
        first = errors[0]
        name = first["loc"][-1] if first["loc"] else "query"
        code = "missingQueryParameter" if first["type"] == "missing" else "invalidQuery"
        return MefJSONResponse(error_body(code, f"{name}: {first['msg']}"), status_code=400)

    @app.exception_handler(BodyTooLarge)
    async def _too_large(_: Request, exc: BodyTooLarge) -> MefJSONResponse:
        return MefJSONResponse(error_body("invalidBody", str(exc)), status_code=413)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> MefJSONResponse:
        if exc.status_code == 404:
            return MefJSONResponse(error_body("notFound", "no such resource path"), status_code=404)
        if exc.status_code == 405:
            # RFC 9110 15.5.6: a 405 names the methods the path supports. The router's own header names only
            # the first route it tried, and a path may have one route per method.
            allowed = allowed_methods(request.app, request.url.path) or tuple(
                m.strip() for m in (exc.headers or {}).get("Allow", "").split(",") if m.strip())
            return MefJSONResponse(error_body(
                "methodNotAllowed", f"{request.method} is not supported on this path; it takes "
                f"{', '.join(allowed) or 'no method'}"), status_code=405, headers={"Allow": ", ".join(allowed)})
        if exc.status_code == 401:
            return MefJSONResponse(error_body("missingCredentials", str(exc.detail)), status_code=401)
        return MefJSONResponse(error_body("internalError", str(exc.detail)), status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> MefJSONResponse:
        return unexpected_response(exc)
