"""The Seller's fulfilment loop: due order steps, pending assessments, charges past their due date."""

from __future__ import annotations

import logging

from counterpoint.api.mounts import base_path
from counterpoint.bootstrap import Container
from counterpoint.core.ordering import fulfilment
from counterpoint.core.shared.errors import StaleVersion
from counterpoint.storage.ordering import (
    SqlCancelRequests,
    SqlCharges,
    SqlDeliveryDateRequests,
    SqlProductOrders,
)

log = logging.getLogger("counterpoint.fulfilment")


class FulfilmentWorker:
    def __init__(self, c: Container) -> None:
        self.c = c

    def href_base(self, channel: str) -> str:
        return self.c.base_url + base_path("productOrder", channel)

    async def _due(self, repo: type) -> list[str]:
        async with self.c.uow() as uow:
            return await repo(uow).due(self.c.clock.now())

    async def run_once(self) -> int:
        done = 0
        for kind, repo in (("cancel", SqlCancelRequests), ("modifyDate", SqlDeliveryDateRequests)):
            for task_id in await self._due(repo):
                done += await self._guard(fulfilment.assess_task(self.c.uow(), self.c.clock, self.c.profile, kind,
                                                                 task_id))
        for charge_id in await self._due(SqlCharges):
            done += await self._guard(fulfilment.expire_charge(self.c.uow(), self.c.clock, charge_id))
        for order_id in await self._due(SqlProductOrders):
            done += await self._guard(fulfilment.advance_order(self.c.uow(), self.c.clock, self.c.profile, order_id,
                                                               self.href_base))
        return done

    async def _guard(self, work) -> int:  # type: ignore[no-untyped-def]
        """One resource's failure (or a lost optimistic race) never stops the others; it is retried next round."""
        try:
            result = await work
        except StaleVersion:
            return 0
        except Exception:
            log.exception("fulfilment step failed; will retry")
            return 0
        return result if isinstance(result, int) else 1
