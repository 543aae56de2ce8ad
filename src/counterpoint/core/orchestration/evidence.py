"""What a piece of supplier evidence may change about a segment.

Evidence arrives by several roads (answers to our commands, polls, callbacks, recovery) and in any order,
sometimes twice, sometimes late. The rules, in order:

1. a duplicate (same evidence id already applied) changes nothing;
2. stale evidence (seen longer ago than the provider's staleness window) does not drive decisions;
3. evidence older than what we hold (the supplier's own `as_of` time, when both have one) changes nothing;
4. a segment never moves backwards in RANK, with one exception: a cancellation the supplier refused
   sends a CANCELLING segment back to where delivery stands;
5. a state our mapping does not recognise is recorded, never acted on.

Every observation is kept in the evidence log with its verdict, applied or not, so the timeline shows why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from counterpoint.core.orchestration.model import Segment
from counterpoint.core.orchestration.supply import RANK, TERMINAL, Observation, SegmentState

_BACK_FROM_CANCELLING = frozenset({SegmentState.ACKNOWLEDGED, SegmentState.IN_DELIVERY,
                                   SegmentState.AWAITING_BUYER, SegmentState.DELIVERED})


@dataclass(frozen=True, slots=True)
class Verdict:
    applied: bool
    why: str


def judge(segment: Segment, obs: Observation, *, now: datetime, staleness: timedelta,
          seen: bool = False) -> Verdict:
    """Decide, without changing anything, whether `obs` may move `segment`."""
    if seen:
        return Verdict(False, "duplicate: this evidence was already applied")
    if now - obs.observed_at > staleness:
        return Verdict(False, f"stale: observed {int((now - obs.observed_at).total_seconds())} s ago")
    if obs.state is SegmentState.UNRECOGNISED:
        return Verdict(False, f"unrecognised supplier state {obs.raw_state!r}: recorded, not acted on")
    if segment.state_as_of is not None and obs.as_of is not None and obs.as_of < segment.state_as_of:
        return Verdict(False, "out of order: older than the state we hold")
    current = segment.state
    if current in TERMINAL and obs.state is not current:
        return Verdict(False, f"segment already {current.value}")
    if current is SegmentState.ACTIVE and obs.state is not SegmentState.ACTIVE:
        return Verdict(False, "segment already accepted as active")
    if current is SegmentState.CANCELLING and obs.state in _BACK_FROM_CANCELLING:
        return Verdict(True, "cancellation refused or withdrawn: delivery goes on")
    if RANK.get(obs.state, 0) < RANK.get(current, 0):
        return Verdict(False, f"would move back from {current.value} to {obs.state.value}")
    if obs.state is current and obs.expected_completion == segment.expected_completion \
            and obs.required_action == segment.required_action and obs.product_ref in (None, segment.product_ref):
        return Verdict(True, "confirms what we hold")
    return Verdict(True, "moves the segment on")


def apply(segment: Segment, obs: Observation) -> list[str]:
    """Take an observation the judge allowed; returns what changed, in words, for the timeline."""
    changes: list[str] = []
    if obs.state is not segment.state:
        changes.append(f"{segment.state.value} -> {obs.state.value}")
        segment.state = obs.state
    if obs.expected_completion is not None and obs.expected_completion != segment.expected_completion:
        changes.append("expected completion " + obs.expected_completion.isoformat())
        segment.expected_completion = obs.expected_completion
    if obs.required_action != segment.required_action:
        segment.required_action = obs.required_action
        if obs.required_action:
            changes.append(f"waits for us: {obs.required_action}")
    if obs.reason and obs.reason != segment.reason:
        segment.reason = obs.reason
    if obs.product_ref is not None and obs.product_ref != segment.product_ref:
        segment.product_ref = obs.product_ref
        changes.append(f"product {obs.product_ref.value}")
    if segment.external_ref is None:
        segment.external_ref = obs.ref
    segment.raw_state = obs.raw_state
    if obs.as_of is not None and (segment.state_as_of is None or obs.as_of > segment.state_as_of):
        segment.state_as_of = obs.as_of
    if segment.observed_at is None or obs.observed_at > segment.observed_at:
        segment.observed_at = obs.observed_at
    return changes


def fresh(segment: Segment, *, now: datetime, staleness: timedelta) -> bool:
    """Whether what we hold about a segment is recent enough to act on (e.g. to start the end-to-end test)."""
    return segment.observed_at is not None and now - segment.observed_at <= staleness
