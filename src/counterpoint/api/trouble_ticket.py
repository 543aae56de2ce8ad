"""MEF 124 trouble tickets (Seller side): create, list, retrieve, patch, and the Buyer's cancel, close, reopen."""

# Annotations are evaluated eagerly here: the request models come from a per-channel module (`mef`).

import importlib
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response

from counterpoint.api.deps import Caller, Services, caller_uow
from counterpoint.api.errors import MEF_ERRORS
from counterpoint.api.paging import Page, QueryInstant, page_params, page_response
from counterpoint.api.responses import MefJSONResponse
from counterpoint.api.routing import MefRoute
from counterpoint.core.shared.apis import base_path
from counterpoint.core.shared.errors import Invalid, Problem
from counterpoint.core.trouble_ticket import services as tickets
from counterpoint.core.trouble_ticket.model import TroubleTicket
from counterpoint.core.trouble_ticket.services import Party, TicketFilter

Priority = Literal["low", "medium", "high", "critical"]
Severity = Literal["minor", "moderate", "significant", "extensive"]
StatusQ = Literal["acknowledged", "assessingCancellation", "cancelled", "closed", "inProgress", "pending",
                  "resolved", "reopened"]
TicketTypeQ = Literal["assistance", "information", "installation", "maintenance"]
ImpactQ = Literal["degraded", "intermittent", "down"]

# R23: what a TroubleTicket_Find carries (when set)
_FIND = ("id", "externalId", "description", "relatedEntity", "observedImpact", "priority", "sellerPriority",
         "severity", "sellerSeverity", "ticketType", "status", "creationDate", "expectedResolutionDate",
         "resolutionDate")
# What a Buyer may not give on create: the Seller fills these in (TroubleTicket's own attributes)
_SELLERS = ("id", "href", "creationDate", "expectedResolutionDate", "resolutionDate", "sellerPriority",
            "sellerSeverity", "status", "statusChange", "workOrder")


def _pick(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: doc[k] for k in _FIND if k in doc}


def _only(body: dict[str, Any], allowed: set[str], why: str) -> None:
    """R34: a Buyer's request naming an attribute it cannot set is refused, not silently ignored."""
    extra = [k for k in body if k not in allowed]
    if extra:
        raise Invalid(f"{len(extra)} attribute(s) the Buyer cannot set", problems=[
            Problem("unexpectedProperty", f"{k} {why}", f"/{k}") for k in extra])


def make_router(channel: str) -> APIRouter:
    mef = importlib.import_module(f"counterpoint.contracts.{channel}.trouble_ticket_v4")
    router = APIRouter(route_class=MefRoute, tags=["troubleTicket"])
    updatable = set(mef.TroubleTicketUpdate.model_fields)

    def api_base(c: Services) -> str:
        return c.base_url + base_path("troubleTicket", channel)

    @router.post("/troubleTicket", operation_id="createTroubleTicket", status_code=201, responses=MEF_ERRORS,
                 response_class=MefJSONResponse)
    async def create_trouble_ticket(troubleTicket: mef.TroubleTicketCreate, caller: Caller,  # noqa: N803
                                    c: Services) -> MefJSONResponse:
        body = troubleTicket.model_dump(mode="json", by_alias=True, exclude_unset=True)
        _only(body, set(body) - set(_SELLERS), "is the Seller's to set")
        ticket = await tickets.create_ticket(
            caller_uow(c, caller), c.clock, c.profile, body=body, api_base=api_base(c), desk=c.ticket_desk,
            party=Party(buyer_id=caller.party_id, seller_id=caller.seller_id, channel=caller.channel))
        return MefJSONResponse(ticket.doc, status_code=201)

    @router.get("/troubleTicket", operation_id="listTroubleTicket", responses=MEF_ERRORS,
                response_class=MefJSONResponse)
    async def list_trouble_ticket(
        caller: Caller, c: Services, page: Annotated[Page, Depends(page_params)],
        externalId: str | None = None,  # noqa: N803
        priority: Priority | None = None,
        sellerPriority: Priority | None = None,  # noqa: N803
        severity: Severity | None = None,
        sellerSeverity: Severity | None = None,  # noqa: N803
        ticketType: TicketTypeQ | None = None,  # noqa: N803
        status: StatusQ | None = None,
        observedImpact: ImpactQ | None = None,  # noqa: N803
        relatedEntityId: str | None = None,  # noqa: N803
        relatedEntityType: str | None = None,  # noqa: N803
        created_gt: Annotated[QueryInstant | None, Query(alias="creationDate.gt")] = None,
        created_lt: Annotated[QueryInstant | None, Query(alias="creationDate.lt")] = None,
        expected_gt: Annotated[QueryInstant | None, Query(alias="expectedResolutionDate.gt")] = None,
        expected_lt: Annotated[QueryInstant | None, Query(alias="expectedResolutionDate.lt")] = None,
        resolved_gt: Annotated[QueryInstant | None, Query(alias="resolutionDate.gt")] = None,
        resolved_lt: Annotated[QueryInstant | None, Query(alias="resolutionDate.lt")] = None,
    ) -> MefJSONResponse:
        flt = TicketFilter(external_id=externalId, priority=priority, seller_priority=sellerPriority,
                           severity=severity, seller_severity=sellerSeverity, ticket_type=ticketType,
                           status=status, observed_impact=observedImpact, related_entity_id=relatedEntityId,
                           related_entity_type=relatedEntityType, creation_gt=created_gt, creation_lt=created_lt,
                           expected_resolution_gt=expected_gt, expected_resolution_lt=expected_lt,
                           resolution_gt=resolved_gt, resolution_lt=resolved_lt)
        found, total = await tickets.list_tickets(caller_uow(c, caller), buyer_id=caller.party_id, flt=flt,
                                                  offset=page.offset, limit=page.limit)
        return page_response([_pick(t.doc) for t in found], total, page)

    @router.get("/troubleTicket/{id}", operation_id="retrieveTroubleTicket", responses=MEF_ERRORS,
                response_class=MefJSONResponse)
    async def retrieve_trouble_ticket(id: str, caller: Caller, c: Services) -> MefJSONResponse:
        ticket: TroubleTicket = await tickets.get_ticket(caller_uow(c, caller), buyer_id=caller.party_id,
                                                         ticket_id=id)
        return MefJSONResponse(ticket.doc)

    @router.patch("/troubleTicket/{id}", operation_id="patchTroubleTicket", responses=MEF_ERRORS,
                  response_class=MefJSONResponse)
    async def patch_trouble_ticket(id: str, troubleTicket: mef.TroubleTicketUpdate, caller: Caller,  # noqa: N803
                                   c: Services) -> MefJSONResponse:
        body = troubleTicket.model_dump(mode="json", by_alias=True, exclude_unset=True)
        _only(body, updatable, "cannot be patched by the Buyer (R34)")
        ticket = await tickets.patch_ticket(caller_uow(c, caller), c.clock, c.profile, buyer_id=caller.party_id,
                                            ticket_id=id, body=body, desk=c.ticket_desk)
        return MefJSONResponse(ticket.doc)

    @router.post("/troubleTicket/{id}/cancel", operation_id="cancelTroubleTicket", status_code=204,
                 responses=MEF_ERRORS, tags=["troubleTicket operations"])
    async def cancel_trouble_ticket(id: str, caller: Caller, c: Services) -> Response:
        await tickets.cancel_ticket(caller_uow(c, caller), c.clock, c.profile, buyer_id=caller.party_id,
                                    ticket_id=id, desk=c.ticket_desk)
        return Response(status_code=204)

    @router.post("/troubleTicket/{id}/close", operation_id="closeTroubleTicket", status_code=204,
                 responses=MEF_ERRORS, tags=["troubleTicket operations"])
    async def close_trouble_ticket(id: str, caller: Caller, c: Services) -> Response:
        await tickets.close_ticket(caller_uow(c, caller), c.clock, c.profile, buyer_id=caller.party_id,
                                   ticket_id=id, desk=c.ticket_desk)
        return Response(status_code=204)

    @router.post("/troubleTicket/{id}/reopen", operation_id="reopenTroubleTicket", status_code=204,
                 responses=MEF_ERRORS, tags=["troubleTicket operations"])
    async def reopen_trouble_ticket(id: str, reason: mef.Reason, caller: Caller, c: Services) -> Response:
        await tickets.reopen_ticket(caller_uow(c, caller), c.clock, c.profile, buyer_id=caller.party_id,
                                    ticket_id=id, reason=reason.reason, desk=c.ticket_desk)
        return Response(status_code=204)

    return router
