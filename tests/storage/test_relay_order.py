"""Deliveries due at one instant go out in the order their events happened, whatever order the rows are in."""

from __future__ import annotations

from datetime import UTC, datetime

from counterpoint.bootstrap import Container
from counterpoint.storage.outbox import delivery, outbox
from counterpoint.storage.relay import SqlRelayStore

AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


async def test_deliveries_due_together_follow_the_event_order(container: Container) -> None:
    async with container.engine.begin() as conn:
        for n in (1, 2, 3):
            await conn.execute(outbox.insert().values(
                event_id=f"ev-{n}", api="poq", event_type="poqStateChangeEvent", channel="sonata",
                buyer_id="buyer-a", seller_id="seller", resource_id="poq-1", occurred_at=AT, dispatched_at=AT))
        for n in (3, 1, 2):  # stored in another order than the events happened, ids sorting neither way
            await conn.execute(delivery.insert().values(
                id=f"d-{'zxy'[n - 1]}", event_id=f"ev-{n}", listener_id="l-1", url="http://buyer.test/x",
                body={}, state="pending", attempts=0, next_attempt_at=AT))
    async with SqlRelayStore(container.engine).session() as session:
        due = await session.due_deliveries(AT, 10)
    assert [row["event_id"] for row in due] == ["ev-1", "ev-2", "ev-3"]
