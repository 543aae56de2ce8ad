"""A method a served path does not support is 405 with `Allow` (RFC 9110 15.5.6) and a MEF error body; HEAD is
served wherever GET is (RFC 9110 9.1)."""

from __future__ import annotations

import re
from collections import defaultdict

import httpx

from counterpoint.core.shared.apis import base_path
from tests.helpers import BUYER_A, JSON, envelope, validate_against

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE")
ORDER = {m: n for n, m in enumerate(METHODS)}


def served(app) -> dict[str, set[str]]:  # type: ignore[no-untyped-def]
    """Every path template the app serves -> the methods its routes take."""
    try:
        from fastapi.routing import iter_route_contexts
        routes = list(iter_route_contexts(app.routes))
    except ImportError:
        routes = list(app.routes)
    paths: dict[str, set[str]] = defaultdict(set)
    for route in routes:
        if getattr(route, "methods", None):
            paths[route.path].update(route.methods)
    return paths


def documented(function: str, channel: str, template: str) -> set[str] | None:
    """The methods the MEF envelope gives a path of ours (None for a path it does not describe)."""
    relative = template.removeprefix(base_path(function, channel))
    ops = envelope(function, channel)["paths"].get(relative)
    return None if ops is None else {m.upper() for m in ops if m in ("get", "post", "patch", "delete", "put")}


def concrete(template: str) -> str:
    return re.sub(r"\{[^}]+\}", "some-id", template)


def function_of(path: str) -> tuple[str, str] | None:
    """(function, channel) whose MEF envelope describes this path's errors, if any."""
    from counterpoint.api.app import CHANNELS, MOUNTS

    for channel in CHANNELS:
        for function in MOUNTS:
            if path.startswith(base_path(function, channel) + "/"):
                return function, channel
    return None


async def test_unsupported_methods_are_405_with_allow_on_every_served_path(app, client: httpx.AsyncClient) -> None:
    paths = served(app)
    assert len(paths) > 60  # every function on both interfaces, their OpenAPI documents, health, listeners
    checked = 0
    for template, methods in sorted(paths.items()):
        path = concrete(template)
        owner = function_of(template)
        if owner is not None and (mef := documented(*owner, template)) is not None:
            assert methods == mef, (template, methods, mef)  # what we serve is what MEF describes
        if "GET" in methods:
            methods = methods | {"HEAD"}
        for method in METHODS:
            if method in methods:
                continue
            r = await client.request(method, path, headers=BUYER_A)
            assert r.status_code == 405, (method, template, r.status_code, r.text)
            assert r.headers["Allow"] == ", ".join(sorted(methods, key=ORDER.__getitem__)), (method, template)
            assert r.headers["content-type"] == JSON
            if method == "HEAD":
                continue
            body = r.json()
            assert body["code"] == "methodNotAllowed" and method in body["reason"], body
            if owner is not None:
                validate_against(*owner, {"$ref": "#/components/schemas/Error"}, body)
            checked += 1
    assert checked > 200


async def test_a_path_with_several_routes_lists_them_all(client: httpx.AsyncClient) -> None:
    r = await client.delete("/mefApi/sonata/productOrderingManagement/v10/productOrder", headers=BUYER_A)
    assert r.status_code == 405
    assert r.headers["Allow"] == "GET, HEAD, POST"
    r = await client.put("/mefApi/cantata/productOrderingManagement/v5/productOrder/o-1", headers=BUYER_A)
    assert r.headers["Allow"] == "GET, HEAD, PATCH"
    r = await client.get("/mefApi/sonata/quoteManagement/v8/hub/h-1", headers=BUYER_A)  # MEF: no GET here
    assert (r.status_code, r.headers["Allow"]) == (405, "DELETE")
    r = await client.get("/mefApi/sonata/productOrderingManagement/v10/hub/h-1", headers=BUYER_A)
    assert r.status_code == 404  # served, and the listener is unknown


async def test_head_answers_as_get_without_the_body(client: httpx.AsyncClient) -> None:
    for path, status in [("/health", 200), ("/mefApi/sonata/productOrderingManagement/v10/productOrder", 200),
                         ("/mefApi/cantata/productInventory/v1/product/nope", 404)]:
        got = await client.get(path, headers=BUYER_A)
        head = await client.head(path, headers=BUYER_A)
        assert (got.status_code, head.status_code) == (status, status), path
        assert head.content == b"" and got.content
        assert head.headers["content-type"] == got.headers["content-type"]
        assert head.headers["content-length"] == got.headers["content-length"]
        assert head.headers.get("X-Total-Count") == got.headers.get("X-Total-Count")
    assert (await client.head("/mefApi/sonata/productOrderingManagement/v10/productOrder")).status_code == 401
    r = await client.head("/mefApi/sonata/quoteManagement/v8/cancelQuote", headers=BUYER_A)
    assert (r.status_code, r.headers["Allow"], r.content) == (405, "POST", b"")


async def test_every_served_document_lists_the_refusals_this_seller_adds(client: httpx.AsyncClient) -> None:
    """Beyond MEF's error codes, an operation may answer 503 (database outage, with Retry-After) and one that
    takes a body 413 (over the size limit): each function's own OpenAPI document says so."""
    from counterpoint.api.app import CHANNELS, MOUNTS

    operations = 0
    for channel in CHANNELS:
        for function in MOUNTS:
            r = await client.get(f"{base_path(function, channel)}/openapi.json")
            assert r.status_code == 200, (function, channel)
            for path, item in r.json()["paths"].items():
                for method, op in item.items():
                    if method not in {m.lower() for m in METHODS}:
                        continue
                    operations += 1
                    assert "Retry-After" in op["responses"]["503"]["headers"], (path, method)
                    if "requestBody" in op:
                        assert "413" in op["responses"], (path, method)
    assert operations > 60
