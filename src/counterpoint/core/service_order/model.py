"""A Legato (MEF service ordering v5) service order: states, transitions and the aggregate.

The order keeps its Legato-shaped document (`doc`: serviceOrderItem with action and service, externalId,
state) plus what our service orchestration decides with: the state and a plan of provisioning steps, each
due at a time and applied by a worker (see services.advance_service_order).

Where this departs from the v5 envelope, on purpose:
- `cancelled` is not in the v5 ServiceOrderStateType enum and v5 has no cancel operation. Our orchestrator
  must be able to withdraw a segment it no longer needs, so an order (and its item) can end `cancelled`
  after passing through `pending` while its network resources are torn down.
- `stateChange` (a log of states with dates and reasons, as MEF 123 keeps) is added at order and item level.
- each item carries `connectivityService`: the TAPI connectivity service that realises it (uuid, name,
  end points, capacity), since v5 no longer has supportingResource.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from counterpoint.core.shared.aggregate import Aggregate
from counterpoint.core.shared.errors import Conflict, NotFound
from counterpoint.core.shared.times import iso, parse_aware, state_change
from counterpoint.core.shared.transitions import check_transition

API = "serviceOrder"
CHANNEL = "legato"


class ServiceOrderState(StrEnum):
    """ServiceOrderStateType of Legato v5 (orders and items share it), plus `cancelled` (see module doc)."""

    ACKNOWLEDGED = "acknowledged"
    REJECTED = "rejected"
    PENDING = "pending"
    HELD = "held"
    IN_PROGRESS = "inProgress"
    COMPLETED = "completed"
    FAILED = "failed"
    PARTIAL = "partial"
    CANCELLED = "cancelled"


S = ServiceOrderState
ORDER_ALLOWED: dict[ServiceOrderState, frozenset[ServiceOrderState]] = {
    S.ACKNOWLEDGED: frozenset({S.IN_PROGRESS, S.REJECTED, S.CANCELLED}),
    S.IN_PROGRESS: frozenset({S.COMPLETED, S.FAILED, S.PARTIAL, S.HELD, S.PENDING}),
    S.HELD: frozenset({S.IN_PROGRESS, S.FAILED, S.PENDING}),
    S.PENDING: frozenset({S.CANCELLED, S.PARTIAL, S.FAILED}),  # mixed outcomes once the tear-down ends
}
# an item never ends `partial`: that is the order's word for a mix of item outcomes
ITEM_ALLOWED: dict[ServiceOrderState, frozenset[ServiceOrderState]] = {
    S.ACKNOWLEDGED: frozenset({S.IN_PROGRESS, S.REJECTED, S.CANCELLED}),
    S.IN_PROGRESS: frozenset({S.COMPLETED, S.FAILED, S.HELD, S.PENDING}),
    S.HELD: frozenset({S.IN_PROGRESS, S.FAILED, S.PENDING}),
    S.PENDING: frozenset({S.CANCELLED}),
}
TERMINAL = frozenset({S.COMPLETED, S.FAILED, S.PARTIAL, S.CANCELLED, S.REJECTED})
OPEN = frozenset(ServiceOrderState) - TERMINAL


class ServiceAction(StrEnum):
    ADD = "add"
    MODIFY = "modify"
    DELETE = "delete"


class ServiceState(StrEnum):
    """ServiceStateType of Legato v5: the life of the service an item acts on."""

    FEASIBILITY_CHECKED = "feasibilityChecked"
    DESIGNED = "designed"
    RESERVED = "reserved"
    INACTIVE = "inactive"
    ACTIVE = "active"
    TERMINATED = "terminated"


def derive_order_state(items: list[ServiceOrderState]) -> ServiceOrderState | None:
    """The order's end state once every item has ended; None while any item is still open."""
    if not items or any(s not in TERMINAL for s in items):
        return None
    kinds = set(items)
    if len(kinds) == 1:
        return items[0]
    if S.COMPLETED in kinds:
        return S.PARTIAL
    if S.FAILED in kinds:
        return S.FAILED
    if kinds <= {S.CANCELLED, S.REJECTED}:
        return S.CANCELLED
    return S.FAILED


@dataclass(frozen=True, slots=True)
class ServiceOrderPolicy:
    """How our service orchestration paces its work on the network controller."""

    poll_interval: timedelta = timedelta(minutes=5)  # between two reads of a connectivity service
    operational_timeout: timedelta = timedelta(days=2)  # created but not operational after this: the item fails
    retry_backoff: timedelta = timedelta(minutes=1)  # first wait after the controller was unavailable; doubles
    max_retry_backoff: timedelta = timedelta(hours=1)
    held_after: int = 3  # consecutive unavailable attempts before an order in progress is `held`
    max_steps_per_round: int = 20  # steps one advance may apply before it yields to the next order


@dataclass(slots=True, kw_only=True)
class Step:
    """One scheduled piece of work on one item (design, create, poll, remove, tear down...)."""

    at: datetime
    item_id: str
    kind: str
    detail: dict[str, Any] = field(default_factory=dict)
    attempts: int = 0  # consecutive times the controller was unavailable for this step

    def to_json(self) -> dict[str, Any]:
        return {"at": iso(self.at), "item": self.item_id, "kind": self.kind, "detail": self.detail,
                "attempts": self.attempts}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Step:
        at = parse_aware(raw["at"].replace("Z", "+00:00"))
        if at is None:
            raise ValueError(f"step time {raw['at']!r} is not an aware date-time")
        return cls(at=at, item_id=raw["item"], kind=raw["kind"], detail=raw.get("detail") or {},
                   attempts=int(raw.get("attempts") or 0))


@dataclass(slots=True, kw_only=True)
class ServiceOrder(Aggregate):
    state: ServiceOrderState
    doc: dict[str, Any]
    plan: list[Step] = field(default_factory=list)

    # --- reading ----------------------------------------------------------------------------------
    @property
    def items(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.doc["serviceOrderItem"]
        return items

    def item(self, item_id: str) -> dict[str, Any]:
        for item in self.items:
            if item["id"] == item_id:
                return item
        raise NotFound(f"service order item {item_id} not found in service order {self.id}")

    def item_state(self, item_id: str) -> ServiceOrderState:
        return ServiceOrderState(self.item(item_id)["state"])

    def action(self, item_id: str) -> ServiceAction:
        return ServiceAction(self.item(item_id)["action"])

    @property
    def external_id(self) -> str | None:
        return self.doc.get("externalId")

    @property
    def cancellation_requested(self) -> bool:
        return "cancellationReason" in self.doc

    @property
    def due_at(self) -> datetime | None:
        """When the worker next has something to do on this order (None once it has ended)."""
        if self.state in TERMINAL:
            return None
        return min((s.at for s in self.plan), default=None)

    @property
    def last_change(self) -> dict[str, Any]:
        change: dict[str, Any] = self.doc["stateChange"][-1]
        return change

    @property
    def last_change_at(self) -> datetime:
        at = parse_aware(str(self.last_change["changeDate"]).replace("Z", "+00:00"))
        return at if at is not None else self.updated_at

    def reason(self) -> str | None:
        """Why the order is where it is: the latest termination error or state change reason."""
        for item in self.items:
            for error in item.get("terminationError") or []:
                if error.get("value"):
                    return str(error["value"])
        for change in reversed(self.doc.get("stateChange") or []):
            if change.get("changeReason"):
                return str(change["changeReason"])
        return None

    def connectivity(self, item_id: str) -> dict[str, Any]:
        """The item's connectivity service record (empty until designed)."""
        record: dict[str, Any] = self.item(item_id).setdefault("connectivityService", {})
        return record

    # --- scheduling -------------------------------------------------------------------------------
    def schedule(self, step: Step) -> None:
        self.plan.append(step)
        self.plan.sort(key=lambda s: s.at)

    def take_due(self, now: datetime) -> Step | None:
        """Remove and return the first step due at `now`, if the order is still open."""
        if self.state in TERMINAL or not self.plan or self.plan[0].at > now:
            return None
        return self.plan.pop(0)

    # --- moving -----------------------------------------------------------------------------------
    def move_to(self, target: ServiceOrderState, *, at: datetime, reason: str | None = None) -> None:
        check_transition(ORDER_ALLOWED, f"service order {self.id}", self.state, target)
        self.state = target
        self.doc["state"] = target.value
        self.doc.setdefault("stateChange", []).append(state_change(target.value, at, reason))
        if target is S.IN_PROGRESS and "startDate" not in self.doc:
            self.doc["startDate"] = iso(at)
        if target in (S.COMPLETED, S.PARTIAL):
            self.doc["completionDate"] = iso(at)
        self.record("serviceOrderStateChangeEvent", API, at)

    def move_item(self, item_id: str, target: ServiceOrderState, *, at: datetime,
                  reason: str | None = None) -> None:
        item = self.item(item_id)
        check_transition(ITEM_ALLOWED, f"service order {self.id} item {item_id}",
                         ServiceOrderState(item["state"]), target)
        item["state"] = target.value
        item.setdefault("stateChange", []).append(state_change(target.value, at, reason))
        self.record("serviceOrderItemStateChangeEvent", API, at, item_id=item_id)

    def set_service_state(self, item_id: str, state: ServiceState) -> None:
        self.item(item_id)["service"]["state"] = state.value

    def start(self, item_id: str, *, at: datetime) -> None:
        """Work begins on an item (and on the order, if it had not begun)."""
        if self.state is S.ACKNOWLEDGED:
            self.move_to(S.IN_PROGRESS, at=at)
        if self.item_state(item_id) is S.ACKNOWLEDGED:
            self.move_item(item_id, S.IN_PROGRESS, at=at)

    def complete_item(self, item_id: str, *, at: datetime, service_state: ServiceState) -> None:
        self.resume(at=at)
        self.move_item(item_id, S.COMPLETED, at=at)
        self.set_service_state(item_id, service_state)
        self.plan = [s for s in self.plan if s.item_id != item_id]
        self.settle(at=at)

    def fail_item(self, item_id: str, reason: str, *, at: datetime, code: str = "otherIssue",
                  path: str | None = None) -> None:
        """An item ends in failure: its remaining steps are dropped and the reason is kept as MEF does."""
        self.resume(at=at)
        if self.item_state(item_id) is S.ACKNOWLEDGED:
            self.start(item_id, at=at)
        error: dict[str, Any] = {"code": code, "value": reason[:255]}
        if path:
            error["propertyPath"] = path
        self.item(item_id).setdefault("terminationError", []).append(error)
        self.move_item(item_id, S.FAILED, at=at, reason=reason)
        self.plan = [s for s in self.plan if s.item_id != item_id]
        self.settle(at=at, reason=reason)

    def reject(self, problems: list[tuple[str, str, str]], *, at: datetime) -> None:
        """The request cannot be acted on at all: every item and the order end `rejected`."""
        for code, reason, path in problems:
            item_id, _, rest = path.removeprefix("/serviceOrderItem/").partition("/")
            target = next((i for i in self.items if i["id"] == item_id), self.items[0])
            target.setdefault("terminationError", []).append(
                {"code": code, "value": reason[:255], "propertyPath": f"/{rest}" if rest else "/"})
        summary = "; ".join(reason for _, reason, _ in problems)
        for item in self.items:
            self.move_item(item["id"], S.REJECTED, at=at, reason=summary)
        self.plan.clear()
        self.move_to(S.REJECTED, at=at, reason=summary)

    def hold(self, reason: str, *, at: datetime) -> None:
        """Work cannot go on for a while (our controller is unavailable): open items and the order are held."""
        if self.state is not S.IN_PROGRESS:
            return
        for item in self.items:
            if ServiceOrderState(item["state"]) is S.IN_PROGRESS:
                self.move_item(item["id"], S.HELD, at=at, reason=reason)
        self.move_to(S.HELD, at=at, reason=reason)

    def resume(self, *, at: datetime) -> None:
        """Back in progress after a hold."""
        if self.state is not S.HELD:
            return
        for item in self.items:
            if ServiceOrderState(item["state"]) is S.HELD:
                self.move_item(item["id"], S.IN_PROGRESS, at=at, reason="resumed")
        self.move_to(S.IN_PROGRESS, at=at, reason="resumed")

    def settle(self, *, at: datetime, reason: str | None = None) -> None:
        """When every item has ended, the order ends in the state its items imply."""
        final = derive_order_state([ServiceOrderState(i["state"]) for i in self.items])
        if final is None or self.state in TERMINAL:
            return
        if final is S.CANCELLED:
            self.doc["cancellationDate"] = iso(at)
            reason = self.doc.get("cancellationReason")
        self.move_to(final, at=at, reason=reason if final in (S.FAILED, S.CANCELLED) else None)
        self.plan.clear()

    def request_cancellation(self, reason: str, *, at: datetime) -> bool:
        """Withdraw the order. Returns True when network resources must still be torn down.

        Before work began the order ends at once. An `add` in progress moves to `pending` and a tear-down
        step is scheduled; a `modify` or `delete` that may already have changed the network cannot be undone.
        """
        if self.cancellation_requested and self.state in (S.PENDING, S.CANCELLED):
            return self.state is S.PENDING  # asked twice: same answer
        if self.state in TERMINAL:
            raise Conflict(f"service order {self.id} is {self.state.value}: it can no longer be cancelled")
        if self.state is S.ACKNOWLEDGED:
            self.doc["cancellationReason"] = reason[:255]
            for item in self.items:
                self.move_item(item["id"], S.CANCELLED, at=at, reason=reason)
            self.plan.clear()
            self.doc["cancellationDate"] = iso(at)
            self.move_to(S.CANCELLED, at=at, reason=reason)
            return False
        changing = [i["id"] for i in self.items if i["action"] != ServiceAction.ADD.value
                    and ServiceOrderState(i["state"]) not in TERMINAL]
        if changing:
            raise Conflict(f"service order {self.id}: item {changing[0]} ({self.item(changing[0])['action']}) is "
                           "already changing the network and cannot be cancelled")
        self.doc["cancellationReason"] = reason[:255]
        for item in self.items:
            if ServiceOrderState(item["state"]) in (S.IN_PROGRESS, S.HELD):
                self.move_item(item["id"], S.PENDING, at=at, reason=f"cancelling: {reason}")
            elif ServiceOrderState(item["state"]) is S.ACKNOWLEDGED:  # not started: nothing to tear down
                self.move_item(item["id"], S.CANCELLED, at=at, reason=reason)
        self.move_to(S.PENDING, at=at, reason=f"cancelling: {reason}")
        self.plan = [Step(at=at, item_id=i["id"], kind="teardown") for i in self.items
                     if ServiceOrderState(i["state"]) is S.PENDING]
        if not self.plan:
            self.settle(at=at)
        return bool(self.plan)

    def cancel_item(self, item_id: str, *, at: datetime) -> None:
        """The tear-down of a cancelled item is done."""
        if self.item(item_id)["service"].get("state"):
            self.set_service_state(item_id, ServiceState.TERMINATED)
        self.move_item(item_id, S.CANCELLED, at=at, reason=self.doc.get("cancellationReason"))
        self.plan = [s for s in self.plan if s.item_id != item_id]
        self.settle(at=at)
