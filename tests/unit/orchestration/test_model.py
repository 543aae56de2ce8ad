"""The composite order and command state machines, and the idempotency key."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from counterpoint.core.orchestration.model import (
    ALLOWED,
    CommandState,
    CompositeOrder,
    CompositeState,
    OutboundCommand,
    Segment,
    idempotency_key,
)
from counterpoint.core.orchestration.supply import SegmentState
from counterpoint.core.shared.errors import TransitionNotAllowed

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def composite(state: CompositeState = CompositeState.ORDERING) -> CompositeOrder:
    return CompositeOrder(id="c1", buyer_id="b", seller_id="s", channel="sonata", created_at=T0, updated_at=T0,
                          order_id="o1", item_id="1", action="add", state=state)


def test_idempotency_key_is_deterministic_and_distinguishes_every_part() -> None:
    base = ("sup", "c1", "s1", "add", 1)
    assert idempotency_key(*base) == idempotency_key(*base)
    variants = {idempotency_key(*base[:i], "x" if isinstance(v, str) else 2, *base[i + 1:])
                for i, v in enumerate(base)}
    assert len(variants) == 5 and idempotency_key(*base) not in variants
    assert idempotency_key(*base).startswith("cp-") and len(idempotency_key(*base)) == 35


@given(st.lists(st.sampled_from(list(CompositeState)), max_size=20))
def test_composite_moves_only_along_the_table_and_writes_each_move_down(targets) -> None:  # type: ignore[no-untyped-def]
    c = composite()
    for target in targets:
        before, notes = c.state, len(c.timeline)
        if target is before:
            c.move_to(target, at=T0)
            assert len(c.timeline) == notes
        elif target in ALLOWED[before]:
            c.move_to(target, at=T0)
            assert c.state is target and c.timeline[-1]["to"] == target.value
        else:
            with pytest.raises(TransitionNotAllowed):
                c.move_to(target, at=T0)
            assert c.state is before and len(c.timeline) == notes


def test_terminal_composites_stay_terminal() -> None:
    assert ALLOWED[CompositeState.CANCELLED] == frozenset() and ALLOWED[CompositeState.FAILED] == frozenset()


def test_all_delivered_needs_every_live_segment_at_least_delivered() -> None:
    c = composite()
    c.segments = [Segment(id="a", name="a", provider_id="p", own=True, request={}, state=SegmentState.DELIVERED),
                  Segment(id="b", name="b", provider_id="q", own=False, request={}, state=SegmentState.IN_DELIVERY)]
    assert not c.all_delivered
    c.segments[1].state = SegmentState.ACTIVE
    assert c.all_delivered
    c.segments[1].state = SegmentState.FAILED
    assert not c.all_delivered


def test_segment_round_trips_through_json() -> None:
    from counterpoint.core.shared.ids import ExternalRef

    seg = Segment(id="a", name="core", provider_id="p", own=False, request={"x": 1}, state=SegmentState.AWAITING_BUYER,
                  version=2, our_ref="cp-1", external_ref=ExternalRef("p", "PO-1"),
                  product_ref=ExternalRef("p", "PR-1", "product"), state_as_of=T0, observed_at=T0,
                  raw_state="held", expected_completion=T0, required_action="acceptCharge", reason="why",
                  selection={"provider": "p"}, cost={"mrc": "1"})
    assert Segment.from_json(seg.to_json()) == seg


def test_a_settled_command_cannot_move_again() -> None:
    cmd = OutboundCommand(id="k", buyer_id="b", seller_id="s", channel="sonata", created_at=T0, updated_at=T0,
                          provider_id="p", composite_id="c1", segment_id="s1", action="placeOrder",
                          idempotency_key="cp-x", payload={})
    cmd.move_to(CommandState.IN_FLIGHT, at=T0)
    cmd.move_to(CommandState.SUCCEEDED, at=T0, note="ok")
    with pytest.raises(TransitionNotAllowed):
        cmd.move_to(CommandState.PENDING, at=T0)
    assert [h["to"] for h in cmd.history] == ["inFlight", "succeeded"]
