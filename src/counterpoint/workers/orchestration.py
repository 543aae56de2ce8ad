"""The orchestrator's loop: due outbound commands (send or recover), then due composite orders (poll, test)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from counterpoint.core.orchestration import services as orchestration
from counterpoint.core.orchestration.supply import SupplierError
from counterpoint.storage.orchestration import SqlCompositeOrders, SqlOutboundCommands
from counterpoint.workers.due import DueWorker, Step

if TYPE_CHECKING:
    from counterpoint.bootstrap import Container


class OrchestrationWorker(DueWorker):
    name = "orchestration"

    def steps(self) -> list[tuple[type, Step]]:
        c = self.c
        return [
            (SqlOutboundCommands, lambda cid: orchestration.run_command(
                c.uow, c.clock, c.profile, c.suppliers, cid, timing=c.timing)),
            (SqlCompositeOrders, lambda oid: orchestration.tick_composite(
                c.uow, c.clock, c.profile, c.suppliers, c.activation_tester(), oid, timing=c.timing)),
        ]


class Subscriptions:
    """Registers our listener with each supplier once per process; retried each round until it works."""

    def __init__(self, c: Container) -> None:
        self.c = c
        self.done: dict[str, list[str]] = {}
        self.log = logging.getLogger("counterpoint.subscriptions")

    async def run_once(self) -> int:
        from counterpoint.api.listener import callback_base

        orch = self.c.profile.orchestration
        if orch is None:
            return 0
        for provider in orch.providers:
            if provider.adapter == "own-network" or provider.id in self.done:
                continue
            try:
                ids = await self.c.suppliers.adapter(provider.id).subscribe(callback_base(self.c, provider.id))
            except SupplierError as exc:
                self.log.info("cannot subscribe to %s yet: %s", provider.id, exc.reason)
                continue
            self.done[provider.id] = ids
        return 0
