"""The Sonata adapter reads a supplier's MEF 124 incidents (our own Seller as the supplier, over its ASGI app)
as neutral `SupplierNotice`s, and hears of them on the troubleTicket hub it subscribes to."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from counterpoint.bootstrap import Container
from counterpoint.core.incident import services as incidents
from counterpoint.core.incident.model import Impact, IncidentType, Notice
from counterpoint.core.orchestration.supply import NoticeImpact, NoticeKind, NoticeState, SupplierNotFound
from counterpoint.core.shared.clock import ManualClock
from counterpoint.core.shared.ids import ExternalRef
from counterpoint.notifications.relay import OutboxRelay
from counterpoint.suppliers.mef_sonata import SonataAdapter
from counterpoint.suppliers.mef_sonata.incidents import notice as read_notice
from tests.api.test_incident import profile  # noqa: F401  (the profile with buyer-a's and buyer-b's products)
from tests.helpers import ListenerRecorder, assert_mef_event
from tests.suppliers.test_mef_sonata import CALLBACK, adapter, seller  # noqa: F401

T0_START = timedelta(days=2)


async def _announce(container: Container, clock: ManualClock, notice_id: str, *products: str,
                    kind: IncidentType = IncidentType.MAINTENANCE) -> None:
    now = clock.now()
    notice = Notice(notice_id=notice_id, incident_type=kind, impact=Impact.DEGRADED, start=now + T0_START,
                    end=now + T0_START + timedelta(hours=3), description="Ring works",
                    closes_at_end=kind is IncidentType.MAINTENANCE)
    await incidents.announce(container.uow(), clock, container.profile, notice,
                             incidents.Targets(product_ids=products))


async def test_incidents_are_read_as_notices_and_only_the_buyers_own(
        adapter: SonataAdapter, container: Container, clock: ManualClock) -> None:  # noqa: F811
    await _announce(container, clock, "mw-a", "prod-a-sg", "prod-a-jkt", "prod-b-sg")
    await _announce(container, clock, "mw-b", "prod-b-jkt")
    (listed,) = await adapter.list_incidents()  # buyer-a's only: not buyer-b's, not the profile's
    assert listed.ref.provider == "lion" and listed.ref.kind == "incident"
    assert (listed.kind, listed.state, listed.impact) == (NoticeKind.MAINTENANCE, NoticeState.ANNOUNCED,
                                                          NoticeImpact.DEGRADED)
    assert sorted(p.value for p in listed.products) == ["prod-a-jkt", "prod-a-sg"]
    assert all(p.kind == "product" and p.provider == "lion" for p in listed.products)
    full = await adapter.get_incident(listed.ref)
    assert full.starts_at == clock.now() + T0_START and full.expected_end == full.starts_at + timedelta(hours=3)
    assert full.description == "Ring works" and full.raw_state == "created" and full.observed_at == clock.now()
    async with container.uow() as uow:
        (b_incident,) = [i for i in await uow.incidents.by_notice("mw-a") if i.buyer_id == "buyer-b"]
    with pytest.raises(SupplierNotFound):
        await adapter.get_incident(ExternalRef("lion", b_incident.id, "incident"))
    await incidents.close(container.uow(), clock, "mw-a")
    assert await adapter.list_incidents() == []
    closed = await adapter.get_incident(listed.ref)
    assert closed.state is NoticeState.ENDED and closed.ended_at == clock.now()


async def test_incident_events_arrive_on_the_troubleticket_hub_and_name_the_incident(
        adapter: SonataAdapter, container: Container, clock: ManualClock, relay: OutboxRelay,  # noqa: F811
        recorder: ListenerRecorder) -> None:
    await adapter.subscribe(CALLBACK)
    await _announce(container, clock, "imp-a", "prod-a-sg", kind=IncidentType.REPAIR)
    await relay.drain()
    (delivered,) = recorder.of_type("incidentCreateEvent")
    assert delivered.url == f"{CALLBACK}/mefApi/sonata/troubleTicketNotification/v4/listener/incidentCreateEvent"
    assert_mef_event(delivered.body, "troubleTicketNotification", "incidentCreateEvent")
    note = adapter.parse_callback(urlsplit(delivered.url).path, delivered.headers, json.dumps(delivered.body).encode())
    assert note.ref == ExternalRef("lion", delivered.body["event"]["id"], "incident")
    notice = await adapter.get_incident(note.ref)
    assert notice.kind is NoticeKind.IMPAIRMENT


def test_words_the_mapping_does_not_know_are_kept_and_read_cautiously() -> None:
    at = ManualClock().now()
    odd = read_notice({"id": "i-1", "status": "paused", "incidentType": "sabotage", "impact": "wobbly",
                       "relatedEntity": [{"id": "p1", "@referredType": "Product", "role": "x"},
                                         {"id": "s1", "@referredType": "Service", "role": "x"}]},
                      provider="lion", at=at)
    assert (odd.state, odd.raw_state, odd.kind, odd.impact) == (NoticeState.UNRECOGNISED, "paused",
                                                                NoticeKind.IMPAIRMENT, NoticeImpact.OUTAGE)
    assert [p.value for p in odd.products] == ["p1"]  # only products are ours to place
