"""Listener registrations (`/hub`) and which events reach which listener.

registerListener documents only 400 for a bad body, so every refusal here is a BadRequest (invalidBody).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from counterpoint.core.shared.errors import BadRequest

# Event types each notifying API can emit (from the *Notification envelopes).
EVENT_TYPES: dict[str, frozenset[str]] = {
    "poq": frozenset({"poqCreateEvent", "poqStateChangeEvent", "poqItemStateChangeEvent"}),
    "quote": frozenset({"quoteStateChangeEvent", "quoteItemStateChangeEvent"}),
    "productOrder": frozenset({
        "productOrderStateChangeEvent", "productOrderItemStateChangeEvent",
        "productOrderItemExpectedCompletionDateSet", "productSpecificProductOrderItemMilestoneEvent",
        "cancelProductOrderStateChangeEvent", "chargeCreateEvent", "chargeStateChangeEvent",
        "chargeTimeoutEvent", "modifyProductOrderItemRequestedDeliveryDateStateChangeEvent",
    }),
}

_QUERY = re.compile(r"^\s*eventType\s*=\s*(?P<types>[A-Za-z.]+(\s*,\s*[A-Za-z.]+)*)\s*$")


def parse_query(api: str, query: str | None) -> frozenset[str] | None:
    """The event types a listener asked for; None means all of them (an empty query filters nothing)."""
    if query is None or not query.strip():
        return None
    match = _QUERY.match(query)
    if match is None:
        raise BadRequest("query must look like 'eventType=a,b'")
    wanted = frozenset(t.strip() for t in match.group("types").split(","))
    unknown = sorted(wanted - EVENT_TYPES[api])
    if unknown:
        raise BadRequest(f"unknown event type(s) for this API: {', '.join(unknown)}")
    return wanted


def validate_callback(callback: str) -> None:
    if not re.match(r"^https?://[^\s/]+", callback or ""):
        raise BadRequest("callback must be an absolute http(s) URL")


@dataclass(slots=True, kw_only=True)
class HubListener:
    id: str
    api: str
    channel: str
    buyer_id: str
    callback: str
    query: str | None
    created_at: datetime

    def wants(self, event_type: str) -> bool:
        wanted = parse_query(self.api, self.query)
        return wanted is None or event_type in wanted
