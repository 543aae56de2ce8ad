"""MEF 123 product ordering: orders, cancellations, delivery-date changes and charges."""

# Annotations are evaluated eagerly here: the request models come from a per-channel module (`mef`).

import importlib
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query

from counterpoint.api.deps import Caller, Services, caller_uow
from counterpoint.api.errors import MEF_ERRORS
from counterpoint.api.paging import Page, QueryInstant, page_params, page_response
from counterpoint.api.responses import MefJSONResponse
from counterpoint.api.routing import MefRoute
from counterpoint.core.ordering import services as ordering
from counterpoint.core.ordering.model import Charge, OrderTask, ProductOrder
from counterpoint.core.ordering.services import OrderFilter, Party, TaskFilter
from counterpoint.core.shared.apis import base_path

# Not a MEF header: a buyer (counterpoint's own supplier gateway sends one) may name its create request so a
# retry after a lost answer returns the order the first attempt made. Same key, same buyer: same order.
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", include_in_schema=False,
                                              max_length=128, pattern=r"^[A-Za-z0-9._:-]{1,128}$")]

OrderStateQ = Literal["acknowledged", "assessingCancellation", "cancelled", "completed", "failed",
                      "held.assessingCharge", "inProgress", "partial", "pending.assessingModification",
                      "pendingCancellation", "rejected"]
TaskStateQ = Literal["acknowledged", "done", "done.declined", "inProgress.assessingCharge", "rejected"]
_FIND = ("id", "href", "orderDate", "state", "externalId", "projectId", "completionDate", "cancellationDate")
_CANCEL_FIND = ("id", "href", "productOrder", "state", "cancellationReasonType")
_CHARGE_FIND = ("id", "href", "creationDate", "responseDueDate", "state", "productOrder", "productOrderItem")


def _pick(doc: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: doc[k] for k in keys if k in doc}


def _body(mef: Any, model: str, raw: Any) -> dict[str, Any]:
    return getattr(mef, model).model_validate(raw).model_dump(mode="json", by_alias=True, exclude_unset=True)


def make_router(channel: str) -> APIRouter:
    version = {"sonata": "v10", "cantata": "v5"}[channel]
    mef = importlib.import_module(f"counterpoint.contracts.{channel}.product_order_{version}")
    router = APIRouter(route_class=MefRoute, tags=["productOrder"])

    def api_base(c: Services) -> str:
        return c.base_url + base_path("productOrder", channel)

    def party(caller: Caller) -> Party:
        return Party(buyer_id=caller.party_id, seller_id=caller.seller_id, channel=caller.channel)

    @router.post("/productOrder", operation_id="createProductOrder", status_code=201, responses=MEF_ERRORS,
                 response_class=MefJSONResponse)
    async def create_product_order(productOrder: mef.ProductOrder_Create, caller: Caller,  # noqa: N803
                                   c: Services, idempotency_key: IdempotencyKey = None) -> MefJSONResponse:
        body = productOrder.model_dump(mode="json", by_alias=True, exclude_unset=True)
        order = await ordering.place_order(caller_uow(c, caller), c.clock, c.profile, c.schemas,
                                           party=party(caller), body=body, api_base=api_base(c),
                                           idempotency_key=idempotency_key)
        return MefJSONResponse(order.doc, status_code=201)

    @router.get("/productOrder", operation_id="listProductOrder", responses=MEF_ERRORS,
                response_class=MefJSONResponse)
    async def list_product_order(
        caller: Caller, c: Services, page: Annotated[Page, Depends(page_params)],
        state: OrderStateQ | None = None,
        externalId: str | None = None,  # noqa: N803
        projectId: str | None = None,  # noqa: N803
        order_gt: Annotated[QueryInstant | None, Query(alias="orderDate.gt")] = None,
        order_lt: Annotated[QueryInstant | None, Query(alias="orderDate.lt")] = None,
        completion_gt: Annotated[QueryInstant | None, Query(alias="completionDate.gt")] = None,
        completion_lt: Annotated[QueryInstant | None, Query(alias="completionDate.lt")] = None,
        req_gt: Annotated[QueryInstant | None, Query(alias="itemRequestedCompletionDate.gt")] = None,
        req_lt: Annotated[QueryInstant | None, Query(alias="itemRequestedCompletionDate.lt")] = None,
        exp_gt: Annotated[QueryInstant | None, Query(alias="itemExpectedCompletionDate.gt")] = None,
        exp_lt: Annotated[QueryInstant | None, Query(alias="itemExpectedCompletionDate.lt")] = None,
        cancel_gt: Annotated[QueryInstant | None, Query(alias="cancellationDate.gt")] = None,
        cancel_lt: Annotated[QueryInstant | None, Query(alias="cancellationDate.lt")] = None,
    ) -> MefJSONResponse:
        flt = OrderFilter(state=state, external_id=externalId, project_id=projectId, order_date_gt=order_gt,
                          order_date_lt=order_lt, completion_date_gt=completion_gt, completion_date_lt=completion_lt,
                          item_requested_gt=req_gt, item_requested_lt=req_lt, item_expected_gt=exp_gt,
                          item_expected_lt=exp_lt, cancellation_date_gt=cancel_gt, cancellation_date_lt=cancel_lt)
        orders, total = await ordering.list_orders(caller_uow(c, caller), buyer_id=caller.party_id, flt=flt,
                                                   offset=page.offset, limit=page.limit)
        return page_response([_pick(o.doc, _FIND) for o in orders], total, page)

    @router.get("/productOrder/{id}", operation_id="retrieveProductOrder", responses=MEF_ERRORS,
                response_class=MefJSONResponse)
    async def retrieve_product_order(id: str, caller: Caller, c: Services) -> MefJSONResponse:
        order: ProductOrder = await ordering.get_order(caller_uow(c, caller), buyer_id=caller.party_id, order_id=id)
        return MefJSONResponse(order.doc)

    @router.patch("/productOrder/{id}", operation_id="patchProductOrder", responses=MEF_ERRORS,
                  response_class=MefJSONResponse)
    async def patch_product_order(id: str, productOrder: mef.ProductOrder_Update, caller: Caller,  # noqa: N803
                                  c: Services) -> MefJSONResponse:
        body = productOrder.model_dump(mode="json", by_alias=True, exclude_unset=True)
        order = await ordering.update_order(caller_uow(c, caller), c.clock, buyer_id=caller.party_id,
                                            order_id=id, body=body)
        return MefJSONResponse(order.doc)

    # --- cancellation ----------------------------------------------------------------------------
    @router.post("/cancelProductOrder", operation_id="createCancelProductOrder", status_code=201,
                 responses=MEF_ERRORS, response_class=MefJSONResponse)
    async def create_cancel_product_order(cancelProductOrder: mef.CancelProductOrder_Create,  # noqa: N803
                                          caller: Caller, c: Services) -> MefJSONResponse:
        body = cancelProductOrder.model_dump(mode="json", by_alias=True, exclude_unset=True)
        task = await ordering.request_cancellation(caller_uow(c, caller), c.clock, c.profile, party=party(caller),
                                                   body=body, api_base=api_base(c))
        return MefJSONResponse(task.doc, status_code=201)

    @router.get("/cancelProductOrder", operation_id="listCancelProductOrder", responses=MEF_ERRORS,
                response_class=MefJSONResponse)
    async def list_cancel_product_order(
        caller: Caller, c: Services, page: Annotated[Page, Depends(page_params)],
        productOrderId: str | None = None,  # noqa: N803
        state: TaskStateQ | None = None,
        cancellationReasonType: Literal["technical", "commercial"] | None = None,  # noqa: N803
    ) -> MefJSONResponse:
        extra = (("cancellationReasonType", cancellationReasonType),) if cancellationReasonType else ()
        tasks, total = await ordering.list_tasks(caller_uow(c, caller), kind="cancel", buyer_id=caller.party_id,
                                                 flt=TaskFilter(order_id=productOrderId, state=state, extra=extra),
                                                 offset=page.offset, limit=page.limit)
        return page_response([_pick(t.doc, _CANCEL_FIND) for t in tasks], total, page)

    @router.get("/cancelProductOrder/{id}", operation_id="retrieveCancelProductOrder", responses=MEF_ERRORS,
                response_class=MefJSONResponse)
    async def retrieve_cancel_product_order(id: str, caller: Caller, c: Services) -> MefJSONResponse:
        task: OrderTask = await ordering.get_task(caller_uow(c, caller), kind="cancel", buyer_id=caller.party_id,
                                                  task_id=id)
        return MefJSONResponse(task.doc)

    # --- delivery date changes -------------------------------------------------------------------
    @router.post("/modifyProductOrderItemRequestedDeliveryDate",
                 operation_id="createModifyProductOrderItemRequestedDeliveryDate", status_code=201,
                 responses=MEF_ERRORS, response_class=MefJSONResponse)
    async def create_modify_delivery_date(
            modifyProductOrderItemRequestedDeliveryDate: mef.MEFModifyProductOrderItemRequestedDeliveryDate_Create,  # noqa: N803
            caller: Caller, c: Services) -> MefJSONResponse:
        body = modifyProductOrderItemRequestedDeliveryDate.model_dump(mode="json", by_alias=True,
                                                                      exclude_unset=True)
        task = await ordering.request_delivery_date_change(caller_uow(c, caller), c.clock,
                                                           party=party(caller), body=body, api_base=api_base(c))
        return MefJSONResponse(task.doc, status_code=201)

    @router.get("/modifyProductOrderItemRequestedDeliveryDate",
                operation_id="listModifyProductOrderItemRequestedDeliveryDate", responses=MEF_ERRORS,
                response_class=MefJSONResponse)
    async def list_modify_delivery_date(
        caller: Caller, c: Services, page: Annotated[Page, Depends(page_params)],
        productOrderId: str | None = None,  # noqa: N803
        state: TaskStateQ | None = None,
        expediteIndicator: bool | None = None,  # noqa: N803
        req_gt: Annotated[QueryInstant | None, Query(alias="requestedCompletionDate.gt")] = None,
        req_lt: Annotated[QueryInstant | None, Query(alias="requestedCompletionDate.lt")] = None,
        created_gt: Annotated[QueryInstant | None, Query(alias="creationDate.gt")] = None,
        created_lt: Annotated[QueryInstant | None, Query(alias="creationDate.lt")] = None,
    ) -> MefJSONResponse:
        extra: list[tuple[str, Any]] = [(k, v) for k, v in (
            ("expediteIndicator", expediteIndicator), ("requestedCompletionDate.gt", req_gt),
            ("requestedCompletionDate.lt", req_lt), ("created_gt", created_gt), ("created_lt", created_lt))
            if v is not None]
        tasks, total = await ordering.list_tasks(caller_uow(c, caller), kind="modifyDate", buyer_id=caller.party_id,
                                                 flt=TaskFilter(order_id=productOrderId, state=state,
                                                                extra=tuple(extra)),
                                                 offset=page.offset, limit=page.limit)
        return page_response([t.doc for t in tasks], total, page)

    @router.get("/modifyProductOrderItemRequestedDeliveryDate/{id}",
                operation_id="retrieveModifyProductOrderItemRequestedDeliveryDate", responses=MEF_ERRORS,
                response_class=MefJSONResponse)
    async def retrieve_modify_delivery_date(id: str, caller: Caller, c: Services) -> MefJSONResponse:
        task = await ordering.get_task(caller_uow(c, caller), kind="modifyDate", buyer_id=caller.party_id, task_id=id)
        return MefJSONResponse(task.doc)

    # --- charges ---------------------------------------------------------------------------------
    @router.get("/charge", operation_id="listCharge", responses=MEF_ERRORS, response_class=MefJSONResponse)
    async def list_charge(
        caller: Caller, c: Services, page: Annotated[Page, Depends(page_params)],
        productOrderId: str | None = None,  # noqa: N803
        productOrderItemId: str | None = None,  # noqa: N803
        created_gt: Annotated[QueryInstant | None, Query(alias="creationDate.gt")] = None,
        created_lt: Annotated[QueryInstant | None, Query(alias="creationDate.lt")] = None,
        due_gt: Annotated[QueryInstant | None, Query(alias="responseDueDate.gt")] = None,
        due_lt: Annotated[QueryInstant | None, Query(alias="responseDueDate.lt")] = None,
    ) -> MefJSONResponse:
        extra = tuple((k, v) for k, v in (("item_id", productOrderItemId), ("created_gt", created_gt),
                                          ("created_lt", created_lt), ("responseDueDate.gt", due_gt),
                                          ("responseDueDate.lt", due_lt)) if v is not None)
        charges, total = await ordering.list_charges(caller_uow(c, caller), buyer_id=caller.party_id,
                                                     flt=TaskFilter(order_id=productOrderId, extra=extra),
                                                     offset=page.offset, limit=page.limit)
        return page_response([_pick(ch.doc, _CHARGE_FIND) for ch in charges], total, page)

    @router.get("/charge/{id}", operation_id="retrieveCharge", responses=MEF_ERRORS,
                response_class=MefJSONResponse)
    async def retrieve_charge(id: str, caller: Caller, c: Services) -> MefJSONResponse:
        charge: Charge = await ordering.get_charge(caller_uow(c, caller), buyer_id=caller.party_id, charge_id=id)
        return MefJSONResponse(charge.doc)

    @router.patch("/charge/{id}", operation_id="patchCharge", responses=MEF_ERRORS,
                  response_class=MefJSONResponse)
    async def patch_charge(id: str, charge: mef.MEFProductOrderCharge_Update, caller: Caller,
                           c: Services) -> MefJSONResponse:
        body = charge.model_dump(mode="json", by_alias=True, exclude_unset=True)
        updated = await ordering.respond_to_charge(caller_uow(c, caller), c.clock,
                                                   buyer_id=caller.party_id, charge_id=id, body=body)
        return MefJSONResponse(updated.doc)

    return router
