"""Reconciliation on a real database (SQLite and PostgreSQL), over orders taken through our Seller API.

Each mismatch is seeded into an otherwise clean service (a customer's order decomposed, delivered and tested
with fake suppliers behind the gateway), found by a run, repaired when that is safe (and the repair recorded),
raised once otherwise, and cleared once it is gone.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import httpx
import pytest

from counterpoint.core.orchestration.model import CompositeState
from counterpoint.core.orchestration.plan import CompositeOffering, Orchestration, SegmentTemplate
from counterpoint.core.orchestration.supply import Observation, SegmentState, Source
from counterpoint.core.orchestration.ticket_model import Escalation, FederatedTicket
from counterpoint.core.orchestration.ticket_supply import TicketState
from counterpoint.core.reconcile.model import Check, Kind, Severity, Status
from counterpoint.core.reconcile.report import EXIT_CLEAN, EXIT_RAISED, EXIT_STILL_RAISED, exit_code, report_json
from counterpoint.core.reconcile.services import RunReport, run_reconciliation
from counterpoint.core.seller.model import ACCESS_ELINE
from counterpoint.core.shared.clock import ManualClock
from counterpoint.core.shared.ids import ExternalRef, new_id
from counterpoint.core.sla import services as sla
from counterpoint.core.sla.model import EvidenceKind, Fact
from counterpoint.workers.fulfilment import FulfilmentWorker
from counterpoint.workers.orchestration import OrchestrationWorker
from counterpoint.workers.reconcile import ReconcileWorker
from counterpoint.workers.registry import extra_loops
from tests.builders import ORDER_BASE, add_item, ael_config, order_body
from tests.fakes import FakeGateway, FakeSupplier, PassingTester, provider
from tests.helpers import BUYER_A

pytestmark = pytest.mark.usefixtures("wired")

GRACE = timedelta(seconds=700)  # past the policy's 600 s grace, within the providers' staleness + grace


@pytest.fixture
def profile(profile):  # type: ignore[no-untyped-def]
    orch = Orchestration(
        providers=(provider("our-net", ACCESS_ELINE, countries=("SG",), own=True, lead=5),
                   provider("sup-b", ACCESS_ELINE, countries=("SG",), mrc=900, poll_s=60)),
        offerings=(CompositeOffering("ael-sg", (
            SegmentTemplate("core", ACCESS_ELINE, place_index=None, own=True),
            SegmentTemplate("last-mile", ACCESS_ELINE, place_index=0, own=False)), test_hours=2),))
    return dataclasses.replace(profile, orchestration=orch)


@pytest.fixture
def fakes(clock: ManualClock) -> dict[str, FakeSupplier]:
    return {pid: FakeSupplier(pid, clock) for pid in ("our-net", "sup-b")}


@pytest.fixture
def wired(container, fakes, profile):  # type: ignore[no-untyped-def]
    container._suppliers = FakeGateway(*fakes.values(), providers=profile.orchestration.providers)
    container.tester = PassingTester()


async def settle(container) -> None:  # type: ignore[no-untyped-def]
    fulfil, orch = FulfilmentWorker(container), OrchestrationWorker(container)
    for _ in range(50):
        if not await fulfil.run_once() + await orch.run_once():
            return
    raise AssertionError("workers never settled")


async def place(client: httpx.AsyncClient, external_id: str = "PO-1") -> str:
    body = order_body(add_item(config=ael_config(1000)), external_id=external_id)
    r = await client.post(f"{ORDER_BASE}/productOrder", json=body, headers=BUYER_A)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def composite_of(container, order_id: str):  # type: ignore[no-untyped-def]
    async with container.uow() as uow:
        [composite] = await uow.composites.for_order(order_id)
    return composite


async def in_delivery(client, container, clock, fakes, external_id: str = "PO-1"):  # type: ignore[no-untyped-def]
    oid = await place(client, external_id)
    await settle(container)
    composite = await composite_of(container, oid)
    assert composite.state is CompositeState.IN_DELIVERY
    return composite


async def active(client, container, clock, fakes, external_id: str = "PO-1"):  # type: ignore[no-untyped-def]
    composite = await in_delivery(client, container, clock, fakes, external_id)
    n = len(fakes["sup-b"].orders)
    fakes["our-net"].move(SegmentState.DELIVERED, product=f"net-{n}", order_id=fakes["our-net"].last_order().id)
    fakes["sup-b"].move(SegmentState.DELIVERED, product=f"sup-b-prod-{n}", order_id=fakes["sup-b"].last_order().id)
    clock.advance(timedelta(seconds=61))
    await settle(container)
    composite = await composite_of(container, composite.order_id)
    assert composite.state is CompositeState.ACTIVE
    return composite


async def run(container, *, checks=tuple(Check), repair: bool = True) -> RunReport:  # type: ignore[no-untyped-def]
    return await run_reconciliation(container.uow, container.clock, container.profile,
                                    suppliers=container.suppliers, timing=container.timing, checks=checks,
                                    repair=repair)


def kinds(report: RunReport) -> list[Kind]:
    return sorted(f.kind for f in report.findings)


async def edit(container, composite_id: str, change) -> None:  # type: ignore[no-untyped-def]
    async with container.uow() as uow:
        composite = await uow.composites.get_unscoped(composite_id)
        change(composite)
        await uow.composites.save(composite)
        await uow.commit()


async def log(container, composite, segment, state: SegmentState, *, raw: str, why: str,  # type: ignore[no-untyped-def]
              applied: bool = False) -> None:
    obs = Observation(state=state, raw_state=raw, ref=segment.external_ref, source=Source.CALLBACK,
                      observed_at=container.clock.now(), evidence=f"event-{raw}")
    async with container.uow() as uow:
        await uow.composites.log_evidence(composite.id, segment.id, obs, applied=applied, why=why)
        await uow.commit()


def last_mile(composite):  # type: ignore[no-untyped-def]
    return next(s for s in composite.segments if s.provider_id == "sup-b")


# ---- a clean run, and runs that find nothing new -----------------------------------------------------------


async def test_a_clean_run_finds_nothing(client, container, clock, fakes) -> None:
    await active(client, container, clock, fakes, "PO-1")
    await in_delivery(client, container, clock, fakes, "PO-2")
    report = await run(container)
    assert report.findings == [] and report.cleared == []
    assert report.scanned == {Check.ORDERS: 2, Check.SERVICES: 2, Check.TICKETS: 0}
    assert exit_code(report) == EXIT_CLEAN
    assert report_json(report)["summary"] == {"found": 0, "new": 0, "raised": 0, "stillRaised": 0, "repaired": 0,
                                              "open": 0, "cleared": 0}


# ---- orders ------------------------------------------------------------------------------------------------


async def test_a_command_sent_with_no_supplier_record_is_requeried_by_our_reference(
        client, container, clock, fakes) -> None:
    fakes["sup-b"].timeout_after_accept = 1  # the supplier took it; we never heard
    oid = await place(client)
    await FulfilmentWorker(container).run_once()
    await OrchestrationWorker(container).run_once()
    composite = await composite_of(container, oid)
    assert last_mile(composite).external_ref is None
    clock.advance(GRACE)  # recovery never ran (the worker was down): the command is stuck unknown

    first = await run(container, checks=[Check.ORDERS], repair=False)
    [f] = first.findings
    assert (f.kind, f.status, f.severity) == (Kind.COMMAND_WITHOUT_SUPPLIER_RECORD, Status.OPEN, Severity.MAJOR)
    assert f.subject.composite_id == composite.id and f.subject.order_id == oid
    assert [e.source for e in f.evidence] == ["command", "segment"] and f.evidence[0].observed_at is not None
    assert exit_code(first) == EXIT_CLEAN  # open: a repairing run will see to it

    second = await run(container, checks=[Check.ORDERS])
    [f2] = second.findings
    assert f2.id == f.id and f2.status is Status.REPAIRED
    assert "found order sup-b-PO-1" in f2.repairs[0]["what"] and f2.repairs[0]["done"] is True
    assert fakes["sup-b"].calls[-1].startswith("find cp-")  # asked by our reference, nothing sent again
    assert len(fakes["sup-b"].orders) == 1
    composite = await composite_of(container, oid)
    assert last_mile(composite).external_ref == ExternalRef("sup-b", "sup-b-PO-1")

    third = await run(container, checks=[Check.ORDERS])
    assert third.findings == [] and [c.id for c in third.cleared] == [f.id]
    async with container.uow() as uow:
        [stored] = await uow.findings.listing()
    assert stored.status is Status.CLEARED and stored.repairs == f2.repairs


async def test_a_supplier_completion_we_did_not_take_is_adopted(client, container, clock, fakes) -> None:
    composite = await in_delivery(client, container, clock, fakes)
    seg = last_mile(composite)
    fakes["sup-b"].move(SegmentState.DELIVERED, product="sup-b-prod-1")
    await log(container, composite, seg, SegmentState.DELIVERED, raw="completed", why="stale: observed 900 s ago")
    clock.advance(GRACE)
    report = await run(container, checks=[Check.ORDERS])
    [f] = report.findings
    assert f.kind is Kind.SUPPLIER_COMPLETED_WHILE_WAITING and f.status is Status.REPAIRED
    assert f.evidence[0].source == "evidenceLog" and "completed" in f.evidence[0].what
    assert "given to the normal flow" in f.repairs[0]["what"]
    seg = last_mile(await composite_of(container, composite.order_id))
    assert seg.state is SegmentState.DELIVERED  # the normal flow took the fresh read
    assert (await run(container, checks=[Check.ORDERS])).findings == []


async def test_a_supplier_cancellation_of_an_active_service_is_raised_once(client, container, clock, fakes) -> None:
    composite = await active(client, container, clock, fakes)
    await log(container, composite, last_mile(composite), SegmentState.CANCELLED, raw="cancelled",
              why="segment already accepted as active")
    clock.advance(GRACE)
    first = await run(container)
    [f] = first.findings
    assert (f.kind, f.status, f.severity) == (Kind.SUPPLIER_CANCELLED_BELIEVED_ACTIVE, Status.RAISED,
                                              Severity.CRITICAL)
    assert first.newly_raised == [f.id] and exit_code(first) == EXIT_RAISED
    assert f.subject.supplier_refs and f.subject.supplier_refs[0].startswith("sup-b/productOrder/")

    clock.advance(timedelta(hours=1))
    second = await run(container)
    [again] = second.findings
    assert again.id == f.id and again.status is Status.RAISED and second.newly_raised == []  # not raised again
    assert again.first_seen == f.first_seen and again.last_seen > f.last_seen
    assert exit_code(second) == EXIT_STILL_RAISED
    assert report_json(second)["findings"][0]["seen"] == "again"


async def test_two_supplier_orders_for_one_segment_are_raised(client, container, clock, fakes) -> None:
    composite = await active(client, container, clock, fakes)
    seg = last_mile(composite)
    async with container.uow() as uow:
        await uow.composites.remember_ref(ExternalRef("sup-b", "sup-b-PO-77"), composite.id, seg.id)
        await uow.commit()
    report = await run(container, checks=[Check.ORDERS])
    [f] = report.findings
    assert f.kind is Kind.DUPLICATE_SUPPLIER_ORDERS and f.status is Status.RAISED
    assert sorted(f.subject.supplier_refs) == ["sup-b/productOrder/sup-b-PO-1", "sup-b/productOrder/sup-b-PO-77"]


# ---- services ----------------------------------------------------------------------------------------------


async def test_an_inactive_segment_under_an_active_service_is_raised(client, container, clock, fakes) -> None:
    composite = await active(client, container, clock, fakes)

    def fail(c) -> None:  # type: ignore[no-untyped-def]
        last_mile(c).state = SegmentState.FAILED

    await edit(container, composite.id, fail)
    report = await run(container, checks=[Check.SERVICES])
    [f] = report.findings
    assert (f.kind, f.status, f.severity) == (Kind.SEGMENT_INACTIVE_SERVICE_ACTIVE, Status.RAISED,
                                              Severity.CRITICAL)
    assert "failed" in f.summary


async def test_an_active_service_without_billing_record_is_raised_and_cleared_once_billed(
        client, container, clock, fakes) -> None:
    composite = await active(client, container, clock, fakes)

    def no_cost(c) -> None:  # type: ignore[no-untyped-def]
        last_mile(c).cost = {}

    await edit(container, composite.id, no_cost)
    report = await run(container, checks=[Check.SERVICES])
    [f] = report.findings
    assert f.kind is Kind.ACTIVE_WITHOUT_BILLING and f.status is Status.RAISED
    assert f.subject.product_id == composite.product_id
    async with container.uow() as uow:  # the product gets its recurring price: the drift is gone
        product = await uow.products.get_unscoped(composite.product_id)
        product.doc["productPrice"] = [{"priceType": "recurring", "recurringChargePeriod": "month",
                                        "price": {"dutyFreeAmount": {"unit": "USD", "value": 1125}}}]
        await uow.products.save(product)
        await uow.commit()
    later = await run(container, checks=[Check.SERVICES])
    assert later.findings == [] and [c.id for c in later.cleared] == [f.id]
    assert later.cleared[0].cleared_at is not None


async def test_a_missing_supplier_service_id_is_asked_again(client, container, clock, fakes) -> None:
    composite = await active(client, container, clock, fakes)

    def forget(c) -> None:  # type: ignore[no-untyped-def]
        last_mile(c).product_ref = None

    await edit(container, composite.id, forget)
    report = await run(container, checks=[Check.SERVICES])
    [f] = report.findings
    assert f.kind is Kind.MISSING_SUPPLIER_SERVICE_ID and f.status is Status.REPAIRED
    seg = last_mile(await composite_of(container, composite.order_id))
    assert seg.product_ref == ExternalRef("sup-b", "sup-b-prod-1", "product")
    assert (await run(container, checks=[Check.SERVICES])).findings == []


async def test_evidence_too_old_to_trust_is_renewed(client, container, clock, fakes) -> None:
    composite = await active(client, container, clock, fakes)
    clock.advance(timedelta(days=31))  # past the policy's 30 days for active services
    report = await run(container, checks=[Check.SERVICES])
    assert kinds(report) == [Kind.STALE_OBSERVATIONS, Kind.STALE_OBSERVATIONS]
    assert {f.status for f in report.findings} == {Status.REPAIRED}
    assert all("evidence renewed" in f.repairs[0]["what"] for f in report.findings)
    composite = await composite_of(container, composite.order_id)
    assert {s.observed_at for s in composite.segments} == {clock.now()}
    async with container.uow() as uow:
        logged = await uow.composites.evidence_of(composite.id)
    assert logged[-1]["why"].startswith("reconciliation:")
    again = await run(container, checks=[Check.SERVICES])
    assert again.findings == [] and len(again.cleared) == 2


async def test_a_segment_in_delivery_that_nobody_polls_is_read_again(client, container, clock, fakes) -> None:
    composite = await in_delivery(client, container, clock, fakes)
    clock.advance(timedelta(seconds=300 + 600 + 60))  # staleness window + grace, no poll meanwhile
    report = await run(container, checks=[Check.SERVICES], repair=False)
    assert kinds(report) == [Kind.STALE_OBSERVATIONS, Kind.STALE_OBSERVATIONS]
    assert {f.status for f in report.findings} == {Status.OPEN}
    report = await run(container, checks=[Check.SERVICES])
    assert {f.status for f in report.findings} == {Status.REPAIRED}
    composite = await composite_of(container, composite.order_id)
    assert {s.observed_at for s in composite.segments} == {clock.now()}


async def test_a_repair_that_cannot_be_done_is_raised(client, container, clock, fakes) -> None:
    composite = await active(client, container, clock, fakes)

    def forget(c) -> None:  # type: ignore[no-untyped-def]
        last_mile(c).product_ref = None

    await edit(container, composite.id, forget)
    fakes["sup-b"].unreachable_reads = True
    report = await run(container, checks=[Check.SERVICES])
    [f] = report.findings
    assert f.status is Status.RAISED and report.newly_raised == [f.id]
    assert f.repairs[0]["done"] is False and "could not be asked" in f.repairs[0]["what"]
    again = await run(container, checks=[Check.SERVICES])
    assert again.newly_raised == [] and again.findings[0].status is Status.RAISED
    assert len(again.findings[0].repairs) == 1  # not repaired again on every run


async def test_only_the_checks_run_are_cleared(client, container, clock, fakes) -> None:
    composite = await active(client, container, clock, fakes)

    def no_cost(c) -> None:  # type: ignore[no-untyped-def]
        last_mile(c).cost = {}

    await edit(container, composite.id, no_cost)
    await run(container, checks=[Check.SERVICES])
    orders_only = await run(container, checks=[Check.ORDERS])
    assert orders_only.cleared == []
    async with container.uow() as uow:
        [stored] = await uow.findings.listing()
    assert stored.status is Status.RAISED


async def test_the_worker_runs_once_per_interval(client, container, clock, fakes) -> None:
    worker = ReconcileWorker(container)
    await worker.run_once()
    async with container.uow() as uow:
        first = await uow.findings.last_run()
    assert first is not None and first.finished_at is not None
    await worker.run_once()  # not due yet
    async with container.uow() as uow:
        assert (await uow.findings.last_run()).id == first.id
    clock.advance(timedelta(seconds=worker.interval_s + 1))
    await worker.run_once()
    async with container.uow() as uow:
        assert (await uow.findings.last_run()).id != first.id


# ---- tickets -----------------------------------------------------------------------------------------------


async def a_ticket(container, composite, *, severity: str = "significant", escalate: bool = True,  # type: ignore[no-untyped-def]
                   resolved: bool = False, validated: bool = False) -> FederatedTicket:
    now = container.clock.now()
    seg = last_mile(composite)
    ft = FederatedTicket(
        id=new_id(), buyer_id=composite.buyer_id, seller_id=composite.seller_id, channel=composite.channel,
        created_at=now, updated_at=now, ticket_id=f"TT-{new_id()[:8]}", product_id=composite.product_id,
        composite_id=composite.id, state=TicketState.INVESTIGATING,
        reported={"description": "no light", "severity": severity, "priority": "high"},
        suspect={"segmentId": seg.id, "segmentName": seg.name, "provider": "sup-b", "own": False, "why": []},
        validated_at=now if validated else None)
    if escalate:
        ft.escalations.append(Escalation(
            id=new_id(), provider_id="sup-b", segment_id=seg.id, segment_name=seg.name, our_ref="cp-ticket-1",
            state=TicketState.RESOLVED if resolved else TicketState.INVESTIGATING,
            external_ref=ExternalRef("sup-b", "B-TT-1", "troubleTicket"), resolved_at=now if resolved else None))
    async with container.uow() as uow:
        await uow.federated_tickets.add(ft)
        await uow.commit()
    return ft


async def test_a_supplier_resolution_we_never_validated_is_raised(client, container, clock, fakes) -> None:
    composite = await active(client, container, clock, fakes)
    ft = await a_ticket(container, composite, resolved=True)
    await a_ticket(container, composite, resolved=True, validated=True)  # validated: nothing to say
    assert (await run(container, checks=[Check.TICKETS])).findings == []  # within the grace: in progress
    clock.advance(GRACE)
    report = await run(container, checks=[Check.TICKETS])
    assert report.scanned == {Check.TICKETS: 2}
    [f] = report.findings
    assert (f.kind, f.status) == (Kind.TICKET_RESOLVED_NOT_VALIDATED, Status.RAISED)
    assert f.subject.ticket_id == ft.ticket_id and f.subject.supplier_refs == ("sup-b/ticket/B-TT-1",)


async def test_a_major_incident_without_supplier_escalation_is_raised(client, container, clock, fakes) -> None:
    composite = await active(client, container, clock, fakes)
    ft = await a_ticket(container, composite, severity="extensive", escalate=False)
    await a_ticket(container, composite, severity="significant", escalate=False)  # not major
    clock.advance(GRACE)
    [f] = (await run(container, checks=[Check.TICKETS])).findings
    assert (f.kind, f.severity, f.subject.ticket_id) == (Kind.MAJOR_INCIDENT_NOT_ESCALATED, Severity.CRITICAL,
                                                         ft.ticket_id)


async def test_sla_clocks_that_disagree_are_raised(client, container, clock, fakes) -> None:
    composite = await active(client, container, clock, fakes)
    ft = await a_ticket(container, composite, resolved=True, validated=True)
    key, start = f"ticket:{ft.ticket_id}", clock.now() - timedelta(hours=3)
    async with container.uow() as uow:
        await sla.record_outage_start(uow, clock, service_id=ft.product_id, key=key, at=start,
                                      reference=ft.ticket_id)
        await sla.add_evidence(uow, clock, service_id=ft.product_id, key=key, fact=Fact.END, at=clock.now(),
                               reference="test:1", kind=EvidenceKind.TEST)
        await sla.add_evidence(uow, clock, service_id=ft.product_id, key=key, fact=Fact.END,  # 2 h earlier
                               at=clock.now() - timedelta(hours=2), source="sup-b", reference="B-TT-1",
                               kind=EvidenceKind.SUPPLIER_NOTICE)
        await uow.commit()
    # the supplier's repair and our validation test after it are two events, not two clocks: nothing to raise
    assert (await run(container, checks=[Check.TICKETS])).findings == []
    async with container.uow() as uow:  # our own stamp of the supplier's closing, 2 h after theirs: clocks apart
        await sla.add_evidence(uow, clock, service_id=ft.product_id, key=key, fact=Fact.END, at=clock.now(),
                               reference="B-TT-1", kind=EvidenceKind.SUPPLIER_NOTICE)
        await uow.commit()
    [f] = (await run(container, checks=[Check.TICKETS])).findings
    assert (f.kind, f.subject.provider_id) == (Kind.SLA_CLOCKS_DISAGREE, "sup-b")
    assert "7200 s from ours" in f.summary and [e.source for e in f.evidence] == ["slaEvidence", "slaEvidence"]


async def test_the_job_is_one_of_the_seller_s_loops_when_it_orchestrates(container) -> None:  # type: ignore[no-untyped-def]
    loops = {loop.name: loop for loop in extra_loops(container)}
    assert "reconcile" in loops and loops["reconcile"].interval_s == 60.0  # wakes each minute, runs each hour
    assert ReconcileWorker(container).interval_s == 3600.0
