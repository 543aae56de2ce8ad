"""Loops contributed by the capabilities (fulfilment clock, expiry, ...), beside the outbox relay."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from counterpoint.bootstrap import Container
    from counterpoint.workers.runner import Loop


def extra_loops(c: Container) -> list[Loop]:
    from counterpoint.workers import quote, serviceability
    from counterpoint.workers.fulfilment import FulfilmentWorker
    from counterpoint.workers.runner import Loop

    return [Loop("fulfilment", FulfilmentWorker(c).run_once, c.settings.fulfilment_interval_s),
            serviceability.loop(c), quote.loop(c)]
