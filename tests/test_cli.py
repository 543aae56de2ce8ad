"""The `counterpoint` command: profile checks and the order lifecycle views."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
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
    line = next(i for i, text in enumerate(bad.read_text().splitlines(), 1) if "addr-nowhere" in text)
    assert f"{bad}:{line}: site site-sg-raffles-mmr: unknown address addr-nowhere" in result.output


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


# --- serve: the clock, the database lock, the access log ----------------------------------------------------


def _served(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *args: str) -> dict[str, object]:
    """Run `counterpoint serve` up to the point it would start uvicorn; what it would have served."""
    import uvicorn

    seen: dict[str, object] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(app=app, **kw))
    result = runner.invoke(app, ["serve", "--database-url", f"sqlite+aiosqlite:///{tmp_path / 's.db'}", *args])
    assert result.exit_code == 0, result.output
    seen["output"] = result.output
    return seen


def test_serve_runs_the_sellers_clock_at_real_time_unless_asked(monkeypatch: pytest.MonkeyPatch,
                                                                tmp_path: Path) -> None:
    from counterpoint.bootstrap import ScaledClock, SystemClock

    monkeypatch.delenv("COUNTERPOINT_TIME_SCALE", raising=False)
    seen = _served(monkeypatch, tmp_path)
    container = seen["app"].state.container  # type: ignore[attr-defined]
    assert isinstance(container.clock, SystemClock) and container.settings.time_scale == 1
    assert "clock: real time" in str(seen["output"]) and seen["access_log"] is False
    seen = _served(monkeypatch, tmp_path, "--time-scale", "43200", "--access-log")
    container = seen["app"].state.container  # type: ignore[attr-defined]
    assert isinstance(container.clock, ScaledClock) and container.clock.scale == 43200
    assert "x43200 real time (fast)" in str(seen["output"])
    assert seen["access_log"] is True and seen["log_level"] == "info"


def test_a_second_serve_on_the_same_sqlite_file_is_refused(tmp_path: Path) -> None:
    """Two real processes: the second names the file and exits 1; the first logs the requests it serves."""
    import os
    import socket
    import subprocess
    import sys
    import time

    from counterpoint.demo.cluster import free_port

    url = f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src"), "COLUMNS": "200"}
    port = free_port()
    first = subprocess.Popen([sys.executable, "-m", "counterpoint", "serve", "--database-url", url, "--port",
                              str(port), "--access-log"], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:  # wait until it listens
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert first.poll() is None and time.monotonic() < deadline, "the first serve did not start"
                time.sleep(0.05)
        r = httpx.get(f"http://127.0.0.1:{port}{ORDER_BASE}/productOrder", headers=BUYER_A)
        assert r.status_code == 200
        second = subprocess.run([sys.executable, "-m", "counterpoint", "serve", "--database-url", url, "--port",
                                 str(free_port())], env=env, capture_output=True, text=True, timeout=60)
        assert second.returncode == 1, second.stdout + second.stderr
        said = " ".join((second.stdout + second.stderr).split())
        assert "already serves" in said and str(tmp_path / "shared.db") in said
        assert f"pid {first.pid}" in said
    finally:
        first.terminate()
        out, _ = first.communicate(timeout=30)
    assert f"GET {ORDER_BASE}/productOrder HTTP/1.1\" 200" in out, out


# --- reading commands with no database ----------------------------------------------------------------------


@pytest.mark.parametrize("command", [["orders"], ["order", "abc"], ["quotes"], ["quote", "abc"]])
def test_reading_commands_without_a_database_say_what_is_missing(monkeypatch: pytest.MonkeyPatch,
                                                                 tmp_path: Path, command: list[str]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("COUNTERPOINT_DATABASE_URL", raising=False)
    result = runner.invoke(app, command)
    said = " ".join(result.output.split())
    assert result.exit_code == 1 and result.exception is None or isinstance(result.exception, SystemExit)
    assert f"No counterpoint database at {tmp_path / 'counterpoint.db'}" in said
    assert "--database-url" in said and "COUNTERPOINT_DATABASE_URL" in said
    assert "Traceback" not in result.output and len(result.output.splitlines()) < 8
    assert not (tmp_path / "counterpoint.db").exists()
    # an existing file that is not a counterpoint database, and a server that is not there
    (tmp_path / "empty.db").write_bytes(b"")
    result = runner.invoke(app, [*command, "--database-url", f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"])
    assert result.exit_code == 1 and "holds no counterpoint tables" in " ".join(result.output.split())
    result = runner.invoke(app, [*command, "--database-url", "postgresql+asyncpg://u:secret@127.0.0.1:1/x"])
    said = " ".join(result.output.split())
    assert result.exit_code == 1 and "Cannot read the database" in said and "secret" not in said


# --- profile errors -----------------------------------------------------------------------------------------


def test_profile_errors_name_the_file_the_line_and_the_key_meant(tmp_path: Path) -> None:
    bad = tmp_path / "typo.yaml"
    text = DEMO_PROFILE.read_text().replace("priceBook:", "priceBok:", 1)
    text = text.replace("  - {id: buyer-b, name: Borneo Carrier, apiKey: demo-key-buyer-b}",
                        "  - {id: buyer-b, nmae: Borneo Carrier, apiKey: demo-key-buyer-b}")
    bad.write_text(text)
    lines = text.splitlines()
    price_line = next(i for i, line in enumerate(lines, 1) if line.startswith("priceBok:"))
    buyer_line = next(i for i, line in enumerate(lines, 1) if "nmae:" in line)
    result = runner.invoke(app, ["check-profile", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:{price_line}: unknown key priceBok (did you mean priceBook?)" in result.output
    assert f"{bad}:{buyer_line}: buyers #2: unknown key nmae (did you mean name?)" in result.output
    assert "extra_forbidden" not in result.output and "pydantic" not in result.output
    broken = tmp_path / "broken.yaml"
    broken.write_text("seller: {id: x}\nbuyers: [\n  {id: a\n")
    result = runner.invoke(app, ["check-profile", str(broken)])
    assert result.exit_code == 1 and f"{broken}:" in result.output and "not valid YAML" in result.output


# --- ids: whole when piped or asked, a unique prefix accepted ----------------------------------------------


def test_lists_shorten_ids_only_on_a_terminal_and_views_take_a_unique_prefix(monkeypatch: pytest.MonkeyPatch,
                                                                             tmp_path: Path) -> None:
    from rich.console import Console
    from sqlalchemy import create_engine, text

    import counterpoint.cli.main as cli

    url = f"sqlite+aiosqlite:///{tmp_path / 'ids.db'}"

    async def make() -> None:
        c = build(Settings(database_url=url, run_workers=False), clock=ManualClock())
        await c.start()
        try:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(c, manage_lifecycle=False)),
                                         base_url="http://t") as client:
                for ext in ("ID-1", "ID-2"):
                    r = await client.post(f"{ORDER_BASE}/productOrder", json=order_body(external_id=ext),
                                          headers=BUYER_A)
                    assert r.status_code == 201, r.text
        finally:
            await c.close()

    asyncio.run(make())
    ids = {"ID-1": "abcd1234-0000-4000-8000-000000000001", "ID-2": "abcd1299-0000-4000-8000-000000000002"}
    engine = create_engine(f"sqlite:///{tmp_path / 'ids.db'}")
    with engine.begin() as conn:
        for ext, new in ids.items():
            conn.execute(text("UPDATE product_order SET id = :new, doc = json_set(doc, '$.id', :new) "
                              "WHERE json_extract(doc, '$.externalId') = :ext"), {"new": new, "ext": ext})
    engine.dispose()
    piped = runner.invoke(app, ["orders", "--database-url", url])
    assert all(i in piped.output for i in ids.values())  # not a terminal: whole ids, for scripts
    monkeypatch.setattr(cli, "console", Console(force_terminal=True, width=160))
    shown = runner.invoke(app, ["orders", "--database-url", url])
    assert "abcd1234" in shown.output and ids["ID-1"] not in shown.output
    shown = runner.invoke(app, ["orders", "--database-url", url, "--full"])
    assert ids["ID-1"] in shown.output
    monkeypatch.setattr(cli, "console", Console(width=200))
    one = runner.invoke(app, ["order", "abcd1234", "--database-url", url])
    assert one.exit_code == 0 and ids["ID-1"] in one.output and "ID-1" in one.output
    both = runner.invoke(app, ["order", "abcd12", "--database-url", url])
    said = " ".join(both.output.split())
    assert both.exit_code == 1 and "'abcd12' is the start of several orders" in said
    assert ids["ID-1"] in said and ids["ID-2"] in said
    assert runner.invoke(app, ["quote", "abcd", "--database-url", url]).exit_code == 1
