"""Request bodies within limits: authenticated first, read with a size cap, refused when nested too deep.

The limits (settings `max_body_bytes`, default 1 MB, and `max_json_depth`, default 64) hold before anything
parses a body: the size while it streams in (a declared Content-Length over the cap is refused before a
byte is read), the nesting depth too, by a scan of the raw bytes (strings skipped) fed chunk by chunk, so a deep body
is refused at the chunk that makes it too deep. A body nested deeper than
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


async def read_body(request: Request, max_bytes: int, max_depth: int | None = None) -> bytes:
    """The whole body, refused as soon as it is known to exceed `max_bytes` (BodyTooLarge) or, when
    `max_depth` is given, to nest deeper than it (BadRequest): both checked chunk by chunk as it streams in."""
    if hasattr(request, "_body"):
        body: bytes = request._body
        if max_depth is not None:
            check_depth(body, max_depth)
        return body
    declared = request.headers.get("content-length")
    if declared is not None and declared.strip().isdigit() and int(declared) > max_bytes:
        raise BodyTooLarge(max_bytes)
    gauge = DepthGauge(max_depth) if max_depth is not None else None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise BodyTooLarge(max_bytes)
        if gauge is not None:
            gauge.feed(chunk)
        chunks.append(chunk)
    request._body = b"".join(chunks)
    return request._body


# a string (possibly cut off at the end of the input) or a bracket
_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"?|[\[\]{}]')


class DepthGauge:
    """How deep a JSON text nests, fed in chunks as it arrives; raises BadRequest past the limit.

    Brackets inside strings do not count. A string cut by a chunk boundary is carried into the next chunk
    (only the unfinished string is re-read). While the text holds no more brackets in all than the limit, it
    cannot be too deep and is not scanned at all.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.depth = 0
        self.brackets = 0
        self.scanning = False
        self.seen = bytearray()  # what arrived before scanning started (short: at most `limit` brackets)
        self.carry = b""

    def feed(self, chunk: bytes) -> None:
        if not self.scanning:
            self.brackets += chunk.count(b"[") + chunk.count(b"{")
            if self.brackets <= self.limit:
                self.seen += chunk
                return
            self.scanning = True
            chunk, self.seen = bytes(self.seen) + chunk, bytearray()
        data = self.carry + chunk
        self.carry = b""
        for match in _TOKENS.finditer(data):
            token = match.group()
            if token in (b"[", b"{"):
                self.depth += 1
                if self.depth > self.limit:
                    raise too_deep(self.limit)
            elif token in (b"]", b"}"):
                self.depth -= 1
            elif len(token) == 1 or not token.endswith(b'"') or _escaped_end(token):
                self.carry = data[match.start():]  # an unfinished string: read it again with what follows
                return


def _escaped_end(token: bytes) -> bool:
    """Whether a string token's final quote is escaped (so the string goes on)."""
    backslashes = len(token) - 1 - len(token[:-1].rstrip(b"\\"))
    return backslashes % 2 == 1


def too_deep(limit: int) -> BadRequest:
    return BadRequest(f"the request body is nested deeper than {limit} levels", code="invalidBody")


def check_depth(body: bytes, limit: int) -> None:
    """A whole body, checked as if it had arrived in one chunk."""
    DepthGauge(limit).feed(body)
