"""A supplier's notice mapped onto our segments and customer services (core/orchestration/notices.py), on both
databases: our own incidents per customer and interface, with our ids; the supplier's changes followed; the
window recorded for the SLA as the supplier's."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime, timedelta

import httpx
import pytest

from counterpoint.bootstrap import Container
from counterpoint.core.orchestration.model import CompositeOrder, CompositeState, Segment
from counterpoint.core.orchestration.notices import IMPACTS, _our_notice, relay_notice
from counterpoint.core.orchestration.supply import (
    NoticeImpact,
    NoticeKind,
    NoticeState,
    SegmentState,
    SupplierNotice,
)
from counterpoint.core.shared.clock import ManualClock
from counterpoint.core.shared.ids import ExternalRef
from counterpoint.notifications.relay import OutboxRelay
from tests.helpers import BUYER_A, BUYER_B, ListenerRecorder, assert_mef_event, assert_mef_response

SUPPLIER = "lion"


def product(value: str) -> ExternalRef:
    return ExternalRef(SUPPLIER, value, "product")


async def composite(c: Container, *, buyer: str, channel: str, our_product: str, supplier_product: str | None
                    ) -> CompositeOrder:
    """A delivered composite whose supplier segment holds the supplier's product (remembered as a reference)."""
    now = c.clock.now()
    seg = Segment(id=f"seg-{our_product}", name="access", provider_id=SUPPLIER, own=False, request={},
                  state=SegmentState.ACTIVE, product_ref=product(supplier_product) if supplier_product else None)
    comp = CompositeOrder(id=f"comp-{our_product}", buyer_id=buyer, seller_id="lion-city-metro", channel=channel,
                          created_at=now, updated_at=now, order_id=f"o-{our_product}", item_id="1", action="add",
                          state=CompositeState.ACTIVE, segments=[seg], product_id=our_product)
    async with c.uow() as uow:
        await uow.composites.add(comp)
        if seg.product_ref is not None:
            await uow.composites.remember_ref(seg.product_ref, comp.id, seg.id)
        await uow.commit()
    return comp


START = ManualClock().now() + timedelta(days=1)  # the supplier's window opens a day after the tests start


def notice(clock: ManualClock, *products: str, state: NoticeState = NoticeState.ANNOUNCED,
           kind: NoticeKind = NoticeKind.MAINTENANCE, end_hours: float | None = 4,
           impact: NoticeImpact = NoticeImpact.OUTAGE, ref: str = "inc-1", start: datetime = START
           ) -> SupplierNotice:
    return SupplierNotice(ref=ExternalRef(SUPPLIER, ref, "incident"), kind=kind, state=state, raw_state=state.value,
                          impact=impact, products=tuple(product(p) for p in products), observed_at=clock.now(),
                          description="Fibre works", starts_at=start,
                          expected_end=start + timedelta(hours=end_hours) if end_hours is not None else None)


async def test_a_notice_becomes_our_incident_on_each_affected_customers_interface(
        client: httpx.AsyncClient, container: Container, clock: ManualClock, relay: OutboxRelay,
        recorder: ListenerRecorder) -> None:
    await composite(container, buyer="buyer-a", channel="cantata", our_product="svc-a", supplier_product="sp-1")
    await composite(container, buyer="buyer-b", channel="sonata", our_product="svc-b", supplier_product="sp-2")
    await composite(container, buyer="buyer-a", channel="sonata", our_product="svc-c", supplier_product="sp-3")
    for headers, channel in ((BUYER_A, "cantata"), (BUYER_B, "sonata"), (BUYER_A, "sonata")):
        await client.post(f"/mefApi/{channel}/troubleTicket/v4/hub", headers=headers,
                          json={"callback": f"http://{channel}.example"})
    seen = notice(clock, "sp-1", "sp-2", "sp-unknown")
    out = await relay_notice(container.uow, clock, container.profile, seen)
    assert out.changed and out.affected is not None
    assert out.affected.unknown == ("sp-unknown",) and sorted(out.affected.segments) == ["seg-svc-a", "seg-svc-b"]
    by_owner = {(i.buyer_id, i.channel): i for i in out.incidents}
    assert sorted(by_owner) == [("buyer-a", "cantata"), ("buyer-b", "sonata")]  # not svc-c: not named
    a = by_owner[("buyer-a", "cantata")]
    assert a.product_ids == ["svc-a"] and a.id != "inc-1" and a.source_ref == "lion:inc-1"
    r = await client.get(f"/mefApi/cantata/troubleTicket/v4/incident/{a.id}", headers=BUYER_A)
    doc = assert_mef_response(r, "troubleTicket", "/incident/{id}", "get", "cantata")
    assert (doc["incidentType"], doc["impact"], doc["status"]) == ("maintenance", "down", "created")
    assert doc["situationStartDate"] == seen.starts_at.isoformat().replace("+00:00", "Z")  # type: ignore[union-attr]
    assert "partner" in doc["description"] and "Fibre works" in doc["description"]
    r = await client.get(f"/mefApi/sonata/troubleTicket/v4/incident/{a.id}", headers=BUYER_A)
    assert r.status_code == 404  # on the customer's interface only
    r = await client.get(f"/mefApi/sonata/troubleTicket/v4/incident/{a.id}", headers=BUYER_B)
    assert r.status_code == 404
    # the window, as the supplier's, on our segments and the customers' services
    async with container.uow() as uow:
        (window,) = [w for w in await uow.sla.maintenance_between(clock.now(), clock.now() + timedelta(days=3))
                     if w.provider == SUPPLIER]
    assert window.notice_ref == "inc-1" and window.services == ("svc-a", "svc-b")
    assert window.segments == ("seg-svc-a", "seg-svc-b")
    assert (window.start, window.end) == (seen.starts_at, seen.expected_end)
    # read again: nothing changes, nobody is told twice
    again = await relay_notice(container.uow, clock, container.profile, seen)
    assert not again.changed and sorted(i.id for i in again.incidents) == sorted(i.id for i in out.incidents)
    await relay.drain()
    created = [d for d in recorder.of_type("incidentCreateEvent")]
    assert sorted(d.url.split("/mefApi/")[0] for d in created) == ["http://cantata.example", "http://sonata.example"]
    for d in created:
        channel = d.url.split("/mefApi/")[1].split("/")[0]
        assert_mef_event(d.body, "troubleTicketNotification", "incidentCreateEvent", channel)


async def test_the_suppliers_changes_and_closing_follow_onto_ours(container: Container, clock: ManualClock) -> None:
    await composite(container, buyer="buyer-a", channel="sonata", our_product="svc-a", supplier_product="sp-1")
    first = notice(clock, "sp-1")
    (ours,) = (await relay_notice(container.uow, clock, container.profile, first)).incidents
    later = first.expected_end + timedelta(hours=2)  # type: ignore[operator]
    changed = dataclasses.replace(notice(clock, "sp-1", impact=NoticeImpact.DEGRADED, end_hours=6),
                                  description="Fibre works, second crew")
    out = await relay_notice(container.uow, clock, container.profile, changed)
    (now_ours,) = out.incidents
    assert out.changed and now_ours.id == ours.id and now_ours.end == later and now_ours.doc["impact"] == "degraded"
    assert now_ours.doc["description"].startswith("Fibre works, second crew")
    assert [e.event_type for e in now_ours.events] == []  # collected to the outbox already
    clock.set(START + timedelta(hours=1))
    (now_ours,) = (await relay_notice(container.uow, clock, container.profile,
                                      notice(clock, "sp-1", state=NoticeState.ONGOING, end_hours=6))).incidents
    assert now_ours.status.value == "inProgress"
    clock.advance(timedelta(hours=1))
    (now_ours,) = (await relay_notice(container.uow, clock, container.profile,
                                      notice(clock, "sp-1", state=NoticeState.ENDED, end_hours=6))).incidents
    assert now_ours.status.value == "closed"
    async with container.uow() as uow:
        (window,) = [w for w in await uow.sla.maintenance_between(clock.now() - timedelta(days=2),
                                                                  clock.now() + timedelta(days=3))
                     if w.provider == SUPPLIER]
        stored = await uow.incidents.get_unscoped(ours.id)
    assert window.end == clock.now()  # closed early: the window ends with it
    assert [s["status"] for s in stored.doc["statusChange"]] == ["created", "inProgress", "closed"]
    # a rescheduled window moves ours while it has not begun (tested above for the end); closed stays closed
    out = await relay_notice(container.uow, clock, container.profile, notice(clock, "sp-1", end_hours=9))
    assert not out.changed


async def test_notices_we_cannot_place_raise_nothing(container: Container, clock: ManualClock) -> None:
    await composite(container, buyer="buyer-a", channel="sonata", our_product="svc-a", supplier_product="sp-1")
    assert (await relay_notice(container.uow, clock, container.profile, notice(clock, "sp-9"))).incidents == []
    ended = notice(clock, "sp-1", state=NoticeState.ENDED, ref="inc-old")
    assert (await relay_notice(container.uow, clock, container.profile, ended)).incidents == []
    async with container.uow() as uow:
        assert await uow.incidents.by_source("lion:inc-old") == []


@pytest.mark.parametrize(("kind", "end_hours", "incident_type", "has_end"), [
    (NoticeKind.MAINTENANCE, 4, "maintenance", True),
    (NoticeKind.MAINTENANCE, None, "repair", False),  # a window without an end is not planned work for us
    (NoticeKind.IMPAIRMENT, 4, "repair", True),
    (NoticeKind.IMPAIRMENT, -1, "repair", False),  # an end before the start is not believed
])
def test_our_notice_from_theirs(kind: NoticeKind, end_hours: float | None, incident_type: str, has_end: bool
                                ) -> None:
    clock = ManualClock()
    theirs = notice(clock, "sp-1", kind=kind, end_hours=end_hours, impact=NoticeImpact.INTERMITTENT)
    ours = _our_notice(theirs, ("seg-1",), now=clock.now())
    assert ours.incident_type.value == incident_type and (ours.end is not None) == has_end
    assert ours.impact is IMPACTS[NoticeImpact.INTERMITTENT] and ours.impact.value == "intermittent"
    assert ours.source_ref == "lion:inc-1" and ours.scope_ids == ("seg-1",) and not ours.closes_at_end
    assert ours.notice_id == "supplier:lion:inc-1"


async def test_a_rescheduled_window_moves_ours_until_it_begins(container: Container, clock: ManualClock) -> None:
    await composite(container, buyer="buyer-a", channel="sonata", our_product="svc-a", supplier_product="sp-1")
    (ours,) = (await relay_notice(container.uow, clock, container.profile, notice(clock, "sp-1"))).incidents
    later = START + timedelta(days=2)
    (moved,) = (await relay_notice(container.uow, clock, container.profile,
                                   notice(clock, "sp-1", start=later))).incidents
    assert moved.start == later and moved.end == later + timedelta(hours=4)
    assert moved.doc["situationStartDate"] == later.isoformat().replace("+00:00", "Z")
    async with container.uow() as uow:
        (window,) = [w for w in await uow.sla.maintenance_between(START, later + timedelta(days=1))
                     if w.provider == SUPPLIER]
    assert (window.start, window.end) == (later, later + timedelta(hours=4))


async def test_two_readings_of_one_notice_at_once_make_one_incident_per_customer(
        container: Container, clock: ManualClock) -> None:
    await composite(container, buyer="buyer-a", channel="sonata", our_product="svc-a", supplier_product="sp-1")
    await composite(container, buyer="buyer-b", channel="sonata", our_product="svc-b", supplier_product="sp-2")
    seen = notice(clock, "sp-1", "sp-2")
    results = await asyncio.gather(*(relay_notice(container.uow, clock, container.profile, seen) for _ in range(3)))
    assert sum(r.changed for r in results) >= 1
    async with container.uow() as uow:
        ours = await uow.incidents.by_source("lion:inc-1")
    assert sorted(i.buyer_id for i in ours) == ["buyer-a", "buyer-b"]


async def test_a_suppliers_impairment_is_an_outage_in_its_domain_for_the_sla(container: Container,
                                                                             clock: ManualClock) -> None:
    await composite(container, buyer="buyer-a", channel="cantata", our_product="svc-a", supplier_product="sp-1")
    began = clock.now() - timedelta(hours=1)  # by the supplier's clock
    fault = dataclasses.replace(notice(clock, "sp-1", kind=NoticeKind.IMPAIRMENT, end_hours=None, ref="inc-9"),
                                starts_at=began, state=NoticeState.ONGOING)
    (ours,) = (await relay_notice(container.uow, clock, container.profile, fault)).incidents
    assert (ours.incident_type.value, ours.status.value) == ("repair", "inProgress")
    async with container.uow() as uow:
        outage = await uow.sla.outage_by_key("svc-a", "notice:lion:inc-9")
        windows = await uow.sla.maintenance_between(began - timedelta(days=1), began + timedelta(days=3))
    assert outage is not None and windows == []  # an impairment is not a maintenance window
    assert (outage.start, outage.end, outage.segment_id) == (began, None, "seg-svc-a")
    assert str(outage.responsible) == "supplier:lion"
    assert {e.kind.value for e in outage.evidence} == {"supplierNotice"}
    clock.advance(timedelta(hours=2))
    over = dataclasses.replace(fault, state=NoticeState.ENDED, ended_at=clock.now() - timedelta(minutes=30))
    await relay_notice(container.uow, clock, container.profile, over)
    await relay_notice(container.uow, clock, container.profile, over)  # told twice: one end
    async with container.uow() as uow:
        outage = await uow.sla.outage_by_key("svc-a", "notice:lion:inc-9")
    assert outage is not None and outage.end == clock.now() - timedelta(minutes=30)
    assert sorted(e.fact.value for e in outage.evidence) == ["domain", "end", "start"]
    # a planned window is no outage
    await composite(container, buyer="buyer-a", channel="sonata", our_product="svc-b", supplier_product="sp-2")
    await relay_notice(container.uow, clock, container.profile,
                       notice(clock, "sp-2", state=NoticeState.ONGOING, ref="inc-10"))
    async with container.uow() as uow:
        assert await uow.sla.outage_by_key("svc-b", "notice:lion:inc-10") is None
