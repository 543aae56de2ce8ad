"""Act three of `counterpoint demo`, as a person watches it: the fault on C's last mile from injection to the
enterprise's closed ticket, then each provider's month (SLA) and a reconciliation run on each."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from rich.console import Console
from rich.live import Live

from counterpoint.core.sla.model import Fact
from counterpoint.demo.assurance import (
    FAULT_ID,
    Chain,
    find_chain,
    holdings,
    reconcile_all,
    reconcile_disagreements,
    sla_disagreements,
    sla_views,
    ticket_disagreements,
    ticket_rows,
    ticket_timeline,
)
from counterpoint.demo.cluster import Cluster
from counterpoint.demo.scenario import Line, new_correlation, readable, when
from counterpoint.demo.tickets import (
    enterprise_closes,
    enterprise_ticket,
    inject_last_mile_fault,
    report_enterprise_fault,
)
from counterpoint.demo.view import findings_table, sla_table, ticket_live_view, timeline_table


def _short(value: str, verbose: bool) -> str:
    return value if verbose else value[:8]


def timed_out(what: str, state: str, elapsed_s: float, timeout_s: float) -> str:
    return (f"the enterprise's {what} was still {state!r} when the demo gave up after {elapsed_s:.0f} s "
            f"(--timeout {timeout_s:g}): on a slow or busy machine give it longer, e.g. --timeout "
            f"{max(2 * timeout_s, 120):g}")


FAULT_SCALE = 3600.0  # act three's clock: an hour a second, so a repair's hours and a visit's day can be followed
_TICKET_OPEN = {"acknowledged", "inProgress", "pending", "reopened", "assessingCancellation"}


async def play_fault(console: Console, cluster: Cluster, a_product: str, *, deadline: float, live: bool,
                     started: float, verbose: bool = False) -> list[str]:
    """The fault on C's last mile from injection to closure, then the month's SLA and reconciliation."""
    chain = await find_chain(cluster, a_product)
    cluster.rescale(FAULT_SCALE)
    fault_at = cluster.clock.now()
    board = inject_last_mile_fault(cluster, chain.b_product, chain.c_product, fault_id=FAULT_ID)
    console.print(f"the clock slows to an hour a second. {when(fault_at)}: a failing fibre splice on C's last mile "
                  f"at Changi (fault injected, 4% loss): the end-to-end tests of B (over C's product "
                  f"{_short(chain.c_product, verbose)}) and of A (over B's) now fail")
    correlation = new_correlation()
    ticket = await report_enterprise_fault(cluster, correlation, a_product, severity="extensive")
    console.print(f"the enterprise reports it to A: ticket {_short(ticket['id'], verbose)} (its own "
                  f"{ticket.get('externalId')}, severity extensive, correlation {correlation})")
    status = await _follow_ticket(console, cluster, ticket["id"], deadline=deadline, live=live, started=started,
                                  until={"resolved", "closed", "cancelled"})
    cleared_at = cluster.clock.now() if board.faults[FAULT_ID].cleared else None
    if status == "resolved":
        code = await enterprise_closes(cluster, ticket["id"])
        console.print(f"  {time.monotonic() - started:5.1f} s  the enterprise confirms the repair and closes its "
                      f"ticket ({code})", markup=False, highlight=False)
    await _settle(cluster, ticket["id"], chain, deadline=deadline)
    hold = await holdings(cluster)
    extra = [Line(fault_at, "C", "fault injected: fibre cut on the last mile at Changi Business Park", "demo")]
    if cleared_at is not None:
        extra.append(Line(cleared_at, "C", "the fault is gone (C's repair), seen by the next test over it", "demo"))
    console.print(timeline_table(ticket_timeline(hold, verbose=verbose, extra=extra), correlation,
                                 title=f"the fault across providers, ticket {_short(ticket['id'], verbose)} "
                                       "(profile clock)"))
    problems = ticket_disagreements(hold, ticket["id"], board.faults[FAULT_ID].cleared)
    if status not in ("resolved", "closed"):
        problems.insert(0, timed_out("ticket", status, time.monotonic() - started, deadline - started))
    views = await sla_views(cluster, fault_at)
    rows = [(key, line if verbose else readable(line)) for key, v in views.items() for r in v.reports
            for line in r.summary()]
    console.print(sla_table(rows, "the month's SLA on each provider (core/sla): availability, credits, OLAs"))
    for key in ("A", "B"):
        for outage in views[key].outages:
            console.print(_evidence(key, outage, verbose))
    problems += sla_disagreements(views, chain)
    reports = await reconcile_all(cluster)
    found = [(key, f.kind.value, f.status.value, f.summary) for key, r in reports.items() for f in r.findings]
    scanned = ", ".join(f"{key}: " + " ".join(f"{c.value} {n}" for c, n in r.scanned.items())
                        for key, r in reports.items())
    if found:
        console.print(findings_table(found, "reconciliation on every provider"))
    else:
        console.print(f"reconciliation on every provider found nothing (scanned {scanned})", markup=False,
                      highlight=False)
    problems += reconcile_disagreements(reports)
    return problems


def _evidence(key: str, outage: Any, verbose: bool) -> str:
    """One outage as its provider recorded it, with the chain of evidence behind its start, end and domain."""
    who = outage.responsible.supplier or outage.responsible.domain.value
    head = (f"{key}'s evidence: outage {_short(outage.id, verbose)} on service {_short(outage.service_id, verbose)} "
            f"{when(outage.start)} - {when(outage.end)}, charged to {who}")
    causes = [ev for ev in outage.evidence if ev.fact is Fact.ROOT_CAUSE and ev.responsible is not None]
    for ev in causes:  # the charged supplier's resolution names where the fault was (its ticket there)
        head += (f"; root cause {ev.responsible.supplier}, says {ev.source} "
                 f"(ticket {_short(ev.reference, verbose)} at {ev.responsible.supplier})")
    facts = [f"  {ev.fact.value}: {ev.kind.value} {_short(ev.reference, verbose)} by {ev.source} at {when(ev.at)}"
             + (f" ({_note(ev.note, verbose)})" if ev.note else "") for ev in outage.evidence]
    return "\n".join([head, *facts])


def _note(text: str, verbose: bool) -> str:
    return text if verbose else (short := readable(text))[:60] + ("..." if len(short) > 60 else "")


async def _follow_ticket(console: Console, cluster: Cluster, ticket_id: str, *, deadline: float, live: bool,
                         started: float, until: set[str]) -> str:
    """Watch the enterprise's ticket (and every provider's tickets and visits) until it reaches `until`."""
    status = "acknowledged"
    view = Live(ticket_live_view([], "starting"), console=console, refresh_per_second=4, transient=True,
                auto_refresh=True) if live else None
    said = ""
    with view or contextlib.nullcontext():
        while time.monotonic() < deadline:
            status = (await enterprise_ticket(cluster, ticket_id))["status"]
            elapsed = time.monotonic() - started
            if view is not None:
                rows = ticket_rows(await holdings(cluster))
                view.update(ticket_live_view(rows, f"enterprise's ticket: {status}    {elapsed:.1f} s"))
            elif status != said:
                console.print(f"  {elapsed:5.1f} s  enterprise's ticket: {status}", markup=False, highlight=False)
                said = status
            if status in until:
                break
            await asyncio.sleep(0.2)
    return status


async def _settle(cluster: Cluster, ticket_id: str, chain: Chain, *, deadline: float) -> None:
    """After the enterprise closed: wait (to the deadline) for every ticket down the chain to be closed."""
    while time.monotonic() < deadline:
        hold = await holdings(cluster)
        if all(t.status.value not in _TICKET_OPEN and t.status.value != "resolved"
               for h in hold.values() for t in h.tickets) \
                and all(f.state.value in ("closed", "cancelled") for h in hold.values() for f in h.federated):
            break
        await asyncio.sleep(0.2)
    await asyncio.sleep(0.3)  # the last notifications land


