"""Request bodies within limits: authenticated first, read with a size cap, refused when nested too deep.

The limits (settings `max_body_bytes`, default 1 MB, and `max_json_depth`, default 64) hold before anything
parses a body: the size while it streams in (a declared Content-Length over the cap is refused before a
byte is read), the nesting depth by a scan of the raw bytes that skips strings. A body nested deeper than
any MEF payload needs would otherwise reach recursive code (validation, storage, serialization).
"""

from __future__ import annotations

import re

from starlette.requests import Request

from counterpoint.core.shared.errors import BadRequest


class BodyTooLarge(Exception):
    """Answered 413 with a MEF error body (api/errors.py)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the request body is larger than {limit} bytes")
        self.limit = limit


async def read_body(request: Request, max_bytes: int) -> bytes:
    """The whole body, refused (BodyTooLarge) as soon as it is known to exceed `max_bytes`."""
    if hasattr(request, "_body"):
        body: bytes = request._body
        return body
    declared = request.headers.get("content-length")
    if declared is not None and declared.strip().isdigit() and int(declared) > max_bytes:
        raise BodyTooLarge(max_bytes)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise BodyTooLarge(max_bytes)
        chunks.append(chunk)
    request._body = b"".join(chunks)
    return request._body


_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"?|[\[\]{}]')


def json_depth(body: bytes, limit: int) -> int:
    """The nesting depth of a JSON text, counted up to `limit + 1` (strings skipped; no parsing)."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return min(limit, body.count(b"[") + body.count(b"{"))
    depth = deepest = 0
    for match in _TOKENS.finditer(body):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    return deepest
        elif token in (b"]", b"}"):
            depth -= 1
    return deepest


def check_depth(body: bytes, limit: int) -> None:
    if json_depth(body, limit) > limit:
        raise BadRequest(f"the request body is nested deeper than {limit} levels", code="invalidBody")
