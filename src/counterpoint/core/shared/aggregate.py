"""What every stored MEF resource has in common."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from counterpoint.core.shared.events import DomainEvent


@dataclass(slots=True, kw_only=True)
class Aggregate:
    id: str
    buyer_id: str
    seller_id: str
    channel: str  # "sonata" or "cantata": the interface it was created through
    created_at: datetime
    updated_at: datetime
    version: int = 0  # 0 until first stored; optimistic lock afterwards
    correlation_id: str | None = None  # the transaction it was born in; its later events carry it too
    events: list[DomainEvent] = field(default_factory=list, repr=False)

    def record(self, event_type: str, api: str, at: datetime, *, item_id: str | None = None,
               milestone: str | None = None) -> None:
        self.events.append(DomainEvent(api=api, event_type=event_type, resource_id=self.id,
                                       buyer_id=self.buyer_id, seller_id=self.seller_id,
                                       channel=self.channel, at=at, item_id=item_id, milestone=milestone))
        self.updated_at = at
