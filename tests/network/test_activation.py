"""The end-to-end activation test on the simulated network: a Jakarta–Singapore service of three segments.

Ours: an access segment in Jakarta (customer port to the Jakarta hub) and the core (Jakarta hub to Singapore
hub), both provisioned through service orders; a supplier's last mile in Singapore, delivered by them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from counterpoint.core.orchestration.activation import (
    CONFIGURATION,
    END_TO_END,
    PERFORMANCE,
    AcceptanceCriteria,
    SegmentUnderTest,
)
from counterpoint.core.orchestration.supply import SegmentState
from counterpoint.core.shared.clock import ManualClock
from counterpoint.core.shared.ids import ExternalRef
from counterpoint.network.activation import ActivationProfile, FaultBoard, ServiceActivationTester
from counterpoint.network.controller import FLAP, SimulatedNetworkController
from counterpoint.suppliers.own_network import OwnNetworkAdapter
from counterpoint.workers.service_order import ServiceOrderWorker
from tests.network.conftest import JAKARTA, segment

SAC = AcceptanceCriteria(ir_tolerance=0.01, max_frame_delay_ms=40, max_delay_variation_ms=5,
                         max_frame_loss_ratio=1e-4, min_availability=0.999)


@pytest.fixture
async def ours(adapter: OwnNetworkAdapter, worker: ServiceOrderWorker, clock: ManualClock) -> dict[str, str]:
    """Our two segments, delivered; segment id -> connectivity service uuid."""
    access = await adapter.place_order(segment("access", places=(JAKARTA,)))
    core = await adapter.place_order(segment("core", places=()))
    await worker.run_once()
    clock.advance(timedelta(minutes=30))
    await worker.run_once()
    refs = {}
    for name, placed in (("access", access), ("core", core)):
        done = await adapter.get_order(placed.ref)
        assert done.state is SegmentState.DELIVERED and done.product_ref is not None
        refs[name] = done.product_ref.value
    return refs


def segments(ours: dict[str, str], *, last_mile: SegmentState = SegmentState.DELIVERED) -> list[SegmentUnderTest]:
    return [SegmentUnderTest("access", "self", SegmentState.DELIVERED, ours=True, ref=ours["access"]),
            SegmentUnderTest("core", "self", SegmentState.DELIVERED, ours=True, ref=ours["core"]),
            SegmentUnderTest("last-mile", "sup-b", last_mile, ours=False, ref="B-PRODUCT-7")]


@pytest.fixture
def tester(controller: SimulatedNetworkController, clock: ManualClock) -> ServiceActivationTester:
    return ServiceActivationTester(controller, clock, criteria=SAC, profile=ActivationProfile(
        step_duration=timedelta(minutes=1), performance_duration=timedelta(minutes=15),
        sample_interval=timedelta(minutes=1), supplier_delay_ms=10.0, supplier_delay_variation_ms=1.0))


async def test_a_healthy_service_passes_with_its_measurements(tester: ServiceActivationTester,
                                                              ours: dict[str, str], clock: ManualClock) -> None:
    started = clock.now()
    report = await tester.run(service_id="svc-1", segments=segments(ours), cir_mbps=300)
    assert report.passed, report.summary
    assert (report.started_at, report.finished_at) == (started, started + timedelta(minutes=19))
    assert len(report.measurements) == 4 * 3 + 3 + 1  # ramp per segment, performance per segment, end to end
    step = report.measurement("core", CONFIGURATION, offered_mbps=75)
    assert (step.throughput_mbps, step.frame_loss_ratio) == (75, 0)
    access = report.measurement("access")
    assert (access.throughput_mbps, access.frame_delay_ms, access.delay_variation_ms) == (300, 7.0, 0.7)
    core = report.measurement("core")
    assert (core.frame_delay_ms, core.delay_variation_ms, core.availability) == (12.0, 1.0, 1.0)
    e2e = report.measurement(END_TO_END)
    assert (e2e.throughput_mbps, e2e.frame_delay_ms, e2e.frame_loss_ratio, e2e.availability) == (300, 29.0, 0, 1.0)
    assert e2e.delay_variation_ms == pytest.approx(2.7)
    names = {(c.scope, c.name) for c in report.checks}
    assert {("access", "delivered"), ("access", "operational"), ("core", "operational"),
            ("last-mile", "delivered"), (END_TO_END, "frameTransferDelay"),
            (END_TO_END, "frameDelayVariation"), (END_TO_END, "availability")} <= names
    assert report.summary == f"passed: {len(report.checks)} checks at CIR 300 Mb/s"


async def test_a_degraded_segment_fails_the_test(tester: ServiceActivationTester, ours: dict[str, str]) -> None:
    tester.degrade("core", capacity_factor=0.5)
    report = await tester.run(service_id="svc-1", segments=segments(ours), cir_mbps=300)
    assert not report.passed
    failed = {(c.scope, c.phase, c.name) for c in report.failures}
    assert failed == {("core", CONFIGURATION, "informationRate"), ("core", CONFIGURATION, "frameLossRatio"),
                      ("core", PERFORMANCE, "informationRate"), ("core", PERFORMANCE, "frameLossRatio"),
                      (END_TO_END, PERFORMANCE, "informationRate"), (END_TO_END, PERFORMANCE, "frameLossRatio")}
    assert report.measurement("core", CONFIGURATION, offered_mbps=150).throughput_mbps == 150  # up to half: fine
    assert report.measurement("core", CONFIGURATION, offered_mbps=225).throughput_mbps == 150
    e2e = report.measurement(END_TO_END)
    assert (e2e.throughput_mbps, e2e.frame_loss_ratio) == (150, 0.5)
    assert report.summary.startswith("failed: core informationRate: 150.0 Mb/s of 225 offered")
    tester.heal()
    assert (await tester.run(service_id="svc-1", segments=segments(ours), cir_mbps=300)).passed


async def test_extra_delay_breaks_the_end_to_end_budget(tester: ServiceActivationTester,
                                                        ours: dict[str, str]) -> None:
    tester.degrade("last-mile", capacity_factor=1.0, extra_delay_ms=15)
    report = await tester.run(service_id="svc-1", segments=segments(ours), cir_mbps=300)
    assert [(c.scope, c.name, c.measured, c.limit) for c in report.failures] == [
        (END_TO_END, "frameTransferDelay", 44.0, 40)]


async def test_a_flapping_segment_of_ours_fails_on_availability(tester: ServiceActivationTester,
                                                                controller: SimulatedNetworkController,
                                                                ours: dict[str, str]) -> None:
    # installed at the start of the test; flapping every 5 minutes: up 0-5, down 5-10, up 10-15, down 15-20.
    # The performance test samples minutes 4 to 18: up at 4 and 10..14, six samples of fifteen.
    await controller.inject_fault(ours["core"], FLAP, flap_period=timedelta(minutes=5))
    report = await tester.run(service_id="svc-1", segments=segments(ours), cir_mbps=300)
    core, e2e = report.measurement("core"), report.measurement(END_TO_END)
    assert (core.availability, e2e.availability) == (0.4, 0.4)
    assert core.throughput_mbps == pytest.approx(120)
    assert {(c.scope, c.name) for c in report.failures} == {
        ("core", "informationRate"), ("core", "frameLossRatio"), ("core", "availability"),
        (END_TO_END, "informationRate"), (END_TO_END, "frameLossRatio"), (END_TO_END, "availability")}


async def test_nothing_is_measured_until_every_segment_is_delivered_and_up(
        tester: ServiceActivationTester, controller: SimulatedNetworkController, ours: dict[str, str],
        clock: ManualClock) -> None:
    report = await tester.run(service_id="svc-1", segments=segments(ours, last_mile=SegmentState.IN_DELIVERY),
                              cir_mbps=300)
    assert not report.passed and report.measurements == ()
    assert report.finished_at == report.started_at == clock.now()
    assert [(c.scope, c.name, c.detail) for c in report.failures] == [
        ("last-mile", "delivered", "sup-b reports inDelivery"),
        (END_TO_END, "traffic", "not run: segment(s) last-mile not ready")]
    await controller.inject_fault(ours["access"], "down")
    down = await tester.run(service_id="svc-1", segments=segments(ours), cir_mbps=300)
    assert [(c.scope, c.name, c.measured) for c in down.failures][:1] == [
        ("access", "operational", "INSTALLED/DISABLED")]
    no_rate = await tester.run(service_id="svc-1", segments=segments(ours), cir_mbps=None)
    assert ("committedRate", False) in {(c.name, c.passed) for c in no_rate.checks}


@dataclass
class Seg:
    id: str
    provider_id: str
    own: bool
    state: SegmentState
    product_ref: ExternalRef | None = None
    external_ref: ExternalRef | None = None


@dataclass
class Composite:
    id: str
    bandwidth_mbps: int | None
    segments: list[Seg] = field(default_factory=list)


async def test_the_orchestrators_port_gets_the_report_as_json(tester: ServiceActivationTester,
                                                              ours: dict[str, str]) -> None:
    composite = Composite("co-1", 300, [
        Seg("s1", "self", True, SegmentState.DELIVERED, ExternalRef("self", ours["access"], "connectivityService")),
        Seg("s2", "self", True, SegmentState.DELIVERED, ExternalRef("self", ours["core"], "connectivityService")),
        Seg("s3", "sup-b", False, SegmentState.DELIVERED, external_ref=ExternalRef("sup-b", "PO-9")),
        Seg("s4", "sup-c", False, SegmentState.CANCELLED)])  # a cancelled alternative is not tested
    report = await tester.test(composite)
    assert report["passed"] is True
    assert report["serviceId"] == "co-1" and report["cirMbps"] == 300
    assert report["summary"].startswith("passed: ")
    assert {c["scope"] for c in report["checks"]} == {"s1", "s2", "s3", END_TO_END}
    tester.degrade("s2")
    assert (await tester.test(composite))["passed"] is False


async def test_a_line_fault_on_a_suppliers_product_fails_the_test_until_its_repair_clears_it(
        tester: ServiceActivationTester, ours: dict[str, str]) -> None:
    repaired = False

    async def supplier_repaired() -> bool:
        return repaired

    board = FaultBoard()
    board.inject("cut", [("sup-b", "B-PRODUCT-7")], loss_ratio=0.05, repaired=supplier_repaired)
    board.inject("elsewhere", [("sup-x", "X-1")], loss_ratio=0.5)  # on a path this service does not cross
    tester.board = board
    report = await tester.run(service_id="svc", segments=segments(ours), cir_mbps=300)
    assert not report.passed
    assert {c.scope for c in report.failures} == {"last-mile", END_TO_END}
    assert report.measurement("last-mile").frame_loss_ratio == pytest.approx(0.05)
    repaired = True  # the supplier's repair: the next test passes, and the fault stays cleared
    assert (await tester.run(service_id="svc", segments=segments(ours), cir_mbps=300)).passed
    assert board.faults["cut"].cleared
    repaired = False
    assert (await tester.run(service_id="svc", segments=segments(ours), cir_mbps=300)).passed


async def test_a_line_fault_no_repair_clears_lasts_until_cleared(tester: ServiceActivationTester,
                                                                 ours: dict[str, str]) -> None:
    board = FaultBoard()
    board.inject("cut", [("sup-b", "B-PRODUCT-7")], loss_ratio=0.05)
    tester.board = board
    assert not (await tester.run(service_id="svc", segments=segments(ours), cir_mbps=300)).passed
    board.clear("cut")
    assert (await tester.run(service_id="svc", segments=segments(ours), cir_mbps=300)).passed
