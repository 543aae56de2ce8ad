"""Stopping the workers lets a round in progress finish (no transaction cut in the middle), ends pauses at
once, and cancels only a round still busy after the grace period."""

from __future__ import annotations

import asyncio

from counterpoint.workers.loop import Loop
from counterpoint.workers.runner import WorkerSet


async def test_a_round_in_progress_finishes_before_the_workers_stop() -> None:
    entered, release = asyncio.Event(), asyncio.Event()
    finished: list[str] = []

    async def round_() -> int:
        entered.set()
        await release.wait()  # e.g. a transaction waiting on the database
        finished.append("committed")
        return 0

    idle_rounds: list[int] = []

    async def idle() -> int:
        idle_rounds.append(1)
        return 0

    workers = WorkerSet([Loop("busy", round_, 0.01), Loop("idle", idle, 3600)])
    workers.start()
    await entered.wait()
    stopping = asyncio.create_task(workers.stop(grace_s=30))
    await asyncio.sleep(0)
    assert not stopping.done()  # it waits for the round
    release.set()
    await asyncio.wait_for(stopping, 10)  # the idle loop's hour-long pause ended at once
    assert finished == ["committed"] and idle_rounds == [1] and workers.tasks == []


async def test_a_round_still_busy_after_the_grace_period_is_cancelled() -> None:
    cancelled: list[bool] = []

    async def stuck() -> int:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.append(True)
            raise
        return 0

    workers = WorkerSet([Loop("stuck", stuck, 0.01)])
    workers.start()
    await asyncio.sleep(0)
    await asyncio.wait_for(workers.stop(grace_s=0.01), 10)
    assert cancelled == [True] and workers.tasks == []
