"""MEF 116 product inventory: a delivered product and its status machine."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from counterpoint.core.shared.aggregate import Aggregate
from counterpoint.core.shared.times import iso
from counterpoint.core.shared.transitions import check_transition


class ProductStatus(StrEnum):
    PENDING_ACTIVE = "pendingActive"
    ACTIVE = "active"
    ACTIVE_PENDING_CHANGE = "active.pendingChange"
    SUSPENDED = "suspended"
    PENDING_TERMINATE = "pendingTerminate"
    SUSPENDED_PENDING_TERMINATE = "suspendedPendingTerminate"
    TERMINATED = "terminated"
    CANCELLED = "cancelled"


P = ProductStatus
PRODUCT_ALLOWED: dict[ProductStatus, frozenset[ProductStatus]] = {
    P.PENDING_ACTIVE: frozenset({P.ACTIVE, P.CANCELLED}),
    P.ACTIVE: frozenset({P.ACTIVE_PENDING_CHANGE, P.SUSPENDED, P.PENDING_TERMINATE}),
    P.ACTIVE_PENDING_CHANGE: frozenset({P.ACTIVE}),
    P.SUSPENDED: frozenset({P.ACTIVE, P.SUSPENDED_PENDING_TERMINATE}),
    P.PENDING_TERMINATE: frozenset({P.ACTIVE, P.TERMINATED}),
    P.SUSPENDED_PENDING_TERMINATE: frozenset({P.SUSPENDED, P.TERMINATED}),
}


@dataclass(slots=True, kw_only=True)
class Product(Aggregate):
    status: ProductStatus
    doc: dict[str, Any]
    # Where it is installed, as the order gave it. MEF 116 can only show site references (relatedSite), so an
    # address is kept here for the Seller's own use (qualifying and quoting changes to the product).
    places: list[dict[str, Any]] = field(default_factory=list)

    def move_to(self, target: ProductStatus, *, at: datetime, reason: str | None = None) -> None:
        check_transition(PRODUCT_ALLOWED, f"product {self.id}", self.status, target)
        self.status = target
        self.doc["status"] = target.value
        self.doc["lastUpdateDate"] = iso(at)
        change: dict[str, Any] = {"status": target.value, "changeDate": iso(at)}
        if reason:
            change["changeReason"] = reason[:255]
        self.doc.setdefault("statusChange", []).append(change)
        self.updated_at = at
