"""MEF 123 product order: states, transitions and the order aggregate.

The order keeps its MEF document (`doc`, a plain dict the core builds and updates) plus what the Seller
decides with: the state, a fulfilment plan (scheduled steps per item) and the next due time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from counterpoint.core.shared.aggregate import Aggregate
from counterpoint.core.shared.errors import NotFound
from counterpoint.core.shared.ids import new_id
from counterpoint.core.shared.times import iso
from counterpoint.core.shared.transitions import check_transition

API = "productOrder"

# MEF 123 Table 11 rather than R27/R47 (the guide contradicts itself; see core/ordering/attributes.py): a
# failed or cancelled item keeps the expectedCompletionDate it had when it ended.
ENDED_ITEMS_KEEP_EXPECTED_DATE = True


class OrderState(StrEnum):
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "inProgress"
    HELD_ASSESSING_CHARGE = "held.assessingCharge"
    PENDING_ASSESSING_MODIFICATION = "pending.assessingModification"
    ASSESSING_CANCELLATION = "assessingCancellation"
    PENDING_CANCELLATION = "pendingCancellation"
    PARTIAL = "partial"
    COMPLETED = "completed"
    FAILED = "failed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


S = OrderState
ORDER_ALLOWED: dict[OrderState, frozenset[OrderState]] = {
    S.ACKNOWLEDGED: frozenset({S.IN_PROGRESS, S.REJECTED}),
    S.IN_PROGRESS: frozenset({S.PENDING_ASSESSING_MODIFICATION, S.COMPLETED, S.FAILED, S.PARTIAL,
                              S.HELD_ASSESSING_CHARGE, S.ASSESSING_CANCELLATION, S.PENDING_CANCELLATION}),
    S.PENDING_ASSESSING_MODIFICATION: frozenset({S.IN_PROGRESS}),
    S.HELD_ASSESSING_CHARGE: frozenset({S.IN_PROGRESS}),
    S.ASSESSING_CANCELLATION: frozenset({S.IN_PROGRESS, S.PENDING_CANCELLATION}),
    S.PENDING_CANCELLATION: frozenset({S.CANCELLED}),
}
ORDER_TERMINAL = frozenset({S.COMPLETED, S.FAILED, S.PARTIAL, S.CANCELLED, S.REJECTED})
# While an order is in one of these states its whole timeline waits (for an assessment). A charge holds
# only the item it is about: the order's other items go on (see ITEM_PAUSED).
ORDER_WAITING = frozenset({S.ASSESSING_CANCELLATION, S.PENDING_CANCELLATION, S.PENDING_ASSESSING_MODIFICATION})


# A Buyer's request is being assessed: the order can only go back to progress (or on to cancelling) from here.
ORDER_ASSESSING = frozenset({S.ASSESSING_CANCELLATION, S.PENDING_ASSESSING_MODIFICATION})


class ItemState(StrEnum):
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "inProgress"
    HELD = "held"
    PENDING = "pending"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    REJECTED = "rejected"
    REJECTED_VALIDATED = "rejected.validated"
    REJECTED_UNASSESSED = "rejected.unassessed"


I = ItemState  # noqa: E741 (short alias keeps the transition table readable)
ITEM_ALLOWED: dict[ItemState, frozenset[ItemState]] = {
    I.ACKNOWLEDGED: frozenset({I.IN_PROGRESS, I.REJECTED, I.REJECTED_VALIDATED, I.REJECTED_UNASSESSED}),
    I.IN_PROGRESS: frozenset({I.COMPLETED, I.FAILED, I.HELD, I.PENDING}),
    I.HELD: frozenset({I.IN_PROGRESS, I.FAILED}),
    I.PENDING: frozenset({I.IN_PROGRESS, I.FAILED, I.CANCELLED}),
}
ITEM_TERMINAL = frozenset({I.COMPLETED, I.FAILED, I.CANCELLED, I.REJECTED, I.REJECTED_VALIDATED,
                           I.REJECTED_UNASSESSED})
# An item in one of these states has its own timeline stopped until the Buyer or an assessment answers.
ITEM_PAUSED = frozenset({I.HELD, I.PENDING})


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("z", "Z").replace("Z", "+00:00"))


def derive_final_state(items: list[ItemState]) -> OrderState | None:
    """The order's end state once every item has ended; None while any item is still open."""
    if not items or any(s not in ITEM_TERMINAL for s in items):
        return None
    if all(s is I.CANCELLED for s in items):
        return S.CANCELLED
    if all(s is I.COMPLETED for s in items):
        return S.COMPLETED
    if any(s is I.COMPLETED for s in items):
        return S.PARTIAL
    return S.FAILED


@dataclass(slots=True, kw_only=True)
class Step:
    """One scheduled move of the fulfilment engine."""

    at: datetime
    item_id: str
    kind: str  # start | milestone | slip | hold | fail | complete
    detail: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"at": iso(self.at), "item": self.item_id, "kind": self.kind, "detail": self.detail}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Step:
        at = parse_time(raw["at"])
        assert at is not None
        return cls(at=at, item_id=raw["item"], kind=raw["kind"], detail=raw.get("detail") or {})


@dataclass(slots=True, kw_only=True)
class ProductOrder(Aggregate):
    state: OrderState
    doc: dict[str, Any]
    plan: list[Step] = field(default_factory=list)
    resume_state: OrderState | None = None  # where a rejected cancellation/modification returns to
    idempotency_key: str | None = None  # the buyer's Idempotency-Key: a replayed create returns this order
    request_hash: str | None = None  # what the key was used for (request_hash() of the create body)

    # --- reading ----------------------------------------------------------------------------------
    @property
    def items(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.doc["productOrderItem"]
        return items

    def item(self, item_id: str) -> dict[str, Any]:
        for item in self.items:
            if item["id"] == item_id:
                return item
        raise NotFound(f"order item {item_id} not found in order {self.id}")

    def item_state(self, item_id: str) -> ItemState:
        return ItemState(self.item(item_id)["state"])

    def paused(self, item_id: str) -> bool:
        return self.item_state(item_id) in ITEM_PAUSED

    def runnable_steps(self) -> list[Step]:
        """The plan's steps that may run when due: none while the order waits, none of a paused item."""
        if self.state in ORDER_WAITING or self.state in ORDER_TERMINAL:
            return []
        return [s for s in self.plan if not self.paused(s.item_id)]

    @property
    def due_at(self) -> datetime | None:
        """When the fulfilment engine next has work on this order (None while it waits or is done)."""
        return min((s.at for s in self.runnable_steps()), default=None)

    def next_due_step(self, now: datetime) -> Step | None:
        """The earliest runnable step due by `now` (taken off the plan), or None."""
        due = [s for s in self.runnable_steps() if s.at <= now]
        if not due:
            return None
        step = min(due, key=lambda s: s.at)
        self.plan.remove(step)
        return step

    def held_since(self, item_id: str) -> datetime | None:
        """When the item last moved to held, read from its own history (each item is held on its own)."""
        for change in reversed(self.item(item_id).get("stateChange") or []):
            if change.get("state") == I.HELD.value:
                return parse_time(change.get("changeDate"))
        return None

    # --- moving -----------------------------------------------------------------------------------
    def move_to(self, target: OrderState, *, at: datetime, reason: str | None = None) -> None:
        check_transition(ORDER_ALLOWED, f"order {self.id}", self.state, target)
        self.state = target
        self.doc["state"] = target.value
        change: dict[str, Any] = {"state": target.value, "changeDate": iso(at)}
        if reason:
            change["changeReason"] = reason[:255]
        self.doc.setdefault("stateChange", []).append(change)
        if target in ORDER_TERMINAL:  # Table 10: every final state carries the date the order ended
            self.doc["completionDate"] = iso(at)
            self.plan.clear()
        if target is S.CANCELLED:
            self.doc["cancellationDate"] = iso(at)
        self.record("productOrderStateChangeEvent", API, at)

    def move_item(self, item_id: str, target: ItemState, *, at: datetime, reason: str | None = None) -> None:
        item = self.item(item_id)
        check_transition(ITEM_ALLOWED, f"order {self.id} item {item_id}", ItemState(item["state"]), target)
        item["state"] = target.value
        change: dict[str, Any] = {"state": target.value, "changeDate": iso(at)}
        if reason:
            change["changeReason"] = reason[:255]
        item.setdefault("stateChange", []).append(change)
        if target is I.COMPLETED:
            item["completionDate"] = iso(at)
        elif target in ITEM_TERMINAL and not ENDED_ITEMS_KEEP_EXPECTED_DATE:  # R27/R47 instead of Table 11
            item.pop("expectedCompletionDate", None)
        self.record("productOrderItemStateChangeEvent", API, at, item_id=item_id)

    def fail_item(self, item_id: str, reason: str, *, at: datetime, code: str = "otherIssue") -> None:
        """The item cannot be delivered: it fails with the reason as its terminationError (Table 11), its
        remaining steps are dropped, and the order ends if this was its last open item."""
        self.move_item(item_id, I.FAILED, at=at, reason=reason)
        self.item(item_id)["terminationError"] = [{"code": code, "value": reason[:255]}]
        self.plan = [s for s in self.plan if s.item_id != item_id]
        self.settle_if_done(at=at)

    def reject(self, reasons: dict[str, str], *, at: datetime) -> None:
        """Validation found problems with some items: they are rejected, the other items are rejected as
        validated, and the order is rejected (all while it is still acknowledged)."""
        for item in self.items:
            if ItemState(item["state"]) is not I.ACKNOWLEDGED:
                continue
            if item["id"] in reasons:
                reason = reasons[item["id"]]
                self.move_item(item["id"], I.REJECTED, at=at, reason=reason)
                item["terminationError"] = [{"code": "otherIssue", "value": reason[:255]}]
            else:
                self.move_item(item["id"], I.REJECTED_VALIDATED, at=at, reason="order rejected for another item")
        self.move_to(S.REJECTED, at=at, reason="; ".join(dict.fromkeys(reasons.values())))

    def reach_milestone(self, item_id: str, name: str, *, at: datetime, note: str | None = None) -> None:
        milestone: dict[str, Any] = {"name": name, "date": iso(at)}
        if note:
            milestone["note"] = note
        self.item(item_id).setdefault("milestone", []).append(milestone)
        self.record("productSpecificProductOrderItemMilestoneEvent", API, at, item_id=item_id, milestone=name)

    def set_expected_completion(self, item_id: str, when: datetime, *, at: datetime,
                                reason: str = "the Seller's plan changed") -> None:
        """Promise a new date; a revised date comes with a note saying so and why (R50)."""
        item = self.item(item_id)
        before, after = item.get("expectedCompletionDate"), iso(when)
        item["expectedCompletionDate"] = after
        if before and before != after:
            item.setdefault("note", []).append({
                "id": new_id(), "author": self.seller_id, "date": iso(at), "source": "seller",
                "text": f"expected completion revised from {before} to {after}: {reason}"[:2000]})
        self.record("productOrderItemExpectedCompletionDateSet", API, at, item_id=item_id)

    def settle_if_done(self, *, at: datetime) -> None:
        """When every item has ended, the order ends in the state its items imply.

        An order being cancelled can only end cancelled (its items that completed before stay completed);
        an order held for a charge first returns to inProgress (Table 8)."""
        final = derive_final_state([ItemState(i["state"]) for i in self.items])
        if final is None or self.state in ORDER_TERMINAL or self.state in ORDER_ASSESSING:
            return  # an open assessment settles the order when it is decided
        if self.state is S.PENDING_CANCELLATION:
            final = S.CANCELLED
        elif self.state is S.HELD_ASSESSING_CHARGE:
            self.move_to(S.IN_PROGRESS, at=at, reason="charge settled")
        self.move_to(final, at=at)

    def add_note(self, text: str, *, at: datetime, note_id: str, author: str, source: str = "seller") -> None:
        self.doc.setdefault("note", []).append(
            {"id": note_id, "author": author, "date": iso(at), "source": source, "text": text[:2000]})


class TaskState(StrEnum):
    """MEFChargeableTaskStateType: the life of a cancellation or delivery-date request."""

    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS_ASSESSING_CHARGE = "inProgress.assessingCharge"
    DONE = "done"
    DONE_DECLINED = "done.declined"
    REJECTED = "rejected"


TASK_ALLOWED: dict[TaskState, frozenset[TaskState]] = {
    TaskState.ACKNOWLEDGED: frozenset({TaskState.DONE, TaskState.REJECTED, TaskState.IN_PROGRESS_ASSESSING_CHARGE}),
    TaskState.IN_PROGRESS_ASSESSING_CHARGE: frozenset({TaskState.DONE, TaskState.DONE_DECLINED}),
}


@dataclass(slots=True, kw_only=True)
class OrderTask(Aggregate):
    """A cancelProductOrder or modifyProductOrderItemRequestedDeliveryDate request."""

    kind: str  # "cancel" | "modifyDate"
    order_id: str
    state: TaskState
    doc: dict[str, Any]
    due_at: datetime | None = None

    @property
    def event_type(self) -> str:
        return ("cancelProductOrderStateChangeEvent" if self.kind == "cancel"
                else "modifyProductOrderItemRequestedDeliveryDateStateChangeEvent")

    def move_to(self, target: TaskState, *, at: datetime) -> None:
        check_transition(TASK_ALLOWED, f"{self.kind} request {self.id}", self.state, target)
        self.state = target
        self.doc["state"] = target.value
        self.due_at = None
        self.record(self.event_type, API, at)


class ChargeState(StrEnum):
    AWAITING_RESPONSE = "awaitingResponse"
    COMPLETED = "completed"
    TIMEOUT = "timeout"
    WITHDRAWN_BY_SELLER = "withdrawnBySeller"


CHARGE_ALLOWED: dict[ChargeState, frozenset[ChargeState]] = {
    ChargeState.AWAITING_RESPONSE: frozenset({ChargeState.COMPLETED, ChargeState.TIMEOUT,
                                              ChargeState.WITHDRAWN_BY_SELLER}),
}


@dataclass(slots=True, kw_only=True)
class Charge(Aggregate):
    order_id: str
    item_id: str | None
    state: ChargeState
    doc: dict[str, Any]
    due_at: datetime | None = None  # the buyer's response deadline while awaiting a response

    def move_to(self, target: ChargeState, *, at: datetime, event: str = "chargeStateChangeEvent") -> None:
        check_transition(CHARGE_ALLOWED, f"charge {self.id}", self.state, target)
        self.state = target
        self.doc["state"] = target.value
        self.due_at = None
        self.record(event, API, at)
