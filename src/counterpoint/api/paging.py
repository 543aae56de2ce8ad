"""offset/limit and the MEF pagination headers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Query
from pydantic import AfterValidator

from counterpoint.api.responses import MefJSONResponse
from counterpoint.core.shared.errors import BadRequest

MAX_PAGE = 1000  # larger pages are cut and flagged with X-Pagination-Throttled
DEFAULT_PAGE = 100
MAX_OFFSET = 2**31 - 1  # far past any list; larger values would overflow the databases' integers


def _instant(at: datetime) -> datetime:
    """A date-time filter names an instant: it says its zone, and that instant is a date both databases
    hold (a value whose UTC form leaves years 1-9999, e.g. 9999-12-31T23:59:59-14:00, is out of range)."""
    if at.tzinfo is None:
        raise ValueError("must carry a time zone (e.g. 2024-01-01T00:00:00Z)")
    try:
        return at.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValueError("is out of the supported date range") from None


# The type of every date-time query parameter (a naive or out-of-range value is 400 invalidQuery).
QueryInstant = Annotated[datetime, AfterValidator(_instant)]


@dataclass(frozen=True, slots=True)
class Page:
    offset: int
    limit: int
    throttled: bool


async def page_params(
    offset: Annotated[int | None, Query(description="index of the first item, from 0")] = None,
    limit: Annotated[int | None, Query(description="number of items wanted")] = None,
) -> Page:
    if offset is not None and offset < 0:
        raise BadRequest("offset must be 0 or more", code="invalidQuery")
    if offset is not None and offset > MAX_OFFSET:
        raise BadRequest(f"offset must be at most {MAX_OFFSET}", code="invalidQuery")
    if limit is not None and limit < 0:
        raise BadRequest("limit must be 0 or more", code="invalidQuery")
    wanted = DEFAULT_PAGE if limit is None else limit
    return Page(offset=offset or 0, limit=min(wanted, MAX_PAGE), throttled=wanted > MAX_PAGE)


def page_response(items: list[Any], total: int, page: Page) -> MefJSONResponse:
    throttled = page.throttled and total > page.offset + len(items)
    return MefJSONResponse(items, headers={
        "X-Total-Count": str(total), "X-Result-Count": str(len(items)),
        "X-Pagination-Throttled": "true" if throttled else "false",
    })


def aware(at: datetime | None, name: str) -> datetime | None:
    """A date-time query parameter must say its zone: a naive one names no instant (400 invalidQuery)."""
    if at is not None and at.tzinfo is None:
        raise BadRequest(f"{name} must carry a time zone (e.g. Z)", code="invalidQuery")
    return at
