"""Background loops of a Seller process. Each worker exposes run_once() so tests can drive it."""

from __future__ import annotations

import asyncio
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
    loops: list[Loop]
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @classmethod
    def for_container(cls, c: Container) -> WorkerSet:
        relay = c.relay()
        loops = [Loop("outbox-relay", relay.run_once, c.settings.relay_interval_s), *extra_loops(c)]
        return cls(loops=loops)

    def start(self) -> None:
        for loop in self.loops:
            self.tasks.append(asyncio.create_task(self._run(loop), name=loop.name))

    async def _run(self, loop: Loop) -> None:
        while True:
            try:
                busy = await loop.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # a worker survives one bad round; the next round retries
                log.exception("worker %s failed a round", loop.name)
                busy = 0
            await asyncio.sleep(0 if busy else loop.interval_s)

    async def run_all_once(self) -> int:
        return sum([await loop.run_once() for loop in self.loops])

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.tasks.clear()


__all__ = ["Loop", "WorkerSet"]
