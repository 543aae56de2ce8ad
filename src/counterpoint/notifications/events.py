"""MEF notification bodies, built from outbox rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from counterpoint.core.shared.apis import EVENT_RESOURCES, base_path
from counterpoint.core.shared.times import iso

# The families whose events name an item of the resource (ordering's, POQ's, quote's). The troubleTicket family's
# payload (TroubleTicketEventPayload, IncidentEventPayload) is the resource alone: id, href, buyerId, sellerId.
_ITEM_FIELD = {"poq": "poqItemId", "quote": "quoteItemId", "productOrder": "orderItemId"}


def event_body(*, event_id: str, event_type: str, api: str, channel: str, occurred_at: datetime,
               resource_id: str, buyer_id: str, seller_id: str, item_id: str | None, milestone: str | None,
               seller_base_url: str) -> dict[str, Any]:
    family, path = EVENT_RESOURCES[event_type]
    assert family == api, f"{event_type} does not belong to {api}"
    function = api
    payload: dict[str, Any] = {
        "id": resource_id,
        "href": f"{seller_base_url}{base_path(function, channel)}/{path}/{resource_id}",
        "buyerId": buyer_id,
        "sellerId": seller_id,
    }
    if item_id is not None and api in _ITEM_FIELD:
        payload[_ITEM_FIELD[api]] = item_id
    if milestone is not None and api == "productOrder":
        payload["milestoneName"] = milestone
    return {"eventId": event_id, "eventTime": iso(occurred_at), "eventType": event_type, "event": payload}
