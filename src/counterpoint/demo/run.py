"""`counterpoint demo`: start the chain, play the scenario, watch it live, report and check agreement."""

from __future__ import annotations

import asyncio
import logging
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.live import Live

from counterpoint.bootstrap import ScaledClock
from counterpoint.demo.cluster import Cluster
from counterpoint.demo.scenario import (
    ProviderState,
    disagreements,
    enterprise_quote_view,
    enterprise_view,
    new_correlation,
    place_enterprise_order,
    place_enterprise_upgrade,
    product_rates,
    quote_disagreements,
    request_enterprise_quote,
    snapshot,
    timeline,
)
from counterpoint.demo.view import chain_view, timeline_table

_DONE = {"completed", "failed", "partial", "cancelled", "rejected"}
_QUOTING = {"acknowledged", "inProgress", "inProgress.draft"}
UPGRADE_MBPS = 2000  # act two: 1 Gbps -> 2 Gbps once the service is active


async def run_demo(console: Console, *, time_scale: float, timeout_s: float, workdir: Path | None,
                   live: bool) -> int:
    logging.basicConfig(level=logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="counterpoint-demo-") as tmp:
        where = workdir or Path(tmp)
        where.mkdir(parents=True, exist_ok=True)
        for old in where.glob("*.db*"):
            old.unlink()
        cluster = Cluster.chain(where, ScaledClock(time_scale), time_scale)
        started = time.monotonic()
        await cluster.start_all()
        try:
            return await _play(console, cluster, timeout_s=timeout_s, live=live, started=started)
        finally:
            await cluster.stop_all()


async def _play(console: Console, cluster: Cluster, *, timeout_s: float, live: bool, started: float) -> int:
    for key, p in cluster.providers.items():
        console.print(f"{key}: {p.container.profile.name if p.container else '?'} on {p.url}")
    deadline = started + timeout_s
    correlation = new_correlation()
    quote = await _quote(console, cluster, correlation, deadline=deadline, started=started)  # act one: the quote
    if quote["state"] != "approved.orderable":
        console.print(f"[red]disagreement:[/red] the enterprise's quote ended {quote['state']!r}, not orderable")
        return 1
    order = await place_enterprise_order(cluster, correlation, quote_id=quote["id"])
    console.print(f"the enterprise ordered 1 Gbps Jakarta-Singapore from A on quote {quote['id']}: order "
                  f"{order['id']} (correlation {correlation})")
    state, states = await _follow(console, cluster, order["id"], correlation, deadline=deadline, live=live,
                                  started=started)
    console.print(timeline_table(timeline(states, correlation), correlation))
    problems = disagreements(states, correlation) + quote_disagreements(states, correlation)
    if state != "completed":
        problems.insert(0, f"the enterprise's order ended {state!r}, not completed, after "
                           f"{time.monotonic() - started:.1f} s")
    if not problems:  # act two: the bandwidth upgrade of the active service, across A, B and C
        product_id = (await enterprise_view(cluster, order["id"]))["productOrderItem"][0]["product"]["id"]
        upgrade_correlation = new_correlation()
        upgrade = await place_enterprise_upgrade(cluster, upgrade_correlation, product_id, UPGRADE_MBPS)
        console.print(f"the enterprise upgrades its service {product_id} to {UPGRADE_MBPS // 1000} Gbps: modify "
                      f"order {upgrade['id']} (correlation {upgrade_correlation})")
        state, states = await _follow(console, cluster, upgrade["id"], upgrade_correlation, deadline=deadline,
                                      live=live, started=started)
        console.print(timeline_table(timeline(states, upgrade_correlation), upgrade_correlation))
        problems += disagreements(states, upgrade_correlation) + disagreements(states, correlation)
        if state != "completed":
            problems.insert(0, f"the enterprise's upgrade ended {state!r}, not completed, after "
                               f"{time.monotonic() - started:.1f} s")
        for key, rates in (await product_rates(cluster)).items():
            if rates != [UPGRADE_MBPS]:
                problems.append(f"{key}: its inventory holds products at {rates} Mb/s, not [{UPGRADE_MBPS}]")
    for problem in problems:
        console.print(f"[red]disagreement:[/red] {problem}")
    if problems:
        return 1
    console.print(f"[green]every provider agrees: the service is active, upgraded to {UPGRADE_MBPS // 1000} Gbps"
                  f"[/green] ({time.monotonic() - started:.1f} s)")
    return 0


async def _quote(console: Console, cluster: Cluster, correlation: str, *, deadline: float,
                 started: float) -> dict[str, Any]:
    """The enterprise asks A for a firm quote and waits for its answer (A asks B, B asks C, C surveys the site)."""
    quote = await request_enterprise_quote(cluster, correlation)
    console.print(f"the enterprise asked A for a firm quote on 1 Gbps Jakarta-Singapore: quote {quote['id']}")
    seen = quote["state"]
    console.print(f"  {time.monotonic() - started:5.1f} s  quote {seen}")
    while time.monotonic() < deadline and quote["state"] in _QUOTING:
        await asyncio.sleep(0.2)
        quote = await enterprise_quote_view(cluster, quote["id"])
        if quote["state"] != seen:
            seen = quote["state"]
            console.print(f"  {time.monotonic() - started:5.1f} s  quote {seen}")
    item = quote["quoteItem"][0]
    money = {p["priceType"]: p["price"]["dutyFreeAmount"] for p in item.get("quoteItemPrice") or []}
    if money:
        console.print(f"A quotes {money['nonRecurring']['unit']} {money['nonRecurring']['value']} installation + "
                      f"{money['recurring']['value']}/month, installed in "
                      f"{item['quoteItemInstallationInterval']['amount']} days, valid until "
                      f"{quote['validFor']['endDateTime']}")
    for note in quote.get("note") or []:
        console.print(f"  A's note: {note['text']}")
    return quote


async def _follow(console: Console, cluster: Cluster, order_id: str, correlation: str, *, deadline: float,
                  live: bool, started: float) -> tuple[str, dict[str, ProviderState]]:
    """Watch one enterprise order until it ends (or the deadline); its last state and every provider's state."""
    state = "acknowledged"
    states = await snapshot(cluster)
    with Live(chain_view(states, correlation, "starting"), console=console, refresh_per_second=8,
              transient=False, auto_refresh=live) as view:
        while time.monotonic() < deadline:
            states = await snapshot(cluster)
            state = (await enterprise_view(cluster, order_id))["state"]
            elapsed = time.monotonic() - started
            if live:
                view.update(chain_view(states, correlation, f"enterprise sees: {state}    {elapsed:.1f} s"))
            if state in _DONE:
                break
            await asyncio.sleep(0.2)
        await asyncio.sleep(0.3)  # let the last notifications land
        states = await snapshot(cluster)
        view.update(chain_view(states, correlation, f"enterprise sees: {state}"))
    return state, states
