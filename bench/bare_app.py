"""The baseline: a bare FastAPI endpoint that parses the same product order body and echoes it.

Run by bench/order_create.py with uvicorn; it has no database, no validation of product payloads,
no outbox: what is left is FastAPI + Pydantic parsing, the floor under our own order path.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import ORJSONResponse

from counterpoint.contracts.sonata import product_order_v10 as mef

app = FastAPI(default_response_class=ORJSONResponse)


@app.post("/mefApi/sonata/productOrderingManagement/v10/productOrder", status_code=201)
async def create_product_order(order: mef.ProductOrder_Create) -> ORJSONResponse:
    return ORJSONResponse(order.model_dump(mode="json", by_alias=True, exclude_unset=True), status_code=201)
