"""The Seller's serviceability loop: starts and answers deferred POQs when they are due."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from counterpoint.core.serviceability import services
from counterpoint.core.shared.errors import StaleVersion
from counterpoint.storage.serviceability import SqlPoqs

if TYPE_CHECKING:
    from counterpoint.bootstrap import Container
    from counterpoint.workers.runner import Loop

log = logging.getLogger("counterpoint.serviceability")


class ServiceabilityWorker:
    def __init__(self, c: Container) -> None:
        self.c = c

    async def run_once(self) -> int:
        """Advance every POQ with a step due now; returns how many moved."""
        async with self.c.uow() as uow:
            due = await SqlPoqs(uow).due(self.c.clock.now())
        moved = 0
        for poq_id in due:
            try:
                moved += await services.advance_poq(self.c.uow(), self.c.clock, self.c.profile, poq_id)
            except StaleVersion:
                continue  # another worker moved it; nothing lost
            except Exception:
                log.exception("POQ %s step failed; retried next round", poq_id)
        return moved


def loop(c: Container) -> Loop:
    from counterpoint.workers.runner import Loop

    return Loop("serviceability", ServiceabilityWorker(c).run_once, c.settings.fulfilment_interval_s)
