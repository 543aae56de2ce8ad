"""The evidence rules: what a supplier's observation may change about a segment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from counterpoint.core.orchestration import evidence
from counterpoint.core.orchestration.model import Segment
from counterpoint.core.orchestration.supply import RANK, Observation, SegmentState, Source
from counterpoint.core.shared.ids import ExternalRef

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=5)
REF = ExternalRef("sup", "PO-1")


def seg(state: SegmentState = SegmentState.ACKNOWLEDGED, as_of: datetime | None = None) -> Segment:
    return Segment(id="s1", name="last-mile", provider_id="sup", own=False, request={}, state=state,
                   state_as_of=as_of)


def obs(state: SegmentState, *, as_of: datetime | None = None, at: datetime = T0, **kw) -> Observation:  # type: ignore[no-untyped-def]
    return Observation(state=state, raw_state=kw.pop("raw", state.value), ref=REF, source=Source.POLL,
                       observed_at=at, as_of=as_of, **kw)


def test_forward_evidence_moves_the_segment_and_keeps_dates() -> None:
    s = seg()
    o = obs(SegmentState.IN_DELIVERY, as_of=T0, expected_completion=T0 + timedelta(days=9))
    assert evidence.judge(s, o, now=T0, staleness=WINDOW).applied
    changes = evidence.apply(s, o)
    assert s.state is SegmentState.IN_DELIVERY and s.expected_completion == T0 + timedelta(days=9)
    assert s.state_as_of == T0 and s.external_ref == REF and s.observed_at == T0
    assert changes[0] == "acknowledged -> inDelivery"


def test_duplicate_stale_unrecognised_and_older_evidence_change_nothing() -> None:
    s = seg(SegmentState.IN_DELIVERY, as_of=T0)
    cases = {
        "duplicate": evidence.judge(s, obs(SegmentState.DELIVERED), now=T0, staleness=WINDOW, seen=True),
        "stale": evidence.judge(s, obs(SegmentState.DELIVERED, at=T0 - timedelta(minutes=6)), now=T0,
                                staleness=WINDOW),
        "unrecognised": evidence.judge(s, obs(SegmentState.UNRECOGNISED, raw="weird"), now=T0, staleness=WINDOW),
        "out of order": evidence.judge(s, obs(SegmentState.DELIVERED, as_of=T0 - timedelta(seconds=1)), now=T0,
                                       staleness=WINDOW),
        "would move back": evidence.judge(s, obs(SegmentState.ACKNOWLEDGED, as_of=T0 + timedelta(seconds=1)),
                                          now=T0, staleness=WINDOW),
    }
    for why, verdict in cases.items():
        assert not verdict.applied and verdict.why.startswith(why), (why, verdict)


def test_refused_cancellation_brings_the_segment_back_to_delivery() -> None:
    s = seg(SegmentState.CANCELLING)
    assert evidence.judge(s, obs(SegmentState.IN_DELIVERY), now=T0, staleness=WINDOW).applied


def test_terminal_and_accepted_segments_stay_put() -> None:
    assert not evidence.judge(seg(SegmentState.CANCELLED), obs(SegmentState.FAILED), now=T0,
                              staleness=WINDOW).applied
    assert not evidence.judge(seg(SegmentState.ACTIVE), obs(SegmentState.DELIVERED), now=T0,
                              staleness=WINDOW).applied


def test_freshness() -> None:
    s = seg()
    assert not evidence.fresh(s, now=T0, staleness=WINDOW)  # never seen
    s.observed_at = T0 - timedelta(minutes=4)
    assert evidence.fresh(s, now=T0, staleness=WINDOW)
    assert not evidence.fresh(s, now=T0 + timedelta(minutes=2), staleness=WINDOW)


MOVES = [s for s in SegmentState if s not in (SegmentState.PLANNED, SegmentState.CANCELLING)]


@given(st.lists(st.tuples(st.sampled_from(MOVES), st.integers(0, 50), st.booleans()), max_size=30))
def test_any_stream_of_evidence_never_moves_a_segment_backwards(stream) -> None:  # type: ignore[no-untyped-def]
    """Whatever order evidence arrives in, applied or not, the rank only grows and terminal states hold."""
    s = seg(SegmentState.REQUESTED)
    for state, minute, with_time in stream:
        before = s.state
        o = obs(state, as_of=T0 + timedelta(minutes=minute) if with_time else None)
        if evidence.judge(s, o, now=T0, staleness=WINDOW).applied:
            evidence.apply(s, o)
        assert RANK[s.state] >= RANK[before]
        if before in (SegmentState.FAILED, SegmentState.REJECTED, SegmentState.CANCELLED, SegmentState.ACTIVE):
            assert s.state is before
