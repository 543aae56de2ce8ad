"""Input PostgreSQL cannot store or JSON cannot carry gets a MEF error on both databases, never a 500."""

from __future__ import annotations

import httpx
import pytest

from tests.api.test_quote import COLLECTION, QUOTE_BASE, qitem, quote
from tests.builders import ORDER_BASE, order_body
from tests.helpers import BUYER_A, assert_mef_response, envelope


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


def _nested(depth: int) -> bytes:
    return b'{"instantSyncQuote": true, "quoteItem": ' + b"[" * depth + b"]" * depth + b"}"


async def test_bodies_nested_too_deep_are_refused_before_parsing(client: httpx.AsyncClient, container) -> None:
    headers = {**BUYER_A, "Content-Type": "application/json;charset=utf-8"}
    for depth in (64, 254, 100_000):
        r = await client.post(f"{QUOTE_BASE}{COLLECTION}", headers=headers, content=_nested(depth))
        assert r.status_code == 400, r.text
        body = assert_mef_response(r, "quote", COLLECTION, "post")
        assert body["code"] == "invalidBody" and "nested deeper than 64" in body["reason"]
    # brackets inside strings are not nesting; 63 levels under the top object are within the limit
    r = await client.post(f"{QUOTE_BASE}{COLLECTION}", headers=headers,
                          content=b'{"externalId": "' + b"[" * 500 + b'", "quoteItem": ' + b"[" * 63 + b"]" * 63 + b"}")
    assert r.status_code in (400, 422) and "nested" not in r.text
    container.settings.max_json_depth = 3  # the limit is a setting
    r = await client.patch(f"{ORDER_BASE}/productOrder/x", headers=headers, content=b'{"a": [[[1]]]}')
    assert r.status_code == 400 and "deeper than 3" in r.json()["reason"]
    for path in ("/hub", "/productOrder"):
        r = await client.post(f"{ORDER_BASE}{path}", headers=headers, content=b'{"a": [[[1]]]}')
        assert r.status_code == 400 and "deeper than 3" in r.json()["reason"]
    r = await client.get(f"{QUOTE_BASE}{COLLECTION}", headers=BUYER_A)
    assert r.json() == []


async def test_bodies_over_the_size_limit_are_413_while_streaming(client: httpx.AsyncClient, container) -> None:
    headers = {**BUYER_A, "Content-Type": "application/json;charset=utf-8"}
    big = b'{"externalId": "' + b"x" * 1_000_001 + b'", "quoteItem": []}'
    r = await client.post(f"{QUOTE_BASE}{COLLECTION}", headers=headers, content=big)
    assert r.status_code == 413, r.text
    assert r.json()["code"] == "invalidBody" and "1000000 bytes" in r.json()["reason"]
    container.settings.max_body_bytes = 1000
    sent: list[int] = []

    async def chunks():  # no Content-Length: refused once the stream passes the limit
        for _ in range(100):
            sent.append(1)
            yield b" " * 600

    r = await client.post(f"{ORDER_BASE}/productOrder", headers=headers, content=chunks())
    assert r.status_code == 413 and len(sent) < 5
    r = await client.patch(f"{ORDER_BASE}/productOrder/x", headers=headers, content=b" " * 1001)
    assert r.status_code == 413
    r = await client.get(f"{QUOTE_BASE}{COLLECTION}", headers=BUYER_A)
    assert r.json() == []


async def test_a_deep_body_is_refused_at_the_chunk_that_makes_it_too_deep(client: httpx.AsyncClient) -> None:
    sent: list[int] = []

    async def chunks():  # well within the size limit, but 64 levels are passed in the second chunk
        yield b'{"quoteItem": ' + b"[" * 40
        for _ in range(50):
            sent.append(1)
            yield b"[" * 40

    r = await client.post(f"{QUOTE_BASE}{COLLECTION}", content=chunks(),
                          headers={**BUYER_A, "Content-Type": "application/json;charset=utf-8"})
    assert r.status_code == 400 and "nested deeper than 64" in r.json()["reason"]
    assert len(sent) <= 2  # the rest of the stream was never read


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"X-API-Key": "wrong"}])
async def test_unauthenticated_bodies_are_never_read(client: httpx.AsyncClient, headers: dict) -> None:
    sent: list[int] = []

    async def chunks():
        for _ in range(50):
            sent.append(1)
            yield b"[" * 100_000

    r = await client.post(f"{ORDER_BASE}/productOrder", content=chunks(),
                          headers={**headers, "Content-Type": "application/json;charset=utf-8"})
    assert r.status_code == 401
    assert_mef_response(r, "productOrder", "/productOrder", "post")
    assert len(sent) <= 1  # at most what the transport pre-fetched


def _list_operations() -> list[tuple[str, str, list[str], list[str]]]:
    """(function, list path, its date-time query parameters, its string ones) from the MEF envelopes."""
    from counterpoint.api.app import MOUNTS

    out = []
    for function in MOUNTS:
        try:
            spec = envelope(function)
        except pytest.skip.Exception:
            return []
        for path, ops in spec["paths"].items():
            if "get" not in ops or "{" in path:
                continue
            params = [p for p in ops["get"].get("parameters", []) if p.get("in") == "query"]
            dates = [p["name"] for p in params if p.get("schema", {}).get("format") == "date-time"]
            texts = [p["name"] for p in params if p.get("schema", {}).get("type") == "string"
                     and "enum" not in p["schema"] and "format" not in p["schema"]]
            if any(p["name"] == "offset" for p in params):
                out.append((function, path, dates, texts))
    return out


@pytest.mark.parametrize(("function", "path", "dates", "texts"), _list_operations(),
                         ids=lambda v: v if isinstance(v, str) and v.startswith("/") else None)
async def test_hostile_query_parameters_are_400_on_every_list(client: httpx.AsyncClient, function: str, path: str,
                                                              dates: list[str], texts: list[str]) -> None:
    from counterpoint.core.shared.apis import base_path

    url = base_path(function, "sonata") + path
    cases: list[dict[str, str]] = [{"offset": str(2**63)}, {"offset": str(2**31)}]
    for name in dates:
        cases += [{name: "2024-01-01T00:00:00"}, {name: "9999-12-31T23:59:59-14:00"},
                  {name: "0001-01-01T00:00:00+14:00"}]
    cases += [{name: "x" * 60_000} for name in texts if name not in ("buyerId", "sellerId")]
    for params in cases:
        r = await client.get(url, params=params, headers=BUYER_A)
        assert r.status_code == 400, (params.keys(), r.status_code, r.text[:300])
        assert assert_mef_response(r, function, path, "get")["code"] == "invalidQuery"
    for name in dates[:1]:  # a zone-aware value at the edge of the range is fine
        r = await client.get(url, params={name: "9999-12-31T00:00:00Z", "offset": str(2**31 - 1)}, headers=BUYER_A)
        assert r.status_code == 200 and r.json() == []


def _forged(note_id: str) -> dict:
    return {"id": note_id, "author": "Lion City Metro (the seller)", "source": "seller",
            "date": "2020-01-01T00:00:00Z", "text": "approved by the seller"}


async def test_the_caller_is_always_the_author_and_source_of_its_notes(client: httpx.AsyncClient) -> None:
    body = order_body(note=[_forged("n1")])
    body["productOrderItem"][0]["note"] = [_forged("n2")]
    r = await client.post(f"{ORDER_BASE}/productOrder", headers=BUYER_A, json=body)
    assert r.status_code == 201, r.text
    order = assert_mef_response(r, "productOrder", "/productOrder", "post")
    notes = [*order["note"], *order["productOrderItem"][0]["note"]]
    assert {(n["id"], n["author"], n["source"]) for n in notes} == {("n1", "buyer-a", "buyer"),
                                                                    ("n2", "buyer-a", "buyer")}
    assert all(n["date"] != "2020-01-01T00:00:00Z" for n in notes)
    patch = {"note": [_forged("n3")],
             "productOrderItem": [{"id": order["productOrderItem"][0]["id"], "note": [_forged("n4")]}]}
    r = await client.patch(f"{ORDER_BASE}/productOrder/{order['id']}", headers=BUYER_A, json=patch)
    assert r.status_code == 200, r.text
    patched = assert_mef_response(r, "productOrder", "/productOrder/{id}", "patch")
    for n in [*patched["note"], *patched["productOrderItem"][0]["note"]]:
        assert (n["author"], n["source"]) == ("buyer-a", "buyer"), n
    r = await client.get(f"{ORDER_BASE}/productOrder/{order['id']}", headers=BUYER_A)
    assert {n["id"] for n in r.json()["note"] if n["source"] == "seller"} == set()
    q = quote(qitem(), externalId="notes")
    q["note"], q["quoteItem"][0]["note"] = [_forged("q1")], [_forged("q2")]
    r = await client.post(f"{QUOTE_BASE}{COLLECTION}", headers=BUYER_A, json=q)
    assert r.status_code == 201, r.text
    created = assert_mef_response(r, "quote", COLLECTION, "post")
    mine = [n for n in [*created.get("note", []), *created["quoteItem"][0].get("note", [])] if n["id"] in ("q1", "q2")]
    assert len(mine) == 2 and all((n["author"], n["source"]) == ("buyer-a", "buyer") for n in mine)
