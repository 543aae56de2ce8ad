"""MEF 87 product offering qualification: the POQ resource and the state machines of the POQ and its items.

The two machines follow the activity diagrams of the MEF 87 developer guide:

- an immediate answer creates the POQ directly in a final state (`done.ready` or `terminatedWithError`)
  and its items in `done.ready`, `terminatedWithError` or `done.abandoned`; nothing moves afterwards;
- a deferred answer creates everything `acknowledged`, moves to `inProgress` when the Seller starts, then
  to a final state: `done.ready`, `terminatedWithError` (an item lacked information; the other items are
  `done.abandoned`) or `done.unableToProvide` (the Buyer's deadline came first; items `done.abandoned`).

Every move is checked against ALLOWED and recorded: in the MEF `stateChange` log of the document and as a
DomainEvent (api "poq") for the Buyer's listeners.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from counterpoint.core.shared.aggregate import Aggregate
from counterpoint.core.shared.errors import TransitionNotAllowed
from counterpoint.core.shared.times import iso, state_change
from counterpoint.core.shared.transitions import check_transition

API = "poq"
CREATE_EVENT = "poqCreateEvent"
STATE_EVENT = "poqStateChangeEvent"
ITEM_EVENT = "poqItemStateChangeEvent"


class PoqState(StrEnum):
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "inProgress"
    DONE_READY = "done.ready"
    DONE_UNABLE_TO_PROVIDE = "done.unableToProvide"
    TERMINATED_WITH_ERROR = "terminatedWithError"


class PoqItemState(StrEnum):
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "inProgress"
    DONE_READY = "done.ready"
    DONE_ABANDONED = "done.abandoned"
    TERMINATED_WITH_ERROR = "terminatedWithError"


S, IS = PoqState, PoqItemState

POQ_ALLOWED: dict[PoqState, frozenset[PoqState]] = {
    S.ACKNOWLEDGED: frozenset({S.IN_PROGRESS}),
    S.IN_PROGRESS: frozenset({S.DONE_READY, S.DONE_UNABLE_TO_PROVIDE, S.TERMINATED_WITH_ERROR}),
}
ITEM_ALLOWED: dict[PoqItemState, frozenset[PoqItemState]] = {
    IS.ACKNOWLEDGED: frozenset({IS.IN_PROGRESS}),
    IS.IN_PROGRESS: frozenset({IS.DONE_READY, IS.TERMINATED_WITH_ERROR, IS.DONE_ABANDONED}),
}
# States a POQ (item) may be created in: acknowledged when deferred, a final state when answered at once.
POQ_INITIAL: frozenset[PoqState] = frozenset({S.ACKNOWLEDGED, S.DONE_READY, S.TERMINATED_WITH_ERROR})
ITEM_INITIAL: frozenset[PoqItemState] = frozenset(
    {IS.ACKNOWLEDGED, IS.DONE_READY, IS.TERMINATED_WITH_ERROR, IS.DONE_ABANDONED}
)
POQ_FINAL: frozenset[PoqState] = frozenset(s for s in PoqState if not POQ_ALLOWED.get(s))
ITEM_FINAL: frozenset[PoqItemState] = frozenset(s for s in PoqItemState if not ITEM_ALLOWED.get(s))
# Answer fields an item may carry only in done.ready (MEF 87 R30).
ANSWER_FIELDS = (
    "serviceabilityConfidence",
    "serviceabilityConfidenceReason",
    "installationInterval",
    "guaranteedUntilDate",
    "alternateProductOfferingProposal",
)


@dataclass(frozen=True, slots=True)
class PoqFilter:
    """listProductOfferingQualification criteria; every given criterion must hold."""

    state: str | None = None
    external_id: str | None = None
    project_id: str | None = None
    requested_completion_gt: datetime | None = None
    requested_completion_lt: datetime | None = None


@dataclass(slots=True, kw_only=True)
class Poq(Aggregate):
    """A POQ: the MEF document (`doc`) plus what the Seller decides on."""

    state: PoqState
    doc: dict[str, Any]
    instant: bool
    requested_completion_at: datetime | None = None  # the Buyer's requestedPOQCompletionDate
    answer_at: datetime | None = None  # when a deferred answer is ready
    due_at: datetime | None = None  # when the worker next has something to do; None once final
    warnings: list[dict[str, str]] = field(default_factory=list)  # lenient product payload violations

    # --- creation -----------------------------------------------------------------------------------------
    @classmethod
    def create(
        cls,
        *,
        id: str,
        buyer_id: str,
        seller_id: str,
        channel: str,
        at: datetime,
        doc: dict[str, Any],
        state: PoqState,
        item_states: dict[str, PoqItemState],
        instant: bool,
        requested_completion_at: datetime | None = None,
        answer_at: datetime | None = None,
        due_at: datetime | None = None,
        warnings: list[dict[str, str]] | None = None,
        item_reasons: dict[str, str] | None = None,
    ) -> Poq:
        if state not in POQ_INITIAL:
            raise TransitionNotAllowed(f"a POQ cannot start in {state.value}")
        bad = sorted(s.value for s in item_states.values() if s not in ITEM_INITIAL)
        if bad:
            raise TransitionNotAllowed(f"a POQ item cannot start in {', '.join(bad)}")
        doc = {**doc, "id": id, "state": state.value, "stateChange": [state_change(state.value, at, None)]}
        if state in POQ_FINAL:
            doc["effectiveQualificationDate"] = iso(at)
        for item in doc["productOfferingQualificationItem"]:
            item_state = item_states[item["id"]]
            item["state"] = item_state.value
            item["stateChange"] = [state_change(item_state.value, at, (item_reasons or {}).get(item["id"]))]
        poq = cls(
            id=id,
            buyer_id=buyer_id,
            seller_id=seller_id,
            channel=channel,
            created_at=at,
            updated_at=at,
            state=state,
            doc=doc,
            instant=instant,
            requested_completion_at=requested_completion_at,
            answer_at=answer_at,
            due_at=due_at,
            warnings=list(warnings or []),
        )
        poq.record(CREATE_EVENT, API, at)
        return poq

    # --- reading ------------------------------------------------------------------------------------------
    @property
    def items(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.doc["productOfferingQualificationItem"]
        return items

    def item(self, item_id: str) -> dict[str, Any]:
        for item in self.items:
            if item["id"] == item_id:
                return item
        raise KeyError(item_id)

    def item_state(self, item_id: str) -> PoqItemState:
        return PoqItemState(self.item(item_id)["state"])

    @property
    def is_final(self) -> bool:
        return self.state in POQ_FINAL

    def summary(self) -> dict[str, Any]:
        """The list view (MEF ProductOfferingQualification_Find); its requested date is a calendar date."""
        out: dict[str, Any] = {"id": self.id, "state": self.state.value}
        for key in ("externalId", "projectId"):
            if self.doc.get(key) is not None:
                out[key] = self.doc[key]
        requested = self.doc.get("requestedPOQCompletionDate")
        if isinstance(requested, str):
            out["requestedPOQCompletionDate"] = requested[:10]  # the date as the Buyer wrote it
        return out

    # --- moves --------------------------------------------------------------------------------------------
    def move_to(self, target: PoqState, *, at: datetime, reason: str | None = None) -> None:
        check_transition(POQ_ALLOWED, f"POQ {self.id}", self.state, target)
        self.state = target
        self.doc["state"] = target.value
        self.doc.setdefault("stateChange", []).append(state_change(target.value, at, reason))
        if target in POQ_FINAL:
            self.doc["effectiveQualificationDate"] = iso(at)
            self.due_at = None
        self.record(STATE_EVENT, API, at)

    def move_item(
        self, item_id: str, target: PoqItemState, *, at: datetime, reason: str | None = None
    ) -> None:
        item = self.item(item_id)
        check_transition(ITEM_ALLOWED, f"POQ {self.id} item {item_id}", PoqItemState(item["state"]), target)
        item["state"] = target.value
        item.setdefault("stateChange", []).append(state_change(target.value, at, reason))
        if target is not IS.DONE_READY:
            for key in ANSWER_FIELDS:
                item.pop(key, None)
        self.record(ITEM_EVENT, API, at, item_id=item_id)
