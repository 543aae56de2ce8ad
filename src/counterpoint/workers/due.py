"""The shape every Seller worker shares: find what is due, step each one, let no failure stop the rest."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from counterpoint.core.shared.errors import StaleVersion

if TYPE_CHECKING:
    from counterpoint.bootstrap import Container

Step = Callable[[str], Awaitable[Any]]


class DueWorker:
    """Subclasses name, in order, each repository of the unit of work to scan (`"quotes"`) and the step to run
    on each due id."""

    name = "worker"

    def __init__(self, c: Container) -> None:
        self.c = c
        self.log = logging.getLogger(f"counterpoint.{self.name}")

    def steps(self) -> list[tuple[str, Step]]:
        raise NotImplementedError

    async def run_once(self) -> int:
        """Run every step that is due now; returns how many resources moved."""
        done = 0
        for repo, step in self.steps():
            async with self.c.uow() as uow:
                due = await getattr(uow, repo).due(self.c.clock.now())
            for resource_id in due:
                done += await self._guard(step, resource_id)
        return done

    async def _guard(self, step: Step, resource_id: str) -> int:
        """One resource's failure, or a lost optimistic race (someone moved it first), is retried next round."""
        try:
            result = await step(resource_id)
        except StaleVersion:
            return 0
        except Exception:
            self.log.exception("%s step on %s failed; retried next round", self.name, resource_id)
            return 0
        return result if isinstance(result, int) else 1
