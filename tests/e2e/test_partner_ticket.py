"""A customer's ticket escalated through the orchestrator to a partner that speaks its own API (Fernway Fibre, the
partner-json emulator, on its own uvicorn server), over real HTTP: Harbour Telecom (tests/fixtures/fernway_buyer.yaml)
sells a line whose last mile it buys from Fernway. A fault on that last mile fails Harbour's end-to-end test; the
customer's ticket becomes a Fernway "fault", whose own words (LOGGED, TRIAGE, ENGINEER_ASSIGNED, CLEARED, REOPENED,
CLOSED) map into our ticket states; Harbour confirms the fault only once its own test passes again.

Also: a partner that never sends its webhooks (polling follows the fault) and whose first repair does not clear
the fault (our test still fails, so the fault is disputed, reopened and worked again).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx

from counterpoint.core.orchestration.model import CommandState
from counterpoint.core.orchestration.ticket_supply import TicketState
from counterpoint.demo.tickets import CANTATA_TICKETS, fault_report
from counterpoint.network.activation import FaultBoard
from tests.e2e.support import eventually
from tests.e2e.test_supplier_faults import KEY, Harbour, harbour

T = TypeVar("T")


async def until(what: str, check: Callable[[], Awaitable[T | None]], timeout_s: float = 60) -> T:
    return await eventually(what, check, timeout_s=timeout_s, every_s=0.05)


async def live_last_mile(h: Harbour) -> tuple[str, str]:
    """Order the customer's line and wait until it is active: (our product id, Fernway's service id)."""
    order_id = await h.order()
    await h.completed(order_id)
    composite, _, _ = await h.held(order_id)
    [segment] = composite.segments
    assert composite.product_id and segment.product_ref is not None and segment.provider_id == "fernway"
    return composite.product_id, segment.product_ref.value


def last_mile_fault(h: Harbour, service_id: str, *, cleared_by_repair: bool = True) -> FaultBoard:
    """A fault on Fernway's circuit that Harbour's test crosses; when `cleared_by_repair`, Fernway clearing a
    fault about that service repairs it, otherwise only clear() does."""
    board = FaultBoard()

    async def repaired() -> bool:
        return any(f.service_id == service_id and f.status in ("CLEARED", "CLOSED")
                   for f in h.emu.fault_tickets.values())

    board.inject("fernway-fibre-cut", [("fernway", service_id)], loss_ratio=0.04,
                 repaired=repaired if cleared_by_repair else None)
    c = h.cluster["H"].container
    assert c is not None
    c.activation_tester().board = board
    return board


async def report(h: Harbour, product_id: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=h.url, timeout=10) as http:
        r = await http.post(CANTATA_TICKETS, json=fault_report(product_id, "STRAITS-TT-1"),
                            headers={**KEY, "X-Correlation-ID": "corr-straits-1"})
    assert r.status_code == 201, r.text
    return dict(r.json())


async def customer_ticket(h: Harbour, ticket_id: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=h.url, timeout=10) as http:
        r = await http.get(f"{CANTATA_TICKETS}/{ticket_id}", headers=KEY)
    assert r.status_code == 200, r.text
    return dict(r.json())


async def held(h: Harbour) -> tuple[Any, list[Any], list[dict[str, Any]]]:
    """Our one federated ticket, its commands to the partner and its evidence log."""
    c = h.cluster["H"].container
    assert c is not None
    async with c.uow() as uow:
        [ft] = await uow.federated_tickets.all()
        return ft, await uow.commands.for_composite(ft.id), await uow.federated_tickets.evidence_of(ft.id)


async def resolved(h: Harbour, ticket_id: str) -> dict[str, Any]:
    async def done() -> dict[str, Any] | None:
        seen = await customer_ticket(h, ticket_id)
        return seen if seen["status"] in ("resolved", "closed") else None

    return await until("the customer's ticket to be resolved", done)


async def fault_closed(h: Harbour) -> tuple[Any, list[Any], list[dict[str, Any]]]:
    async def done() -> Any:
        ft, commands, log = await held(h)
        closes = [c for c in commands if c.action == "closeTicket" and c.state is CommandState.SUCCEEDED]
        return (ft, commands, log) if closes and ft.escalations[0].state is TicketState.CLOSED else None

    return await until("our confirmation of the partner's fault", done)


def requests(h: Harbour, method: str, path: str) -> list[Any]:
    return [r for r in h.emu.requests if r.method == method and r.path == path]


async def test_a_customer_ticket_is_escalated_to_the_partner_repaired_validated_and_confirmed(
        tmp_path: Path) -> None:
    async with harbour(tmp_path) as h:
        product_id, service_id = await live_last_mile(h)
        last_mile_fault(h, service_id)
        since = h.clock.now()
        ticket = await report(h, product_id)
        assert ticket["status"] == "acknowledged"

        seen = await resolved(h, ticket["id"])
        ft, commands, log = await fault_closed(h)

        # diagnosed from our own test: the last mile, bought from Fernway, escalated there once
        assert (ft.suspect["segmentName"], ft.suspect["provider"]) == ("last-mile", "fernway")
        assert ft.correlation_id == "corr-straits-1" and ft.validated_at is not None
        [esc] = ft.escalations
        [fault] = h.emu.fault_tickets.values()
        assert esc.external_ref is not None and esc.external_ref.value == fault.fault_id
        assert (fault.customer_ref, fault.service_id, fault.status) == (esc.our_ref, service_id, "CLOSED")
        [opened] = [c for c in commands if c.action == "openTicket"]
        [closed] = [c for c in commands if c.action == "closeTicket"]
        assert opened.idempotency_key == esc.our_ref and opened.state is CommandState.SUCCEEDED
        assert closed.idempotency_key and closed.idempotency_key != opened.idempotency_key
        assert "reopenTicket" not in [c.action for c in commands]
        assert [v["passed"] for v in ft.validations] == [False, True]

        # the partner's words became ours through the mapping, in order, and never went back
        applied = [(e["raw_state"], e["state"]) for e in log if e["applied"]]
        assert ("CLEARED", TicketState.RESOLVED.value) in applied and applied[-1] == ("CLOSED", "closed"), applied
        raw = [r for r, _ in applied]
        assert raw.index("CLEARED") > max(raw.index(s) for s in ("LOGGED", "TRIAGE") if s in raw)
        assert {e["source"] for e in log} >= {"command", "callback"}

        # at the partner: one fault, opened once, confirmed once (after it was cleared), never disputed
        assert len(requests(h, "POST", "/api/v2/faults")) == 1
        assert len(requests(h, "POST", f"/api/v2/faults/{fault.fault_id}/confirm")) == 1
        assert not requests(h, "POST", f"/api/v2/faults/{fault.fault_id}/dispute")
        assert fault.created_at >= since
        # the customer is told it is resolved, by a supplier, without being told which
        assert seen["note"][-1]["text"].startswith("resolution=supplierNetwork;")
        assert "fernway" not in str(seen).lower()


async def test_a_silent_partner_is_polled_and_a_repair_that_does_not_clear_the_fault_is_disputed(
        tmp_path: Path) -> None:
    async with harbour(tmp_path) as h:
        product_id, service_id = await live_last_mile(h)
        before = len(h.emu.deliveries)  # the circuit's webhooks, delivered
        h.emu.faults.update({"drop_webhooks": True})  # Fernway never calls us back: only our reads see its fault
        board = last_mile_fault(h, service_id, cleared_by_repair=False)
        ticket = await report(h, product_id)

        async def disputed() -> Any:
            ft, commands, log = await held(h)
            return (ft, commands, log) if any(c.action == "reopenTicket" and c.state is CommandState.SUCCEEDED
                                              for c in commands) else None

        ft, commands, log = await until("our dispute of the partner's repair", disputed)
        [fault] = h.emu.fault_tickets.values()
        assert [v["passed"] for v in ft.validations][:2] == [False, False]
        assert ft.validated_at is None and ft.outage is None
        [reopen] = [c for c in commands if c.action == "reopenTicket"]
        assert reopen.idempotency_key and reopen.idempotency_key != ft.escalations[0].our_ref
        assert len(requests(h, "POST", f"/api/v2/faults/{fault.fault_id}/dispute")) == 1
        assert not requests(h, "POST", f"/api/v2/faults/{fault.fault_id}/confirm")
        assert fault.status in ("REOPENED", "TRIAGE", "ENGINEER_ASSIGNED", "CLEARED")
        [why] = [m["body"] for m in fault.messages if m["from"] == "CUSTOMER"]  # the dispute's reason: our test
        assert why.startswith("The fault persists") and "frameLossRatio" in why
        # we learnt of the partner's clearing by reading it: no webhook ever reached us
        assert h.emu.deliveries[before:] and all(d.dropped for d in h.emu.deliveries[before:])
        assert "callback" not in {e["source"] for e in log}
        [cleared] = [e for e in log if e["raw_state"] == "CLEARED" and e["applied"]][:1]
        assert cleared["source"] == "poll" and cleared["state"] == TicketState.RESOLVED.value
        assert len(requests(h, "GET", f"/api/v2/faults/{fault.fault_id}")) >= 1
        assert (await customer_ticket(h, ticket["id"]))["status"] in ("inProgress", "acknowledged")
        assert "closeTicket" not in [c.action for c in commands]

        # the second repair does the job: our test passes, the fault is confirmed, the customer's ticket resolved
        board.clear("fernway-fibre-cut")
        await resolved(h, ticket["id"])
        ft, commands, log = await fault_closed(h)
        assert ft.validations[-1]["passed"] and fault.status == "CLOSED"
        assert [c.action for c in commands].count("openTicket") == 1
        assert len(requests(h, "POST", "/api/v2/faults")) == 1
        assert len(requests(h, "POST", f"/api/v2/faults/{fault.fault_id}/confirm")) == 1
