"""MEF 116 product inventory: list and retrieve delivered products."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query

from counterpoint.api.deps import Caller, Services, caller_uow
from counterpoint.api.errors import MEF_ERRORS
from counterpoint.api.paging import Page, QueryInstant, page_params, page_response
from counterpoint.api.responses import MefJSONResponse
from counterpoint.api.routing import MefRoute
from counterpoint.core.inventory import services as inventory
from counterpoint.core.inventory.services import ProductFilter
from counterpoint.core.shared.apis import base_path

StatusQ = Literal["active", "active.pendingChange", "cancelled", "pendingActive", "pendingTerminate",
                  "suspended", "suspendedPendingTerminate", "terminated"]
_FIND = ("id", "href", "status", "productSpecification", "productOffering", "relatedSite", "lastUpdateDate",
         "externalId", "productRelationship", "billingAccount", "productOrderItem", "startDate")


def make_router(channel: str) -> APIRouter:
    router = APIRouter(route_class=MefRoute, tags=["product"])

    def with_href(doc: dict[str, Any], c: Services) -> dict[str, Any]:
        return {**doc, "href": f"{c.base_url}{base_path('productInventory', channel)}/product/{doc['id']}"}

    @router.get("/product", operation_id="listProduct", responses=MEF_ERRORS, response_class=MefJSONResponse)
    async def list_product(
        caller: Caller, c: Services, page: Annotated[Page, Depends(page_params)],
        status: StatusQ | None = None,
        productSpecificationId: str | None = None,  # noqa: N803
        productOfferingId: str | None = None,  # noqa: N803
        externalId: str | None = None,  # noqa: N803
        geographicalSiteId: str | None = None,  # noqa: N803
        relatedProductId: str | None = None,  # noqa: N803
        billingAccountId: str | None = None,  # noqa: N803
        productOrderId: str | None = None,  # noqa: N803
        start_lt: Annotated[QueryInstant | None, Query(alias="startDate.lt")] = None,
        start_gt: Annotated[QueryInstant | None, Query(alias="startDate.gt")] = None,
        updated_lt: Annotated[QueryInstant | None, Query(alias="lastUpdateDate.lt")] = None,
        updated_gt: Annotated[QueryInstant | None, Query(alias="lastUpdateDate.gt")] = None,
    ) -> MefJSONResponse:
        flt = ProductFilter(status=status, product_specification_id=productSpecificationId,
                            product_offering_id=productOfferingId, external_id=externalId,
                            site_id=geographicalSiteId, related_product_id=relatedProductId,
                            billing_account_id=billingAccountId, product_order_id=productOrderId,
                            start_gt=start_gt, start_lt=start_lt, updated_gt=updated_gt, updated_lt=updated_lt)
        products, total = await inventory.list_products(caller_uow(c, caller), buyer_id=caller.party_id, flt=flt,
                                                        offset=page.offset, limit=page.limit)
        return page_response([{k: v for k, v in with_href(p.doc, c).items() if k in _FIND} for p in products],
                             total, page)

    @router.get("/product/{id}", operation_id="retrieveProduct", responses=MEF_ERRORS,
                response_class=MefJSONResponse)
    async def retrieve_product(id: str, caller: Caller, c: Services) -> MefJSONResponse:
        product = await inventory.get_product(caller_uow(c, caller), buyer_id=caller.party_id, product_id=id)
        return MefJSONResponse(with_href(product.doc, c))

    return router
