"""MEF 123 R62: what a Seller's answer carries in each state of an order and of an order item.

Tables 10 and 11 of the developer guide, as data. Only the attributes the Seller must provide ("R") or
must leave out are listed; echoed Buyer attributes and optional ("PR", "O") ones are not checked here.

The guide disagrees with itself on one cell: Table 11 (which R62 makes binding) requires
`expectedCompletionDate` on `failed` and `cancelled` items, while R27 (MEF 57.2 R36) and R47 (MEF 57.2 R42)
say it must not be given for them. We follow the table: R62 is the requirement that names the whole answer,
a Buyer reconciling an ended item still sees what had been promised, and dropping the date loses evidence
(when a delivery was expected at the time it failed feeds SLA attribution). `model.ENDED_ITEMS_KEEP_EXPECTED_DATE`
is the one switch; set it False to follow R27/R47 instead.
"""

from __future__ import annotations

from typing import Any

from counterpoint.core.ordering.model import ENDED_ITEMS_KEEP_EXPECTED_DATE, ItemState, OrderState

S, I = OrderState, ItemState  # noqa: E741

_ALWAYS_ORDER = frozenset({"id", "orderDate", "state", "relatedContactInformation"})

# Table 10. pending.assessingModification has no column: it requires what every state requires.
ORDER_REQUIRED: dict[OrderState, frozenset[str]] = {
    state: _ALWAYS_ORDER | extra for state, extra in {
        S.ACKNOWLEDGED: frozenset(),
        S.ASSESSING_CANCELLATION: frozenset(),
        S.HELD_ASSESSING_CHARGE: frozenset(),
        S.PENDING_ASSESSING_MODIFICATION: frozenset(),
        S.CANCELLED: frozenset({"cancellationReason", "cancellationDate", "completionDate"}),
        S.PENDING_CANCELLATION: frozenset(),
        S.COMPLETED: frozenset({"completionDate"}),
        S.FAILED: frozenset({"completionDate"}),
        S.IN_PROGRESS: frozenset(),
        S.PARTIAL: frozenset({"completionDate"}),
        S.REJECTED: frozenset({"completionDate"}),
    }.items()
}
# Not in the table but required in every answer: R17 (a contact with role sellerContact), R19 (the history).
ORDER_ALWAYS_EXTRA = frozenset({"stateChange"})

_ALWAYS_ITEM = frozenset({"stateChange", "state", "relatedContactInformation"})

# Table 11.
_ENDED_EXPECTED = frozenset({"expectedCompletionDate"}) if ENDED_ITEMS_KEEP_EXPECTED_DATE else frozenset()
ITEM_REQUIRED: dict[ItemState, frozenset[str]] = {
    state: _ALWAYS_ITEM | extra for state, extra in {
        I.ACKNOWLEDGED: frozenset(),
        I.CANCELLED: _ENDED_EXPECTED,
        I.COMPLETED: frozenset({"expectedCompletionDate", "completionDate"}),
        I.FAILED: frozenset({"terminationError"}) | _ENDED_EXPECTED,
        I.HELD: frozenset({"expectedCompletionDate"}),
        I.IN_PROGRESS: frozenset({"expectedCompletionDate"}),
        I.PENDING: frozenset({"expectedCompletionDate"}),
        I.REJECTED: frozenset({"terminationError"}),
        I.REJECTED_VALIDATED: frozenset(),
        I.REJECTED_UNASSESSED: frozenset(),
    }.items()
}

# What an item in a state must not carry: completionDate unless completed (R29, R49); expectedCompletionDate
# when cancelled or failed only if R27/R47 are followed instead of Table 11.
ITEM_FORBIDDEN: dict[ItemState, frozenset[str]] = {
    state: (frozenset() if state is I.COMPLETED else frozenset({"completionDate"}))
    | (frozenset({"expectedCompletionDate"})
       if state in (I.CANCELLED, I.FAILED) and not ENDED_ITEMS_KEEP_EXPECTED_DATE else frozenset())
    for state in ItemState
}


def order_violations(doc: dict[str, Any]) -> list[str]:
    """Every way an order document breaks Tables 10 and 11 (and R17), as JSON pointers; empty when none."""
    out: list[str] = []
    state = OrderState(doc["state"])
    for key in sorted(ORDER_REQUIRED[state] | ORDER_ALWAYS_EXTRA):
        if doc.get(key) in (None, "", []):
            out.append(f"/{key}: required in {state.value}")
    if not any(c.get("role") == "sellerContact" for c in doc.get("relatedContactInformation") or []):
        out.append("/relatedContactInformation: no sellerContact (R17)")
    for n, item in enumerate(doc.get("productOrderItem") or []):
        item_state = ItemState(item["state"])
        for key in sorted(ITEM_REQUIRED[item_state]):
            if item.get(key) in (None, "", []):
                out.append(f"/productOrderItem/{n}/{key}: required in {item_state.value}")
        for key in sorted(ITEM_FORBIDDEN[item_state]):
            if key in item:
                out.append(f"/productOrderItem/{n}/{key}: not allowed in {item_state.value}")
    return out
