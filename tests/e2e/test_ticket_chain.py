"""A fault on C's last mile, across providers A, B and C as real uvicorn servers over HTTP (each with its own SQLite
database): the enterprise reports it to A; A's diagnosis suspects B's segment and escalates; B (a counterpoint
Seller whose product is composite) suspects C's and escalates; C repairs and resolves; B and A each validate with
their own end-to-end test before closing their supplier's ticket and resolving their customer's.

Also: a supplier that never calls back (polling finds its resolution), a duplicated and reordered "resolved"
notification, and a repair that does not clear the fault (the validation fails and the ticket stays open with
the supplier).
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from counterpoint.bootstrap import ScaledClock
from counterpoint.core.orchestration.ticket_supply import TicketState
from counterpoint.core.shared.apis import base_path, listener_path
from counterpoint.core.shared.ids import new_id
from counterpoint.core.shared.times import iso
from counterpoint.core.sla import services as sla
from counterpoint.core.sla.model import Domain, Month, Responsible
from counterpoint.demo.cluster import Cluster
from counterpoint.demo.scenario import new_correlation, place_enterprise_order, snapshot
from counterpoint.demo.tickets import (
    B_KEY_AT_C,
    enterprise_closes,
    enterprise_ticket,
    inject_last_mile_fault,
    report_enterprise_fault,
    service_chain,
)
from tests.e2e.support import eventually, sla_lines, ticket_snapshot

T = TypeVar("T")
TIME_SCALE = 259_200  # 3 profile days per real second (as tests/e2e/test_chain.py)


@pytest.fixture
async def chain(tmp_path: Path) -> AsyncIterator[Cluster]:
    cluster = Cluster.chain(tmp_path, ScaledClock(TIME_SCALE), TIME_SCALE)
    await cluster.start_all()
    try:
        yield cluster
    finally:
        await cluster.stop_all()


async def active_chain(cluster: Cluster) -> tuple[str, str, str]:
    """Order the enterprise's line and wait until it is active: (A's, B's and C's product ids)."""
    order = await place_enterprise_order(cluster, new_correlation())

    async def active() -> dict[str, Any] | None:
        states = await snapshot(cluster)
        comps = {k: states[k].composites[0] for k in "AB" if states[k].composites}
        return comps if len(comps) == 2 and all(c.state.value == "active" and c.product_id
                                                for c in comps.values()) else None

    comps = await eventually("the enterprise's line to go active", active, timeout_s=90, every_s=0.1)
    assert order["id"]
    return service_chain(comps)


async def until(what: str, check: Callable[[], Awaitable[T | None]], timeout_s: float = 90) -> T:
    return await eventually(what, check, timeout_s=timeout_s, every_s=0.05)  # generous: 2 cores, 3 servers


def only(items: list[Any]) -> Any:
    assert len(items) == 1, items
    return items[0]


async def test_the_enterprise_ticket_is_escalated_to_c_repaired_validated_and_closed(chain: Cluster) -> None:
    a_prod, b_prod, c_prod = await active_chain(chain)
    inject_last_mile_fault(chain, b_prod, c_prod)  # C's repair clears it
    correlation = new_correlation()
    t0 = time.monotonic()
    ticket = await report_enterprise_fault(chain, correlation, a_prod)
    assert ticket["status"] == "acknowledged"

    async def a_resolved() -> dict[str, Any] | None:
        seen = await enterprise_ticket(chain, ticket["id"])
        return seen if seen["status"] in ("resolved", "closed") else None

    resolved = await until("the enterprise's ticket to be resolved", a_resolved)
    escalation_s = time.monotonic() - t0
    states = await ticket_snapshot(chain)
    a_ft, b_ft = only(states["A"].federated), only(states["B"].federated)
    b_ticket = only(states["B"].tickets)  # A's ticket at B
    c_ticket = only(states["C"].tickets)  # B's ticket at C

    # each hop suspected the next provider's segment from its own end-to-end test, and escalated there
    assert (a_ft.suspect["segmentName"], a_ft.suspect["provider"]) == ("singapore-access", "lion-city-metro")
    assert (b_ft.suspect["segmentName"], b_ft.suspect["provider"]) == ("changi-last-mile", "merlion-access")
    assert "frameLossRatio failed" in " ".join(a_ft.suspect["why"])
    # our ids stay ours: each supplier ticket carries its buyer's reference; each buyer holds the supplier's id
    a_esc, b_esc = only(a_ft.escalations), only(b_ft.escalations)
    assert (b_ticket.doc["externalId"], a_esc.external_ref.value) == (a_esc.our_ref, b_ticket.id)
    assert (c_ticket.doc["externalId"], b_esc.external_ref.value) == (b_esc.our_ref, c_ticket.id)
    assert b_ticket.doc["relatedEntity"][0]["id"] == b_prod and c_ticket.doc["relatedEntity"][0]["id"] == c_prod
    # one correlation id from the enterprise's ticket to C's
    assert [t.correlation_id for t in (states["A"].tickets[0], b_ticket, c_ticket)] == [correlation] * 3
    assert [f.correlation_id for f in (a_ft, b_ft)] == [correlation] * 2

    # C resolved; B validated (its test now passes) and closed C's ticket, then resolved A's; A did the same
    assert c_ticket.status.value == "closed" and c_ticket.doc["statusChange"][-2]["status"] == "resolved"
    assert [v["passed"] for v in b_ft.validations] == [False, True]
    assert [v["passed"] for v in a_ft.validations] == [False, True]
    assert a_ft.validated_at >= b_ft.validated_at
    assert resolved["note"][-1]["text"].startswith("resolution=supplierNetwork;")
    assert "lion-city-metro" not in json.dumps(resolved) and "merlion" not in json.dumps(resolved)
    # ...while B, resolving A's ticket (Sonata), names the root cause and C's ticket for A's SLA report
    assert any(n["text"].startswith(f"resolution=supplierNetwork; rootCause=merlion-access; "
                                    f"supplierTicket={c_ticket.id};") for n in b_ticket.doc["note"])
    assert a_ft.outage["responsibleDomain"] == "lion-city-metro" and b_ft.outage["responsibleDomain"] == \
        "merlion-access"

    # the enterprise confirms; A closes; B's ticket was closed by A after its validation
    if resolved["status"] == "resolved":
        assert await enterprise_closes(chain, ticket["id"]) == 204

    async def all_closed() -> dict[str, Any] | None:
        s = await ticket_snapshot(chain)
        done = [s[k].federated[0].state for k in "AB"] == [TicketState.CLOSED] * 2 and all(
            e.state is TicketState.CLOSED for k in "AB" for e in s[k].federated[0].escalations)
        return s if done and only(s["B"].tickets).status.value == "closed" else None

    states = await until("every ticket to be closed", all_closed)
    for key, supplier in (("A", "B"), ("B", "C")):
        actions = [c.action for c in states[key].commands]
        assert actions.count("openTicket") == 1 and "reopenTicket" not in actions, (key, actions)
        # closed by the buyer after its validation, unless the supplier's confirmation period ran out first
        # (a loaded machine can be that slow on this clock): either way the buyer validated before it closed
        closed_by = only(states[supplier].tickets).doc["statusChange"][-1].get("changeReason") or ""
        assert actions.count("closeTicket") == 1 or "no answer from the Buyer" in closed_by, (key, actions)
        assert only(states[key].federated).validated_at is not None
    print(f"\nescalation to resolution through A -> B -> C: {escalation_s:.2f} s")  # noqa: T201

    # a duplicated and reordered "resolved": B's resolved event comes again, twice, then an older status event
    await replay(chain, b_ticket.id, ["troubleTicketResolvedEvent", "troubleTicketResolvedEvent",
                                      "troubleTicketStatusChangeEvent"])
    after = await ticket_snapshot(chain)
    a_after = only(after["A"].federated)
    assert [v["passed"] for v in a_after.validations] == [False, True]  # not validated again
    assert [c.action for c in after["A"].commands] == [c.action for c in states["A"].commands]  # nothing re-sent
    assert a_after.state is TicketState.CLOSED and a_after.escalations[0].state is TicketState.CLOSED
    replayed = [e for e in after["A"].evidence[a_after.id] if e["source"] == "callback"]
    assert len(replayed) > len([e for e in states["A"].evidence[a_after.id] if e["source"] == "callback"])
    assert not any(e["applied"] and e["state"] != "closed" for e in replayed[-2:])  # judged, changed nothing

    # the month's SLA report (core/sla): A charges the outage to B, B charges it to C, each with its evidence
    await sla_attributed(chain, {"A": (a_prod, "lion-city-metro", ticket["id"]),
                                 "B": (b_prod, "merlion-access", b_ticket.id)})
    lines = await sla_lines(chain, after, correlation)  # what the demo prints
    assert [line.split(":")[0] for line in lines] == ["A's SLA report"] * 2 + ["B's SLA report"] * 2, lines
    assert "charged to supplier:lion-city-metro" in lines[0] and "charged to supplier:merlion-access" in lines[2]
    assert lines[3].startswith("B's SLA report: merlion-access") and "penalty" in lines[3], lines


async def sla_attributed(cluster: Cluster, expected: dict[str, tuple[str, str, str]]) -> None:
    """At each provider: one outage of the service, charged to the supplier it escalated to, started by the
    ticket it received and ended by its own passing test; the customer's credit and the supplier's repair
    follow from its profile's commitments."""
    for key, (service, supplier, ticket_id) in expected.items():
        c = cluster[key].container
        assert c is not None
        async with c.uow() as uow:
            (outage,) = await uow.sla.outages_between(datetime(2000, 1, 1, tzinfo=UTC),
                                                      datetime(2100, 1, 1, tzinfo=UTC), service_id=service)
            report = await sla.report(uow, c.clock, c.profile.commitments,
                                      Month(outage.start.year, outage.start.month), service_id=service)
        (svc,) = report.services
        (resolved,) = svc.outages
        evidence = {e.id: e for e in resolved.outage.evidence}
        assert resolved.responsible == Responsible(Domain.SUPPLIER, supplier), key
        assert set(svc.by_domain) == {f"supplier:{supplier}"} and svc.unavailable_seconds > 0, key
        assert evidence[resolved.start_evidence or ""].reference == ticket_id, key
        end = evidence[resolved.end_evidence or ""]
        assert (end.source, end.kind.value) == ("ours", "test"), key
        assert svc.met is False and svc.credit_eligible and svc.credit is not None and svc.credit > 0, key
        (sup,) = report.suppliers
        assert sup.supplier == supplier and [r.outage_id for r in sup.repairs] == [resolved.id], key
        assert sup.repairs[0].status in ("met", "missed") and sup.penalty is not None, key


async def replay(cluster: Cluster, b_ticket_id: str, event_types: list[str]) -> None:
    """Post B's ticket notifications to A's listener as B would: the first event id twice, the last one older."""
    a = cluster["A"].container
    assert a is not None
    url = a.callback_url("lion-city-metro") + listener_path("troubleTicket", "sonata")
    first = new_id()
    now = a.clock.now()
    async with httpx.AsyncClient(timeout=5) as http:
        for n, event_type in enumerate(event_types):
            event_id = first if event_type == event_types[0] else new_id()
            at = now if n < len(event_types) - 1 else now.replace(year=now.year - 1)
            body = {"eventId": event_id, "eventTime": iso(at), "eventType": event_type,
                    "event": {"id": b_ticket_id, "href": f"{cluster['B'].url}{base_path('troubleTicket', 'sonata')}"
                                                         f"/troubleTicket/{b_ticket_id}"}}
            r = await http.post(f"{url}/{event_type}", json=body)
            assert r.status_code == 204, r.text


async def test_a_silent_supplier_is_polled_and_a_repair_that_does_not_clear_the_fault_is_reopened(
        chain: Cluster) -> None:
    a_prod, b_prod, c_prod = await active_chain(chain)
    board = inject_last_mile_fault(chain, b_prod, c_prod, cleared_by_repair=False)  # C's repair will not do
    await silence(chain)  # C never calls B back: B learns only by polling
    ticket = await report_enterprise_fault(chain, new_correlation(), a_prod)

    async def b_reopened() -> Any:
        s = await ticket_snapshot(chain)
        b = s["B"].federated
        return s if b and any(c.action == "reopenTicket" and c.state.value == "succeeded"
                              for c in s["B"].commands) else None

    states = await until("B to reopen C's ticket after its validation failed", b_reopened)
    b_ft = only(states["B"].federated)
    assert [v["passed"] for v in b_ft.validations][:2] == [False, False]
    assert b_ft.state in (TicketState.INVESTIGATING, TicketState.RESOLVED)
    assert b_ft.validated_at is None and b_ft.outage is None
    c_ticket = only(states["C"].tickets)
    statuses = [c["status"] for c in c_ticket.doc["statusChange"]]
    assert "resolved" in statuses and statuses[statuses.index("resolved") + 1] == "reopened"
    assert any(n.get("author") == "closureRejection" and "fault persists" in n["text"]
               for n in c_ticket.doc.get("note") or [])
    # B learnt of C's resolution by polling: its evidence came from polls, never a callback
    sources = {e["source"] for e in states["B"].evidence[b_ft.id]}
    assert "callback" not in sources and "poll" in sources
    # nothing reached the enterprise as resolved, and A never closed anything with B
    assert (await enterprise_ticket(chain, ticket["id"]))["status"] in ("inProgress", "acknowledged")
    assert "closeTicket" not in [c.action for c in states["A"].commands]
    assert "closeTicket" not in [c.action for c in states["B"].commands]

    # the fault really is repaired now: C's next resolution passes B's test and the chain closes out
    board.clear("changi-fibre-cut")

    async def a_resolved() -> dict[str, Any] | None:
        seen = await enterprise_ticket(chain, ticket["id"])
        return seen if seen["status"] in ("resolved", "closed") else None

    await until("the enterprise's ticket to be resolved after the second repair", a_resolved)
    states = await ticket_snapshot(chain)
    assert only(states["B"].federated).validations[-1]["passed"]


async def silence(cluster: Cluster) -> None:
    """Withdraw B's listener registrations at C (its callbacks stop; B keeps polling)."""
    b = cluster["B"].container
    assert b is not None

    async def subscribed() -> list[str] | None:
        async with b.uow() as uow:
            rows = await uow.composites.subscriptions("merlion-access")
        return rows or None

    ids = await until("B to be subscribed at C", subscribed)
    async with httpx.AsyncClient(base_url=cluster["C"].url, timeout=5) as http:
        for function in ("productOrder", "quote", "poq", "troubleTicket", "workOrder"):
            for listener_id in ids:
                await http.delete(f"{base_path(function, 'sonata')}/hub/{listener_id}",
                                  headers={"Authorization": f"Bearer {B_KEY_AT_C}"})
