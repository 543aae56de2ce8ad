"""The outbox relay: fans events out to listeners, then delivers with retries, backoff and dead letter.

Two steps, each its own short transaction through the relay's store (`RelayStore`, storage/relay.py):
1. `dispatch_once`: pending outbox rows -> one delivery row per matching listener; row marked dispatched.
2. `deliver_once`: due deliveries are POSTed; 2xx -> delivered; otherwise attempts+1 and the next try is
   scheduled with exponential backoff and jitter; after `max_attempts` the delivery is dead-lettered.
A crash between the two loses nothing: both steps are idempotent over what is stored.

A delivery's failure is that delivery's alone: whatever one listener's URL or answer is (unparseable, refused
by the target policy, a protocol error, a hang cut by the timeout), the round goes on and every outcome of it
is recorded. A URL that can never work is dead-lettered at once instead of being retried.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import httpx

from counterpoint.core.hub.model import HubListener, parse_callback
from counterpoint.core.shared.apis import listener_path
from counterpoint.core.shared.clock import Clock
from counterpoint.core.shared.errors import BadRequest
from counterpoint.core.shared.ids import new_id
from counterpoint.notifications.events import event_body
from counterpoint.notifications.targets import TargetPolicy, TargetRefused

log = logging.getLogger("counterpoint.notifications")


class RelaySession(Protocol):
    async def pending_events(self, limit: int) -> Sequence[Mapping[str, Any]]: ...
    async def listeners(self, buyer_id: str, api: str, channel: str) -> list[HubListener]: ...
    async def add_deliveries(self, rows: list[dict[str, Any]]) -> None: ...
    async def mark_dispatched(self, seqs: list[int], at: datetime) -> None: ...
    async def due_deliveries(self, now: datetime, limit: int) -> Sequence[Mapping[str, Any]]: ...
    async def settle(self, delivery_id: str, values: dict[str, Any]) -> None: ...
    async def commit(self) -> None: ...


class RelayStore(Protocol):
    def session(self) -> AbstractAsyncContextManager[RelaySession]: ...


@dataclass
class RelayStats:
    dispatched: int = 0
    delivered: int = 0
    retried: int = 0
    dead: int = 0


class Permanent(Exception):
    """This delivery can never succeed (its URL is not one we can send to): dead-letter it now."""


def _clean(error: str) -> str:
    return error.replace("\x00", "\\0")[:2000]  # PostgreSQL text cannot hold NUL


def listener_url(callback: str, api: str, channel: str, event_type: str) -> str:
    """The MEF listener operation under the buyer's callback (raises BadRequest for a callback we refuse)."""
    return parse_callback(callback).with_path(f"{listener_path(api, channel)}/listener/{event_type}")


class OutboxRelay:
    def __init__(self, store: RelayStore, clock: Clock, http: httpx.AsyncClient, *, seller_base_url: str,
                 max_attempts: int = 8, backoff_s: float = 1.0, batch: int = 200,
                 rng: random.Random | None = None, targets: TargetPolicy | None = None) -> None:
        self.store, self.clock, self.http = store, clock, http
        self.seller_base_url = seller_base_url
        self.max_attempts, self.backoff_s, self.batch = max_attempts, backoff_s, batch
        self.rng = rng or random.Random()
        self.targets = targets or TargetPolicy()
        self.stats = RelayStats()

    async def dispatch_once(self) -> int:
        async with self.store.session() as s:
            rows = await s.pending_events(self.batch)
            if not rows:
                return 0
            cache: dict[tuple[str, str, str], list[HubListener]] = {}
            new_deliveries = []
            now = self.clock.now()
            for r in rows:
                key = (r["buyer_id"], r["api"], r["channel"])
                if key not in cache:
                    cache[key] = await s.listeners(*key)
                body = None
                for listener in cache[key]:
                    try:
                        if not listener.wants(r["event_type"]):
                            continue
                    except BadRequest:
                        pass  # a stored query we can no longer read filters nothing
                    body = body or event_body(
                        event_id=r["event_id"], event_type=r["event_type"], api=r["api"], channel=r["channel"],
                        occurred_at=r["occurred_at"], resource_id=r["resource_id"], buyer_id=r["buyer_id"],
                        seller_id=r["seller_id"], item_id=r["item_id"], milestone=r["milestone"],
                        seller_base_url=self.seller_base_url)
                    row = {"id": new_id(), "event_id": r["event_id"], "listener_id": listener.id,
                           "body": body, "state": "pending", "attempts": 0, "next_attempt_at": now,
                           "last_error": None, "delivered_at": None, "correlation_id": r["correlation_id"]}
                    try:
                        row["url"] = listener_url(listener.callback, r["api"], r["channel"], r["event_type"])
                    except BadRequest as exc:  # registered before the policy refused it: never sendable
                        row.update(url=_clean(listener.callback), state="dead",
                                   last_error=_clean(f"invalid callback: {exc.reason}"))
                        self.stats.dead += 1
                    new_deliveries.append(row)
            await s.add_deliveries(new_deliveries)
            await s.mark_dispatched([r["seq"] for r in rows], now)
            await s.commit()
        self.stats.dispatched += len(rows)
        return len(rows)

    async def deliver_once(self) -> int:
        now = self.clock.now()
        async with self.store.session() as s:
            due = list(await s.due_deliveries(now, self.batch))
        if not due:
            return 0
        results = await asyncio.gather(*(self._attempt(d) for d in due))
        async with self.store.session() as s:
            for d, (error, permanent) in zip(due, results, strict=True):
                attempts = d["attempts"] + 1
                if error is None:
                    values: dict[str, Any] = {"state": "delivered", "attempts": attempts,
                                              "delivered_at": self.clock.now(), "last_error": None}
                    self.stats.delivered += 1
                elif permanent or attempts >= self.max_attempts:
                    values = {"state": "dead", "attempts": attempts, "last_error": _clean(error)}
                    self.stats.dead += 1
                    log.warning("notification dead-lettered", extra={"url": d["url"][:300], "error": error[:300]})
                else:
                    delay = self.backoff_s * (2 ** (attempts - 1)) * (0.5 + self.rng.random())
                    values = {"attempts": attempts, "last_error": _clean(error),
                              "next_attempt_at": self.clock.now() + timedelta(seconds=delay)}
                    self.stats.retried += 1
                await s.settle(d["id"], values)
            await s.commit()
        return len(due)

    async def _attempt(self, d: Mapping[str, Any]) -> tuple[str | None, bool]:
        """(error or None, whether the error is permanent). Never raises, whatever the delivery holds."""
        try:
            return await self._post(d), False
        except Permanent as exc:
            return str(exc), True
        except TargetRefused as exc:
            return f"target refused: {exc}", False
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - one listener's failure must not stop the round
            return f"{type(exc).__name__}: {exc}", False

    async def _post(self, d: Mapping[str, Any]) -> str | None:
        headers = {"Content-Type": "application/json;charset=utf-8"}
        if d["correlation_id"]:
            headers["X-Correlation-ID"] = d["correlation_id"]
        try:
            target = parse_callback(d["url"])
            url = httpx.URL(d["url"])
        except (BadRequest, httpx.InvalidURL, ValueError, TypeError) as exc:
            raise Permanent(f"invalid listener URL: {getattr(exc, 'reason', exc)}") from None
        extensions: dict[str, Any] = {}
        address = await self.targets.resolve(target)
        if address is not None:  # connect to the address that was checked, not to a fresh resolution
            headers["Host"] = url.netloc.decode("ascii")
            if url.scheme == "https":
                extensions["sni_hostname"] = target.host
            url = url.copy_with(host=str(address))
        try:
            response = await self.http.post(url, json=d["body"], headers=headers, extensions=extensions)
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
