"""The Seller's field-service loop: visits whose next step is due (the technician arrives, the work ends) and work
orders that need no visit."""

from __future__ import annotations

from typing import TYPE_CHECKING

from counterpoint.core.workforce import services
from counterpoint.workers.due import DueWorker, Step
from counterpoint.workers.loop import Loop

if TYPE_CHECKING:
    from counterpoint.bootstrap import Container


class WorkforceWorker(DueWorker):
    name = "workforce"

    def steps(self) -> list[tuple[str, Step]]:
        c = self.c
        return [
            ("appointments", lambda aid: services.advance_appointment(c.uow(), c.clock, c.profile, aid)),
            ("work_orders", lambda wid: services.advance_work_order(c.uow(), c.clock, c.profile, wid)),
        ]


def loop(c: Container) -> Loop:
    return Loop("workforce", WorkforceWorker(c).run_once, c.settings.fulfilment_interval_s)
