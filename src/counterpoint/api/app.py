"""The app factory and the mount table.

MEF publishes each business function as its own API with its own major version, and reuses operation ids
across them (every hub is `registerListener`). So each (interface, function) pair gets its own OpenAPI
document at `<base>/openapi.json` (and docs at `<base>/docs`) built from its routes only, with the exact MEF
operation ids; the application itself is one FastAPI app, so a request crosses one middleware stack.
"""

from __future__ import annotations

import functools
import gc
import importlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.routing import BaseRoute

from counterpoint import __version__
from counterpoint.api import errors, listener
from counterpoint.api.responses import MefJSONResponse
from counterpoint.bootstrap import Container
from counterpoint.core.shared.apis import BASE, base_path


@dataclass(frozen=True)
class Route:
    module: str  # a module under counterpoint.api
    factory: str = "make_router"  # callable(channel) -> APIRouter


# function (key of core.shared.apis.BASE) -> the routers it serves. Each function is mounted per channel.
MOUNTS: dict[str, tuple[Route, ...]] = {
    "geographicAddress": (Route("counterpoint.api.geographic_address"),),
    "geographicSite": (Route("counterpoint.api.geographic_site"),),
    "poq": (Route("counterpoint.api.poq"), Route("counterpoint.api.hub", "poq_hub")),
    "quote": (Route("counterpoint.api.quote"), Route("counterpoint.api.hub", "quote_hub")),
    "productOrder": (Route("counterpoint.api.product_order"), Route("counterpoint.api.hub", "order_hub")),
    "productInventory": (Route("counterpoint.api.product_inventory"),),
    "troubleTicket": (Route("counterpoint.api.trouble_ticket"), Route("counterpoint.api.incident"),
                      Route("counterpoint.api.hub", "trouble_ticket_hub")),
    "appointment": (Route("counterpoint.api.appointment"), Route("counterpoint.api.hub", "appointment_hub")),
    "workOrder": (Route("counterpoint.api.work_order"), Route("counterpoint.api.hub", "work_order_hub")),
}
CHANNELS = ("sonata", "cantata")


@functools.cache
def _router(route: Route, channel: str) -> APIRouter:
    factory: Callable[[str], APIRouter] = getattr(importlib.import_module(route.module), route.factory)
    return factory(channel)


@functools.cache
def _mounted_routes() -> tuple[BaseRoute, ...]:
    """Every function's routes under its base path, for both channels."""
    mounted = APIRouter(default_response_class=MefJSONResponse)
    for channel in CHANNELS:
        for function in MOUNTS:
            for route in MOUNTS[function]:
                mounted.include_router(_router(route, channel), prefix=base_path(function, channel))
    return tuple(mounted.routes)


def _openapi_routes(app: FastAPI, prefix: str, title: str, version: str, routers: list[APIRouter]) -> None:
    """Serve `<prefix>/openapi.json` and `<prefix>/docs`, describing that function's routes only."""
    cache: dict[str, Any] = {}

    async def openapi() -> JSONResponse:
        if "doc" not in cache:
            describe = FastAPI(title=title, version=version, separate_input_output_schemas=False)
            for router in routers:
                describe.include_router(router)
            doc = describe.openapi()
            doc["servers"] = [{"url": prefix}]
            cache["doc"] = doc
        return JSONResponse(cache["doc"])

    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=f"{prefix}/openapi.json", title=title)

    app.add_api_route(f"{prefix}/openapi.json", openapi, include_in_schema=False)
    app.add_api_route(f"{prefix}/docs", docs, include_in_schema=False)


def create_app(container: Container, *, manage_lifecycle: bool = True) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if not manage_lifecycle:
            yield
            return
        await container.start()  # the composition root starts the workers (settings.run_workers)
        # Everything alive now (app, contracts, compiled validators) lives as long as the process: keep it
        # out of the collector's way, so a full collection does not rescan it on the request path.
        gc.collect()
        gc.freeze()
        gc.set_threshold(20_000, 20, 50)  # each request allocates thousands of short-lived objects
        try:
            yield
        finally:
            await container.close()

    # One application (one middleware stack per request); each function's routes under its base path.
    app = FastAPI(title="counterpoint", version=__version__, default_response_class=MefJSONResponse,
                  lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.container = container
    errors.install(app)
    app.state.functions = []
    # The routes are built once per process and shared by every app made in it (the tests make hundreds;
    # building and resolving them is most of an app's cost): they read the container from
    # `request.app.state`, never from the app that first built them.
    app.router.routes.extend(_mounted_routes())
    for channel in CHANNELS:
        for function in MOUNTS:
            prefix = base_path(function, channel)
            _openapi_routes(app, prefix, f"counterpoint {channel} {function}",
                            BASE[function][channel].split("/v")[-1], [_router(r, channel) for r in MOUNTS[function]])
            app.state.functions.append((channel, function))

    app.include_router(listener.router)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok", "seller": container.profile.seller_id, "version": __version__}

    @app.get("/")
    async def index() -> dict[str, object]:
        return {"seller": container.profile.seller_id, "apis": [
            {"interface": ch, "function": fn, "basePath": base_path(fn, ch),
             "openapi": base_path(fn, ch) + "/openapi.json"}
            for (ch, fn) in app.state.functions]}

    return app
