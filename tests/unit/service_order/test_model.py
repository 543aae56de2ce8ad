"""The Legato service order: state tables, the document built from a segment request, cancellation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from counterpoint.core.service_order.model import (
    ITEM_ALLOWED,
    ORDER_ALLOWED,
    TERMINAL,
    ServiceOrder,
    ServiceOrderState,
    ServiceState,
    Step,
    derive_order_state,
)
from counterpoint.core.service_order.services import new_service_order
from counterpoint.core.shared.errors import Conflict, TransitionNotAllowed
from tests.unit.service_order.builders import JAKARTA, SINGAPORE, T0, a_request

S = ServiceOrderState


def an_order(**kwargs: object) -> ServiceOrder:
    return new_service_order(a_request(**kwargs), order_id="so-1", requester="orchestrator", sof="self", at=T0)  # type: ignore[arg-type]


def test_tables_follow_the_legato_states() -> None:
    legato = {"acknowledged", "rejected", "pending", "held", "inProgress", "completed", "failed", "partial"}
    assert {s.value for s in ServiceOrderState} == legato | {"cancelled"}
    assert TERMINAL == {S.COMPLETED, S.FAILED, S.PARTIAL, S.CANCELLED, S.REJECTED}
    for table in (ORDER_ALLOWED, ITEM_ALLOWED):
        assert not set(table) & TERMINAL  # nothing leaves an end state
    assert all(S.PARTIAL not in targets for targets in ITEM_ALLOWED.values())  # only an order is partial
    assert {s for s, to in ORDER_ALLOWED.items() if S.CANCELLED in to} == {S.ACKNOWLEDGED, S.PENDING}
    assert {s for s, to in ORDER_ALLOWED.items() if S.REJECTED in to} == {S.ACKNOWLEDGED}
    seen, frontier = {S.ACKNOWLEDGED}, [S.ACKNOWLEDGED]
    while frontier:
        for nxt in ORDER_ALLOWED.get(frontier.pop(), frozenset()):
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    assert seen == set(ServiceOrderState)


@pytest.mark.parametrize(("items", "expected"), [
    ([S.COMPLETED], S.COMPLETED), ([S.COMPLETED, S.COMPLETED], S.COMPLETED), ([S.COMPLETED, S.FAILED], S.PARTIAL),
    ([S.COMPLETED, S.CANCELLED], S.PARTIAL), ([S.FAILED, S.CANCELLED], S.FAILED), ([S.CANCELLED], S.CANCELLED),
    ([S.REJECTED, S.REJECTED], S.REJECTED), ([S.COMPLETED, S.IN_PROGRESS], None), ([], None),
])
def test_order_state_from_its_items(items: list[ServiceOrderState], expected: ServiceOrderState | None) -> None:
    assert derive_order_state(items) is expected


def test_a_segment_request_becomes_a_legato_shaped_order() -> None:
    order = an_order(places=(JAKARTA, SINGAPORE), bandwidth=300)
    doc = order.doc
    assert (doc["id"], doc["externalId"], doc["state"], doc["orderDate"]) == ("so-1", "seg-1", "acknowledged",
                                                                               "2026-01-05T09:00:00Z")
    assert doc["requestedStartDate"] == doc["requestedCompletionDate"] == "2026-01-05T09:00:00Z"
    assert doc["stateChange"] == [{"changeDate": "2026-01-05T09:00:00Z", "state": "acknowledged"}]
    assert doc["description"] == "segment access of order PO-1"
    [item] = doc["serviceOrderItem"]
    assert (item["id"], item["action"], item["state"]) == ("1", "add", "acknowledged")
    service = item["service"]
    assert service["externalId"] == "seg-1"
    assert service["serviceType"] == "own-ael"
    assert service["place"] == [JAKARTA, SINGAPORE]
    assert service["serviceConfiguration"] == {"cir": 200, "@type": "urn:mef:lso:spec:sonata:access-eline:v1.0.0:all"}
    assert item["connectivityService"] == {"capacityMbps": 300}
    assert [(s.kind, s.at) for s in order.plan] == [("design", T0)]
    assert order.due_at == T0
    assert [e.event_type for e in order.events] == ["serviceOrderCreateEvent"]
    assert (order.buyer_id, order.seller_id, order.channel) == ("orchestrator", "self", "legato")


def test_bandwidth_is_read_from_the_configuration_when_not_given() -> None:
    order = an_order(bandwidth=None, config={"uniEp": {"ingressBandwidthProfilePerEndPoint": {
        "cir": {"irValue": 1, "irUnits": "GBPS"}}}})
    assert order.items[0]["connectivityService"] == {"capacityMbps": 1000}
    assert order.state is S.ACKNOWLEDGED


@pytest.mark.parametrize(("kwargs", "code", "path", "reason"), [
    ({"places": (JAKARTA, SINGAPORE, JAKARTA)}, "invalidValue", "/service/place",
     "a segment joins at most two places; 3 given"),
    ({"bandwidth": None}, "missingProperty", "/service/serviceConfiguration",
     "the segment needs a committed bandwidth above zero (bandwidth_mbps or a CIR in the configuration)"),
    ({"action": "modify"}, "missingProperty", "/service/id", "a modify names the service it changes"),
    ({"action": "move"}, "invalidValue", "/action", "action 'move' is not add, modify or delete"),
])
def test_an_impossible_request_is_stored_rejected(kwargs: dict, code: str, path: str, reason: str) -> None:
    order = an_order(**kwargs)
    assert order.state is S.REJECTED
    item = order.items[0]
    assert item["state"] == "rejected"
    assert item["terminationError"] == [{"code": code, "value": reason, "propertyPath": path}]
    assert [c["state"] for c in order.doc["stateChange"]] == ["acknowledged", "rejected"]
    assert order.doc["stateChange"][-1]["changeReason"] == reason
    assert order.plan == [] and order.due_at is None
    assert order.reason() == reason


def test_a_delete_carries_no_configuration_and_names_the_service() -> None:
    order = an_order(action="delete", product="cs-9", bandwidth=None)
    service = order.items[0]["service"]
    assert "serviceConfiguration" not in service
    assert service["id"] == "cs-9"
    assert [s.kind for s in order.plan] == ["start"]


def test_cancelling_before_work_began_ends_the_order_at_once() -> None:
    order = an_order()
    assert order.request_cancellation("customer withdrew", at=T0 + timedelta(minutes=1)) is False
    assert order.state is S.CANCELLED and order.items[0]["state"] == "cancelled"
    assert order.doc["cancellationReason"] == "customer withdrew"
    assert order.doc["cancellationDate"] == "2026-01-05T09:01:00Z"
    assert order.plan == [] and order.due_at is None


def test_cancelling_an_add_in_progress_schedules_the_tear_down() -> None:
    order = an_order()
    order.plan.clear()
    order.start("1", at=T0)
    order.schedule(Step(at=T0 + timedelta(hours=1), item_id="1", kind="await"))
    at = T0 + timedelta(minutes=10)
    assert order.request_cancellation("not needed", at=at) is True
    assert order.state is S.PENDING and order.items[0]["state"] == "pending"
    assert [(s.kind, s.at) for s in order.plan] == [("teardown", at)]
    assert order.request_cancellation("again", at=at) is True  # asked twice: same answer, nothing moves
    assert order.doc["cancellationReason"] == "not needed"
    order.cancel_item("1", at=at)
    assert order.state is S.CANCELLED
    assert [c["state"] for c in order.doc["stateChange"]] == ["acknowledged", "inProgress", "pending", "cancelled"]


def test_an_ended_order_or_a_modify_under_way_cannot_be_cancelled() -> None:
    done = an_order()
    done.start("1", at=T0)
    done.complete_item("1", at=T0, service_state=ServiceState.ACTIVE)
    assert done.state is S.COMPLETED
    with pytest.raises(Conflict, match="completed: it can no longer be cancelled"):
        done.request_cancellation("late", at=T0)
    modify = an_order(action="modify", product="cs-1")
    modify.start("1", at=T0)
    with pytest.raises(Conflict, match="already changing the network"):
        modify.request_cancellation("oops", at=T0)
    assert modify.state is S.IN_PROGRESS


def test_hold_and_resume_move_order_and_item_together() -> None:
    order = an_order()
    order.start("1", at=T0)
    order.hold("controller unavailable", at=T0)
    assert (order.state, order.items[0]["state"]) == (S.HELD, "held")
    order.resume(at=T0)
    assert (order.state, order.items[0]["state"]) == (S.IN_PROGRESS, "inProgress")
    with pytest.raises(TransitionNotAllowed):
        order.move_to(S.ACKNOWLEDGED, at=T0)


def test_a_step_survives_its_json_form() -> None:
    step = Step(at=T0, item_id="1", kind="await", detail={"deadline": "2026-01-07T09:00:00Z"}, attempts=2)
    again = Step.from_json(step.to_json())
    assert (again.at, again.item_id, again.kind, again.detail, again.attempts) == (
        T0, "1", "await", {"deadline": "2026-01-07T09:00:00Z"}, 2)


OPS = st.sampled_from(["start", "hold", "resume", "complete", "fail", "cancel", "cancel_done"])


@settings(max_examples=300, deadline=None)
@given(st.lists(OPS, max_size=12))
def test_any_sequence_of_moves_keeps_the_order_consistent(ops: list[str]) -> None:
    order = an_order()
    at = T0
    for op in ops:
        at += timedelta(minutes=1)
        try:
            if op == "start":
                order.start("1", at=at)
            elif op == "hold":
                order.hold("controller down", at=at)
            elif op == "resume":
                order.resume(at=at)
            elif op == "complete":
                order.complete_item("1", at=at, service_state=ServiceState.ACTIVE)
            elif op == "fail":
                order.fail_item("1", "broken", at=at)
            elif op == "cancel":
                order.request_cancellation("withdrawn", at=at)
            elif op == "cancel_done" and order.state is S.PENDING:
                order.cancel_item("1", at=at)
        except (TransitionNotAllowed, Conflict):
            pass
        log = [S(c["state"]) for c in order.doc["stateChange"]]
        assert log[-1] is order.state and order.doc["state"] == order.state.value
        assert all(b in ORDER_ALLOWED[a] for a, b in zip(log, log[1:], strict=False))
        item_log = [S(c["state"]) for c in order.items[0]["stateChange"]]
        assert all(b in ITEM_ALLOWED[a] for a, b in zip(item_log, item_log[1:], strict=False))
        if order.state in TERMINAL:
            assert order.due_at is None and order.plan == []
            assert S(order.items[0]["state"]) in TERMINAL
            assert derive_order_state([S(order.items[0]["state"])]) is order.state
        else:
            assert S(order.items[0]["state"]) not in TERMINAL
