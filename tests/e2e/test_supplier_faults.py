"""Faults at a supplier, over real HTTP: a counterpoint provider ("Harbour Telecom", tests/fixtures/fernway_buyer.yaml)
buys its segments from Fernway Fibre, the partner-json emulator, each on its own uvicorn server on loopback. The
emulator's fault knobs break the supplier; the assertions count what the supplier really holds.

Both run on one scaled clock (two profile days per real second); the emulator's ticker moves circuits on.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from counterpoint.bootstrap import ScaledClock
from counterpoint.core.orchestration.model import CommandState, CompositeOrder, CompositeState, OutboundCommand
from counterpoint.core.orchestration.supply import RANK, SegmentState
from counterpoint.core.shared.times import iso, parse_aware
from counterpoint.demo.cluster import Cluster, Provider, free_port
from counterpoint.demo.scenario import enterprise_order
from counterpoint.emulators.partner_json import Behaviour, PartnerEmulator, create_app
from tests.e2e.support import eventually, serving

PROFILE = Path(__file__).resolve().parents[1] / "fixtures" / "fernway_buyer.yaml"
TIME_SCALE = 172_800  # two profile days per real second
FAST = Behaviour(install_days=2, design_after=timedelta(hours=6), build_after=timedelta(hours=12))  # ~1 s
POLL_OFTEN = 21_600.0  # profile seconds: a read every 0.125 s of real time
NEVER_POLL = 8_640_000.0  # 100 profile days: no read during a test, callbacks only
CANTATA_ORDER = "/mefApi/cantata/productOrderingManagement/v5/productOrder"
SONATA_QUOTE = "/mefApi/sonata/quoteManagement/v8/quote"
SONATA_ORDER = "/mefApi/sonata/productOrderingManagement/v10/productOrder"
CANTATA_CANCEL = "/mefApi/cantata/productOrderingManagement/v5/cancelProductOrder"
KEY = {"Authorization": "Bearer harbour-key-enterprise"}
PLACES = {"ael-sg": ["addr-sg-changi"], "evpl-sg-par": ["addr-sg-changi", "addr-fr-rivoli"]}


@dataclass
class Harbour:
    """Our provider and its supplier, and what each of them holds."""

    cluster: Cluster
    emu: PartnerEmulator
    clock: ScaledClock

    @property
    def url(self) -> str:
        return self.cluster["H"].url

    def item(self, offering: str) -> dict[str, Any]:
        body = enterprise_order()
        product = body["productOrderItem"][0]["product"]
        product["productOffering"] = {"id": offering}
        product["place"] = [{"@type": "GeographicAddressRef", "id": a, "role": "INSTALL_LOCATION"}
                            for a in PLACES[offering]]
        return body

    async def order(self, offering: str = "ael-sg", external_id: str = "STRAITS-PO-1") -> str:
        body = {**self.item(offering), "externalId": external_id}
        async with httpx.AsyncClient(base_url=self.url, timeout=10) as http:
            r = await http.post(CANTATA_ORDER, json=body, headers=KEY)
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    async def order_state(self, order_id: str) -> str:
        async with httpx.AsyncClient(base_url=self.url, timeout=10) as http:
            r = await http.get(f"{CANTATA_ORDER}/{order_id}", headers=KEY)
        assert r.status_code == 200, r.text
        return str(r.json()["state"])

    async def held(self, order_id: str) -> tuple[CompositeOrder, list[OutboundCommand], list[dict[str, Any]]]:
        """The composite following the order's item, its commands and its evidence log."""
        c = self.cluster["H"].container
        assert c is not None
        async with c.uow() as uow:
            [composite] = await uow.composites.for_order(order_id)
            commands = await uow.commands.for_composite(composite.id)
            log = await uow.composites.evidence_of(composite.id)
        return composite, commands, log

    async def completed(self, order_id: str, timeout_s: float = 15) -> None:
        async def done() -> str | None:
            state = await self.order_state(order_id)
            return state if state in ("completed", "failed", "partial") else None

        assert await eventually(f"order {order_id} to finish", done, timeout_s=timeout_s) == "completed"

    async def commands(self, order_id: str) -> list[OutboundCommand]:
        """The commands sent for the order's item so far (none before the item is decomposed)."""
        c = self.cluster["H"].container
        assert c is not None
        async with c.uow() as uow:
            composites = await uow.composites.for_order(order_id)
            return await uow.commands.for_composite(composites[0].id) if composites else []

    def circuits_for(self, our_ref: str) -> list[Any]:
        return [c for c in self.emu.circuits.values() if c.customer_ref == our_ref]

    def requests(self, method: str, path: str, query: str | None = None) -> int:
        return sum(1 for r in self.emu.requests
                   if r.method == method and r.path == path and (query is None or r.query == query))


@contextlib.asynccontextmanager
async def harbour(workdir: Path, *, poll_s: float = POLL_OFTEN, ticker: bool = True,
                  behaviour: Behaviour = FAST) -> AsyncIterator[Harbour]:
    """The emulator (its ticker on or off), then our provider buying from it, subscribed to its webhooks."""
    clock = ScaledClock(TIME_SCALE)
    emu = PartnerEmulator(now=clock.now, api_key="fernway-key", behaviour=copy.deepcopy(behaviour))
    async with serving(create_app(emu, tick_interval_s=0.05 if ticker else None)) as partner_url:
        cluster = Cluster({"H": Provider("H", PROFILE, free_port())}, workdir, clock, TIME_SCALE,
                          {"FERNWAY_URL": partner_url, "POLL_S": str(poll_s)})
        await cluster.start("H")
        try:
            async def subscribed() -> bool:
                return bool(emu.webhooks)

            await eventually("our webhook registration at the partner", subscribed)
            yield Harbour(cluster, emu, clock)
        finally:
            emu.release_hangs()
            await cluster.stop_all()


def _moves(cmd: OutboundCommand) -> list[tuple[str, str]]:
    return [(h["from"], h["to"]) for h in cmd.history]


def _notes(composite: CompositeOrder, what: str) -> list[dict[str, Any]]:
    return [n for n in composite.timeline if n["what"] == what]


def _never_back(log: list[dict[str, Any]]) -> None:
    """The evidence that was applied never moved the segment down the ranks."""
    ranks = [RANK[SegmentState(row["state"])] for row in log if row["applied"]]
    assert ranks == sorted(ranks), [(row["source"], row["raw_state"], row["applied"]) for row in log]


async def test_timeout_after_the_partner_created_the_circuit_is_recovered_with_exactly_one_circuit(
        tmp_path: Path) -> None:
    async with harbour(tmp_path) as h:
        # the partner makes the circuit, then holds its answer far longer than our 0.5 s read timeout
        h.emu.faults.update({"hang_after_create": 1, "hang_s": 5.0})
        order_id = await h.order()
        await h.completed(order_id)
        composite, [cmd], log = await h.held(order_id)

        assert cmd.state is CommandState.SUCCEEDED and cmd.attempts == 1
        assert _moves(cmd) == [("pending", "inFlight"), ("inFlight", "unknown"), ("unknown", "succeeded")]
        assert "ReadTimeout" in cmd.history[1]["note"]
        assert cmd.result["source"] == "recovery"
        [circuit] = h.circuits_for(cmd.idempotency_key)
        assert len(h.emu.circuits) == 1
        # one creation, never resent: recovery asked for our reference instead
        assert h.requests("POST", "/api/v2/circuits") == 1
        assert h.requests("GET", "/api/v2/circuits", f"customer_ref={cmd.idempotency_key}") == 1
        [unknown] = _notes(composite, "outcome unknown")
        assert unknown["segment"] == "last-mile"
        [segment] = composite.segments
        assert segment.external_ref is not None and segment.external_ref.value == circuit.circuit_id
        assert (composite.state, segment.state) == (CompositeState.ACTIVE, SegmentState.ACTIVE)
        assert log[0]["source"] == "recovery"  # the first we knew of the circuit: found by our reference
        _never_back(log)


async def test_a_burst_of_503s_is_retried_and_makes_one_circuit(tmp_path: Path) -> None:
    async with harbour(tmp_path) as h:
        # three tries per call: the first call gets 503 three times, the command's retry one more, then 201
        h.emu.faults.update({"fail_next": 4})
        order_id = await h.order()
        await h.completed(order_id)
        composite, [cmd], _ = await h.held(order_id)

        assert _moves(cmd) == [("pending", "inFlight"), ("inFlight", "pending"), ("pending", "inFlight"),
                               ("inFlight", "succeeded")]
        assert cmd.attempts == 2 and cmd.result["source"] == "command"
        assert "HTTP 503 after 3 attempt(s)" in cmd.history[1]["note"]
        assert h.requests("POST", "/api/v2/circuits") == 5
        assert len(h.circuits_for(cmd.idempotency_key)) == 1 and len(h.emu.circuits) == 1
        assert h.emu.faults.fail_next == 0
        assert len(_notes(composite, "supplier unavailable")) == 1
        assert composite.state is CompositeState.ACTIVE


async def test_duplicated_and_reordered_webhooks_never_move_a_segment_back(tmp_path: Path) -> None:
    # no ticker and no polling: the test decides when the partner speaks, and only webhooks carry news
    async with harbour(tmp_path, poll_s=NEVER_POLL, ticker=False) as h:
        h.emu.faults.update({"duplicate_webhooks": True, "reorder_webhooks": True})
        order_id = await h.order()

        async def placed() -> OutboundCommand | None:
            done = [c for c in await h.commands(order_id) if c.state is CommandState.SUCCEEDED]
            return done[0] if done else None

        cmd = await eventually("the circuit order", placed)
        [circuit] = h.circuits_for(cmd.idempotency_key)
        ready_at = circuit.schedule[-1].at

        async def due() -> bool:
            return h.clock.now() > ready_at

        await eventually("the circuit's ready time", due)
        # one batch: RECEIVED, DESIGN, BUILD, READY_FOR_SERVICE, each sent twice, newest first
        assert await h.emu.advance() == 3
        statuses = ["READY_FOR_SERVICE", "BUILD", "DESIGN", "RECEIVED"]
        assert [(d.status, d.http_status) for d in h.emu.deliveries] == [(s, 204) for s in statuses for _ in "12"]
        await h.completed(order_id)
        composite, _, log = await h.held(order_id)

        callbacks = [row for row in log if row["source"] == "callback"]
        # one row per event: the second copy of each was recognised and left out; only the newest was applied
        assert [(row["raw_state"], row["applied"]) for row in callbacks] == [
            ("READY_FOR_SERVICE", True), ("BUILD", False), ("DESIGN", False), ("RECEIVED", False)]
        assert all(row["why"].startswith("out of order") for row in callbacks[1:])
        assert len({row["evidence_id"] for row in callbacks}) == 4
        assert {row["source"] for row in log} == {"command", "callback"}
        _never_back(log)
        changes = [n["change"] for n in _notes(composite, "evidence") if "->" in n.get("change", "")]
        assert [c.split(";")[0] for c in changes] == ["requested -> acknowledged",
                                                      "acknowledged -> deliveredPendingAcceptance"]
        assert composite.state is CompositeState.ACTIVE


async def test_a_partner_that_never_calls_back_is_polled_to_active(tmp_path: Path) -> None:
    async with harbour(tmp_path) as h:
        h.emu.faults.update({"drop_webhooks": True})
        order_id = await h.order()
        await h.completed(order_id)
        composite, [cmd], log = await h.held(order_id)

        assert [(d.status, d.dropped, d.http_status) for d in h.emu.deliveries] == [
            (s, True, None) for s in ("RECEIVED", "DESIGN", "BUILD", "READY_FOR_SERVICE")]
        assert not [row for row in log if row["source"] == "callback"]
        [delivered] = [row for row in log if row["raw_state"] == "READY_FOR_SERVICE" and row["applied"]]
        assert delivered["source"] == "poll"
        [circuit] = h.circuits_for(cmd.idempotency_key)
        assert h.requests("GET", f"/api/v2/circuits/{circuit.circuit_id}") >= 2
        _never_back(log)
        assert composite.state is CompositeState.ACTIVE


async def test_a_customer_cancellation_the_partner_refuses_is_rejected_and_the_service_goes_on(
        tmp_path: Path) -> None:
    async with harbour(tmp_path, behaviour=dataclasses.replace(FAST, install_days=6)) as h:  # ready after ~3 s
        h.emu.faults.update({"refuse_cancellations": "civil works already started"})
        order_id = await h.order()

        async def placed() -> OutboundCommand | None:
            done = [c for c in await h.commands(order_id) if c.state is CommandState.SUCCEEDED]
            return done[0] if done else None

        place = await eventually("the circuit order", placed)
        async with httpx.AsyncClient(base_url=h.url, headers=KEY, timeout=10) as http:
            r = await http.post(CANTATA_CANCEL, json={
                "productOrder": {"productOrderId": order_id}, "cancellationReasonType": "commercial",
                "cancellationReason": "project stopped",
                "relatedContactInformation": enterprise_order()["relatedContactInformation"]})
            assert r.status_code == 201, r.text
            task_id = r.json()["id"]

            async def answered() -> dict[str, Any] | None:
                task = (await http.get(f"{CANTATA_CANCEL}/{task_id}")).json()
                return task if task["state"] not in ("acknowledged", "inProgress") else None

            task = await eventually("the answer to the customer's cancellation", answered)
        assert task["state"] == "rejected"
        assert task["cancellationDeniedReason"] == ("part of the service (last-mile) can no longer be cancelled: "
                                                    "civil works already started")
        assert "fernway" not in str(task).lower()  # the customer is not told who our supplier is
        assert await h.order_state(order_id) == "inProgress"
        composite, commands, _ = await h.held(order_id)
        [cancel] = [c for c in commands if c.action == "cancelOrder"]
        assert (cancel.state, cancel.result["rawState"]) == (CommandState.SUCCEEDED, "cancellation DENIED")
        assert composite.state is CompositeState.IN_DELIVERY
        [circuit] = h.circuits_for(place.idempotency_key)
        assert circuit.cancellation is not None
        assert (circuit.cancellation["decision"], circuit.cancellation["cancel_ref"]) == (
            "DENIED", cancel.idempotency_key)
        assert h.requests("POST", f"/api/v2/circuits/{circuit.circuit_id}/cancel") == 1
        # the refusal is acted on: delivery goes on and the customer gets the service
        await h.completed(order_id)
        composite, _, _ = await h.held(order_id)
        assert composite.state is CompositeState.ACTIVE
        assert len(h.emu.circuits) == 1 and circuit.status == "READY_FOR_SERVICE"


async def test_a_failed_services_cancellation_refused_by_the_partner_is_recorded_as_refused(tmp_path: Path) -> None:
    """The Paris end is declined (the partner has no French coverage), so the service fails and the Singapore
    end, already ordered, must be cancelled by the orchestrator itself; the partner refuses."""
    async with harbour(tmp_path) as h:
        h.emu.faults.update({"refuse_cancellations": "civil works already started"})
        order_id = await h.order("evpl-sg-par")

        async def cancel_settled() -> OutboundCommand | None:
            cancels = [c for c in await h.commands(order_id) if c.action == "cancelOrder"]
            return cancels[0] if cancels and cancels[0].state is CommandState.SUCCEEDED else None

        await eventually("the cancellation's answer", cancel_settled)
        composite, commands, _ = await h.held(order_id)
        places = [c for c in commands if c.action == "placeOrder"]
        [cancel] = [c for c in commands if c.action == "cancelOrder"]
        sg, paris = composite.segments

        assert {c.state for c in places} == {CommandState.SUCCEEDED} and len(places) == 2
        assert (paris.name, paris.state) == ("paris-end", SegmentState.REJECTED)
        assert paris.reason == "no coverage in FR"
        assert composite.state is CompositeState.FAILED
        assert await h.order_state(order_id) == "failed"
        # the cancellation of the Singapore end: sent once, answered "denied", and that answer acted on
        assert cancel.segment_id == sg.id and cancel.result["rawState"] == "cancellation DENIED"
        assert sg.state in (SegmentState.ACKNOWLEDGED, SegmentState.IN_DELIVERY, SegmentState.DELIVERED)
        assert sg.reason == "civil works already started"
        assert composite.pending_action is not None
        assert (composite.pending_action["action"], composite.pending_action["segment"]) == (
            "cancellationRefused", "singapore-end")
        [refused] = _notes(composite, "cancellation refused")
        assert refused["reason"] == "civil works already started"
        # at the partner: the circuit lives on, with the denied request on record under our cancel reference
        [circuit] = h.circuits_for(sg.our_ref or "")
        assert circuit.status not in ("CANCEL_PENDING", "CANCELLED")
        assert circuit.cancellation is not None
        assert (circuit.cancellation["decision"], circuit.cancellation["cancel_ref"]) == (
            "DENIED", cancel.idempotency_key)
        assert h.requests("POST", f"/api/v2/circuits/{circuit.circuit_id}/cancel") == 1
        assert [c.status for c in h.circuits_for(paris.our_ref or "")] == ["DECLINED"]


async def test_a_composite_quote_expires_with_the_partners_price_and_an_order_on_it_gets_a_mef_422(
        tmp_path: Path) -> None:
    """Our quote for ael-sg asks Fernway for a price first; Fernway holds its prices 3 days, so our quote
    (valid 30 days by our profile) lasts only as long as that price. Once it has expired, an order on it is
    refused with a MEF 422 and nothing reaches the partner."""
    async with harbour(tmp_path, behaviour=dataclasses.replace(FAST, price_valid=timedelta(days=3))) as h:
        product = h.item("ael-sg")["productOrderItem"][0]["product"]
        contacts = enterprise_order()["relatedContactInformation"]

        def as_(*roles: str) -> list[dict[str, Any]]:
            return [{**contacts[0], "role": role} for role in roles]

        tech = as_("quoteItemTechnicalContact", "quoteItemLocationContact")

        async with httpx.AsyncClient(base_url=h.url, headers=KEY, timeout=10) as http:
            r = await http.post(SONATA_QUOTE, json={
                "instantSyncQuote": False, "buyerRequestedQuoteLevel": "firm",
                "relatedContactInformation": as_("buyerContactInformation"),
                "requestedQuoteCompletionDate": iso(h.clock.now() + timedelta(days=10)),
                "quoteItem": [{"id": "1", "action": "add", "product": product,
                               "relatedContactInformation": tech,
                               "requestedQuoteItemTerm": {"name": "one year", "endOfTermAction": "autoRenew",
                                                          "duration": {"amount": 12, "units": "calendarMonths"}}}]})
            assert r.status_code == 201, r.text
            quote_id = r.json()["id"]

            async def state_is(*wanted: str) -> Any:
                doc = (await http.get(f"{SONATA_QUOTE}/{quote_id}")).json()
                return doc if doc["state"] in wanted else None

            answered = await eventually("our quote's answer", lambda: state_is("approved.orderable", "expired"))
            [price] = h.emu.price_requests.values()
            assert price["reference"] is not None and price["status"] == "QUOTED"
            partner_until = price["_valid_until"].replace(microsecond=0)
            ours_until = parse_aware(answered["validFor"]["endDateTime"])
            assert ours_until == partner_until  # not the 30 days of our profile
            await eventually("our quote to expire", lambda: state_is("expired"))

            r = await http.post(SONATA_ORDER, json={
                "externalId": "STRAITS-PO-LATE", "relatedContactInformation": contacts,
                "productOrderItem": [{"id": "1", "action": "add", "product": product,
                                      "quoteItem": {"id": "1", "quoteId": quote_id}}]})
            assert r.status_code == 422, r.text
            [problem] = r.json()
            assert problem["propertyPath"] == "/productOrderItem/0/quoteItem/quoteId"
            assert f"quote {quote_id}" in problem["reason"] and "expired" in problem["reason"]
            assert (await http.get(SONATA_ORDER)).json() == []
        assert h.emu.circuits == {} and len(h.emu.price_requests) == 1
