"""The Seller's quoting loop: checks, prices, firms up and expires quotes when their step is due."""

from __future__ import annotations

from typing import TYPE_CHECKING

from counterpoint.core.quote import services
from counterpoint.workers.due import DueWorker, Step
from counterpoint.workers.loop import Loop

if TYPE_CHECKING:
    from counterpoint.bootstrap import Container

class QuoteWorker(DueWorker):
    name = "quote"

    def steps(self) -> list[tuple[str, Step]]:
        return [("quotes", lambda quote_id: services.advance_quote(self.c.uow(), self.c.clock, self.c.profile,
                                                                    quote_id, supply_chain=self.c.supply_chain))]


def loop(c: Container) -> Loop:
    return Loop("quote", QuoteWorker(c).run_once, c.settings.fulfilment_interval_s)
