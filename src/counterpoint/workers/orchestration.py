"""The orchestrator's loop: due outbound commands (send or recover), then due composite orders (poll, test)."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from counterpoint.core.orchestration.commands import run_command
from counterpoint.core.orchestration.enquiry_asking import advance_enquiry
from counterpoint.core.orchestration.model import OutboundCommand
from counterpoint.core.orchestration.polling import tick_composite
from counterpoint.core.orchestration.supply import SupplierError
from counterpoint.core.orchestration.ticket_escalation import tick_ticket
from counterpoint.workers.due import DueWorker, Step

if TYPE_CHECKING:
    from counterpoint.bootstrap import Container


class OrchestrationWorker(DueWorker):
    name = "orchestration"

    def steps(self) -> list[tuple[str, Step]]:
        c = self.c
        after_claim = chaos_exit(c.settings.chaos_exit_after_command_claim)
        return [
            # supply enquiries of composite POQs, quotes and orders on quotes: they may release commands below
            ("enquiries", lambda eid: advance_enquiry(
                c.uow, c.clock, c.profile, c.suppliers, eid, timing=c.timing)),
            ("commands", lambda cid: run_command(
                c.uow, c.clock, c.profile, c.suppliers, cid, timing=c.timing, after_claim=after_claim)),
            ("composites", lambda oid: tick_composite(
                c.uow, c.clock, c.profile, c.suppliers, c.activation_tester(), oid, timing=c.timing)),
            # customers' tickets followed across providers: diagnosis, polls, validation, the customer told
            ("federated_tickets", lambda tid: tick_ticket(
                c.uow, c.clock, c.profile, c.suppliers, c.activation_tester(), c.customer_tickets, tid,
                timing=c.timing)),
        ]


def chaos_exit(provider: str | None) -> Callable[[OutboundCommand], None] | None:
    """Test-only fault (settings.chaos_exit_after_command_claim): die like `kill -9` once a command is claimed.

    The process ends with status 137 right after a command to `provider` ("*": any) was stored as in flight
    and before it is sent: no cleanup, no flush, nothing settled, exactly what a crash leaves behind.
    """
    if not provider:
        return None

    def die(cmd: OutboundCommand) -> None:
        if provider in ("*", cmd.provider_id):
            sys.stderr.write(f"chaos: exiting after claiming command {cmd.id} ({cmd.action} to {cmd.provider_id}, "
                             f"key {cmd.idempotency_key})\n")
            sys.stderr.flush()
            os._exit(137)

    return die


class Subscriptions:
    """Registers our listener with each supplier once per process; retried each round until it works."""

    def __init__(self, c: Container) -> None:
        self.c = c
        self.done: dict[str, list[str]] = {}
        self.log = logging.getLogger("counterpoint.subscriptions")

    async def run_once(self) -> int:
        orch = self.c.profile.orchestration
        if orch is None:
            return 0
        for provider in orch.providers:
            if provider.adapter == "own-network" or provider.id in self.done:
                continue
            url = self.c.callback_url(provider.id)
            async with self.c.uow() as uow:
                if await uow.composites.subscribed(provider.id, url):
                    self.done[provider.id] = []
                    continue
            try:
                ids = await self.c.suppliers.adapter(provider.id).subscribe(url)
            except SupplierError as exc:
                self.log.info("cannot subscribe to %s yet: %s", provider.id, exc.reason)
                continue
            async with self.c.uow() as uow:
                await uow.composites.remember_subscription(provider.id, url, ids, self.c.clock.now())
                await uow.commit()
            self.done[provider.id] = ids
        return 0
