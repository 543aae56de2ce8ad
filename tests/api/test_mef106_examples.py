"""MEF 106's own order examples, posted to a Seller: each gets the answer the product schemas dictate.

The Seller's profile is extended with the offerings the examples name, and the buyer owns the products
the modify/delete examples refer to, so the product payload is the only thing that decides the outcome.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime

import httpx
import pytest

from counterpoint.api.app import create_app
from counterpoint.bootstrap import build
from counterpoint.core.inventory.model import Product, ProductStatus
from counterpoint.core.seller.model import ACCESS_ELINE, OPERATOR_UNI, Offering, ValidationPolicy
from counterpoint.productschemas import default_registry
from counterpoint.settings import Settings
from tests.builders import ORDER_BASE
from tests.conftest import _reset_postgres
from tests.helpers import BUYER_A, assert_mef_response, mef_dir, require_mef

MEF106 = "sonata/documentation/productSchema/carrierEthernet/operatorEthernet/MEF 106 resources"


def _order_examples() -> list[str]:
    root = mef_dir()
    if root is None:
        return ["(absent)"]
    return sorted(p.name for p in (root / MEF106).glob("UseCase*Request.json")
                  if "productOrderItem" in json.loads(p.read_text()))


def _expected_paths(doc: dict) -> set[str]:
    registry = default_registry()
    return {v.path for i, item in enumerate(doc["productOrderItem"])
            for v in registry.validate_configuration((item.get("product") or {}).get("productConfiguration"),
                                                     base_path=f"/productOrderItem/{i}/product/productConfiguration")}


@pytest.mark.mef
@pytest.mark.parametrize("policy", [ValidationPolicy.STRICT, ValidationPolicy.LENIENT])
@pytest.mark.parametrize("name", _order_examples())
async def test_mef106_order_example(name: str, policy: ValidationPolicy, database_url: str, profile, clock,
                                    recorder) -> None:  # type: ignore[no-untyped-def]
    doc = json.loads((require_mef() / MEF106 / name).read_text())
    offerings = (Offering(id="000073", name="AEL", spec_urn=ACCESS_ELINE, areas=("sg-metro",),
                          max_bandwidth_mbps=10000, installation_days=20),
                 *(Offering(id=i, name="UNI", spec_urn=OPERATOR_UNI, areas=("sg-metro",), max_bandwidth_mbps=10000,
                            installation_days=15) for i in ("000074", "000075")))
    seller = dataclasses.replace(profile, validation=policy, offerings=profile.offerings + offerings)
    c = build(Settings(database_url=database_url, run_workers=False), clock=clock, profile=seller,
              http_factory=lambda: httpx.AsyncClient(transport=recorder.transport()))
    if database_url.startswith("postgresql"):
        await _reset_postgres(c)
    await c.start()
    try:
        async with c.uow() as uow:  # the products the modify/delete examples change
            for pid in ("AccessEline-0001", "NewYork_UNI"):
                at = datetime(2025, 1, 1, tzinfo=UTC)
                await uow.products.add(Product(id=pid, buyer_id="buyer-a", seller_id=seller.seller_id,
                                               channel="sonata", created_at=at, updated_at=at,
                                               status=ProductStatus.ACTIVE,
                                               doc={"id": pid, "status": "active",
                                                    "startDate": "2025-01-01T00:00:00Z"}))
            await uow.commit()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(c, manage_lifecycle=False)),
                                     base_url="http://seller.test") as client:
            r = await client.post(f"{ORDER_BASE}/productOrder", json=doc, headers=BUYER_A)
            body = assert_mef_response(r, "productOrder", "/productOrder", "post")
            expected = _expected_paths(doc)
            if policy is ValidationPolicy.STRICT and expected:
                assert r.status_code == 422
                assert {p["propertyPath"] for p in body} == expected
                assert any(p.endswith("/l2cp_P") for p in expected)
            else:
                assert r.status_code == 201, r.text
                notes = [n["text"] for n in body.get("note", []) if n["source"] == "seller"]
                assert len(notes) == len(expected)
                for got in body["productOrderItem"]:  # the Seller appends its own contact (MEF 123 R16, R17)
                    got["relatedContactInformation"] = [c for c in got["relatedContactInformation"]
                                                        if c["role"] != "sellerContact"] or None
                    if got["relatedContactInformation"] is None:
                        del got["relatedContactInformation"]
                assert body["productOrderItem"] == [
                    {**item, **{k: v for k, v in got.items() if k not in item}}
                    for item, got in zip(doc["productOrderItem"], body["productOrderItem"], strict=True)]
    finally:
        await c.close()
