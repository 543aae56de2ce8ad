"""SLA records on both databases: the feeding services are idempotent on their natural keys, evidence survives a
round trip, and a month's report read from storage gives the hand-computed figures."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from counterpoint.bootstrap import Container
from counterpoint.core.shared.clock import ManualClock
from counterpoint.core.shared.errors import Invalid, NotFound
from counterpoint.core.sla import services as sla
from counterpoint.core.sla.model import (
    OURS,
    Commitments,
    CustomerSla,
    Domain,
    EvidenceKind,
    Fact,
    Month,
    Responsible,
    SegmentTerms,
    ServiceTerms,
    SupplierOla,
    Tier,
)

NOV = Month(2026, 11)
T0 = datetime(2026, 11, 10, 8, 0, tzinfo=UTC)
C_ID = "merlion-access"
C = Responsible(Domain.SUPPLIER, C_ID)
COMMITMENTS = Commitments(
    customer=(CustomerSla(None, Decimal("99.9"), (Tier(Decimal("99.9"), Decimal(10)),)),),
    suppliers=(SupplierOla("merlion-access", Decimal(4), Decimal("99.9"), (Tier(Decimal("99.9"), Decimal(10)),),
                           Decimal(50)),))


async def test_the_same_ticket_twice_is_one_outage_and_evidence_is_not_doubled(container: Container,
                                                                               clock: ManualClock) -> None:
    clock.set(T0 + timedelta(minutes=1))
    for _ in range(2):
        async with container.uow() as uow:
            await sla.record_outage_start(uow, clock, service_id="svc-1", key="ticket:TT-1", at=T0,
                                          reference="TT-1", segment_id="seg-c", responsible=C)
            await sla.record_outage_end(uow, clock, service_id="svc-1", key="ticket:TT-1",
                                        at=T0 + timedelta(minutes=50), reference="e2e-7")
            await uow.commit()
    async with container.uow() as uow:
        outages = await uow.sla.outages_between(NOV.start, NOV.end)
    assert len(outages) == 1
    (outage,) = outages
    assert sorted((e.fact.value, e.reference) for e in outage.evidence) == [
        ("domain", "TT-1"), ("end", "e2e-7"), ("start", "TT-1")]
    assert (outage.start, outage.end, outage.responsible, outage.segment_id) == (
        T0, T0 + timedelta(minutes=50), C, "seg-c")
    assert all(e.at.tzinfo is not None and e.received_at == T0 + timedelta(minutes=1) for e in outage.evidence)


async def test_evidence_on_an_unknown_outage_is_refused(container: Container, clock: ManualClock) -> None:
    async with container.uow() as uow:
        with pytest.raises(NotFound):
            await sla.add_evidence(uow, clock, service_id="svc-1", key="ticket:nope", fact=Fact.END, at=T0,
                                   reference="x")
        with pytest.raises(Invalid):
            await sla.record_maintenance(uow, clock, provider="merlion-access", notice_ref="N-1", start=T0,
                                         end=T0, segments=["seg-c"])
        with pytest.raises(Invalid):  # a naive time: whose zone?
            await sla.record_outage_start(uow, clock, service_id="svc-1", key="k", at=T0.replace(tzinfo=None))
        with pytest.raises(Invalid):  # longer than the column: refused, not a database error
            await sla.record_outage_start(uow, clock, service_id="svc-1", key="k", at=T0, reference="r" * 300)


async def test_a_rescheduled_notice_replaces_its_window(container: Container, clock: ManualClock) -> None:
    async with container.uow() as uow:
        first = await sla.record_maintenance(uow, clock, provider="merlion-access", notice_ref="N-1", start=T0,
                                             end=T0 + timedelta(hours=2), segments=["seg-c"])
        again = await sla.record_maintenance(uow, clock, provider="merlion-access", notice_ref="N-1",
                                             start=T0 + timedelta(days=1), end=T0 + timedelta(days=1, hours=2),
                                             segments=["seg-c"])
        await uow.commit()
    async with container.uow() as uow:
        windows = await uow.sla.maintenance_between(NOV.start, NOV.end)
    assert [(w.id, w.start) for w in windows] == [(first.id, T0 + timedelta(days=1))]
    assert again.id == first.id


async def test_a_month_read_from_storage(container: Container, clock: ManualClock) -> None:
    """November: 30 days = 43 200 min; 99.9% allows 43.2 min. C's last mile is down 08:00-08:50 by our test
    (50 min): 43 150 / 43 200 = 99.8843% < 99.9%, credit 10% of 1 000 = 100.00. C repaired within 4 h (met),
    but its segment's availability is also 99.8843% < 99.9%: penalty 10% of 500 = 50.00."""
    clock.set(datetime(2026, 12, 1, tzinfo=UTC))
    async with container.uow() as uow:
        await sla.register_service(uow, ServiceTerms("svc-1", "enterprise", "evpl", Decimal(1000), "USD",
                                                     (SegmentTerms("seg-c", "merlion-access", Decimal(500)),)))
        await sla.record_outage_start(uow, clock, service_id="svc-1", key="ticket:TT-1", at=T0, reference="TT-1",
                                      segment_id="seg-c", responsible=C, kind=EvidenceKind.TICKET)
        await sla.record_outage_end(uow, clock, service_id="svc-1", key="ticket:TT-1",
                                    at=T0 + timedelta(minutes=50), source=OURS, reference="e2e-7")
        await sla.record_reported(uow, clock, service_id="svc-1", key="ticket:TT-1", to=C,
                                  at=T0 + timedelta(minutes=10), reference="C-ticket-1")
        await uow.commit()
    async with container.uow() as uow:
        report = await sla.report(uow, clock, COMMITMENTS, NOV)
    assert [r.repair_seconds for r in report.suppliers[0].repairs] == [40 * 60]  # from the report to C
    (svc,) = report.services
    assert (svc.unavailable_seconds, str(svc.availability_pct), svc.met, svc.credit) == (
        3000, "99.8843", False, Decimal("100.00"))
    (sup,) = report.suppliers
    assert (sup.supplier, sup.repairs_met, sup.repairs_missed, sup.penalty) == (
        "merlion-access", 1, 0, Decimal("50.00"))
    assert report.to_json()["services"][0]["chain"]["slices"][0]["outage"] == svc.outages[0].id


async def test_two_recorders_of_one_ticket_at_once_make_one_outage(container: Container, clock: ManualClock) -> None:
    """Two transactions record the same ticket concurrently (on PostgreSQL truly at once; SQLite takes them in
    turn): one outage, one START item, and neither transaction fails."""
    async def record(reference: str) -> str:
        async with container.uow() as uow:
            outage = await sla.record_outage_start(uow, clock, service_id="svc-1", key="ticket:TT-9", at=T0,
                                                   reference="TT-9", segment_id="seg-c", responsible=C)
            await sla.add_evidence(uow, clock, service_id="svc-1", key="ticket:TT-9", fact=Fact.DOWN,
                                   at=T0 + timedelta(minutes=5), reference=reference)
            await asyncio.sleep(0.05)  # hold the transaction open while the other one tries
            await uow.commit()
            return outage.id

    ids = await asyncio.gather(record("alarm-1"), record("alarm-2"))
    assert ids[0] == ids[1]
    async with container.uow() as uow:
        (outage,) = await uow.sla.outages_between(NOV.start, NOV.end)
    assert sorted((e.fact.value, e.reference) for e in outage.evidence) == [
        ("domain", "TT-9"), ("down", "alarm-1"), ("down", "alarm-2"), ("start", "TT-9")]


async def test_registering_a_service_again_replaces_its_terms(container: Container) -> None:
    async with container.uow() as uow:
        await sla.register_service(uow, ServiceTerms("svc-1", "enterprise", "evpl", Decimal(1000)))
        await sla.register_service(uow, ServiceTerms("svc-1", "enterprise", "evpl", Decimal("1200.50"), "EUR",
                                                     (SegmentTerms("seg-c", "merlion-access", Decimal(500)),)))
        await uow.commit()
    async with container.uow() as uow:
        assert await uow.sla.services() == [ServiceTerms(
            "svc-1", "enterprise", "evpl", Decimal("1200.50"), "EUR",
            (SegmentTerms("seg-c", "merlion-access", Decimal(500)),))]


async def test_the_order_of_recording_does_not_change_the_figures(container: Container, clock: ManualClock) -> None:
    """One story told in two orders, to two services: the customer's ticket at 10:00, C's ticket (the same event
    on C's clock, 3 min ahead), C's claim of repair at 13:50 on its clock (really 13:47) arriving at 18:00, our
    failed test at 11:00 and passing test at 14:30. Both: 270 min unavailable (10:00-14:30), C's repair 227 min."""
    clock.set(nov_at := datetime(2026, 11, 10, 18, 0, tzinfo=UTC))
    ten = nov_at.replace(hour=10)

    def steps(service: str) -> list[tuple[str, dict[str, object]]]:
        k = {"service_id": service, "key": "ticket:TT-7"}
        return [
            ("start", {**k, "at": ten, "reference": "TT-7", "segment_id": "seg-c", "responsible": C}),
            ("evidence", {**k, "fact": Fact.START, "at": ten + timedelta(minutes=3), "source": "merlion-access",
                          "reference": "TT-7", "kind": EvidenceKind.SUPPLIER_NOTICE}),
            ("evidence", {**k, "fact": Fact.DOWN, "at": ten + timedelta(hours=1), "reference": "e2e-1",
                          "kind": EvidenceKind.TEST}),
            ("end", {**k, "at": ten + timedelta(hours=3, minutes=50), "source": "merlion-access",
                     "reference": "C-7-resolved", "kind": EvidenceKind.SUPPLIER_NOTICE}),
            ("end", {**k, "at": ten + timedelta(hours=4, minutes=30), "reference": "e2e-2"}),
        ]

    async def tell(order: list[tuple[str, dict[str, object]]]) -> None:
        for what, kwargs in order:
            async with container.uow() as uow:
                if what == "start":
                    await sla.record_outage_start(uow, clock, **kwargs)  # type: ignore[arg-type]
                elif what == "end":
                    await sla.record_outage_end(uow, clock, **kwargs)  # type: ignore[arg-type]
                else:
                    await sla.add_evidence(uow, clock, **kwargs)  # type: ignore[arg-type]
                await uow.commit()

    first = steps("svc-1")
    await tell(first)
    second = steps("svc-2")
    await tell([second[0], second[4], second[3], second[2], second[1], second[3]])  # reordered, one twice
    async with container.uow() as uow:
        report = await sla.report(uow, clock, COMMITMENTS, NOV)
    one, two = report.services
    assert (one.unavailable_seconds, one.by_domain) == (two.unavailable_seconds, two.by_domain) == (
        270 * 60, {f"supplier:{C_ID}": 270 * 60})
    assert report.offsets[C_ID].offset == timedelta(minutes=3) and len(report.offsets[C_ID].pairs) == 2
    (sup,) = report.suppliers
    assert [(r.service_id, r.repair_seconds // 60, r.status) for r in sup.repairs] == [
        ("svc-1", 227, "met"), ("svc-2", 227, "met")]


async def test_one_services_report_reads_the_whole_months_clocks(container: Container, clock: ManualClock) -> None:
    """svc-2 holds the only skew pair (C's clock 3 min ahead); svc-1 only C's claim of repair at 10:53 on C's
    clock. Asked alone, svc-1 still reads it as 10:50: 50 min, as in the whole month's report."""
    clock.set(datetime(2026, 12, 2, tzinfo=UTC))
    ten = T0.replace(hour=10)
    async with container.uow() as uow:
        await sla.record_outage_start(uow, clock, service_id="svc-1", key="t1", at=ten, responsible=C)
        await sla.record_outage_end(uow, clock, service_id="svc-1", key="t1", at=ten + timedelta(minutes=53),
                                    source=C_ID, reference="C-resolved", kind=EvidenceKind.SUPPLIER_NOTICE)
        await sla.record_outage_start(uow, clock, service_id="svc-2", key="t2", at=ten, reference="C-2",
                                      responsible=C)
        await sla.add_evidence(uow, clock, service_id="svc-2", key="t2", fact=Fact.START, source=C_ID,
                               at=ten + timedelta(minutes=3), reference="C-2")
        await uow.commit()
    async with container.uow() as uow:
        whole = await sla.report(uow, clock, COMMITMENTS, NOV)
        alone = await sla.report(uow, clock, COMMITMENTS, NOV, service_id="svc-1")
    assert [s.service_id for s in alone.services] == ["svc-1"]
    assert alone.services[0].unavailable_seconds == whole.services[0].unavailable_seconds == 50 * 60
