"""`counterpoint demo`: start the chain, play the scenario, watch it live, report and check agreement."""

from __future__ import annotations

import asyncio
import logging
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.live import Live

from counterpoint.bootstrap import ScaledClock
from counterpoint.demo.cluster import Cluster
from counterpoint.demo.scenario import (
    disagreements,
    enterprise_view,
    new_correlation,
    place_enterprise_order,
    snapshot,
    timeline,
)
from counterpoint.demo.view import chain_view, timeline_table

_DONE = {"completed", "failed", "partial", "cancelled", "rejected"}


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
    correlation = new_correlation()
    order = await place_enterprise_order(cluster, correlation)
    console.print(f"the enterprise ordered 1 Gbps Jakarta-Singapore from A: order {order['id']} "
                  f"(correlation {correlation})")
    deadline = started + timeout_s
    state = order["state"]
    states = await snapshot(cluster)
    with Live(chain_view(states, correlation, "starting"), console=console, refresh_per_second=8,
              transient=False, auto_refresh=live) as view:
        while time.monotonic() < deadline:
            states = await snapshot(cluster)
            state = (await enterprise_view(cluster, order["id"]))["state"]
            elapsed = time.monotonic() - started
            if live:
                view.update(chain_view(states, correlation, f"enterprise sees: {state}    {elapsed:.1f} s"))
            if state in _DONE:
                break
            await asyncio.sleep(0.2)
        await asyncio.sleep(0.3)  # let the last notifications land
        states = await snapshot(cluster)
        view.update(chain_view(states, correlation, f"enterprise sees: {state}"))
    console.print(timeline_table(timeline(states, correlation), correlation))
    problems = disagreements(states, correlation)
    if state != "completed":
        problems.insert(0, f"the enterprise's order ended {state!r}, not completed, after "
                           f"{time.monotonic() - started:.1f} s")
    for problem in problems:
        console.print(f"[red]disagreement:[/red] {problem}")
    if problems:
        return 1
    console.print(f"[green]every provider agrees: the service is active[/green] "
                  f"({time.monotonic() - started:.1f} s)")
    return 0
