"""The MEF 123 order state machine without HTTP or a database: the aggregate and its rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from counterpoint.core.ordering.attributes import ITEM_REQUIRED, ORDER_REQUIRED, order_violations
from counterpoint.core.ordering.model import (
    ITEM_ALLOWED,
    ORDER_ALLOWED,
    ItemState,
    OrderState,
    ProductOrder,
    Step,
    derive_final_state,
)
from counterpoint.core.shared.errors import TransitionNotAllowed
from counterpoint.core.shared.times import iso

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
S, I = OrderState, ItemState  # noqa: E741
SELLER = {"role": "sellerContact", "name": "desk", "emailAddress": "d@x.invalid", "number": "1"}


def order(*item_ids: str) -> ProductOrder:
    items = [{"id": i, "action": "add", "state": "acknowledged", "relatedContactInformation": [SELLER],
              "stateChange": [{"state": "acknowledged", "changeDate": iso(T0)}],
              "expectedCompletionDate": iso(T0 + timedelta(days=20))} for i in item_ids or ("1",)]
    doc = {"id": "o1", "orderDate": iso(T0), "state": "acknowledged", "relatedContactInformation": [SELLER],
           "stateChange": [{"state": "acknowledged", "changeDate": iso(T0)}], "productOrderItem": items}
    return ProductOrder(id="o1", buyer_id="b", seller_id="s", channel="sonata", created_at=T0, updated_at=T0,
                        state=S.ACKNOWLEDGED, doc=doc)


def started(*item_ids: str) -> ProductOrder:
    o = order(*item_ids)
    o.move_to(S.IN_PROGRESS, at=T0)
    for item in o.items:
        o.move_item(item["id"], I.IN_PROGRESS, at=T0)
    return o


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def test_transition_tables_follow_figures_13_and_14() -> None:
    assert ORDER_ALLOWED[S.ACKNOWLEDGED] == {S.IN_PROGRESS, S.REJECTED}
    assert ORDER_ALLOWED[S.PENDING_CANCELLATION] == {S.CANCELLED}
    assert ITEM_ALLOWED[I.PENDING] == {I.IN_PROGRESS, I.FAILED, I.CANCELLED}
    o = order()
    with pytest.raises(TransitionNotAllowed):
        o.move_to(S.ASSESSING_CANCELLATION, at=T0)  # why Table 13 rejects cancelling an acknowledged order


def test_the_attribute_tables_cover_every_state() -> None:
    assert set(ORDER_REQUIRED) == set(OrderState) and set(ITEM_REQUIRED) == set(ItemState)


@pytest.mark.parametrize("final", [S.COMPLETED, S.FAILED, S.PARTIAL])
def test_every_final_order_carries_its_completion_date(final: OrderState) -> None:
    o = started("1", "2")
    states = {S.COMPLETED: (I.COMPLETED, I.COMPLETED), S.FAILED: (I.FAILED, I.FAILED),
              S.PARTIAL: (I.COMPLETED, I.FAILED)}[final]
    for n, state in enumerate(states, start=1):
        if state is I.FAILED:
            o.fail_item(str(n), "broken", at=at(n))
        else:
            o.move_item(str(n), I.COMPLETED, at=at(n))
            o.settle_if_done(at=at(n))
    assert o.state is final and o.doc["completionDate"] == iso(at(2))
    assert order_violations(o.doc) == []


def test_failing_an_item_is_one_call_with_its_error() -> None:
    o = started("1", "2")
    o.plan = [Step(at=at(5), item_id="1", kind="complete"), Step(at=at(6), item_id="2", kind="complete")]
    o.fail_item("1", "fibre cut", at=at(1))
    item = o.item("1")
    assert item["terminationError"] == [{"code": "otherIssue", "value": "fibre cut"}]
    assert item["expectedCompletionDate"] == iso(T0 + timedelta(days=20))  # Table 11 keeps the promise
    assert "completionDate" not in item  # R29
    assert [s.item_id for s in o.plan] == ["2"] and o.state is S.IN_PROGRESS


def test_rejection_rejects_the_wanting_items_and_validates_the_others() -> None:
    o = order("1", "2", "3")
    o.reject({"2": "no port"}, at=at(1))
    assert [i["state"] for i in o.items] == ["rejected.validated", "rejected", "rejected.validated"]
    assert o.state is S.REJECTED and o.doc["completionDate"] == iso(at(1))
    assert o.doc["stateChange"][-1]["changeReason"] == "no port"
    assert order_violations(o.doc) == []


def test_an_order_being_cancelled_ends_cancelled_whatever_its_items_did() -> None:
    o = started("1", "2", "3")
    o.move_item("1", I.COMPLETED, at=at(1))
    o.move_to(S.PENDING_CANCELLATION, at=at(2))
    o.move_item("2", I.PENDING, at=at(2))
    o.move_item("2", I.CANCELLED, at=at(2))
    o.move_item("3", I.PENDING, at=at(2))
    o.fail_item("3", "provider could not stop the build", at=at(3))  # ends the order: not failed, nor partial
    assert o.state is S.CANCELLED
    assert o.doc["cancellationDate"] == o.doc["completionDate"] == iso(at(3))


def test_a_held_order_goes_back_to_progress_before_it_ends() -> None:
    o = started("1")
    o.move_item("1", I.HELD, at=at(1))
    o.move_to(S.HELD_ASSESSING_CHARGE, at=at(1))
    o.fail_item("1", "charge declined", at=at(2))
    assert [c["state"] for c in o.doc["stateChange"]] == ["acknowledged", "inProgress", "held.assessingCharge",
                                                         "inProgress", "failed"]


def test_a_held_item_pauses_only_itself() -> None:
    o = started("1", "2")
    o.plan = [Step(at=at(2), item_id="1", kind="milestone"), Step(at=at(3), item_id="2", kind="milestone")]
    o.move_item("1", I.HELD, at=at(1))
    o.move_to(S.HELD_ASSESSING_CHARGE, at=at(1))
    assert o.due_at == at(3)
    assert o.next_due_step(at(2.5)) is None
    step = o.next_due_step(at(4))
    assert step is not None and step.item_id == "2" and [s.item_id for s in o.plan] == ["1"]
    assert o.held_since("1") == at(1) and o.held_since("2") is None


def test_an_order_waiting_for_an_assessment_runs_nothing() -> None:
    o = started("1")
    o.plan = [Step(at=at(1), item_id="1", kind="milestone")]
    o.move_to(S.ASSESSING_CANCELLATION, at=T0)
    assert o.due_at is None and o.next_due_step(at(5)) is None


@pytest.mark.parametrize(("items", "final"), [
    ([I.COMPLETED, I.COMPLETED], S.COMPLETED), ([I.COMPLETED, I.FAILED], S.PARTIAL),
    ([I.FAILED, I.FAILED], S.FAILED), ([I.CANCELLED], S.CANCELLED), ([I.COMPLETED, I.IN_PROGRESS], None)])
def test_final_state_from_items(items: list[ItemState], final: OrderState | None) -> None:
    assert derive_final_state(items) is final


def test_violations_name_what_is_missing_or_forbidden() -> None:
    o = started("1")
    o.doc["state"] = "completed"
    o.item("1")["state"] = "failed"
    o.item("1")["completionDate"] = iso(T0)
    assert order_violations(o.doc) == [
        "/completionDate: required in completed",
        "/productOrderItem/0/terminationError: required in failed",
        "/productOrderItem/0/completionDate: not allowed in failed"]
    del o.item("1")["expectedCompletionDate"]
    assert "/productOrderItem/0/expectedCompletionDate: required in failed" in order_violations(o.doc)


@pytest.mark.parametrize("assessing", [S.ASSESSING_CANCELLATION, S.PENDING_ASSESSING_MODIFICATION])
def test_an_item_ending_during_an_assessment_leaves_the_decision_to_it(assessing: OrderState) -> None:
    o = started("1")
    o.move_to(assessing, at=at(1))
    o.move_item("1", I.COMPLETED, at=at(2))  # e.g. the orchestrator saw the last segment delivered
    o.settle_if_done(at=at(2))
    assert o.state is assessing and "completionDate" not in o.doc
    o.move_to(S.IN_PROGRESS, at=at(3), reason="request refused")
    o.settle_if_done(at=at(3))
    assert o.state is S.COMPLETED
