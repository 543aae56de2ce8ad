"""MEF 122 site query: the Seller's sites this Buyer may see, filtered, and one site by id."""

# Annotations are evaluated eagerly here (FastAPI reads the query parameter aliases from them).

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request

from counterpoint.api.deps import Caller, Services
from counterpoint.api.errors import MEF_ERRORS
from counterpoint.api.paging import Page, page_params, page_response
from counterpoint.api.responses import MefJSONResponse
from counterpoint.api.routing import MefRoute
from counterpoint.core.serviceability import services as serviceability
from counterpoint.core.serviceability.services import SiteFilter
from counterpoint.core.shared.apis import base_path
from counterpoint.core.shared.errors import BadRequest

# Query parameter -> SiteFilter field. A criterion given with an empty value is a MEF 400 missingQueryValue.
_CRITERIA = {
    "companyName": "company_name",
    "customerName": "customer_name",
    "description": "description",
    "siteType": "site_type",
    "name": "name",
    "serviceSiteContactName": "service_site_contact_name",
    "geographicAddress.id": "address_id",
    "streetNr": "street_nr",
    "streetName": "street_name",
    "streetType": "street_type",
    "city": "city",
    "postcode": "postcode",
    "country": "country",
}


def make_router(channel: str) -> APIRouter:
    router = APIRouter(route_class=MefRoute, tags=["geographicSite"])

    def hrefs(c: Services) -> dict[str, str]:
        return {
            "href_base": c.base_url + base_path("geographicSite", channel),
            "address_href_base": c.base_url + base_path("geographicAddress", channel),
        }

    @router.get(
        "/geographicSite",
        operation_id="listGeographicSite",
        responses=MEF_ERRORS,
        response_class=MefJSONResponse,
    )
    async def list_geographic_site(
        request: Request,
        caller: Caller,
        c: Services,
        page: Annotated[Page, Depends(page_params)],
        companyName: str | None = None,  # noqa: N803
        customerName: str | None = None,  # noqa: N803
        description: str | None = None,
        siteType: Literal["public", "private"] | None = None,  # noqa: N803
        name: str | None = None,
        serviceSiteContactName: str | None = None,  # noqa: N803
        address_id: Annotated[str | None, Query(alias="geographicAddress.id")] = None,
        streetNr: str | None = None,  # noqa: N803
        streetName: str | None = None,  # noqa: N803
        streetType: str | None = None,  # noqa: N803
        city: str | None = None,
        postcode: str | None = None,
        country: str | None = None,
    ) -> MefJSONResponse:
        empty = sorted(
            k for k in _CRITERIA if k in request.query_params and not request.query_params[k].strip()
        )
        if empty:
            raise BadRequest(f"no value given for {', '.join(empty)}", code="missingQueryValue")
        flt = SiteFilter(
            company_name=companyName,
            customer_name=customerName,
            description=description,
            site_type=siteType,
            name=name,
            service_site_contact_name=serviceSiteContactName,
            address_id=address_id,
            street_nr=streetNr,
            street_name=streetName,
            street_type=streetType,
            city=city,
            postcode=postcode,
            country=country,
        )
        sites, total = serviceability.list_sites(
            c.profile, buyer_id=caller.party_id, flt=flt, offset=page.offset, limit=page.limit, **hrefs(c)
        )
        return page_response(sites, total, page)

    @router.get(
        "/geographicSite/{id}",
        operation_id="retrieveGeographicSite",
        responses=MEF_ERRORS,
        response_class=MefJSONResponse,
    )
    async def retrieve_geographic_site(id: str, caller: Caller, c: Services) -> MefJSONResponse:
        return MefJSONResponse(
            serviceability.get_site(c.profile, buyer_id=caller.party_id, site_id=id, **hrefs(c))
        )

    return router
