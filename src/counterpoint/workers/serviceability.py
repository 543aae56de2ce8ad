"""The Seller's serviceability loop: starts and answers deferred POQs when they are due."""

from __future__ import annotations

from typing import TYPE_CHECKING

from counterpoint.core.serviceability import services
from counterpoint.workers.due import DueWorker, Step
from counterpoint.workers.loop import Loop

if TYPE_CHECKING:
    from counterpoint.bootstrap import Container

class ServiceabilityWorker(DueWorker):
    name = "serviceability"

    def steps(self) -> list[tuple[str, Step]]:
        return [("poqs", lambda poq_id: services.advance_poq(self.c.uow(), self.c.clock, self.c.profile, poq_id,
                                                                      supply_chain=self.c.supply_chain))]


def loop(c: Container) -> Loop:
    return Loop("serviceability", ServiceabilityWorker(c).run_once, c.settings.fulfilment_interval_s)
