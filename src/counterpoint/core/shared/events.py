"""Domain events. Each one becomes an outbox row in the transaction that caused it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class DomainEvent:
    """Something that happened to a resource a buyer can subscribe to.

    `api` is the notification family ("productOrder", "quote", "poq", ...), `event_type` the MEF event
    name (e.g. "productOrderStateChangeEvent"). `channel` is the interface the resource was created
    through ("sonata" or "cantata"), so the listener URL uses the right base path.
    """

    api: str
    event_type: str
    resource_id: str
    buyer_id: str
    seller_id: str
    channel: str
    at: datetime
    item_id: str | None = None
    milestone: str | None = None
