"""MEF 121 address validation: validate a Buyer's address against the Seller's, read a known address by id."""

# Annotations are evaluated eagerly here: the request models come from a per-channel module (`mef`).

import importlib

from fastapi import APIRouter

from counterpoint.api.deps import Caller, Services
from counterpoint.api.errors import MEF_ERRORS
from counterpoint.api.responses import MefJSONResponse
from counterpoint.api.routing import MefRoute
from counterpoint.core.serviceability import services as serviceability
from counterpoint.core.shared.apis import base_path


def make_router(channel: str) -> APIRouter:
    version = {"sonata": "v7", "cantata": "v1"}[channel]
    mef = importlib.import_module(f"counterpoint.contracts.{channel}.geographic_address_{version}")
    router = APIRouter(route_class=MefRoute, tags=["geographicAddress"])

    def href_base(c: Services) -> str:
        return c.base_url + base_path("geographicAddress", channel)

    @router.post(
        "/geographicAddressValidation",
        operation_id="createGeographicAddressValidation",
        status_code=200,
        responses=MEF_ERRORS,
        response_class=MefJSONResponse,
    )
    async def create_geographic_address_validation(
        geographicAddressValidation: mef.GeographicAddressValidation_Create,  # noqa: N803
        caller: Caller,
        c: Services,
    ) -> MefJSONResponse:
        request = geographicAddressValidation.model_dump(mode="json", by_alias=True, exclude_unset=True)
        return MefJSONResponse(
            serviceability.validate_address(c.profile, request=request, href_base=href_base(c))
        )

    @router.get(
        "/geographicAddress/{id}",
        operation_id="retrieveGeographicAddress",
        responses=MEF_ERRORS,
        response_class=MefJSONResponse,
    )
    async def retrieve_geographic_address(id: str, caller: Caller, c: Services) -> MefJSONResponse:
        return MefJSONResponse(serviceability.get_address(c.profile, address_id=id, href_base=href_base(c)))

    return router
