"""Loops contributed by the capabilities (fulfilment clock, expiry, ...), beside the outbox relay."""

from __future__ import annotations

from typing import TYPE_CHECKING

from counterpoint.workers import (
    incident,
    notices,
    quote,
    reconcile,
    service_order,
    serviceability,
    trouble_ticket,
    workforce,
)
from counterpoint.workers.fulfilment import FulfilmentWorker
from counterpoint.workers.loop import Loop
from counterpoint.workers.orchestration import OrchestrationWorker, Subscriptions

if TYPE_CHECKING:
    from counterpoint.bootstrap import Container


def extra_loops(c: Container) -> list[Loop]:
    loops = [Loop("fulfilment", FulfilmentWorker(c).run_once, c.settings.fulfilment_interval_s),
             serviceability.loop(c), quote.loop(c), trouble_ticket.loop(c), workforce.loop(c),
             incident.loop(c)]
    if c.profile.orchestration is not None:
        loops.append(Loop("orchestration", OrchestrationWorker(c).run_once, c.settings.orchestration_interval_s))
        loops.append(Loop("subscriptions", Subscriptions(c).run_once, 2.0))
        loops.append(notices.loop(c))
        loops.append(reconcile.loop(c))
        if any(p.adapter == "own-network" for p in c.profile.orchestration.providers):
            loops.append(service_order.loop(c))
    return loops
