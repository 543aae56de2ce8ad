"""The Seller's repair loop: trouble tickets whose planned step (or wake-up) is due."""

from __future__ import annotations

from typing import TYPE_CHECKING

from counterpoint.core.trouble_ticket import timeline
from counterpoint.workers.due import DueWorker, Step
from counterpoint.workers.loop import Loop

if TYPE_CHECKING:
    from counterpoint.bootstrap import Container


class TroubleTicketWorker(DueWorker):
    name = "trouble-ticket"

    def steps(self) -> list[tuple[str, Step]]:
        c = self.c
        return [("trouble_tickets", lambda tid: timeline.advance_ticket(
            c.uow(), c.clock, c.profile, tid, desk=c.ticket_desk, visits=c.visits))]


def loop(c: Container) -> Loop:
    return Loop("trouble-ticket", TroubleTicketWorker(c).run_once, c.settings.fulfilment_interval_s)
