"""MEF 115 quote management: create, list, retrieve, cancel and decline quotes (the hub is in api/hub.py)."""

# Annotations are evaluated eagerly here: the request models come from a per-channel module (`mef`).

import importlib
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from counterpoint.api.deps import Caller, Services, caller_uow
from counterpoint.api.errors import MEF_ERRORS
from counterpoint.api.paging import Page, QueryInstant, aware, page_params, page_response
from counterpoint.api.responses import MefJSONResponse
from counterpoint.api.routing import MefRoute
from counterpoint.core.quote import services as quoting
from counterpoint.core.quote.model import QuoteFilter
from counterpoint.core.shared.apis import base_path

QuoteStateQ = Literal["accepted", "acknowledged", "answered", "approved.orderable", "approved.orderableAlternate",
                      "cancelled", "unableToProvide", "declined", "expired", "inProgress", "inProgress.draft",
                      "rejected"]
QuoteLevelQ = Literal["budgetary", "firmSubjectToFeasibilityCheck", "firm"]


def make_router(channel: str) -> APIRouter:
    version = {"sonata": "v8", "cantata": "v2"}[channel]
    mef = importlib.import_module(f"counterpoint.contracts.{channel}.quote_{version}")
    router = APIRouter(route_class=MefRoute, tags=["quote"])

    def href_base(c: Services) -> str:
        return c.base_url + base_path("quote", channel)

    @router.post("/quote", operation_id="createQuote", status_code=201, responses=MEF_ERRORS,
                 response_class=MefJSONResponse)
    async def create_quote(quote: mef.Quote_Create, caller: Caller, c: Services) -> MefJSONResponse:
        request = quote.model_dump(mode="json", by_alias=True, exclude_unset=True)
        created = await quoting.create_quote(caller_uow(c, caller), c.clock, c.profile, c.schemas,
                                             buyer_id=caller.party_id, seller_id=caller.seller_id,
                                             channel=caller.channel, request=request, href_base=href_base(c),
                                             supply_chain=c.supply_chain)
        return MefJSONResponse(created.doc, status_code=201)

    @router.get("/quote", operation_id="listQuote", responses=MEF_ERRORS, response_class=MefJSONResponse)
    async def list_quote(
        caller: Caller, c: Services, page: Annotated[Page, Depends(page_params)],
        state: QuoteStateQ | None = None,
        quoteLevel: QuoteLevelQ | None = None,  # noqa: N803
        externalId: str | None = None,  # noqa: N803
        projectId: str | None = None,  # noqa: N803
        date_gt: Annotated[QueryInstant | None, Query(alias="quoteDate.gt")] = None,
        date_lt: Annotated[QueryInstant | None, Query(alias="quoteDate.lt")] = None,
        req_gt: Annotated[QueryInstant | None, Query(alias="requestedQuoteCompletionDate.gt")] = None,
        req_lt: Annotated[QueryInstant | None, Query(alias="requestedQuoteCompletionDate.lt")] = None,
        exp_gt: Annotated[QueryInstant | None, Query(alias="expectedQuoteCompletionDate.gt")] = None,
        exp_lt: Annotated[QueryInstant | None, Query(alias="expectedQuoteCompletionDate.lt")] = None,
        eff_gt: Annotated[QueryInstant | None, Query(alias="effectiveQuoteCompletionDate.gt")] = None,
        eff_lt: Annotated[QueryInstant | None, Query(alias="effectiveQuoteCompletionDate.lt")] = None,
    ) -> MefJSONResponse:
        flt = QuoteFilter(
            state=state, quote_level=quoteLevel, external_id=externalId, project_id=projectId,
            quote_date_gt=aware(date_gt, "quoteDate.gt"), quote_date_lt=aware(date_lt, "quoteDate.lt"),
            requested_completion_gt=aware(req_gt, "requestedQuoteCompletionDate.gt"),
            requested_completion_lt=aware(req_lt, "requestedQuoteCompletionDate.lt"),
            expected_completion_gt=aware(exp_gt, "expectedQuoteCompletionDate.gt"),
            expected_completion_lt=aware(exp_lt, "expectedQuoteCompletionDate.lt"),
            effective_completion_gt=aware(eff_gt, "effectiveQuoteCompletionDate.gt"),
            effective_completion_lt=aware(eff_lt, "effectiveQuoteCompletionDate.lt"),
        )
        quotes, total = await quoting.list_quotes(caller_uow(c, caller), buyer_id=caller.party_id, flt=flt,
                                                  offset=page.offset, limit=page.limit)
        return page_response([q.summary() for q in quotes], total, page)

    @router.get("/quote/{id}", operation_id="retrieveQuote", responses=MEF_ERRORS, response_class=MefJSONResponse)
    async def retrieve_quote(id: str, caller: Caller, c: Services) -> MefJSONResponse:
        quote = await quoting.get_quote(caller_uow(c, caller), buyer_id=caller.party_id, quote_id=id)
        return MefJSONResponse(quote.doc)

    @router.post("/cancelQuote", operation_id="cancelQuote", responses=MEF_ERRORS, response_class=MefJSONResponse)
    async def cancel_quote(cancelQuote: mef.QuoteOperationData, caller: Caller,  # noqa: N803
                           c: Services) -> MefJSONResponse:
        body = cancelQuote.model_dump(mode="json", by_alias=True, exclude_unset=True)
        await quoting.cancel_quote(caller_uow(c, caller), c.clock, buyer_id=caller.party_id, body=body)
        return MefJSONResponse(body)

    @router.post("/rejectQuote", operation_id="rejectQuote", responses=MEF_ERRORS, response_class=MefJSONResponse)
    async def reject_quote(rejectQuote: mef.QuoteOperationData, caller: Caller,  # noqa: N803
                           c: Services) -> MefJSONResponse:
        body = rejectQuote.model_dump(mode="json", by_alias=True, exclude_unset=True)
        await quoting.decline_quote(caller_uow(c, caller), c.clock, buyer_id=caller.party_id, body=body)
        return MefJSONResponse(body)

    return router
