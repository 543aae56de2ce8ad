"""`/hub` of the POQ, quote, product order, trouble ticket, appointment and work order APIs (the same operations on
each)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Response

from counterpoint.api.deps import Caller, Services, caller_uow
from counterpoint.api.errors import MEF_ERRORS
from counterpoint.api.responses import MefJSONResponse
from counterpoint.api.routing import MefRoute
from counterpoint.core.hub import services as hub
from counterpoint.core.hub.model import HubListener
from counterpoint.core.shared.errors import BadRequest


def to_mef(listener: HubListener) -> dict[str, Any]:
    out: dict[str, Any] = {"id": listener.id, "callback": listener.callback}
    if listener.query is not None:
        out["query"] = listener.query
    return out


def make_router(api: str, *, with_retrieve: bool) -> APIRouter:
    router = APIRouter(route_class=MefRoute, tags=["events subscription"])

    @router.post("/hub", operation_id="registerListener", status_code=201, responses=MEF_ERRORS,
                 response_class=MefJSONResponse)
    async def register_listener(caller: Caller, c: Services,
                                data: dict[str, Any] = Body(...)) -> MefJSONResponse:
        callback = data.get("callback")
        query = data.get("query")
        if not isinstance(callback, str) or (query is not None and not isinstance(query, str)):
            raise BadRequest("'callback' (string) is required; 'query' must be a string")
        listener = await hub.register(caller_uow(c, caller), c.clock, buyer_id=caller.party_id,
                                      api=api, channel=caller.channel, callback=callback, query=query,
                                      check_target=c.targets.check_registration)
        return MefJSONResponse(to_mef(listener), status_code=201)

    if with_retrieve:
        @router.get("/hub/{id}", operation_id="retrieveHub", responses=MEF_ERRORS,
                    response_class=MefJSONResponse)
        async def retrieve_hub(id: str, caller: Caller, c: Services) -> MefJSONResponse:
            listener = await hub.get(caller_uow(c, caller), buyer_id=caller.party_id, api=api, channel=caller.channel,
                                     listener_id=id)
            return MefJSONResponse(to_mef(listener))

    @router.delete("/hub/{id}", operation_id="unregisterListener", status_code=204, responses=MEF_ERRORS)
    async def unregister_listener(id: str, caller: Caller, c: Services) -> Response:
        await hub.unregister(caller_uow(c, caller), buyer_id=caller.party_id, api=api,
                             channel=caller.channel, listener_id=id)
        return Response(status_code=204)

    return router


def poq_hub(channel: str) -> APIRouter:
    return make_router("poq", with_retrieve=False)


def quote_hub(channel: str) -> APIRouter:
    return make_router("quote", with_retrieve=False)


def order_hub(channel: str) -> APIRouter:
    return make_router("productOrder", with_retrieve=True)


def trouble_ticket_hub(channel: str) -> APIRouter:
    return make_router("troubleTicket", with_retrieve=True)


def appointment_hub(channel: str) -> APIRouter:
    return make_router("appointment", with_retrieve=True)


def work_order_hub(channel: str) -> APIRouter:
    return make_router("workOrder", with_retrieve=True)
