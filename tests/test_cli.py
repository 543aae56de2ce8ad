"""The `counterpoint` command: profile checks and the order lifecycle views."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from typer.testing import CliRunner

from counterpoint.api.app import create_app
from counterpoint.bootstrap import build
from counterpoint.cli.main import app
from counterpoint.core.shared.clock import ManualClock
from counterpoint.settings import DEMO_PROFILE, Settings
from tests.builders import ORDER_BASE, order_body
from tests.helpers import BUYER_A

runner = CliRunner(env={"COLUMNS": "200"})


def test_check_profile_accepts_the_demo_and_names_what_is_wrong(tmp_path: Path) -> None:
    result = runner.invoke(app, ["check-profile", str(DEMO_PROFILE)])
    assert result.exit_code == 0 and "lion-city-metro" in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text(DEMO_PROFILE.read_text().replace("address: addr-sg-raffles", "address: addr-nowhere", 1))
    result = runner.invoke(app, ["check-profile", str(bad)])
    assert result.exit_code == 1 and "addr-nowhere" in result.output


def test_order_view_shows_the_lifecycle(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"

    async def make_order() -> str:
        from datetime import timedelta

        from counterpoint.workers.fulfilment import FulfilmentWorker

        clock = ManualClock()
        c = build(Settings(database_url=url, run_workers=False), clock=clock)
        await c.start()
        try:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(c, manage_lifecycle=False)),
                                         base_url="http://t") as client:
                r = await client.post(f"{ORDER_BASE}/productOrder", json=order_body(external_id="CLI-1"),
                                      headers=BUYER_A)
                order_id = r.json()["id"]
            worker = FulfilmentWorker(c)
            for _ in range(30):
                clock.advance(timedelta(days=1))
                await worker.run_once()
            return order_id
        finally:
            await c.close()

    order_id = asyncio.run(make_order())
    result = runner.invoke(app, ["orders", "--database-url", url])
    assert result.exit_code == 0, result.output
    assert "CLI-1" in result.output and "completed" in result.output
    result = runner.invoke(app, ["order", order_id, "--database-url", url])
    assert result.exit_code == 0, result.output
    for text in ("acknowledged", "inProgress", "completed", "siteSurveyComplete", "serviceActivated",
                 "productOrderItemStateChangeEvent"):
        assert text in result.output
    result = runner.invoke(app, ["order", "missing", "--database-url", url])
    assert result.exit_code == 1 and "no order missing" in result.output


def test_quote_views_show_prices_states_and_order_links(tmp_path: Path) -> None:
    from tests.api.test_quote import QUOTE_BASE, ordered, qitem, quote

    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"

    async def make() -> tuple[str, str]:
        c = build(Settings(database_url=url, run_workers=False), clock=ManualClock())
        await c.start()
        try:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(c, manage_lifecycle=False)),
                                         base_url="http://t") as client:
                r = await client.post(f"{QUOTE_BASE}/quote", json=quote(qitem(), externalId="CLI-Q"),
                                      headers=BUYER_A)
                doc = r.json()
                r = await client.post(f"{ORDER_BASE}/productOrder", json=order_body(ordered(doc)), headers=BUYER_A)
                assert r.status_code == 201, r.text
                return doc["id"], r.json()["id"]
        finally:
            await c.close()

    quote_id, order_id = asyncio.run(make())
    result = runner.invoke(app, ["quotes", "--database-url", url])
    assert result.exit_code == 0, result.output
    assert "CLI-Q" in result.output and "accepted" in result.output
    result = runner.invoke(app, ["quote", quote_id, "--database-url", url])
    assert result.exit_code == 0, result.output
    for text in ("approved.orderable", "accepted", f"ordered by product order {order_id}", "150 USD/month",
                 "300 USD once", "24 months", "quoteStateChangeEvent"):
        assert text in result.output, text
    result = runner.invoke(app, ["order", order_id, "--database-url", url])
    assert f"quote {quote_id} item 1" in result.output
    result = runner.invoke(app, ["quote", "missing", "--database-url", url])
    assert result.exit_code == 1 and "no quote missing" in result.output


def test_serve_fills_profile_placeholders_from_set_and_names_any_left_unfilled() -> None:
    from counterpoint.demo.cluster import CHAIN

    a_profile = str(CHAIN / "a_archipelago.yaml")
    result = runner.invoke(app, ["serve", "--config", a_profile, "--port", "1"])
    assert result.exit_code == 2 and "needs a value for B_URL" in result.output
    result = runner.invoke(app, ["serve", "--config", a_profile, "--set", "B_URL"])
    assert result.exit_code == 2 and "--set expects NAME=VALUE" in result.output
    # filled, the profile loads (tests/e2e/test_crash_recovery.py serves it this way)
    from counterpoint.profiles.loader import load_profile

    profile = load_profile(CHAIN / "a_archipelago.yaml", {"B_URL": "http://127.0.0.1:9"})
    assert profile.orchestration is not None
    assert profile.orchestration.provider("lion-city-metro").base_url == "http://127.0.0.1:9"
