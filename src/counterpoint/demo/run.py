"""`counterpoint demo`: start the chain, play the scenario, watch it live, report and check agreement."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout
from rich.console import Console
from rich.live import Live

from counterpoint.demo.assurance import (
    drift_missed,
    find_chain,
    reconcile_all,
    seed_drift,
)
from counterpoint.demo.cluster import Cluster, DemoClock
from counterpoint.demo.fault import play_fault
from counterpoint.demo.scenario import (
    ProviderState,
    completion_notes,
    disagreements,
    enterprise_quote_view,
    enterprise_view,
    new_correlation,
    place_enterprise_order,
    place_enterprise_upgrade,
    product_rates,
    quote_disagreements,
    readable,
    request_enterprise_quote,
    snapshot,
    timeline,
    when,
)
from counterpoint.demo.view import chain_view, completion_table, findings_table, live_view, timeline_table

_DONE = {"completed", "failed", "partial", "cancelled", "rejected"}
_QUOTING = {"acknowledged", "inProgress", "inProgress.draft"}
UPGRADE_MBPS = 2000  # act two: 1 Gbps -> 2 Gbps once the service is active


class WorkdirBusy(RuntimeError):
    """Another demo runs in this working directory."""


def claim_workdir(where: Path, *, now: datetime | None = None) -> tuple[Any, Path | None]:
    """Lock `where` for this run and move a previous run's databases aside (never delete them).

    Returns the held lock and the folder the previous run went to (None when there was none). A second demo in
    the same folder is refused: both would write the same three databases.
    """
    where.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(where / ".demo.lock"), timeout=0)
    try:
        lock.acquire()
    except Timeout as exc:
        raise WorkdirBusy(f"another counterpoint demo is running in {where}: wait for it to end, or give this "
                          "one its own --workdir") from exc
    old = sorted(p for p in where.iterdir() if p.is_file() and ".db" in p.name)
    if not old:
        return lock, None
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
    aside = where / f"previous-{stamp}"
    n = 1
    while aside.exists():
        n += 1
        aside = where / f"previous-{stamp}-{n}"
    aside.mkdir()
    for path in old:
        path.rename(aside / path.name)
    return lock, aside


async def run_demo(console: Console, *, time_scale: float, timeout_s: float, workdir: Path | None,
                   live: bool, verbose: bool = False, drift: bool = False) -> int:
    logging.basicConfig(level=logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="counterpoint-demo-") as tmp:
        where = workdir or Path(tmp)
        try:
            lock, aside = claim_workdir(where)
        except WorkdirBusy as exc:
            console.print(str(exc), style="red", markup=False, highlight=False)
            return 2
        try:
            if aside is not None:
                console.print(f"the previous run in {where} was moved to {aside}", markup=False, highlight=False)
            cluster = Cluster.chain(where, DemoClock(time_scale), time_scale)
            started = time.monotonic()
            await cluster.start_all()
            try:
                return await _play(console, cluster, timeout_s=timeout_s, live=live and console.is_terminal,
                                   started=started, verbose=verbose, drift=drift)
            finally:
                await cluster.stop_all()
        finally:
            lock.release()


def _short(value: str, verbose: bool) -> str:
    return value if verbose else value[:8]


def timed_out(what: str, state: str, elapsed_s: float, timeout_s: float) -> str:
    return (f"the enterprise's {what} was still {state!r} when the demo gave up after {elapsed_s:.0f} s "
            f"(--timeout {timeout_s:g}): on a slow or busy machine give it longer, e.g. --timeout "
            f"{max(2 * timeout_s, 120):g}")


async def _play(console: Console, cluster: Cluster, *, timeout_s: float, live: bool, started: float,
                verbose: bool = False, drift: bool = False) -> int:
    for key, p in cluster.providers.items():
        console.print(f"{key}: {p.container.profile.name if p.container else '?'} on {p.url}")
    deadline = started + timeout_s
    correlation = new_correlation()
    quote = await _quote(console, cluster, correlation, deadline=deadline, started=started, verbose=verbose)
    if quote["state"] in _QUOTING:
        why = timed_out("quote", quote["state"], time.monotonic() - started, timeout_s)
        console.print(f"[red]disagreement:[/red] {why}")
        return 1
    if quote["state"] != "approved.orderable":
        console.print(f"[red]disagreement:[/red] the enterprise's quote ended {quote['state']!r}, not orderable")
        return 1
    order = await place_enterprise_order(cluster, correlation, quote_id=quote["id"])
    console.print(f"the enterprise ordered 1 Gbps Jakarta-Singapore from A on quote {_short(quote['id'], verbose)}"
                  f": order {_short(order['id'], verbose)} (correlation {correlation})")
    state, states = await _follow(console, cluster, order["id"], correlation, deadline=deadline, live=live,
                                  started=started)
    _report(console, states, correlation, verbose)
    problems = disagreements(states, correlation) + quote_disagreements(states, correlation)
    if state not in _DONE:
        problems.insert(0, timed_out("order", state, time.monotonic() - started, timeout_s))
    elif state != "completed":
        problems.insert(0, f"the enterprise's order ended {state!r}, not completed, after "
                           f"{time.monotonic() - started:.1f} s")
    product_id = ""
    if not problems:
        product_id = (await enterprise_view(cluster, order["id"]))["productOrderItem"][0]["product"]["id"]
    if not problems and drift:  # the other act two: drift seeded on purpose, and reconciliation finding it
        problems += await _drift(console, cluster, product_id, verbose=verbose)
        for problem in problems:
            console.print(f"[red]disagreement:[/red] {problem}")
        if problems:
            return 1
        console.print(f"[green]reconciliation found every drift seeded, on the provider where it was seeded, and "
                      f"nothing else[/green] ({time.monotonic() - started:.1f} s)")
        return 0
    if not problems:  # act two: the bandwidth upgrade of the active service, across A, B and C
        upgrade_correlation = new_correlation()
        upgrade = await place_enterprise_upgrade(cluster, upgrade_correlation, product_id, UPGRADE_MBPS)
        console.print(f"the enterprise upgrades its service {_short(product_id, verbose)} to "
                      f"{UPGRADE_MBPS // 1000} Gbps: modify order {_short(upgrade['id'], verbose)} "
                      f"(correlation {upgrade_correlation})")
        state, states = await _follow(console, cluster, upgrade["id"], upgrade_correlation, deadline=deadline,
                                      live=live, started=started)
        _report(console, states, upgrade_correlation, verbose)
        problems += disagreements(states, upgrade_correlation) + disagreements(states, correlation)
        if state not in _DONE:
            problems.insert(0, timed_out("upgrade", state, time.monotonic() - started, timeout_s))
        elif state != "completed":
            problems.insert(0, f"the enterprise's upgrade ended {state!r}, not completed, after "
                               f"{time.monotonic() - started:.1f} s")
        for key, rates in (await product_rates(cluster)).items():
            if rates != [UPGRADE_MBPS]:
                problems.append(f"{key}: its inventory holds products at {rates} Mb/s, not [{UPGRADE_MBPS}]")
    if not problems:  # act three: a fault on C's last mile, its tickets across the chain, the SLA, reconciliation
        problems += await play_fault(console, cluster, product_id, deadline=deadline, live=live, started=started,
                                     verbose=verbose)
    for problem in problems:
        console.print(f"[red]disagreement:[/red] {problem}")
    if problems:
        return 1
    console.print(f"[green]every provider agrees: the service is active, upgraded to {UPGRADE_MBPS // 1000} Gbps; "
                  "the fault on C's last mile was repaired and every ticket on A, B and C is closed; B charges the "
                  "outage to C and A to B, the enterprise's credit and C's penalty follow; reconciliation found "
                  f"nothing[/green] ({time.monotonic() - started:.1f} s)")
    return 0


def _report(console: Console, states: dict[str, ProviderState], correlation: str, verbose: bool) -> None:
    """After an order ends: every provider in full, the joined timeline, and why completion moved."""
    console.print(chain_view(states, correlation, f"the chain at the end of {correlation}"))
    console.print(timeline_table(timeline(states, correlation, verbose=verbose), correlation))
    if notes := completion_notes(states, correlation):
        console.print(completion_table(notes))


async def _quote(console: Console, cluster: Cluster, correlation: str, *, deadline: float,
                 started: float, verbose: bool = False) -> dict[str, Any]:
    """The enterprise asks A for a firm quote and waits for its answer (A asks B, B asks C, C surveys the site)."""
    quote = await request_enterprise_quote(cluster, correlation)
    console.print(f"the enterprise asked A for a firm quote on 1 Gbps Jakarta-Singapore: quote "
                  f"{_short(quote['id'], verbose)}")
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
                      f"{quote['validFor']['endDateTime'] if verbose else when(quote['validFor']['endDateTime'])}")
    for note in quote.get("note") or []:
        console.print(f"  A's note: {note['text']}")
    return quote


async def _follow(console: Console, cluster: Cluster, order_id: str, correlation: str, *, deadline: float,
                  live: bool, started: float) -> tuple[str, dict[str, ProviderState]]:
    """Watch one enterprise order until it ends (or the deadline); its last state and every provider's state.

    On a terminal (and `live`) a compact view is redrawn in place; otherwise each change of the enterprise's
    view is one line, so a redirected run reads as a log.
    """
    state = "acknowledged"
    states = await snapshot(cluster)
    view = Live(live_view(states, correlation, "starting"), console=console, refresh_per_second=4,
                transient=True, auto_refresh=True) if live else None
    said = ""
    with view or contextlib.nullcontext():
        while time.monotonic() < deadline:
            states = await snapshot(cluster)
            state = (await enterprise_view(cluster, order_id))["state"]
            elapsed = time.monotonic() - started
            if view is not None:
                view.update(live_view(states, correlation, f"enterprise sees: {state}    {elapsed:.1f} s"))
            elif state != said:
                console.print(f"  {elapsed:5.1f} s  enterprise sees: {state}", markup=False, highlight=False)
                said = state
            if state in _DONE:
                break
            await asyncio.sleep(0.2)
        await asyncio.sleep(0.3)  # let the last notifications land
        states = await snapshot(cluster)
    return state, states


async def _drift(console: Console, cluster: Cluster, a_product: str, *, verbose: bool = False) -> list[str]:
    """Seed drift into A's and B's records, then reconcile every provider twice: each drift is found once (raised
    to a person or repaired), and the second run raises nothing again."""
    chain = await find_chain(cluster, a_product)
    seeded = await seed_drift(cluster, chain)
    console.print(findings_table([(s.key, s.kind.value, "seeded", s.what) for s in seeded],
                                 "drift seeded on purpose"))
    reports = await reconcile_all(cluster)
    found = [(key, f.kind.value, f.status.value, readable(f.summary) if not verbose else f.summary)
             for key, r in reports.items() for f in r.findings]
    console.print(findings_table(found, "reconciliation on every provider (first run)"))
    problems = drift_missed(seeded, reports)
    again = await reconcile_all(cluster)
    raised_again = sum(len(r.newly_raised) for r in again.values())
    still = sum(r.still_raised for r in again.values())
    cleared = sum(len(r.cleared) for r in again.values())
    console.print(f"a second run on every provider: {raised_again} raised again, {still} still raised from the "
                  f"first (a person was told once), {cleared} cleared (repaired by the first)", markup=False,
                  highlight=False)
    if raised_again:
        problems.append(f"the second reconciliation raised {raised_again} finding(s) again")
    return problems
