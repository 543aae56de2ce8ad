"""The database out of reach: 503 with Retry-After and a MEF body, never a 500; no error closes a connection."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from counterpoint.api.app import create_app
from counterpoint.bootstrap import Container
from counterpoint.storage.db import create_engine
from tests.builders import ORDER_BASE, order_body
from tests.e2e.support import serving
from tests.helpers import BUYER_A

QUOTES = "/mefApi/sonata/quoteManagement/v8/quote"


def _unreachable(database_url: str, tmp_path) -> str:  # type: ignore[no-untyped-def]
    if database_url.startswith("sqlite"):
        return f"sqlite+aiosqlite:///{tmp_path}/no/such/dir/cp.db"  # cannot be opened
    return "postgresql+asyncpg://postgres@127.0.0.1:1/postgres"  # nothing listens there


@pytest.mark.parametrize("call", ["list", "get", "create", "hub"])
async def test_an_unreachable_database_is_503_with_retry_after(client: httpx.AsyncClient, container: Container,
                                                               database_url: str, tmp_path, call: str) -> None:
    healthy = container.engine
    container.engine = create_engine(_unreachable(database_url, tmp_path))
    try:
        if call == "list":
            r = await client.get(f"{ORDER_BASE}/productOrder", headers=BUYER_A)
        elif call == "get":
            r = await client.get(f"{ORDER_BASE}/productOrder/some-id", headers=BUYER_A)
        elif call == "create":
            r = await client.post(f"{ORDER_BASE}/productOrder", headers=BUYER_A, json=order_body())
        else:
            r = await client.post(f"{ORDER_BASE}/hub", headers=BUYER_A, json={"callback": "https://b.example"})
    finally:
        await container.engine.dispose()
        container.engine = healthy
    assert r.status_code == 503, r.text
    assert int(r.headers["Retry-After"]) > 0
    assert r.json()["code"] == "serviceUnavailable" and r.json()["reason"]
    r = await client.get(f"{ORDER_BASE}/productOrder", headers=BUYER_A)  # and back when it is back
    assert r.status_code == 200


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str) -> tuple[int, dict]:
    writer.write(f"GET {path} HTTP/1.1\r\nHost: seller.test\r\nAuthorization: {BUYER_A['Authorization']}\r\n\r\n"
                 .encode())
    await writer.drain()
    head = (await reader.readuntil(b"\r\n\r\n")).decode()
    status = int(head.split(" ", 2)[1])
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in head.split("\r\n")[1:] if line)}
    await reader.readexactly(int(headers["content-length"]))
    return status, headers


async def test_errors_do_not_close_a_keep_alive_connection(container: Container, database_url: str,
                                                           monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    from counterpoint.core.quote import services as quoting

    async def boom(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("a bug")

    monkeypatch.setattr(quoting, "list_quotes", boom)
    async with serving(create_app(container, manage_lifecycle=False)) as base:
        host, port = base.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            status, headers = await _exchange(reader, writer, QUOTES)
            assert status == 500 and headers.get("connection") != "close"
            healthy = container.engine
            container.engine = create_engine(_unreachable(database_url, tmp_path))
            try:
                status, headers = await _exchange(reader, writer, f"{ORDER_BASE}/productOrder")
            finally:
                await container.engine.dispose()
                container.engine = healthy
            assert status == 503 and "retry-after" in headers
            status, _ = await _exchange(reader, writer, f"{ORDER_BASE}/productOrder")  # the same connection
            assert status == 200
        finally:
            writer.close()
