"""Input PostgreSQL cannot store or JSON cannot carry gets a MEF error on both databases, never a 500."""

from __future__ import annotations

import httpx

from tests.api.test_quote import COLLECTION, QUOTE_BASE, qitem, quote
from tests.builders import ORDER_BASE, order_body
from tests.helpers import BUYER_A, assert_mef_response


async def test_nul_in_a_body_value_is_422_naming_the_path(client: httpx.AsyncClient) -> None:
    body = quote(qitem(), qitem("2"), externalId="ok")
    body["quoteItem"][1]["product"]["productOffering"]["id"] = "uni\x00sg"
    r = await client.post(f"{QUOTE_BASE}{COLLECTION}", headers=BUYER_A, json=body)
    assert r.status_code == 422, r.text
    (problem,) = assert_mef_response(r, "quote", COLLECTION, "post")
    assert (problem["code"], problem["propertyPath"]) == ("invalidValue", "/quoteItem/1/product/productOffering/id")
    r = await client.post(f"{QUOTE_BASE}/cancelQuote", headers=BUYER_A, json={"quoteId": "\x00"})
    assert r.status_code == 422 and r.json()[0]["propertyPath"] == "/quoteId"
    r = await client.get(f"{QUOTE_BASE}{COLLECTION}", headers=BUYER_A)
    assert r.json() == []  # nothing was stored


async def test_nul_in_a_key_or_a_patch_body(client: httpx.AsyncClient) -> None:
    body = order_body()
    body["productOrderItem"][0]["product"]["productConfiguration"]["bad\x00key"] = 1
    r = await client.post(f"{ORDER_BASE}/productOrder", headers=BUYER_A, json=body)
    assert r.status_code == 422
    assert r.json()[0]["propertyPath"].endswith("/productConfiguration/bad\x00key")
    order = (await client.post(f"{ORDER_BASE}/productOrder", headers=BUYER_A, json=order_body())).json()
    r = await client.patch(f"{ORDER_BASE}/productOrder/{order['id']}", headers=BUYER_A,
                           json={"projectId": "p\x00"})
    assert r.status_code == 400
    assert assert_mef_response(r, "productOrder", "/productOrder/{id}", "patch")["code"] == "invalidBody"
    r = await client.get(f"{ORDER_BASE}/productOrder/{order['id']}", headers=BUYER_A)
    assert "projectId" not in r.json()


async def test_nul_in_query_or_path(client: httpx.AsyncClient) -> None:
    r = await client.get(f"{QUOTE_BASE}{COLLECTION}?externalId=a%00b", headers=BUYER_A)
    assert r.status_code == 400
    assert assert_mef_response(r, "quote", COLLECTION, "get")["code"] == "invalidQuery"
    r = await client.get(f"{QUOTE_BASE}{COLLECTION}/a%00b", headers=BUYER_A)
    assert r.status_code == 404
    assert_mef_response(r, "quote", "/quote/{id}", "get")


async def test_json_python_accepts_but_json_does_not_is_400(client: httpx.AsyncClient) -> None:
    headers = {**BUYER_A, "Content-Type": "application/json;charset=utf-8"}
    for raw in (b'{"instantSyncQuote": true, "buyerRequestedQuoteLevel": "firm", "externalId": "\\ud800",'
                b' "quoteItem": []}', b'{"instantSyncQuote": NaN}'):
        r = await client.post(f"{QUOTE_BASE}{COLLECTION}", headers=headers, content=raw)
        assert r.status_code == 400, r.text
        assert assert_mef_response(r, "quote", COLLECTION, "post")["code"] == "invalidBody"
