"""The POQ and POQ item state machines of MEF 87, as data and on the aggregate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from counterpoint.core.serviceability.model import (
    ITEM_ALLOWED,
    ITEM_FINAL,
    ITEM_INITIAL,
    POQ_ALLOWED,
    POQ_FINAL,
    POQ_INITIAL,
    Poq,
    PoqItemState,
    PoqState,
)
from counterpoint.core.shared.errors import TransitionNotAllowed
from counterpoint.core.shared.transitions import terminal_states

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
S, IS = PoqState, PoqItemState


def a_poq(
    state: PoqState = S.ACKNOWLEDGED, item_state: PoqItemState = IS.ACKNOWLEDGED, items: int = 2
) -> Poq:
    doc = {
        "productOfferingQualificationItem": [
            {"id": str(n), "action": "add", "product": {}} for n in range(1, items + 1)
        ]
    }
    return Poq.create(
        id="poq-1",
        buyer_id="buyer-a",
        seller_id="seller",
        channel="sonata",
        at=T0,
        doc=doc,
        state=state,
        item_states={str(n): item_state for n in range(1, items + 1)},
        instant=state is not S.ACKNOWLEDGED,
    )


def test_machines_match_the_guide() -> None:
    assert POQ_ALLOWED == {
        S.ACKNOWLEDGED: {S.IN_PROGRESS},
        S.IN_PROGRESS: {S.DONE_READY, S.DONE_UNABLE_TO_PROVIDE, S.TERMINATED_WITH_ERROR},
    }
    assert ITEM_ALLOWED == {
        IS.ACKNOWLEDGED: {IS.IN_PROGRESS},
        IS.IN_PROGRESS: {IS.DONE_READY, IS.TERMINATED_WITH_ERROR, IS.DONE_ABANDONED},
    }
    assert (
        POQ_FINAL
        == terminal_states(POQ_ALLOWED, PoqState)
        == {S.DONE_READY, S.DONE_UNABLE_TO_PROVIDE, S.TERMINATED_WITH_ERROR}
    )
    assert ITEM_FINAL == {IS.DONE_READY, IS.TERMINATED_WITH_ERROR, IS.DONE_ABANDONED}
    # an immediate answer starts final; done.unableToProvide only exists for deferred answers
    assert S.DONE_UNABLE_TO_PROVIDE not in POQ_INITIAL and S.IN_PROGRESS not in POQ_INITIAL
    assert IS.IN_PROGRESS not in ITEM_INITIAL


def test_every_state_is_reachable_from_an_initial_state() -> None:
    for allowed, initial, states in (
        (POQ_ALLOWED, POQ_INITIAL, PoqState),
        (ITEM_ALLOWED, ITEM_INITIAL, PoqItemState),
    ):
        seen, frontier = set(initial), list(initial)
        while frontier:
            for nxt in allowed.get(frontier.pop(), frozenset()):
                if nxt not in seen:
                    seen.add(nxt)
                    frontier.append(nxt)
        assert seen == set(states)


def test_creation_records_one_create_event_and_logs_the_first_state() -> None:
    poq = a_poq()
    assert [e.event_type for e in poq.events] == ["poqCreateEvent"]
    assert poq.doc["stateChange"] == [{"changeDate": "2026-01-05T09:00:00Z", "state": "acknowledged"}]
    assert "effectiveQualificationDate" not in poq.doc
    done = a_poq(S.DONE_READY, IS.DONE_READY)
    assert done.doc["effectiveQualificationDate"] == "2026-01-05T09:00:00Z"


@pytest.mark.parametrize(
    ("state", "item_state"),
    [
        (S.IN_PROGRESS, IS.ACKNOWLEDGED),
        (S.DONE_UNABLE_TO_PROVIDE, IS.DONE_ABANDONED),
        (S.ACKNOWLEDGED, IS.IN_PROGRESS),
    ],
)
def test_cannot_be_created_in_an_intermediate_state(state: PoqState, item_state: PoqItemState) -> None:
    with pytest.raises(TransitionNotAllowed):
        a_poq(state, item_state)


def test_deferred_path_logs_and_notifies_each_move() -> None:
    poq = a_poq()
    poq.events.clear()
    at = T0 + timedelta(hours=1)
    for item_id in ("1", "2"):
        poq.move_item(item_id, IS.IN_PROGRESS, at=at)
    poq.move_to(S.IN_PROGRESS, at=at)
    poq.move_item("1", IS.DONE_READY, at=at)
    poq.move_item("2", IS.TERMINATED_WITH_ERROR, at=at, reason="no such address")
    poq.move_to(S.TERMINATED_WITH_ERROR, at=at)
    assert [(e.event_type, e.item_id) for e in poq.events] == [
        ("poqItemStateChangeEvent", "1"),
        ("poqItemStateChangeEvent", "2"),
        ("poqStateChangeEvent", None),
        ("poqItemStateChangeEvent", "1"),
        ("poqItemStateChangeEvent", "2"),
        ("poqStateChangeEvent", None),
    ]
    assert [c["state"] for c in poq.doc["stateChange"]] == [
        "acknowledged",
        "inProgress",
        "terminatedWithError",
    ]
    assert poq.item("2")["stateChange"][-1] == {
        "changeDate": "2026-01-05T10:00:00Z",
        "state": "terminatedWithError",
        "changeReason": "no such address",
    }
    assert (
        poq.is_final
        and poq.due_at is None
        and poq.doc["effectiveQualificationDate"] == "2026-01-05T10:00:00Z"
    )


def test_leaving_done_ready_strips_nothing_but_other_final_states_drop_answer_fields() -> None:
    poq = a_poq(items=2)
    for item_id in ("1", "2"):
        poq.move_item(item_id, IS.IN_PROGRESS, at=T0)
        poq.item(item_id)["serviceabilityConfidence"] = "green"
    poq.move_item("1", IS.DONE_READY, at=T0)
    poq.move_item("2", IS.DONE_ABANDONED, at=T0)
    assert poq.item("1")["serviceabilityConfidence"] == "green"
    assert "serviceabilityConfidence" not in poq.item("2")


MOVES = st.lists(
    st.tuples(
        st.sampled_from(["poq", "item-1", "item-2"]),
        st.sampled_from([s.value for s in PoqItemState] + [s.value for s in PoqState]),
    ),
    max_size=25,
)


@settings(max_examples=300, deadline=None)
@given(start=st.sampled_from(sorted(POQ_INITIAL)), moves=MOVES)
def test_random_walks_stay_inside_the_machines(start: PoqState, moves: list[tuple[str, str]]) -> None:
    item_start = IS.ACKNOWLEDGED if start is S.ACKNOWLEDGED else IS.DONE_READY
    poq = a_poq(start, item_start)
    for who, target in moves:
        if who == "poq":
            if target not in PoqState._value2member_map_:
                continue
            before, wanted = poq.state, PoqState(target)
            events = len(poq.events)
            if wanted in POQ_ALLOWED.get(before, frozenset()):
                poq.move_to(wanted, at=T0)
                assert poq.state is wanted and poq.doc["state"] == wanted.value
                assert poq.events[-1].event_type == "poqStateChangeEvent"
            else:
                with pytest.raises(TransitionNotAllowed):
                    poq.move_to(wanted, at=T0)
                assert poq.state is before and len(poq.events) == events
                if before in POQ_FINAL:
                    assert poq.is_final  # terminal stays terminal
        else:
            item_id = who.removeprefix("item-")
            if target not in PoqItemState._value2member_map_:
                continue
            before_item, wanted_item = poq.item_state(item_id), PoqItemState(target)
            if wanted_item in ITEM_ALLOWED.get(before_item, frozenset()):
                poq.move_item(item_id, wanted_item, at=T0)
                assert poq.item_state(item_id) is wanted_item
                assert (poq.events[-1].event_type, poq.events[-1].item_id) == (
                    "poqItemStateChangeEvent",
                    item_id,
                )
            else:
                with pytest.raises(TransitionNotAllowed):
                    poq.move_item(item_id, wanted_item, at=T0)
                assert poq.item_state(item_id) is before_item
        assert poq.state in PoqState and all(poq.item_state(i) in PoqItemState for i in ("1", "2"))
        # the log always ends with the current state and only ever holds allowed steps
        log = [PoqState(c["state"]) for c in poq.doc["stateChange"]]
        assert log[0] in POQ_INITIAL and log[-1] is poq.state
        assert all(b in POQ_ALLOWED.get(a, frozenset()) for a, b in zip(log, log[1:], strict=False))
        for i in ("1", "2"):
            item_log = [PoqItemState(c["state"]) for c in poq.item(i)["stateChange"]]
            assert item_log[0] in ITEM_INITIAL and item_log[-1] is poq.item_state(i)
            assert all(
                b in ITEM_ALLOWED.get(a, frozenset()) for a, b in zip(item_log, item_log[1:], strict=False)
            )
