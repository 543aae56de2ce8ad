"""MEF 124 incidents (Seller side): routes to come."""

from __future__ import annotations

from fastapi import APIRouter

from counterpoint.api.routing import MefRoute


def make_router(channel: str) -> APIRouter:
    router = APIRouter(route_class=MefRoute, tags=["incident"])
    return router
