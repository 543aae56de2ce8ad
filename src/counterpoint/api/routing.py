"""The route class every MEF router uses: bounded bodies, strict JSON decoding and no NUL characters anywhere.

- A request with a body is authenticated before the body is read, then read within the size limit and
  refused when nested deeper than the depth limit, before anything parses it (api/limits.py).

- Bodies are decoded with orjson, which refuses what would break later (lone surrogates, NaN, infinities)
  as malformed JSON (400 invalidBody), and is faster than the standard library.
- A query parameter longer than MAX_QUERY_VALUE characters is a bad query (400 invalidQuery).
- A NUL character cannot be stored by PostgreSQL (text or jsonb) and has no meaning in any MEF field, so it is
  refused where it enters: in a body value (422 invalidValue naming the path; 400 invalidBody for PATCH
  and hub registrations, whose MEF operations document no 422), in a query parameter (400 invalidQuery) or
  in a path (404).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import orjson
from fastapi import Request, Response
from fastapi.routing import APIRoute

from counterpoint.api.deps import authenticate
from counterpoint.api.limits import read_body
from counterpoint.core.shared.errors import BadRequest, Invalid, NotFound, Problem

_NUL_ESCAPE = b"\\u0000"
MAX_QUERY_VALUE = 512  # longer than any identifier or filter value a list takes
_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})


def nul_path(value: Any, path: str = "") -> str | None:
    """JSON pointer of the first string (or key) holding a NUL character, None if there is none."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, inner in value.items():
            here = f"{path}/{str(key).replace('~', '~0').replace('/', '~1')}"
            if "\x00" in str(key):
                return here
            found = nul_path(inner, here)
            if found is not None:
                return found
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            found = nul_path(inner, f"{path}/{i}")
            if found is not None:
                return found
    return None


class MefRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = orjson.loads(await self.body())  # orjson.JSONDecodeError is a json.JSONDecodeError
        return self._json


class MefRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            if b"%00" in request.scope.get("query_string", b""):
                raise BadRequest("query parameters must not contain NUL characters", code="invalidQuery")
            for key, value in request.query_params.multi_items():
                if len(value) > MAX_QUERY_VALUE or len(key) > MAX_QUERY_VALUE:
                    raise BadRequest(f"query parameter {key[:64]!r} is longer than {MAX_QUERY_VALUE} characters",
                                     code="invalidQuery")
            if "\x00" in request.scope.get("path", ""):
                raise NotFound("no resource has a NUL character in its identifier")
            mef = MefRequest(request.scope, request.receive)
            if request.method in _WITH_BODY:
                c = request.app.state.container
                authenticate(mef, c)  # a body is read for known callers only
                body = await read_body(mef, c.settings.max_body_bytes, c.settings.max_json_depth)
            else:
                body = await mef.body()
            if _NUL_ESCAPE in body:
                try:
                    path = nul_path(await mef.json())
                except orjson.JSONDecodeError:
                    path = None  # malformed: FastAPI answers it as such
                if path is not None:
                    reason = f"{path or '/'}: text must not contain NUL characters"
                    if request.method == "PATCH" or request.scope.get("path", "").endswith("/hub"):
                        raise BadRequest(reason, code="invalidBody")
                    raise Invalid(reason, problems=[Problem("invalidValue", reason, path or "/")])
            return await handler(mef)

        return guarded
