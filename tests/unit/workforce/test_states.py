"""MEF 137 state machines as data: every allowed move, every forbidden one, and random walks through both."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from counterpoint.core.shared.errors import TransitionNotAllowed
from counterpoint.core.workforce.model import (
    APPOINTMENT_ALLOWED,
    APPOINTMENT_TERMINAL,
    WORK_ORDER_ALLOWED,
    WORK_ORDER_TERMINAL,
    Appointment,
    AppointmentStatus,
    WorkOrder,
    WorkOrderState,
)

AT = datetime(2026, 1, 5, 9, tzinfo=UTC)
W, A = WorkOrderState, AppointmentStatus


def work_order(state: WorkOrderState) -> WorkOrder:
    return WorkOrder(id="w", buyer_id="b", seller_id="s", channel="sonata", created_at=AT, updated_at=AT,
                     state=state, doc={"id": "w", "state": state.value, "appointmentRequired": False})


def appointment(status: AppointmentStatus) -> Appointment:
    return Appointment(id="a", buyer_id="b", seller_id="s", channel="sonata", created_at=AT, updated_at=AT,
                       status=status, doc={"id": "a", "status": status.value}, work_order_id="w", start=AT,
                       end=AT + timedelta(hours=2), technician=0)


def test_the_guides_diagrams() -> None:
    # the work order diagram (useCase14WorkOrderStates), plus planned -> open for R27/R48/R49
    assert WORK_ORDER_ALLOWED == {
        W.OPEN: {W.IN_PROGRESS, W.PLANNED, W.CANCELLED},
        W.PLANNED: {W.IN_PROGRESS, W.CANCELLED, W.OPEN},
        W.IN_PROGRESS: {W.COMPLETED, W.UNABLE_TO_COMPLETE},
    }
    assert WORK_ORDER_TERMINAL == {W.COMPLETED, W.UNABLE_TO_COMPLETE, W.CANCELLED}
    # the appointment diagram (appointmentStates): missed and failed only once it was in progress
    assert APPOINTMENT_ALLOWED == {A.CONFIRMED: {A.IN_PROGRESS, A.CANCELLED},
                                   A.IN_PROGRESS: {A.COMPLETED, A.MISSED, A.FAILED}}
    assert APPOINTMENT_TERMINAL == {A.COMPLETED, A.MISSED, A.FAILED, A.CANCELLED}


@pytest.mark.parametrize("source", list(W))
@pytest.mark.parametrize("target", list(W))
def test_each_work_order_move(source: WorkOrderState, target: WorkOrderState) -> None:
    wo = work_order(source)
    if target in WORK_ORDER_ALLOWED.get(source, frozenset()):
        wo.move_to(target, at=AT)
        assert (wo.state, wo.doc["state"]) == (target, target.value)
        assert [e.event_type for e in wo.events] == ["workOrderStateChangeEvent"]
    else:
        with pytest.raises(TransitionNotAllowed):
            wo.move_to(target, at=AT)
        assert wo.state is source and wo.events == []


@pytest.mark.parametrize("source", list(A))
@pytest.mark.parametrize("target", list(A))
def test_each_appointment_move(source: AppointmentStatus, target: AppointmentStatus) -> None:
    appt = appointment(source)
    if target in APPOINTMENT_ALLOWED.get(source, frozenset()):
        appt.move_to(target, at=AT)
        assert (appt.status, appt.doc["status"]) == (target, target.value)
        assert [e.event_type for e in appt.events] == ["appointmentStatusChangeEvent"]
    else:
        with pytest.raises(TransitionNotAllowed):
            appt.move_to(target, at=AT)
        assert appt.status is source and appt.events == []


@given(st.lists(st.sampled_from(list(W)), max_size=12))
def test_a_work_order_walk_ends_where_its_moves_allow(targets: list[WorkOrderState]) -> None:
    wo, state = work_order(W.OPEN), W.OPEN
    for target in targets:
        if target in WORK_ORDER_ALLOWED.get(state, frozenset()):
            wo.move_to(target, at=AT)
            state = target
        else:
            with pytest.raises(TransitionNotAllowed):
                wo.move_to(target, at=AT)
    assert wo.state is state
    if state in WORK_ORDER_TERMINAL:
        assert wo.due_at is None and not WORK_ORDER_ALLOWED.get(state)


def test_appointment_required_is_announced_once_per_change() -> None:
    wo = work_order(W.OPEN)
    wo.require_appointment(at=AT)
    wo.require_appointment(at=AT)  # already required: nothing new to tell
    assert [e.event_type for e in wo.events] == ["workOrderAppointmentRequiredEvent"]
    wo.plan_visit("a", AT, {"role": "technician", "name": "t", "emailAddress": "e", "number": "n"}, at=AT)
    assert wo.doc["appointmentRequired"] is False and wo.state is W.PLANNED
    wo.require_appointment(at=AT)
    assert [e.event_type for e in wo.events][-1] == "workOrderAppointmentRequiredEvent"
