"""MEF 87 product offering qualification: create, list and retrieve POQs (the hub is in api/hub.py)."""

# Annotations are evaluated eagerly here: the request models come from a per-channel module (`mef`).

import importlib
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from counterpoint.api.deps import Caller, Services, caller_uow
from counterpoint.api.errors import MEF_ERRORS
from counterpoint.api.paging import Page, QueryInstant, aware, page_params, page_response
from counterpoint.api.responses import MefJSONResponse
from counterpoint.api.routing import MefRoute
from counterpoint.core.serviceability import services as serviceability
from counterpoint.core.serviceability.services import PoqFilter
from counterpoint.core.shared.apis import base_path

PoqStateQ = Literal["acknowledged", "terminatedWithError", "inProgress", "done.unableToProvide", "done.ready"]


def make_router(channel: str) -> APIRouter:
    version = {"sonata": "v7", "cantata": "v1"}[channel]
    mef = importlib.import_module(f"counterpoint.contracts.{channel}.poq_{version}")
    router = APIRouter(route_class=MefRoute, tags=["productOfferingQualification"])

    def href_base(c: Services) -> str:
        return c.base_url + base_path("poq", channel)

    @router.post(
        "/productOfferingQualification",
        operation_id="createProductOfferingQualification",
        status_code=201,
        responses=MEF_ERRORS,
        response_class=MefJSONResponse,
    )
    async def create_product_offering_qualification(
        productOfferingQualification: mef.ProductOfferingQualification_Create,  # noqa: N803
        caller: Caller,
        c: Services,
    ) -> MefJSONResponse:
        request = productOfferingQualification.model_dump(mode="json", by_alias=True, exclude_unset=True)
        poq = await serviceability.create_poq(
            caller_uow(c, caller),
            c.clock,
            c.profile,
            c.schemas,
            buyer_id=caller.party_id,
            seller_id=caller.seller_id,
            channel=caller.channel,
            request=request,
            href_base=href_base(c),
            supply_chain=c.supply_chain,
        )
        return MefJSONResponse(poq.doc, status_code=201)

    @router.get(
        "/productOfferingQualification",
        operation_id="listProductOfferingQualification",
        responses=MEF_ERRORS,
        response_class=MefJSONResponse,
    )
    async def list_product_offering_qualification(
        caller: Caller,
        c: Services,
        page: Annotated[Page, Depends(page_params)],
        state: PoqStateQ | None = None,
        externalId: str | None = None,  # noqa: N803
        projectId: str | None = None,  # noqa: N803
        requested_gt: Annotated[QueryInstant | None, Query(alias="requestedPOQCompletionDate.gt")] = None,
        requested_lt: Annotated[QueryInstant | None, Query(alias="requestedPOQCompletionDate.lt")] = None,
    ) -> MefJSONResponse:
        flt = PoqFilter(
            state=state,
            external_id=externalId,
            project_id=projectId,
            requested_completion_gt=aware(requested_gt, "requestedPOQCompletionDate.gt"),
            requested_completion_lt=aware(requested_lt, "requestedPOQCompletionDate.lt"),
        )
        poqs, total = await serviceability.list_poqs(
            caller_uow(c, caller), buyer_id=caller.party_id, flt=flt, offset=page.offset, limit=page.limit
        )
        return page_response([p.summary() for p in poqs], total, page)

    @router.get(
        "/productOfferingQualification/{id}",
        operation_id="retrieveProductOfferingQualification",
        responses=MEF_ERRORS,
        response_class=MefJSONResponse,
    )
    async def retrieve_product_offering_qualification(
        id: str, caller: Caller, c: Services
    ) -> MefJSONResponse:
        poq = await serviceability.get_poq(caller_uow(c, caller), buyer_id=caller.party_id, poq_id=id)
        return MefJSONResponse(poq.doc)

    return router
