"""MEF 115 quote: the quote resource and the state machines of the quote and its items.

The machines follow the activity diagrams of the MEF 115 developer guide (firm and budgetary flows):

- an immediate answer creates the quote directly in a completion state (`approved.orderable`,
  `approved.orderableAlternate`, `answered` or `unableToProvide`);
- a deferred answer creates everything `acknowledged`; the Seller then either rejects it (an item failed the
  Seller's checks: that item `rejected`, the others `abandoned`) or starts work (`inProgress`), may publish a
  draft (`inProgress.draft`, firm quotes waiting for a site survey) and ends in a completion state, or in
  `unableToProvide` when the Buyer's requested completion date comes first;
- the Buyer may cancel a quote in progress (`cancelled`; unfinished items `abandoned`) and decline an
  orderable one (`declined`); an order that references it accepts it (`accepted`); an answer nobody took
  expires at the end of its validity (`expired`).

Every move is checked against the ALLOWED tables, logged in the MEF `stateChange` list and recorded as a
DomainEvent (api "quote"). The create response is the first notice, so creation records no event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from counterpoint.core.shared.aggregate import Aggregate
from counterpoint.core.shared.errors import TransitionNotAllowed
from counterpoint.core.shared.times import iso, state_change
from counterpoint.core.shared.transitions import check_transition, terminal_states

API = "quote"
STATE_EVENT = "quoteStateChangeEvent"
ITEM_EVENT = "quoteItemStateChangeEvent"
ITEMS = "quoteItem"


class QuoteState(StrEnum):
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "inProgress"
    IN_PROGRESS_DRAFT = "inProgress.draft"
    APPROVED_ORDERABLE = "approved.orderable"
    APPROVED_ORDERABLE_ALTERNATE = "approved.orderableAlternate"
    ANSWERED = "answered"
    UNABLE_TO_PROVIDE = "unableToProvide"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    DECLINED = "declined"
    ACCEPTED = "accepted"
    EXPIRED = "expired"


class QuoteItemState(StrEnum):
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "inProgress"
    IN_PROGRESS_DRAFT = "inProgress.draft"
    APPROVED_ORDERABLE = "approved.orderable"
    APPROVED_ORDERABLE_ALTERNATE = "approved.orderableAlternate"
    ANSWERED = "answered"
    UNABLE_TO_PROVIDE = "unableToProvide"
    REJECTED = "rejected"
    ABANDONED = "abandoned"


class QuoteLevel(StrEnum):
    """The Seller's quote level (MEFSellerQuoteLevel)."""

    BUDGETARY = "budgetary"
    FIRM = "firm"
    FIRM_SUBJECT_TO_FEASIBILITY_CHECK = "firmSubjectToFeasibilityCheck"


Q, QI = QuoteState, QuoteItemState

QUOTE_ALLOWED: dict[QuoteState, frozenset[QuoteState]] = {
    Q.ACKNOWLEDGED: frozenset({Q.IN_PROGRESS, Q.REJECTED}),
    Q.IN_PROGRESS: frozenset({Q.IN_PROGRESS_DRAFT, Q.APPROVED_ORDERABLE, Q.APPROVED_ORDERABLE_ALTERNATE,
                              Q.ANSWERED, Q.UNABLE_TO_PROVIDE, Q.CANCELLED}),
    Q.IN_PROGRESS_DRAFT: frozenset({Q.APPROVED_ORDERABLE, Q.APPROVED_ORDERABLE_ALTERNATE, Q.UNABLE_TO_PROVIDE,
                                    Q.CANCELLED}),
    Q.APPROVED_ORDERABLE: frozenset({Q.ACCEPTED, Q.DECLINED, Q.EXPIRED}),
    Q.APPROVED_ORDERABLE_ALTERNATE: frozenset({Q.ACCEPTED, Q.DECLINED, Q.EXPIRED}),
    Q.ANSWERED: frozenset({Q.EXPIRED}),
}
ITEM_ALLOWED: dict[QuoteItemState, frozenset[QuoteItemState]] = {
    QI.ACKNOWLEDGED: frozenset({QI.IN_PROGRESS, QI.REJECTED, QI.ABANDONED}),
    QI.IN_PROGRESS: frozenset({QI.IN_PROGRESS_DRAFT, QI.APPROVED_ORDERABLE, QI.APPROVED_ORDERABLE_ALTERNATE,
                               QI.ANSWERED, QI.UNABLE_TO_PROVIDE, QI.ABANDONED}),
    QI.IN_PROGRESS_DRAFT: frozenset({QI.APPROVED_ORDERABLE, QI.APPROVED_ORDERABLE_ALTERNATE,
                                     QI.UNABLE_TO_PROVIDE, QI.ABANDONED}),
}
# States a quote (item) may be created in: acknowledged when deferred, a completion state when immediate.
QUOTE_INITIAL = frozenset({Q.ACKNOWLEDGED, Q.APPROVED_ORDERABLE, Q.APPROVED_ORDERABLE_ALTERNATE, Q.ANSWERED,
                           Q.UNABLE_TO_PROVIDE})
ITEM_INITIAL = frozenset({QI.ACKNOWLEDGED, QI.APPROVED_ORDERABLE, QI.APPROVED_ORDERABLE_ALTERNATE, QI.ANSWERED,
                          QI.UNABLE_TO_PROVIDE})
QUOTE_FINAL = terminal_states(QUOTE_ALLOWED, QuoteState)
ITEM_FINAL = terminal_states(ITEM_ALLOWED, QuoteItemState)
# Completion states: the Seller has answered (MEF: effectiveQuoteCompletionDate is set from here on).
COMPLETED = frozenset({Q.APPROVED_ORDERABLE, Q.APPROVED_ORDERABLE_ALTERNATE, Q.ANSWERED, Q.UNABLE_TO_PROVIDE})
ORDERABLE = frozenset({Q.APPROVED_ORDERABLE, Q.APPROVED_ORDERABLE_ALTERNATE})
ITEM_ORDERABLE = frozenset({QI.APPROVED_ORDERABLE, QI.APPROVED_ORDERABLE_ALTERNATE})
# An answer that stays open until it is taken, declined or expires.
OPEN_ANSWERS = frozenset({Q.APPROVED_ORDERABLE, Q.APPROVED_ORDERABLE_ALTERNATE, Q.ANSWERED})
UNFINISHED_ITEMS = frozenset({QI.ACKNOWLEDGED, QI.IN_PROGRESS, QI.IN_PROGRESS_DRAFT})
# Answer fields an item carries only once priced (they are dropped if it ends otherwise).
PRICE_FIELDS = ("quoteItemPrice", "quoteItemInstallationInterval", "subjectToFeasibilityCheck")


@dataclass(frozen=True, slots=True)
class QuoteFilter:
    """listQuote criteria; every given criterion must hold."""

    state: str | None = None
    quote_level: str | None = None
    external_id: str | None = None
    project_id: str | None = None
    quote_date_gt: datetime | None = None
    quote_date_lt: datetime | None = None
    requested_completion_gt: datetime | None = None
    requested_completion_lt: datetime | None = None
    expected_completion_gt: datetime | None = None
    expected_completion_lt: datetime | None = None
    effective_completion_gt: datetime | None = None
    effective_completion_lt: datetime | None = None


@dataclass(slots=True, kw_only=True)
class Quote(Aggregate):
    """A quote: the MEF document (`doc`) plus the Seller's plan for it."""

    state: QuoteState
    doc: dict[str, Any]
    instant: bool
    requested_completion_at: datetime | None = None  # the Buyer's deadline (deferred quotes)
    expected_completion_at: datetime | None = None
    effective_completion_at: datetime | None = None
    answer_at: datetime | None = None  # when the Seller's prices are ready
    firm_at: datetime | None = None  # when a site survey makes a draft firm; None when no survey
    valid_until: datetime | None = None
    due_at: datetime | None = None  # next worker step; None once final
    warnings: list[dict[str, str]] = field(default_factory=list)  # lenient product payload violations

    @classmethod
    def create(cls, *, id: str, buyer_id: str, seller_id: str, channel: str, at: datetime, doc: dict[str, Any],
               state: QuoteState, item_states: dict[str, QuoteItemState], instant: bool,
               item_reasons: dict[str, str] | None = None, **plan: Any) -> Quote:
        if state not in QUOTE_INITIAL:
            raise TransitionNotAllowed(f"a quote cannot start in {state.value}")
        bad = sorted(s.value for s in item_states.values() if s not in ITEM_INITIAL)
        if bad:
            raise TransitionNotAllowed(f"a quote item cannot start in {', '.join(bad)}")
        doc = {**doc, "id": id, "quoteDate": iso(at), "state": state.value,
               "stateChange": [state_change(state.value, at, None)]}
        for item in doc[ITEMS]:
            item_state = item_states[item["id"]]
            item["state"] = item_state.value
        quote = cls(id=id, buyer_id=buyer_id, seller_id=seller_id, channel=channel, created_at=at, updated_at=at,
                    state=state, doc=doc, instant=instant, **plan)
        if state in COMPLETED:
            quote._completed(state, at)
        return quote

    # --- reading ------------------------------------------------------------------------------------------
    @property
    def items(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.doc[ITEMS]
        return items

    def item(self, item_id: str) -> dict[str, Any]:
        for item in self.items:
            if item["id"] == item_id:
                return item
        raise KeyError(item_id)

    def item_state(self, item_id: str) -> QuoteItemState:
        return QuoteItemState(self.item(item_id)["state"])

    @property
    def is_final(self) -> bool:
        return self.state in QUOTE_FINAL

    @property
    def level(self) -> str:
        return str(self.doc.get("quoteLevel") or "")

    def summary(self) -> dict[str, Any]:
        """The list view (MEF Quote_Find)."""
        out: dict[str, Any] = {"id": self.id, "state": self.state.value}
        for key in ("externalId", "projectId", "quoteDate", "quoteLevel", "requestedQuoteCompletionDate",
                    "expectedQuoteCompletionDate", "effectiveQuoteCompletionDate"):
            if self.doc.get(key) is not None:
                out[key] = self.doc[key]
        return out

    # --- moves --------------------------------------------------------------------------------------------
    def _completed(self, state: QuoteState, at: datetime) -> None:
        self.effective_completion_at = at
        self.doc["effectiveQuoteCompletionDate"] = iso(at)
        if state in OPEN_ANSWERS and self.valid_until is not None:
            self.doc["validFor"] = {"startDateTime": iso(at), "endDateTime": iso(self.valid_until)}
            self.due_at = self.valid_until  # the worker expires it then
        else:
            self.due_at = None

    def move_to(self, target: QuoteState, *, at: datetime, reason: str | None = None) -> None:
        check_transition(QUOTE_ALLOWED, f"quote {self.id}", self.state, target)
        self.state = target
        self.doc["state"] = target.value
        self.doc.setdefault("stateChange", []).append(state_change(target.value, at, reason))
        if target in COMPLETED:
            self._completed(target, at)
        elif target is Q.CANCELLED:
            self.effective_completion_at = at
            self.doc["effectiveQuoteCompletionDate"] = iso(at)
        if target in QUOTE_FINAL:
            self.due_at = None
        self.record(STATE_EVENT, API, at)

    def move_item(self, item_id: str, target: QuoteItemState, *, at: datetime, reason: str | None = None,
                  answer: dict[str, Any] | None = None) -> None:
        """Move one item; `answer` replaces its Seller fields (prices, term, interval, errors)."""
        item = self.item(item_id)
        check_transition(ITEM_ALLOWED, f"quote {self.id} item {item_id}", QuoteItemState(item["state"]), target)
        item["state"] = target.value
        if answer is not None:
            for key in (*PRICE_FIELDS, "terminationError"):
                item.pop(key, None)
            item.update(answer)
        if target in (QI.ABANDONED, QI.REJECTED):
            for key in PRICE_FIELDS:
                item.pop(key, None)
        self.record(ITEM_EVENT, API, at, item_id=item_id)
