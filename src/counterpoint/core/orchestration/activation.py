"""Verdict rules of the end-to-end service activation test, in the manner of ITU-T Y.1564.

Before a customer's service built from segments (ours and our suppliers') is declared active, every segment
must be delivered, each of ours must be operational in our network, and traffic at the committed rate must
cross each segment and the whole path within the service acceptance criteria:

- configuration test: for each segment, a ramp of the committed information rate (CIR) in steps; at each
  step the measured information rate must reach the offered rate (less a tolerance) and the frame loss
  ratio stay under its limit;
- performance test: for each segment and end to end, traffic at the CIR for a while; information rate,
  frame transfer delay, frame delay variation, frame loss ratio and availability against the criteria
  (delay limits are budgets for the whole path, so they are checked end to end, and per segment only when a
  segment budget is set).

This module only judges numbers it is given; `network/activation.py` measures them. Pure: no I/O, no clock.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from counterpoint.core.orchestration.supply import SegmentState
from counterpoint.core.shared.times import iso

END_TO_END = "endToEnd"
CONFIGURATION = "configuration"
PERFORMANCE = "performance"
READY = frozenset({SegmentState.DELIVERED, SegmentState.ACTIVE})


@dataclass(frozen=True, slots=True)
class AcceptanceCriteria:
    """Service acceptance criteria of one service."""

    ir_tolerance: float = 0.01  # the measured rate may fall short of the offered rate by this share
    max_frame_delay_ms: float = 80.0  # one way, end to end
    max_delay_variation_ms: float = 10.0  # end to end
    max_frame_loss_ratio: float = 1e-4
    min_availability: float = 1.0  # share of the performance test during which the path carried traffic
    segment_max_frame_delay_ms: float | None = None  # a per-segment delay budget, when the contract has one
    ramp: tuple[float, ...] = (0.25, 0.5, 0.75, 1.0)  # configuration test steps, as shares of the CIR


@dataclass(frozen=True, slots=True)
class SegmentUnderTest:
    """One segment of the service and the evidence we hold about it."""

    segment_id: str
    provider_id: str
    state: SegmentState
    ours: bool
    ref: str | None = None  # ours: the connectivity service uuid (or name); theirs: their product or order id


@dataclass(frozen=True, slots=True)
class Measurement:
    scope: str  # a segment id, or END_TO_END
    phase: str  # CONFIGURATION (one ramp step) or PERFORMANCE
    offered_mbps: float
    throughput_mbps: float
    frame_delay_ms: float
    delay_variation_ms: float
    frame_loss_ratio: float
    availability: float | None = None  # performance phase: share of samples with the path up


@dataclass(frozen=True, slots=True)
class CheckResult:
    name: str  # delivered | operational | committedRate | informationRate | frameTransferDelay | ...
    scope: str
    passed: bool
    measured: float | str | None = None
    limit: float | str | None = None
    detail: str = ""
    phase: str | None = None


@dataclass(frozen=True, slots=True)
class ActivationReport:
    service_id: str
    cir_mbps: int | None
    passed: bool
    checks: tuple[CheckResult, ...]
    measurements: tuple[Measurement, ...]
    started_at: datetime
    finished_at: datetime
    criteria: AcceptanceCriteria = field(default_factory=AcceptanceCriteria)

    @property
    def failures(self) -> list[CheckResult]:
        return [c for c in self.checks if not c.passed]

    def measurement(self, scope: str, phase: str = PERFORMANCE, offered_mbps: float | None = None) -> Measurement:
        for m in self.measurements:
            if m.scope == scope and m.phase == phase and (offered_mbps is None or m.offered_mbps == offered_mbps):
                return m
        raise KeyError(f"no {phase} measurement for {scope}")

    @property
    def summary(self) -> str:
        if self.passed:
            return f"passed: {len(self.checks)} checks at CIR {self.cir_mbps} Mb/s"
        first = self.failures[:3]
        more = len(self.failures) - len(first)
        text = "; ".join(f"{c.scope} {c.name}: {c.detail}" for c in first)
        return f"failed: {text}" + (f" (+{more} more)" if more else "")

    def to_json(self) -> dict[str, Any]:
        return {"serviceId": self.service_id, "cirMbps": self.cir_mbps, "passed": self.passed,
                "summary": self.summary, "startedAt": iso(self.started_at), "finishedAt": iso(self.finished_at),
                "checks": [asdict(c) for c in self.checks], "measurements": [asdict(m) for m in self.measurements]}


# ---- rules -------------------------------------------------------------------------------------------------


def check_delivered(segment: SegmentUnderTest) -> CheckResult:
    """A segment can be tested once its provider (we included) says it is delivered."""
    ok = segment.state in READY
    return CheckResult("delivered", segment.segment_id, ok, measured=segment.state.value,
                       limit="deliveredPendingAcceptance|active",
                       detail=f"{segment.provider_id} reports {segment.state.value}")


def check_operational(segment: SegmentUnderTest, lifecycle: str | None, operational: str | None) -> CheckResult:
    """One of our segments must be installed and enabled in our network."""
    if lifecycle is None:
        return CheckResult("operational", segment.segment_id, False, measured="absent", limit="INSTALLED/ENABLED",
                           detail=f"connectivity service {segment.ref or '(none recorded)'} is not in our network")
    ok = lifecycle == "INSTALLED" and operational == "ENABLED"
    return CheckResult("operational", segment.segment_id, ok, measured=f"{lifecycle}/{operational}",
                       limit="INSTALLED/ENABLED", detail=f"connectivity service {segment.ref} is {lifecycle}, "
                       f"operational-state {operational}")


def check_committed_rate(cir_mbps: int | None) -> CheckResult | None:
    """A test needs a rate to test against; None when there is one."""
    if cir_mbps is not None and cir_mbps > 0:
        return None
    return CheckResult("committedRate", END_TO_END, False, measured=cir_mbps, limit="> 0",
                       detail="the service has no committed information rate to test against")


def judge(m: Measurement, criteria: AcceptanceCriteria) -> list[CheckResult]:
    """The checks one measurement must pass."""
    checks: list[CheckResult] = []
    floor = m.offered_mbps * (1 - criteria.ir_tolerance)
    checks.append(CheckResult("informationRate", m.scope, m.throughput_mbps >= floor - 1e-9,
                              measured=round(m.throughput_mbps, 3), limit=round(floor, 3), phase=m.phase,
                              detail=f"{m.throughput_mbps:.1f} Mb/s of {m.offered_mbps:g} offered"))
    checks.append(CheckResult("frameLossRatio", m.scope, m.frame_loss_ratio <= criteria.max_frame_loss_ratio,
                              measured=m.frame_loss_ratio, limit=criteria.max_frame_loss_ratio, phase=m.phase,
                              detail=f"{m.frame_loss_ratio:.2e} lost"))
    delay_limit = criteria.max_frame_delay_ms if m.scope == END_TO_END else criteria.segment_max_frame_delay_ms
    if m.phase == PERFORMANCE and delay_limit is not None:
        checks.append(CheckResult("frameTransferDelay", m.scope, m.frame_delay_ms <= delay_limit,
                                  measured=round(m.frame_delay_ms, 3), limit=delay_limit, phase=m.phase,
                                  detail=f"{m.frame_delay_ms:.2f} ms one way"))
    if m.phase == PERFORMANCE and m.scope == END_TO_END:
        checks.append(CheckResult("frameDelayVariation", m.scope,
                                  m.delay_variation_ms <= criteria.max_delay_variation_ms,
                                  measured=round(m.delay_variation_ms, 3), limit=criteria.max_delay_variation_ms,
                                  phase=m.phase, detail=f"{m.delay_variation_ms:.2f} ms"))
    if m.phase == PERFORMANCE and m.availability is not None:
        checks.append(CheckResult("availability", m.scope, m.availability >= criteria.min_availability,
                                  measured=round(m.availability, 4), limit=criteria.min_availability, phase=m.phase,
                                  detail=f"up {m.availability:.1%} of the test"))
    return checks


def compose(parts: Sequence[Measurement], *, availability: float | None = None) -> Measurement:
    """End to end over segments in series: the narrowest rate, delays added, losses compounded.

    Delay variation is added too, an upper bound (variations of independent segments partly cancel).
    """
    if not parts:
        raise ValueError("an end-to-end measurement needs at least one segment")
    delivered = 1.0
    for p in parts:
        delivered *= 1 - p.frame_loss_ratio
    return Measurement(
        scope=END_TO_END, phase=parts[0].phase, offered_mbps=parts[0].offered_mbps,
        throughput_mbps=min(p.throughput_mbps for p in parts),
        frame_delay_ms=math.fsum(p.frame_delay_ms for p in parts),
        delay_variation_ms=math.fsum(p.delay_variation_ms for p in parts),
        frame_loss_ratio=1 - delivered, availability=availability)


def verdict(*, service_id: str, cir_mbps: int | None, checks: Sequence[CheckResult],
            measurements: Sequence[Measurement], started_at: datetime, finished_at: datetime,
            criteria: AcceptanceCriteria) -> ActivationReport:
    """Passed only if there was something to check and every check passed."""
    return ActivationReport(service_id=service_id, cir_mbps=cir_mbps, passed=bool(checks) and all(
        c.passed for c in checks), checks=tuple(checks), measurements=tuple(measurements), started_at=started_at,
        finished_at=finished_at, criteria=criteria)
