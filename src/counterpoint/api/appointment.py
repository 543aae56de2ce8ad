"""MEF 137 appointments and time slots (Seller side): search slots, book, list, retrieve, reschedule or
otherwise patch, and cancel appointments (the hub is in api/hub.py)."""

# Annotations are evaluated eagerly here: the request models come from a per-channel module (`mef`).

import importlib
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response

from counterpoint.api.deps import Caller, Services, caller_uow
from counterpoint.api.errors import MEF_ERRORS
from counterpoint.api.paging import Page, QueryInstant, aware, page_params, page_response
from counterpoint.api.responses import MefJSONResponse
from counterpoint.api.routing import MefRoute
from counterpoint.core.shared.apis import base_path
from counterpoint.core.workforce import services as workforce
from counterpoint.core.workforce.model import AppointmentFilter

AppointmentStatusQ = Literal["confirmed", "inProgress", "cancelled", "missed", "failed", "completed"]


def make_router(channel: str) -> APIRouter:
    mef = importlib.import_module(f"counterpoint.contracts.{channel}.appointment_v2")
    router = APIRouter(route_class=MefRoute, tags=["appointment"])

    def work_order_href(c: Services, wo_id: str) -> str:
        return f"{c.base_url}{base_path('workOrder', channel)}/workorder/{wo_id}"

    def shown(doc: dict[str, Any], c: Services) -> dict[str, Any]:
        """The appointment with its href and its work order's (the core stores neither)."""
        return {**doc, "href": f"{c.base_url}{base_path('appointment', channel)}/appointment/{doc['id']}",
                "workOrder": {**doc["workOrder"], "href": work_order_href(c, doc["workOrder"]["id"])}}

    @router.post("/searchTimeSlot", operation_id="createSearchTimeSlot", status_code=201, responses=MEF_ERRORS,
                 response_class=MefJSONResponse)
    async def create_search_time_slot(searchTimeSlot: mef.SearchTimeSlotCreate, caller: Caller,  # noqa: N803
                                      c: Services) -> MefJSONResponse:
        request = searchTimeSlot.model_dump(mode="json", by_alias=True, exclude_unset=True)
        found = await workforce.search_time_slots(caller_uow(c, caller), c.clock, c.profile,
                                                  buyer_id=caller.party_id, request=request)
        found["workOrder"]["href"] = work_order_href(c, found["workOrder"]["id"])
        return MefJSONResponse(found, status_code=201)

    @router.post("/appointment", operation_id="createAppointment", status_code=201, responses=MEF_ERRORS,
                 response_class=MefJSONResponse)
    async def create_appointment(appointment: mef.AppointmentCreate, caller: Caller,
                                 c: Services) -> MefJSONResponse:
        request = appointment.model_dump(mode="json", by_alias=True, exclude_unset=True)
        appt = await workforce.create_appointment(caller_uow(c, caller), c.clock, c.profile,
                                                  buyer_id=caller.party_id, channel=caller.channel, request=request)
        return MefJSONResponse(shown(appt.doc, c), status_code=201)

    @router.get("/appointment", operation_id="listAppointment", responses=MEF_ERRORS,
                response_class=MefJSONResponse)
    async def list_appointment(
        caller: Caller, c: Services, page: Annotated[Page, Depends(page_params)],
        workOrderId: str | None = None,  # noqa: N803
        status: AppointmentStatusQ | None = None,
        geographicSiteId: str | None = None,  # noqa: N803
        geographicAddressId: str | None = None,  # noqa: N803
        valid_gt: Annotated[QueryInstant | None, Query(alias="validFor.gt")] = None,
        valid_lt: Annotated[QueryInstant | None, Query(alias="validFor.lt")] = None,
    ) -> MefJSONResponse:
        flt = AppointmentFilter(work_order_id=workOrderId, status=status, site_id=geographicSiteId,
                                address_id=geographicAddressId, valid_for_gt=aware(valid_gt, "validFor.gt"),
                                valid_for_lt=aware(valid_lt, "validFor.lt"))
        found, total = await workforce.list_appointments(caller_uow(c, caller), buyer_id=caller.party_id,
                                                         flt=flt, offset=page.offset, limit=page.limit)
        return page_response([shown(a.summary(), c) for a in found], total, page)

    @router.get("/appointment/{id}", operation_id="retrieveAppointment", responses=MEF_ERRORS,
                response_class=MefJSONResponse)
    async def retrieve_appointment(id: str, caller: Caller, c: Services) -> MefJSONResponse:
        appt = await workforce.get_appointment(caller_uow(c, caller), buyer_id=caller.party_id, appointment_id=id)
        return MefJSONResponse(shown(appt.doc, c))

    @router.patch("/appointment/{id}", operation_id="patchAppointment", responses=MEF_ERRORS,
                  response_class=MefJSONResponse)
    async def patch_appointment(id: str, appointment: mef.AppointmentUpdate, caller: Caller,
                                c: Services) -> MefJSONResponse:
        patch = appointment.model_dump(mode="json", by_alias=True, exclude_unset=True)
        appt = await workforce.patch_appointment(caller_uow(c, caller), c.clock, c.profile,
                                                 buyer_id=caller.party_id, appointment_id=id, patch=patch)
        return MefJSONResponse(shown(appt.doc, c))

    @router.post("/appointment/{id}/cancel", operation_id="cancelAppointment", status_code=204,
                 responses=MEF_ERRORS)
    async def cancel_appointment(id: str, caller: Caller, c: Services) -> Response:
        await workforce.cancel_appointment(caller_uow(c, caller), c.clock, c.profile, buyer_id=caller.party_id,
                                           appointment_id=id)
        return Response(status_code=204)

    return router
