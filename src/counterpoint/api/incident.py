"""MEF 124 incidents (Seller side): listIncident and retrieveIncident.

Buyers only read incidents: the Seller raises them (its operators with `counterpoint incident announce`, its
profile's planned maintenance, the orchestrator relaying a supplier's notice). Each incident belongs to one
buyer and names only that buyer's products, on the interface those products live on.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query

from counterpoint.api.deps import Caller, Services, caller_uow
from counterpoint.api.errors import MEF_ERRORS
from counterpoint.api.paging import Page, QueryInstant, page_params, page_response
from counterpoint.api.responses import MefJSONResponse
from counterpoint.api.routing import MefRoute
from counterpoint.core.incident import services as incidents
from counterpoint.core.incident.services import IncidentFilter
from counterpoint.core.shared.apis import base_path

PriorityQ = Literal["low", "medium", "high", "critical"]
SeverityQ = Literal["minor", "moderate", "significant", "extensive"]
ImpactQ = Literal["degraded", "down", "intermittent"]
TypeQ = Literal["maintenance", "repair", "installation"]
StatusQ = Literal["closed", "created", "inProgress"]
# MEF 124 R48: what an Incident_Find carries (when set)
_FIND = ("id", "href", "relatedEntity", "description", "priority", "severity", "impact", "incidentType", "status",
         "creationDate", "situationStartDate", "expectedClosedDate", "closedDate")


def make_router(channel: str) -> APIRouter:
    router = APIRouter(route_class=MefRoute, tags=["incident"])

    def with_href(doc: dict[str, Any], c: Services) -> dict[str, Any]:
        """The incident's own href, and each affected product's in this interface's inventory."""
        products = f"{c.base_url}{base_path('productInventory', channel)}/product"
        entities = [{**e, "href": f"{products}/{e['id']}"} if e.get("@referredType") == "Product" else e
                    for e in doc.get("relatedEntity", [])]
        return {**doc, "relatedEntity": entities,
                "href": f"{c.base_url}{base_path('troubleTicket', channel)}/incident/{doc['id']}"}

    @router.get("/incident", operation_id="listIncident", responses=MEF_ERRORS, response_class=MefJSONResponse)
    async def list_incident(
        caller: Caller, c: Services, page: Annotated[Page, Depends(page_params)],
        priority: PriorityQ | None = None,
        severity: SeverityQ | None = None,
        impact: ImpactQ | None = None,
        incidentType: TypeQ | None = None,  # noqa: N803
        status: StatusQ | None = None,
        relatedEntityId: str | None = None,  # noqa: N803
        relatedEntityType: str | None = None,  # noqa: N803
        creation_gt: Annotated[QueryInstant | None, Query(alias="creationDate.gt")] = None,
        creation_lt: Annotated[QueryInstant | None, Query(alias="creationDate.lt")] = None,
        start_gt: Annotated[QueryInstant | None, Query(alias="situationStartDate.gt")] = None,
        start_lt: Annotated[QueryInstant | None, Query(alias="situationStartDate.lt")] = None,
        expected_gt: Annotated[QueryInstant | None, Query(alias="expectedClosedDate.gt")] = None,
        expected_lt: Annotated[QueryInstant | None, Query(alias="expectedClosedDate.lt")] = None,
        closed_gt: Annotated[QueryInstant | None, Query(alias="closedDate.gt")] = None,
        closed_lt: Annotated[QueryInstant | None, Query(alias="closedDate.lt")] = None,
    ) -> MefJSONResponse:
        flt = IncidentFilter(priority=priority, severity=severity, impact=impact, incident_type=incidentType,
                             status=status, related_entity_id=relatedEntityId,
                             related_entity_type=relatedEntityType, creation_gt=creation_gt,
                             creation_lt=creation_lt, start_gt=start_gt, start_lt=start_lt,
                             expected_closed_gt=expected_gt, expected_closed_lt=expected_lt,
                             closed_gt=closed_gt, closed_lt=closed_lt)
        found, total = await incidents.list_incidents(caller_uow(c, caller), buyer_id=caller.party_id, flt=flt,
                                                      offset=page.offset, limit=page.limit)
        return page_response([{k: v for k, v in with_href(i.doc, c).items() if k in _FIND} for i in found],
                             total, page)

    @router.get("/incident/{id}", operation_id="retrieveIncident", responses=MEF_ERRORS,
                response_class=MefJSONResponse)
    async def retrieve_incident(id: str, caller: Caller, c: Services) -> MefJSONResponse:
        incident = await incidents.get_incident(caller_uow(c, caller), buyer_id=caller.party_id, incident_id=id)
        return MefJSONResponse(with_href(incident.doc, c))

    return router
