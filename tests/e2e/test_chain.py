"""Providers A, B and C of the demo chain, each a real uvicorn server on loopback with its own SQLite database,
talking only HTTP: the enterprise orders from A, A buys Singapore access from B, B buys the last mile from C.

What the chain must show at the end: the service is active and every provider tells the same story; C's late
crew (a 4-day slip in c_merlion.yaml) reaches B's and A's customers as new expected completion dates; each
supplier order carries its buyer's reference as externalId; one correlation id travels A -> B -> C.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from counterpoint.bootstrap import ScaledClock
from counterpoint.core.orchestration.model import CompositeOrder, CompositeState
from counterpoint.core.orchestration.supply import SegmentState
from counterpoint.core.ordering.model import ProductOrder
from counterpoint.core.shared.times import parse_aware
from counterpoint.demo.cluster import Cluster
from counterpoint.demo.scenario import (
    ProviderState,
    completion_notes,
    disagreements,
    enterprise_view,
    new_correlation,
    place_enterprise_order,
    snapshot,
    timeline,
)

# 3 profile days per real second: C's 15-day installation plus its 4-day slip take about 6.5 s.
TIME_SCALE = 259_200
SLIP = timedelta(days=4)  # c_merlion.yaml: "the Changi crew is late"
TEST_HOURS = {"A": 4, "B": 2}  # testHours of the composite offerings in a_archipelago.yaml, b_lion_city.yaml
DATE_SET = "productOrderItemExpectedCompletionDateSet"


@pytest.fixture
async def chain(tmp_path: Path) -> AsyncIterator[Cluster]:
    cluster = Cluster.chain(tmp_path, ScaledClock(TIME_SCALE), TIME_SCALE)
    await cluster.start_all()
    try:
        yield cluster
    finally:
        await cluster.stop_all()


async def _until_done(cluster: Cluster, order_id: str, timeout_s: float) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        state = (await enterprise_view(cluster, order_id))["state"]
        if state in ("completed", "failed", "partial", "cancelled", "rejected"):
            return str(state)
        await asyncio.sleep(0.1)
    pytest.fail(f"the enterprise order was not done after {timeout_s} s")


def _only(items: list[Any]) -> Any:
    assert len(items) == 1, items
    return items[0]


def _dates(composite: CompositeOrder, what: str, segment: str | None = None) -> list[datetime]:
    """The dates a composite's timeline recorded, in order: a segment's expected completion, or the promise."""
    out: list[datetime] = []
    for note in composite.timeline:
        if what == "promise" and note["what"] == "promise to the customer moved":
            out.append(parse_aware(note["to"]))  # type: ignore[arg-type]
        elif what == "segment" and note["what"] == "evidence" and note.get("segment") == segment:
            for change in str(note.get("change", "")).split("; "):
                if change.startswith("expected completion "):
                    out.append(parse_aware(change.removeprefix("expected completion ")))  # type: ignore[arg-type]
    return out


def _item_date(order: ProductOrder) -> datetime:
    when = parse_aware(order.items[0].get("expectedCompletionDate"))
    assert when is not None
    return when


def _check_readable(states: dict[str, ProviderState], correlation: str, orders: tuple[ProductOrder, ...]) -> None:
    """What `counterpoint demo` shows of this run: a live view inside 80x24, a timeline a person reads, and
    each order's expected and actual completion with the reason they differ."""
    import io
    import re

    from rich.console import Console

    from counterpoint.demo.view import completion_table, live_view, timeline_table

    console = Console(width=80, height=24, record=True, file=io.StringIO())
    console.print(live_view(states, correlation, "enterprise sees: completed"))
    shown = console.export_text().splitlines()
    assert len(shown) <= 22 and all(len(line) <= 80 for line in shown), shown
    for order in orders:
        assert any(f"order {order.id[:8]}" in line for line in shown), (order.id, shown)
    console.print(timeline_table(timeline(states, correlation), correlation))
    text = console.export_text()
    assert "[orchestrator]" in text and "segment planned" in text
    assert not re.search(r"\d{2}:\d{2}:\d{2}|\.\d{6}|key=cp-|[0-9a-f]{8}-[0-9a-f]{4}-", text), text
    verbose = " ".join(line.what for line in timeline(states, correlation, verbose=True))
    assert re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", verbose) and re.search(r"\.\d{6}", verbose)
    notes = completion_notes(states, correlation)
    assert [n.split(":")[0] for n in notes] == ["A", "B", "C"], notes
    for order, note in zip(orders, notes, strict=True):
        assert f"order {order.id[:8]}" in note and "expected" in note and "completed" in note
        assert note.endswith("as promised") or "late" in note or "early" in note
    assert "activation test passed" in notes[0] or notes[0].endswith("as promised")
    console.print(completion_table(notes))


def _events(state: ProviderState, event_type: str) -> list[dict[str, Any]]:
    return [e for e in state.events if e["event_type"] == event_type]


async def test_enterprise_order_goes_active_through_the_chain_and_every_provider_agrees(chain: Cluster) -> None:
    correlation = new_correlation()
    order = await place_enterprise_order(chain, correlation)
    assert await _until_done(chain, order["id"], timeout_s=25) == "completed"
    await asyncio.sleep(0.3)  # the last notifications land
    states = await snapshot(chain)
    assert disagreements(states, correlation) == []

    a_order, b_order, c_order = (_only(states[k].orders) for k in "ABC")
    a_comp, b_comp = _only(states["A"].composites), _only(states["B"].composites)
    _check_shape(states, a_order, b_order, c_order, a_comp, b_comp)
    _check_readable(states, correlation, (a_order, b_order, c_order))

    # supplier orders carry the buyer's reference; the buyer holds the supplier's id
    a_seg = next(s for s in a_comp.segments if s.provider_id == "lion-city-metro")
    b_seg = next(s for s in b_comp.segments if s.provider_id == "merlion-access")
    assert (b_order.buyer_id, b_order.doc["externalId"], a_seg.external_ref.value) == (  # type: ignore[union-attr]
        "archipelago-telecom", a_seg.our_ref, b_order.id)
    assert (c_order.buyer_id, c_order.doc["externalId"], b_seg.external_ref.value) == (  # type: ignore[union-attr]
        "lion-city-metro", b_seg.our_ref, c_order.id)
    assert a_order.doc["externalId"] == "NUSANTARA-PO-2026-001"

    # one correlation id from the enterprise down to C, on orders, orchestrations and every order event
    assert {o.correlation_id for o in (a_order, b_order, c_order)} == {correlation}
    assert {c.correlation_id for c in (a_comp, b_comp)} == {correlation}
    for key in "ABC":
        order_events = [e for e in states[key].events if e["buyer_id"] != "orchestrator"]
        assert order_events, key
        assert {e["correlation_id"] for e in order_events} == {correlation}, key

    # C's slip: the last date B heard from C is C's final date, 4 days after the one before it...
    c_final = _item_date(c_order)
    b_saw = _dates(b_comp, "segment", "changi-last-mile")
    assert b_saw[-1] == c_final and b_saw[-1] - b_saw[-2] == SLIP
    # ...B moved its promise to A by the same 4 days (its date is C's plus B's end-to-end test)...
    b_promises = _dates(b_comp, "promise")
    assert _item_date(b_order) == c_final + timedelta(hours=TEST_HOURS["B"]) == b_promises[-1]
    assert b_promises[-1] - b_promises[-2] == SLIP
    # ...A heard it from B (after the dates B gave before C answered, which may come and go quickly)...
    a_saw = _dates(a_comp, "segment", "singapore-access")
    assert a_saw[-1] == _item_date(b_order) and a_saw[-1] - a_saw[-2] == SLIP
    # ...and A moved its promise to the enterprise the same 4 days
    a_promises = _dates(a_comp, "promise")
    assert _item_date(a_order) == _item_date(b_order) + timedelta(hours=TEST_HOURS["A"]) == a_promises[-1]
    assert a_promises[-1] - a_promises[-2] == SLIP
    # each hop told its customer after hearing from its supplier
    c_slip_at = _only(_events(states["C"], DATE_SET))["occurred_at"]
    b_told_at = max(e["occurred_at"] for e in _events(states["B"], DATE_SET))
    a_told_at = max(e["occurred_at"] for e in _events(states["A"], DATE_SET))
    assert c_slip_at <= b_told_at <= a_told_at


def _check_shape(states: dict[str, ProviderState], a_order: ProductOrder, b_order: ProductOrder,
                 c_order: ProductOrder, a_comp: CompositeOrder, b_comp: CompositeOrder) -> None:
    assert [o.state.value for o in (a_order, b_order, c_order)] == ["completed"] * 3
    assert (a_comp.state, b_comp.state) == (CompositeState.ACTIVE, CompositeState.ACTIVE)
    assert [(s.name, s.provider_id, s.state) for s in a_comp.segments] == [
        ("jakarta-access", "archipelago-net", SegmentState.ACTIVE),
        ("jkt-sgp-backbone", "archipelago-net", SegmentState.ACTIVE),
        ("singapore-access", "lion-city-metro", SegmentState.ACTIVE)]
    assert [(s.name, s.provider_id, s.state) for s in b_comp.segments] == [
        ("sg-metro", "lion-city-net", SegmentState.ACTIVE),
        ("changi-last-mile", "merlion-access", SegmentState.ACTIVE)]
    # the customer's product at each Seller is the one its buyer's segment names
    b_product = b_order.items[0]["product"]["id"]
    c_product = c_order.items[0]["product"]["id"]
    assert a_comp.segments[2].product_ref.value == b_product  # type: ignore[union-attr]
    assert b_comp.segments[1].product_ref.value == c_product  # type: ignore[union-attr]
    assert not states["C"].composites  # C is a plain Seller: it buys nothing
