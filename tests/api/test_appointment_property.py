"""However Buyers book, reschedule and cancel and however the visits go, no slot ever holds more visits than the
Seller has technicians, and the technicians' bookings are exactly those of the appointments that hold a slot.

Random mixes of bookings, reschedules, cancellations and the passing of time, through the API and the workforce
worker, on a fresh SQLite database per example; every answer is a documented MEF status, never a 5xx.
"""

from __future__ import annotations

import asyncio
import dataclasses
import tempfile
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from counterpoint.api.app import create_app
from counterpoint.bootstrap import Container, build
from counterpoint.core.shared.clock import ManualClock
from counterpoint.core.workforce import slots
from counterpoint.profiles.loader import load_profile
from counterpoint.settings import DEMO_PROFILE, Settings
from counterpoint.storage.workforce import appointment, technician_slot
from counterpoint.workers.workforce import WorkforceWorker
from tests.api.workforce_support import APPOINTMENT, booking, open_wo, period
from tests.helpers import BUYER_A

ADDRESSES = ["addr-sg-raffles", "addr-jkt-kuningan", "addr-sby-tunjungan", "addr-sg-changi", "addr-jkt-sudirman"]
action = st.one_of(
    st.tuples(st.just("open"), st.sampled_from(ADDRESSES)),
    st.tuples(st.just("book"), st.integers(0, 5), st.integers(0, 7)),
    st.tuples(st.just("move"), st.integers(0, 5), st.integers(0, 7)),
    st.tuples(st.just("cancel"), st.integers(0, 5)),
    st.tuples(st.just("wait"), st.sampled_from([1, 3, 12, 30])),
)
case = st.tuples(st.integers(1, 2), st.lists(action, min_size=3, max_size=14))
HOLDING = {"confirmed", "inProgress", "completed", "missed", "failed"}  # a technician was given the slot


async def play(technicians: int, actions: list[tuple[Any, ...]]) -> None:
    clock = ManualClock()
    profile = load_profile(DEMO_PROFILE)
    profile = dataclasses.replace(profile, workforce=dataclasses.replace(profile.workforce, technicians=technicians))
    with tempfile.TemporaryDirectory() as tmp:
        c = build(Settings(database_url=f"sqlite+aiosqlite:///{Path(tmp) / 'cp.db'}", run_workers=False,
                           public_base_url="http://seller.test"), clock=clock, profile=profile,
                  http_factory=lambda: httpx.AsyncClient(transport=httpx.MockTransport(
                      lambda r: httpx.Response(204))))
        await c.start()
        try:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(c, manage_lifecycle=False)),
                                         base_url="http://seller.test") as client:
                await _run(client, c, clock, actions)
                await _check(c)
        finally:
            await c.close()


async def _run(client: httpx.AsyncClient, c: Container, clock: ManualClock, actions: list[tuple[Any, ...]]) -> None:
    base = APPOINTMENT["sonata"]
    cal = c.profile.workforce
    work_orders: list[str] = [(await open_wo(c)).id]
    booked: list[str] = []
    worker = WorkforceWorker(c)
    for act in actions:
        grid = list(slots.grid(cal, slots.earliest_start(cal, clock.now()), clock.now() + timedelta(days=4)))
        if act[0] == "open":
            work_orders.append((await open_wo(c, address=act[1])).id)
            continue
        if act[0] == "wait":
            clock.advance(timedelta(hours=act[1]))
            await worker.run_once()
            continue
        if act[0] == "book":
            wo = work_orders[act[1] % len(work_orders)]
            r = await client.post(f"{base}/appointment", headers=BUYER_A,
                                  json=booking(wo, grid[act[2] % len(grid)].start))
            assert r.status_code in (201, 422), r.text
            if r.status_code == 201:
                booked.append(r.json()["id"])
            continue
        if not booked:
            continue
        appt = booked[act[1] % len(booked)]
        if act[0] == "move":
            slot = grid[act[2] % len(grid)]
            r = await client.patch(f"{base}/appointment/{appt}", headers=BUYER_A,
                                   json={"validFor": period(slot.start, slot.end)})
            assert r.status_code in (200, 422), r.text
        else:
            r = await client.post(f"{base}/appointment/{appt}/cancel", headers=BUYER_A)
            assert r.status_code in (204, 422), r.text


async def _check(c: Container) -> None:
    async with c.engine.connect() as conn:
        appts = (await conn.execute(select(appointment.c.id, appointment.c.state, appointment.c.starts_at,
                                           appointment.c.ends_at, appointment.c.technician))).all()
        rows = (await conn.execute(select(technician_slot.c.slot_start, technician_slot.c.technician,
                                          technician_slot.c.appointment_id))).all()
    holding = [a for a in appts if a.state in HOLDING]
    technicians = c.profile.workforce.technicians
    for a in holding:  # the visits overlapping any one of them never outnumber the technicians
        overlapping = [b for b in holding if b.starts_at < a.ends_at and a.starts_at < b.ends_at]
        assert len(overlapping) <= technicians, overlapping
    # each appointment holding a slot has exactly its one booking row there; cancelled ones have none
    assert sorted((r.appointment_id, r.slot_start, r.technician) for r in rows) == \
        sorted((a.id, a.starts_at, a.technician) for a in holding)
    assert max(Counter(r.slot_start for r in rows).values(), default=0) <= technicians


@settings(max_examples=12, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(case)
def test_no_slot_ever_holds_more_visits_than_technicians(example: tuple[int, list[tuple[Any, ...]]]) -> None:
    asyncio.run(play(*example))
