"""The service activation test run on our simulated network (the measuring half; verdicts are in the core).

Our segments are measured on the connectivity services the controller holds: their capacity bounds the
rate, their end points' configured delays give the frame delay, and their operational state is sampled
across the performance test (a flapping service loses the frames sent while it is down). A supplier's
delivered segment is taken at its committed rate with a nominal delay from the test profile: we cannot see
inside it, only across it.

A fault knob degrades a segment (less capacity, more delay, random loss) so that a test can be made to fail.
Test time is simulated: the report's window starts at `clock.now()` and lasts what the steps would take.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from counterpoint.core.orchestration import activation as rules
from counterpoint.core.orchestration.activation import (
    CONFIGURATION,
    END_TO_END,
    PERFORMANCE,
    AcceptanceCriteria,
    ActivationReport,
    CheckResult,
    Measurement,
    SegmentUnderTest,
)
from counterpoint.core.orchestration.supply import SegmentState
from counterpoint.core.shared.clock import Clock
from counterpoint.network.controller import SimulatedNetworkController


@dataclass(frozen=True, slots=True)
class Degradation:
    """What a degraded segment does to test traffic."""

    capacity_factor: float = 0.5  # share of its capacity still usable
    extra_delay_ms: float = 0.0
    loss_ratio: float = 0.0  # random loss on top of policing


@dataclass(slots=True)
class LineFault:
    """A fault on a line that several providers' tests cross: every (provider, product) whose path runs over it
    measures degraded until it is cleared, or until `repaired()` says the provider at fault repaired it."""

    id: str
    affects: frozenset[tuple[str, str]]  # (provider id, that provider's product or order id)
    degradation: Degradation
    repaired: Callable[[], Awaitable[bool]] | None = None  # None: only clear() ends it
    cleared: bool = False


@dataclass(slots=True)
class FaultBoard:
    """Faults injected on lines (tests and the demo): shared by the activation testers of the providers whose
    services cross them, so a fault in a last mile shows in its buyer's test and in its buyer's buyer's."""

    faults: dict[str, LineFault] = field(default_factory=dict)

    def inject(self, fault_id: str, affects: Sequence[tuple[str, str]], *, loss_ratio: float = 0.05,
               capacity_factor: float = 1.0, repaired: Callable[[], Awaitable[bool]] | None = None) -> LineFault:
        fault = LineFault(fault_id, frozenset(affects), Degradation(capacity_factor, 0.0, loss_ratio), repaired)
        self.faults[fault_id] = fault
        return fault

    def clear(self, fault_id: str) -> None:
        if fault_id in self.faults:
            self.faults[fault_id].cleared = True

    async def degradation(self, provider_id: str, ref: str | None) -> Degradation | None:
        """How the path over (provider, ref) is degraded now, if a live fault lies on it."""
        if ref is None:
            return None
        for fault in self.faults.values():
            if fault.cleared or (provider_id, ref) not in fault.affects:
                continue
            if fault.repaired is not None and await fault.repaired():
                fault.cleared = True
                continue
            return fault.degradation
        return None


@dataclass(frozen=True, slots=True)
class ActivationProfile:
    step_duration: timedelta = timedelta(minutes=1)  # each configuration-test step
    performance_duration: timedelta = timedelta(minutes=15)
    sample_interval: timedelta = timedelta(minutes=1)  # how often availability is sampled in the performance test
    supplier_delay_ms: float = 10.0  # a supplier's delivered segment, as seen across it
    supplier_delay_variation_ms: float = 1.0


@dataclass(frozen=True, slots=True)
class _Path:
    capacity_mbps: float
    delay_ms: float
    delay_variation_ms: float
    ours: bool
    ref: str | None


class ServiceActivationTester:
    """Runs activation tests; `test(composite)` serves the orchestrator, `run(...)` anyone with segments."""

    def __init__(self, controller: SimulatedNetworkController | None, clock: Clock, *,
                 profile: ActivationProfile | None = None, criteria: AcceptanceCriteria | None = None) -> None:
        self.controller = controller
        self.clock = clock
        self.profile = profile or ActivationProfile()
        self.criteria = criteria or AcceptanceCriteria()
        self.degradations: dict[str, Degradation] = {}
        self.board: FaultBoard | None = None  # line faults shared with other providers' testers
        self._line: dict[str, Degradation] = {}  # the board's faults on the segments of the test running

    # ---- fault knobs --------------------------------------------------------------------------------------
    def degrade(self, segment_id: str, *, capacity_factor: float = 0.5, extra_delay_ms: float = 0.0,
                loss_ratio: float = 0.0) -> None:
        """Make a segment carry less, later or lossier until healed."""
        self.degradations[segment_id] = Degradation(capacity_factor, extra_delay_ms, loss_ratio)

    def heal(self, segment_id: str | None = None) -> None:
        if segment_id is None:
            self.degradations.clear()
        else:
            self.degradations.pop(segment_id, None)

    # ---- the orchestrator's port ------------------------------------------------------------------------
    async def test(self, composite: Any) -> dict[str, Any]:
        """Test a composite order's live segments at its bandwidth; the report as JSON (passed, summary...)."""
        segments = []
        for seg in composite.segments:
            if seg.state is SegmentState.CANCELLED:
                continue
            theirs = seg.product_ref or seg.external_ref
            ref = (seg.product_ref.value if seg.product_ref else None) if seg.own else (theirs.value if theirs
                                                                                         else None)
            segments.append(SegmentUnderTest(segment_id=seg.id, provider_id=seg.provider_id, state=seg.state,
                                             ours=seg.own, ref=ref))
        report = await self.run(service_id=composite.id, segments=segments, cir_mbps=composite.bandwidth_mbps)
        return report.to_json()

    # ---- the test -----------------------------------------------------------------------------------------
    async def run(self, *, service_id: str, segments: Sequence[SegmentUnderTest], cir_mbps: int | None,
                  criteria: AcceptanceCriteria | None = None) -> ActivationReport:
        criteria = criteria or self.criteria
        started = self.clock.now()
        self._line = {}
        if self.board is not None:
            for seg in segments:
                if (found := await self.board.degradation(seg.provider_id, seg.ref)) is not None:
                    self._line[seg.segment_id] = found
        checks: list[CheckResult] = []
        measurements: list[Measurement] = []
        paths: dict[str, _Path] = {}
        for seg in segments:
            delivered = rules.check_delivered(seg)
            checks.append(delivered)
            path = await self._path(seg, cir_mbps, checks)
            if delivered.passed and path is not None:
                paths[seg.segment_id] = path
        no_rate = rules.check_committed_rate(cir_mbps)
        missing = [s.segment_id for s in segments if s.segment_id not in paths]
        if no_rate is not None or missing or not segments:
            if no_rate is not None:
                checks.append(no_rate)
            if missing or not segments:
                checks.append(CheckResult("traffic", END_TO_END, False, detail="not run: " + (
                    f"segment(s) {', '.join(missing)} not ready" if missing else "no segments")))
            return rules.verdict(service_id=service_id, cir_mbps=cir_mbps, checks=checks, measurements=measurements,
                                 started_at=started, finished_at=started, criteria=criteria)
        assert cir_mbps is not None
        at = started
        for share in criteria.ramp:  # configuration test, segment by segment
            for seg in segments:
                m = self._measure(seg.segment_id, paths[seg.segment_id], cir_mbps * share, CONFIGURATION, 1.0)
                measurements.append(m)
                checks.extend(rules.judge(m, criteria))
            at += self.profile.step_duration
        samples = self._instants(at)
        up = {seg.segment_id: [await self._up(paths[seg.segment_id], t) for t in samples] for seg in segments}
        parts = []
        for seg in segments:
            availability = sum(up[seg.segment_id]) / len(samples)
            m = self._measure(seg.segment_id, paths[seg.segment_id], float(cir_mbps), PERFORMANCE, availability)
            parts.append(m)
            measurements.append(m)
            checks.extend(rules.judge(m, criteria))
        together = sum(all(up[s.segment_id][k] for s in segments) for k in range(len(samples))) / len(samples)
        e2e = rules.compose(parts, availability=together)
        measurements.append(e2e)
        checks.extend(rules.judge(e2e, criteria))
        return rules.verdict(service_id=service_id, cir_mbps=cir_mbps, checks=checks, measurements=measurements,
                             started_at=started, finished_at=at + self.profile.performance_duration,
                             criteria=criteria)

    # ---- measuring ----------------------------------------------------------------------------------------
    async def _path(self, seg: SegmentUnderTest, cir_mbps: int | None, checks: list[CheckResult]) -> _Path | None:
        if not seg.ours:
            return _Path(capacity_mbps=float(cir_mbps or 0), delay_ms=self.profile.supplier_delay_ms,
                         delay_variation_ms=self.profile.supplier_delay_variation_ms, ours=False, ref=seg.ref)
        view = None
        if self.controller is not None and seg.ref:
            view = await self.controller.find_connectivity_service(seg.ref)
        checks.append(rules.check_operational(seg, view.lifecycle_state.value if view else None,
                                              view.operational_state.value if view else None))
        if view is None or not view.operational or self.controller is None:
            return None
        char = self.controller.path(view)
        return _Path(capacity_mbps=float(view.capacity_mbps), delay_ms=char.delay_ms,
                     delay_variation_ms=char.delay_variation_ms, ours=True, ref=view.uuid)

    def _instants(self, start: datetime) -> list[datetime]:
        step, end = self.profile.sample_interval, start + self.profile.performance_duration
        out, t = [], start
        while t < end:
            out.append(t)
            t += step
        return out or [start]

    async def _up(self, path: _Path, at: datetime) -> bool:
        if not path.ours or self.controller is None or path.ref is None:
            return True
        view = await self.controller.view_at(path.ref, at)
        return view is not None and view.operational

    def _measure(self, segment_id: str, path: _Path, offered: float, phase: str, availability: float) -> Measurement:
        """Test traffic at `offered` Mb/s across one segment: policed to its (degraded) capacity, then lossy."""
        fault = self.degradations.get(segment_id) or self._line.get(segment_id)
        capacity = path.capacity_mbps * (fault.capacity_factor if fault else 1.0)
        random_loss = fault.loss_ratio if fault else 0.0
        carried = min(offered, capacity) * (1 - random_loss) * availability
        loss = 1 - carried / offered if offered > 0 else 0.0
        return Measurement(
            scope=segment_id, phase=phase, offered_mbps=offered, throughput_mbps=carried,
            frame_delay_ms=path.delay_ms + (fault.extra_delay_ms if fault else 0.0),
            delay_variation_ms=path.delay_variation_ms, frame_loss_ratio=max(0.0, loss),
            availability=availability if phase == PERFORMANCE else None)
