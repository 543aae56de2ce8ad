"""Background loops of a Seller process. Each worker exposes run_once() so tests can drive it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from counterpoint.workers.loop import Loop
from counterpoint.workers.registry import extra_loops

if TYPE_CHECKING:
    from counterpoint.bootstrap import Container

log = logging.getLogger("counterpoint.workers")


@dataclass
class WorkerSet:
    """The loops, each in its own task. Stopping lets a round in progress finish (up to a grace period) so no
    transaction is cut in the middle; a loop still busy after it is cancelled (its transaction rolls back)."""

    loops: list[Loop]
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    stopping: asyncio.Event = field(default_factory=asyncio.Event)

    @classmethod
    def for_container(cls, c: Container) -> WorkerSet:
        relay = c.relay()
        loops = [Loop("outbox-relay", relay.run_once, c.settings.relay_interval_s), *extra_loops(c)]
        return cls(loops=loops)

    def start(self) -> None:
        self.stopping.clear()
        for loop in self.loops:
            self.tasks.append(asyncio.create_task(self._run(loop), name=loop.name))

    async def _run(self, loop: Loop) -> None:
        while not self.stopping.is_set():
            try:
                busy = await loop.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # a worker survives one bad round; the next round retries
                log.exception("worker %s failed a round", loop.name)
                busy = 0
            if busy:
                await asyncio.sleep(0)
                continue
            with contextlib.suppress(TimeoutError):  # the pause ends early when the set is stopped
                await asyncio.wait_for(self.stopping.wait(), loop.interval_s)

    async def run_all_once(self) -> int:
        return sum([await loop.run_once() for loop in self.loops])

    async def stop(self, grace_s: float = 5.0) -> None:
        self.stopping.set()
        if self.tasks:
            _, late = await asyncio.wait(self.tasks, timeout=grace_s)
            for task in late:
                log.warning("worker %s still busy after %.1f s: cancelled", task.get_name(), grace_s)
                task.cancel()
            await asyncio.gather(*self.tasks, return_exceptions=True)
        self.tasks.clear()


__all__ = ["Loop", "WorkerSet"]
