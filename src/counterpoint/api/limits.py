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


# a whole string (the unrolled form: no backtracking, C speed); one cut off at the end of a chunk is left
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_OPENING = frozenset(b"[{")


class DepthGauge:
    """How deep a JSON text nests, fed in chunks as it arrives; raises BadRequest past the limit.

    Brackets inside strings do not count: strings are cut out first, and a string cut by the chunk boundary
    is carried into the next chunk. While the
    text holds no more brackets in all than the limit, it cannot be too deep and is not scanned at all.
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
        text, self.carry = _outside_strings(self.carry + chunk)
        depth = self.depth
        for byte in text.translate(None, _NOT_BRACKETS):
            if byte in _OPENING:
                depth += 1
                if depth > self.limit:
                    raise too_deep(self.limit)
            else:
                depth -= 1
        self.depth = depth


def _outside_strings(data: bytes) -> tuple[bytes, bytes]:
    """The text outside JSON strings, and the unfinished string at the end (from its quote), if any."""
    if b"\\" not in data:  # no escapes (the usual case): strings are every other stretch between quotes
        parts = data.split(b'"')
        unfinished = b'"' + parts[-1] if len(parts) % 2 == 0 else b""
        return b"".join(parts[0::2]), unfinished
    text = _STRING.sub(b"", data)
    cut = text.find(b'"')  # a quote no string closed: nothing after it was cut out
    return (text[:cut], text[cut:]) if cut >= 0 else (text, b"")


def too_deep(limit: int) -> BadRequest:
    return BadRequest(f"the request body is nested deeper than {limit} levels", code="invalidBody")


def check_depth(body: bytes, limit: int) -> None:
    """A whole body, checked as if it had arrived in one chunk."""
    DepthGauge(limit).feed(body)
