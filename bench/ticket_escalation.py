"""Benchmark: a trouble ticket escalated through the chain A -> B -> C and resolved back, over loopback HTTP.

Providers A, B and C of `counterpoint demo` run in this process, each a uvicorn server on 127.0.0.1 with its
own SQLite database, on one clock running --scale times faster than real time (as tests/e2e/test_chain.py).
The enterprise's line is ordered and goes active; then, --tickets times: a fault is injected on C's last mile
(network/activation.py FaultBoard, cleared by C's repair), the enterprise reports it to A, and the run waits
until A has resolved the enterprise's ticket (after B's and A's own validation tests); the enterprise closes it.

Each leg is read afterwards from the providers' records (MEF creationDate and statusChange, all on the shared
clock) and divided by the clock's scale, so the figures are real seconds with no polling of ours in between:

  A -> B      the enterprise's ticket created at A -> A's ticket created at B (A's diagnosis and command)
  B -> C      A's ticket at B -> B's ticket at C (B's diagnosis and command)
  C repairs   C's ticket created -> resolved (C's profile: 6 hours, i.e. --scale-fold shorter here)
  C -> B      C's resolution -> B resolved A's ticket (B hears it, tests end to end, closes C's)
  B -> A      B's resolution -> A resolved the enterprise's (A hears it, tests, closes B's)

Two modes side by side, each on a fresh chain: "callbacks" (every supplier notifies its buyer through the hubs)
and "polling" (B's and A's listeners are withdrawn at their suppliers: they learn only by polling, every
pollIntervalS of the profiles, 6 profile hours).

Usage:  .venv/bin/python bench/ticket_escalation.py [--tickets 3] [--scale 259200] [--json out.json]
It prints a Markdown table (the one in bench/README.md).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import platform
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE.parent))

from counterpoint.bootstrap import ScaledClock  # noqa: E402
from counterpoint.core.shared.apis import base_path  # noqa: E402
from counterpoint.core.shared.times import parse_aware  # noqa: E402
from counterpoint.demo.cluster import Cluster  # noqa: E402
from counterpoint.demo.scenario import new_correlation, place_enterprise_order, snapshot  # noqa: E402
from counterpoint.demo.tickets import (  # noqa: E402
    B_KEY_AT_C,
    enterprise_closes,
    enterprise_ticket,
    inject_last_mile_fault,
    report_enterprise_fault,
    service_chain,
    ticket_snapshot,
)

LEGS = ("A -> B", "B -> C", "C repairs", "C -> B", "B -> A", "total")
A_KEY_AT_B = "demo-key-archipelago"


async def wait(what: str, check: Any, timeout_s: float = 180) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if value := await check():
            return value
        await asyncio.sleep(0.02)
    raise TimeoutError(what)


async def active(cluster: Cluster) -> tuple[str, str, str]:
    await place_enterprise_order(cluster, new_correlation())

    async def done() -> Any:
        st = await snapshot(cluster)
        comps = {k: st[k].composites[0] for k in "AB" if st[k].composites}
        return comps if len(comps) == 2 and all(c.state.value == "active" and c.product_id
                                                for c in comps.values()) else None

    return service_chain(await wait("the line to go active", done))


async def withdraw_listeners(cluster: Cluster) -> None:
    """B's listeners at C and A's at B are withdrawn: no callbacks, only polls."""
    for buyer, seller, provider, key in (("B", "C", "merlion-access", B_KEY_AT_C),
                                         ("A", "B", "lion-city-metro", A_KEY_AT_B)):
        c = cluster[buyer].container
        assert c is not None

        async def subscribed(c: Any = c, provider: str = provider) -> Any:
            async with c.uow() as uow:
                return await uow.composites.subscriptions(provider) or None

        ids = await wait(f"{buyer} subscribed at {seller}", subscribed)
        async with httpx.AsyncClient(base_url=cluster[seller].url, timeout=5) as http:
            for function in ("productOrder", "quote", "poq", "troubleTicket", "workOrder"):
                for listener_id in ids:
                    await http.delete(f"{base_path(function, 'sonata')}/hub/{listener_id}",
                                      headers={"Authorization": f"Bearer {key}"})


def _at(doc: dict[str, Any], status: str) -> datetime:
    found = [parse_aware(c.get("changeDate")) for c in doc.get("statusChange") or [] if c.get("status") == status]
    at = found[-1] if found else None
    assert at is not None, (status, doc.get("statusChange"))
    return at


async def one_ticket(cluster: Cluster, products: tuple[str, str, str], n: int, scale: float) -> dict[str, float]:
    a_prod, b_prod, c_prod = products
    inject_last_mile_fault(cluster, b_prod, c_prod, fault_id=f"fault-{n}")
    ticket = await report_enterprise_fault(cluster, new_correlation(), a_prod, external_id=f"BENCH-TT-{n}")

    async def resolved() -> Any:
        seen = await enterprise_ticket(cluster, ticket["id"])
        return seen if seen["status"] == "resolved" else None

    a_doc = await wait("A to resolve the enterprise's ticket", resolved)
    await enterprise_closes(cluster, ticket["id"])
    st = await ticket_snapshot(cluster)
    b_doc = next(t.doc for t in st["B"].tickets if t.doc.get("externalId", "").startswith("cp-")
                 and parse_aware(t.doc["creationDate"]) >= parse_aware(a_doc["creationDate"]))
    c_doc = next(t.doc for t in st["C"].tickets if parse_aware(t.doc["creationDate"]) >= parse_aware(b_doc[
        "creationDate"]))
    marks = [parse_aware(a_doc["creationDate"]), parse_aware(b_doc["creationDate"]),
             parse_aware(c_doc["creationDate"]), _at(c_doc, "resolved"), _at(b_doc, "resolved"),
             _at(a_doc, "resolved")]
    assert all(m is not None for m in marks)
    legs = [(b - a).total_seconds() / scale for a, b in zip(marks, marks[1:], strict=False)]  # type: ignore[operator]
    out = dict(zip(LEGS[:-1], legs, strict=True))
    out["total"] = sum(legs)
    return out


async def run_mode(mode: str, tickets: int, scale: float) -> list[dict[str, float]]:
    with tempfile.TemporaryDirectory() as tmp:
        cluster = Cluster.chain(Path(tmp), ScaledClock(scale), scale)
        await cluster.start_all()
        try:
            products = await active(cluster)
            if mode == "polling":
                await withdraw_listeners(cluster)
            return [await one_ticket(cluster, products, n, scale) for n in range(tickets)]
        finally:
            await cluster.stop_all()


def table(results: dict[str, list[dict[str, float]]]) -> str:
    modes = list(results)
    lines = ["| leg | " + " | ".join(f"{m}: median s (min-max)" for m in modes) + " |",
             "|---|" + "---|" * len(modes)]
    for leg in LEGS:
        cells = []
        for m in modes:
            values = [r[leg] for r in results[m]]
            cells.append(f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})")
        lines.append(f"| {leg} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=3)
    parser.add_argument("--scale", type=float, default=259_200)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    results = {mode: await run_mode(mode, args.tickets, args.scale) for mode in ("callbacks", "polling")}
    print(f"\n{platform.node()} {platform.python_version()}, {args.tickets} tickets per mode, clock x{args.scale:g}\n")
    print(table(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
