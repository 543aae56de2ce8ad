"""Ticket notification bodies (notifications/events.py) against the MEF 124 notification envelope."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from counterpoint.core.hub.model import EVENT_TYPES
from counterpoint.notifications.events import event_body
from tests.helpers import assert_mef_event

TICKET_EVENTS = sorted(t for t in EVENT_TYPES["troubleTicket"] if t.startswith("troubleTicket"))


@pytest.mark.parametrize("channel", ["sonata", "cantata"])
@pytest.mark.parametrize("event_type", TICKET_EVENTS)
def test_every_ticket_event_body_is_the_envelopes(event_type: str, channel: str) -> None:
    body = event_body(event_id="e1", event_type=event_type, api="troubleTicket", channel=channel,
                      occurred_at=datetime(2026, 1, 5, tzinfo=UTC), resource_id="t1", buyer_id="buyer-a",
                      seller_id="s", item_id="stray", milestone=None, seller_base_url="http://seller.test")
    assert_mef_event(body, "troubleTicketNotification", event_type, channel)
    assert body["event"] == {"id": "t1", "href": f"http://seller.test/mefApi/{channel}/troubleTicket/v4/"
                             "troubleTicket/t1", "buyerId": "buyer-a", "sellerId": "s"}  # no item field
