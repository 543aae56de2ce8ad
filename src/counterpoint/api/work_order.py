"""MEF 137 work orders (Seller side): list and retrieve (the Seller opens them; the hub is in api/hub.py).

MEF names the collection `/workorder` (lower case), unlike its API (`workOrderManagement`) and event types.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends

from counterpoint.api.deps import Caller, Services, caller_uow
from counterpoint.api.errors import MEF_ERRORS
from counterpoint.api.paging import Page, page_params, page_response
from counterpoint.api.responses import MefJSONResponse
from counterpoint.api.routing import MefRoute
from counterpoint.core.shared.apis import base_path
from counterpoint.core.workforce import services as workforce
from counterpoint.core.workforce.model import WorkOrderFilter

WorkOrderStateQ = Literal["cancelled", "completed", "inProgress", "open", "planned", "unableToComplete"]


def with_hrefs(doc: dict[str, Any], c: Services, channel: str) -> dict[str, Any]:
    """The work order as the Buyer reads it: its own href and its appointments' (the core stores neither)."""
    appointments = c.base_url + base_path("appointment", channel) + "/appointment/"
    out = {**doc, "href": f"{c.base_url}{base_path('workOrder', channel)}/workorder/{doc['id']}"}
    if doc.get("appointment"):
        out["appointment"] = [{**a, "href": appointments + a["id"]} for a in doc["appointment"]]
    return out


def make_router(channel: str) -> APIRouter:
    router = APIRouter(route_class=MefRoute, tags=["workorder"])

    @router.get("/workorder", operation_id="listWorkOrder", responses=MEF_ERRORS, response_class=MefJSONResponse)
    async def list_work_order(
        caller: Caller, c: Services, page: Annotated[Page, Depends(page_params)],
        state: WorkOrderStateQ | None = None,
        appointmentRequired: bool | None = None,  # noqa: N803
        geographicalSiteId: str | None = None,  # noqa: N803
        geographicalAddressId: str | None = None,  # noqa: N803
        relatedEntityType: str | None = None,  # noqa: N803
        relatedEntityId: str | None = None,  # noqa: N803
    ) -> MefJSONResponse:
        flt = WorkOrderFilter(state=state, appointment_required=appointmentRequired, site_id=geographicalSiteId,
                              address_id=geographicalAddressId, related_type=relatedEntityType,
                              related_id=relatedEntityId)
        found, total = await workforce.list_work_orders(caller_uow(c, caller), buyer_id=caller.party_id, flt=flt,
                                                        offset=page.offset, limit=page.limit)
        return page_response([w.summary() for w in found], total, page)

    @router.get("/workorder/{id}", operation_id="retrieveWorkOrder", responses=MEF_ERRORS,
                response_class=MefJSONResponse)
    async def retrieve_work_order(id: str, caller: Caller, c: Services) -> MefJSONResponse:
        wo = await workforce.get_work_order(caller_uow(c, caller), buyer_id=caller.party_id, work_order_id=id)
        return MefJSONResponse(with_hrefs(wo.doc, c, channel))

    return router
