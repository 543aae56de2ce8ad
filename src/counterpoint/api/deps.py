"""Annotated dependencies: who is calling, and the services a route may use."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Header, Query, Request

from counterpoint.bootstrap import Container
from counterpoint.core.seller.model import Buyer
from counterpoint.core.shared.errors import BadRequest, CoreError, ErrorKind, Unauthenticated

if TYPE_CHECKING:
    from counterpoint.core.ports import UnitOfWork


class ForbiddenRequester(CoreError):
    kind = ErrorKind.FORBIDDEN
    code = "forbiddenRequester"


class InvalidCredentials(CoreError):
    kind = ErrorKind.UNAUTHENTICATED
    code = "invalidCredentials"


@dataclass(frozen=True, slots=True)
class CallerInfo:
    """The resolved calling party. Every read and write is scoped to `party_id`."""

    party_id: str
    seller_id: str
    channel: str  # "sonata" or "cantata"
    correlation_id: str


async def container(request: Request) -> Container:
    return request.app.state.container


Services = Annotated[Container, Depends(container)]

_CORRELATION = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def authenticate(request: Request, c: Container) -> Buyer:
    """The buyer the request's credential names, or 401. Remembered on the request (routes with a body
    authenticate before reading it, see api/routing.py)."""
    known: Buyer | None = getattr(request.state, "buyer", None)
    if known is not None:
        return known
    key = request.headers.get("x-api-key")
    authorization = request.headers.get("authorization")
    if key is None and authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and value:
            key = value.strip()
    if not key:
        raise Unauthenticated("no credentials: send 'Authorization: Bearer <key>' or 'X-API-Key'")
    buyer = c.profile.buyer_for_key(key)
    if buyer is None:
        raise InvalidCredentials("the credentials are not valid")
    request.state.buyer = buyer
    return buyer


async def resolve_caller(
    request: Request,
    c: Services,
    x_correlation_id: Annotated[str | None, Header(alias="X-Correlation-ID", include_in_schema=False)] = None,
    buyer_id: Annotated[str | None, Query(alias="buyerId")] = None,
    seller_id: Annotated[str | None, Query(alias="sellerId")] = None,
) -> CallerInfo:
    """Resolve the calling party from its credential (API key now; MEF 128 OAuth2 later)."""
    buyer = authenticate(request, c)
    if buyer_id is not None and buyer_id != buyer.id:
        raise ForbiddenRequester(f"these credentials do not act for buyer {buyer_id}")
    if seller_id is not None and seller_id != c.profile.seller_id:
        raise BadRequest(f"sellerId {seller_id} is not served here", code="invalidQuery")
    channel = "cantata" if "/mefApi/cantata/" in request.url.path else "sonata"
    correlation = x_correlation_id if x_correlation_id and _CORRELATION.match(x_correlation_id) \
        else str(uuid.uuid4())
    request.state.correlation_id = correlation
    return CallerInfo(party_id=buyer.id, seller_id=c.profile.seller_id, channel=channel,
                      correlation_id=correlation)


Caller = Annotated[CallerInfo, Depends(resolve_caller)]


def caller_uow(c: Container, caller: CallerInfo) -> UnitOfWork:
    """The unit of work of a buyer's request: it sees the resources of the caller's interface only (a
    Sonata resource does not exist on Cantata), and what it writes carries the request's correlation id."""
    return c.uow(caller.correlation_id, channel=caller.channel)
