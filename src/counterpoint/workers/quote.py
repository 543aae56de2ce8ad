"""The Seller's quoting loop: checks, prices, firms up and expires quotes when their step is due."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from counterpoint.core.quote import services
from counterpoint.core.shared.errors import StaleVersion
from counterpoint.storage.quote import SqlQuotes

if TYPE_CHECKING:
    from counterpoint.bootstrap import Container
    from counterpoint.workers.runner import Loop

log = logging.getLogger("counterpoint.quote")


class QuoteWorker:
    def __init__(self, c: Container) -> None:
        self.c = c

    async def run_once(self) -> int:
        """Advance every quote with a step due now; returns how many moved."""
        async with self.c.uow() as uow:
            due = await SqlQuotes(uow).due(self.c.clock.now())
        moved = 0
        for quote_id in due:
            try:
                moved += await services.advance_quote(self.c.uow(), self.c.clock, self.c.profile, quote_id)
            except StaleVersion:
                continue  # a Buyer's cancel or an order got there first; the next round sees the new state
            except Exception:
                log.exception("quote %s step failed; retried next round", quote_id)
        return moved


def loop(c: Container) -> Loop:
    from counterpoint.workers.runner import Loop

    return Loop("quote", QuoteWorker(c).run_once, c.settings.fulfilment_interval_s)
