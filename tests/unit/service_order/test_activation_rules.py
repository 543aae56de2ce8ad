"""Verdict rules of the activation test (core/orchestration/activation.py): pure numbers in, checks out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from counterpoint.core.orchestration.activation import (
    CONFIGURATION,
    END_TO_END,
    PERFORMANCE,
    AcceptanceCriteria,
    Measurement,
    SegmentUnderTest,
    check_committed_rate,
    check_delivered,
    check_operational,
    compose,
    judge,
    verdict,
)
from counterpoint.core.orchestration.supply import SegmentState
from tests.unit.service_order.builders import T0

SAC = AcceptanceCriteria(ir_tolerance=0.01, max_frame_delay_ms=50, max_delay_variation_ms=5,
                         max_frame_loss_ratio=1e-4, min_availability=0.999)


def m(scope: str = "seg-a", phase: str = PERFORMANCE, offered: float = 1000, rate: float = 1000,
      delay: float = 10, fdv: float = 1, loss: float = 0.0, availability: float | None = 1.0) -> Measurement:
    return Measurement(scope=scope, phase=phase, offered_mbps=offered, throughput_mbps=rate, frame_delay_ms=delay,
                       delay_variation_ms=fdv, frame_loss_ratio=loss, availability=availability)


def by_name(checks: list) -> dict[str, bool]:  # type: ignore[type-arg]
    return {c.name: c.passed for c in checks}


def test_a_segment_is_tested_only_once_delivered() -> None:
    seg = SegmentUnderTest("seg-a", "sup-b", SegmentState.DELIVERED, ours=False)
    assert check_delivered(seg).passed
    late = check_delivered(SegmentUnderTest("seg-a", "sup-b", SegmentState.IN_DELIVERY, ours=False))
    assert (late.passed, late.measured, late.detail) == (False, "inDelivery", "sup-b reports inDelivery")


def test_ours_must_be_installed_and_enabled() -> None:
    seg = SegmentUnderTest("core", "self", SegmentState.DELIVERED, ours=True, ref="cs-1")
    assert check_operational(seg, "INSTALLED", "ENABLED").passed
    down = check_operational(seg, "INSTALLED", "DISABLED")
    assert (down.passed, down.measured) == (False, "INSTALLED/DISABLED")
    gone = check_operational(seg, None, None)
    assert (gone.passed, gone.detail) == (False, "connectivity service cs-1 is not in our network")


def test_a_service_without_a_rate_cannot_be_tested() -> None:
    assert check_committed_rate(100) is None
    assert check_committed_rate(None).passed is False  # type: ignore[union-attr]
    assert check_committed_rate(0).passed is False  # type: ignore[union-attr]


def test_segment_performance_checks_rate_loss_and_availability_but_not_the_path_delay_budget() -> None:
    checks = judge(m(delay=70), SAC)
    assert by_name(checks) == {"informationRate": True, "frameLossRatio": True, "availability": True}


def test_end_to_end_performance_checks_every_criterion() -> None:
    checks = judge(m(scope=END_TO_END, delay=49.9, fdv=5.0), SAC)
    assert by_name(checks) == {"informationRate": True, "frameLossRatio": True, "frameTransferDelay": True,
                               "frameDelayVariation": True, "availability": True}
    bad = judge(m(scope=END_TO_END, rate=980, delay=50.1, fdv=5.1, loss=2e-4, availability=0.99), SAC)
    assert by_name(bad) == {"informationRate": False, "frameLossRatio": False, "frameTransferDelay": False,
                            "frameDelayVariation": False, "availability": False}
    ir = next(c for c in bad if c.name == "informationRate")
    assert (ir.measured, ir.limit, ir.detail) == (980, 990, "980.0 Mb/s of 1000 offered")


def test_a_ramp_step_checks_rate_and_loss_only() -> None:
    checks = judge(m(phase=CONFIGURATION, offered=250, rate=247.5, availability=None), SAC)
    assert by_name(checks) == {"informationRate": True, "frameLossRatio": True}
    assert judge(m(phase=CONFIGURATION, offered=250, rate=247.4, availability=None), SAC)[0].passed is False


def test_a_segment_delay_budget_is_checked_when_set() -> None:
    sac = AcceptanceCriteria(segment_max_frame_delay_ms=20)
    assert by_name(judge(m(delay=21), sac))["frameTransferDelay"] is False


def test_segments_in_series_compose() -> None:
    e2e = compose([m(rate=1000, delay=6, fdv=0.4, loss=0.001), m(scope="seg-b", rate=500, delay=10, fdv=1,
                                                               loss=0.002)], availability=0.5)
    assert e2e.scope == END_TO_END
    assert e2e.throughput_mbps == 500
    assert e2e.frame_delay_ms == 16
    assert e2e.delay_variation_ms == pytest.approx(1.4)
    assert e2e.frame_loss_ratio == pytest.approx(1 - 0.999 * 0.998)
    assert e2e.availability == 0.5
    with pytest.raises(ValueError):
        compose([])


@given(st.lists(st.floats(min_value=0, max_value=0.5), min_size=1, max_size=5))
def test_compound_loss_is_never_below_the_worst_segment_nor_above_their_sum(losses: list[float]) -> None:
    e2e = compose([m(scope=f"s{i}", loss=loss) for i, loss in enumerate(losses)])
    assert max(losses) - 1e-12 <= e2e.frame_loss_ratio <= sum(losses) + 1e-12


def test_the_verdict_needs_checks_and_all_of_them() -> None:
    ok = judge(m(scope=END_TO_END), SAC)
    report = verdict(service_id="svc", cir_mbps=1000, checks=ok, measurements=[m()], started_at=T0,
                     finished_at=T0 + timedelta(minutes=19), criteria=SAC)
    assert report.passed and report.failures == []
    assert report.summary == "passed: 5 checks at CIR 1000 Mb/s"
    data = report.to_json()
    assert (data["passed"], data["startedAt"], data["finishedAt"]) == (True, "2026-01-05T09:00:00Z",
                                                                       "2026-01-05T09:19:00Z")
    assert data["measurements"][0]["throughput_mbps"] == 1000
    empty = verdict(service_id="svc", cir_mbps=1000, checks=[], measurements=[], started_at=T0, finished_at=T0,
                    criteria=SAC)
    assert empty.passed is False
    failed = verdict(service_id="svc", cir_mbps=1000, checks=judge(m(scope=END_TO_END, rate=500, loss=0.5), SAC),
                     measurements=[], started_at=T0, finished_at=T0, criteria=SAC)
    assert failed.passed is False
    assert failed.summary == ("failed: endToEnd informationRate: 500.0 Mb/s of 1000 offered; "
                              "endToEnd frameLossRatio: 5.00e-01 lost")
