"""The outbox relay: fans events out to listeners, then delivers with retries, backoff and dead letter.

Two steps, each its own short transaction:
1. `dispatch_once`: pending outbox rows -> one delivery row per matching listener; row marked dispatched.
2. `deliver_once`: due deliveries are POSTed; 2xx -> delivered; otherwise attempts+1 and the next try is
   scheduled with exponential backoff and jitter; after `max_attempts` the delivery is dead-lettered.
A crash between the two loses nothing: both steps are idempotent over what is stored.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass
from datetime import timedelta

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from counterpoint.core.hub.model import HubListener
from counterpoint.core.shared.clock import Clock
from counterpoint.core.shared.ids import new_id
from counterpoint.notifications.events import event_body, listener_url
from counterpoint.storage.hub import SqlHubListeners
from counterpoint.storage.outbox import delivery, outbox
from counterpoint.storage.uow import SqlUnitOfWork

log = logging.getLogger("counterpoint.notifications")


@dataclass
class RelayStats:
    dispatched: int = 0
    delivered: int = 0
    retried: int = 0
    dead: int = 0


class OutboxRelay:
    def __init__(self, engine: AsyncEngine, clock: Clock, http: httpx.AsyncClient, *, seller_base_url: str,
                 max_attempts: int = 8, backoff_s: float = 1.0, batch: int = 200,
                 rng: random.Random | None = None) -> None:
        self.engine, self.clock, self.http = engine, clock, http
        self.seller_base_url = seller_base_url
        self.max_attempts, self.backoff_s, self.batch = max_attempts, backoff_s, batch
        self.rng = rng or random.Random()
        self.stats = RelayStats()

    async def dispatch_once(self) -> int:
        async with SqlUnitOfWork(self.engine) as uow:
            rows = (await uow.conn.execute(
                select(outbox).where(outbox.c.dispatched_at.is_(None)).order_by(outbox.c.seq).limit(self.batch)
            )).mappings().all()
            if not rows:
                return 0
            hub = SqlHubListeners(uow)
            cache: dict[tuple[str, str, str], list[HubListener]] = {}
            new_deliveries = []
            now = self.clock.now()
            for r in rows:
                key = (r["buyer_id"], r["api"], r["channel"])
                if key not in cache:
                    cache[key] = await hub.matching(*key)
                body = None
                for listener in cache[key]:
                    if not listener.wants(r["event_type"]):
                        continue
                    body = body or event_body(
                        event_id=r["event_id"], event_type=r["event_type"], api=r["api"], channel=r["channel"],
                        occurred_at=r["occurred_at"], resource_id=r["resource_id"], buyer_id=r["buyer_id"],
                        seller_id=r["seller_id"], item_id=r["item_id"], milestone=r["milestone"],
                        seller_base_url=self.seller_base_url)
                    new_deliveries.append({
                        "id": new_id(), "event_id": r["event_id"], "listener_id": listener.id,
                        "url": listener_url(listener.callback, r["api"], r["channel"], r["event_type"]),
                        "body": body, "state": "pending", "attempts": 0, "next_attempt_at": now,
                        "last_error": None, "delivered_at": None, "correlation_id": r["correlation_id"]})
            if new_deliveries:
                await uow.conn.execute(delivery.insert(), new_deliveries)
            await uow.conn.execute(update(outbox).where(outbox.c.seq.in_([r["seq"] for r in rows]))
                                   .values(dispatched_at=now))
            await uow.commit()
        self.stats.dispatched += len(rows)
        return len(rows)

    async def deliver_once(self) -> int:
        now = self.clock.now()
        async with SqlUnitOfWork(self.engine) as uow:
            due = (await uow.conn.execute(
                select(delivery).where(delivery.c.state == "pending", delivery.c.next_attempt_at <= now)
                .order_by(delivery.c.next_attempt_at).limit(self.batch))).mappings().all()
        if not due:
            return 0
        results = await asyncio.gather(*(self._post(d) for d in due))
        async with SqlUnitOfWork(self.engine) as uow:
            for d, error in zip(due, results, strict=True):
                attempts = d["attempts"] + 1
                if error is None:
                    values = {"state": "delivered", "attempts": attempts, "delivered_at": self.clock.now(),
                              "last_error": None}
                    self.stats.delivered += 1
                elif attempts >= self.max_attempts:
                    values = {"state": "dead", "attempts": attempts, "last_error": error[:2000]}
                    self.stats.dead += 1
                    log.warning("notification dead-lettered", extra={"url": d["url"], "error": error})
                else:
                    delay = self.backoff_s * (2 ** (attempts - 1)) * (0.5 + self.rng.random())
                    values = {"attempts": attempts, "last_error": error[:2000],
                              "next_attempt_at": self.clock.now() + timedelta(seconds=delay)}
                    self.stats.retried += 1
                await uow.conn.execute(update(delivery).where(delivery.c.id == d["id"],
                                                              delivery.c.state == "pending").values(**values))
            await uow.commit()
        return len(due)

    async def _post(self, d: dict) -> str | None:  # type: ignore[type-arg]
        headers = {"Content-Type": "application/json;charset=utf-8"}
        if d["correlation_id"]:
            headers["X-Correlation-ID"] = d["correlation_id"]
        try:
            response = await self.http.post(d["url"], json=d["body"], headers=headers)
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"
        if 200 <= response.status_code < 300:
            return None
        return f"HTTP {response.status_code}: {response.text[:500]}"

    async def run_once(self) -> int:
        return await self.dispatch_once() + await self.deliver_once()

    async def drain(self, rounds: int = 20) -> None:
        """Dispatch and deliver until nothing is due now (tests and the CLI use this)."""
        for _ in range(rounds):
            if await self.run_once() == 0:
                return
