"""The Seller's incident loop: announced windows start (inProgress) and end (closed) on their dates."""

from __future__ import annotations

from typing import TYPE_CHECKING

from counterpoint.core.incident import services
from counterpoint.workers.due import DueWorker, Step
from counterpoint.workers.loop import Loop

if TYPE_CHECKING:
    from counterpoint.bootstrap import Container


class IncidentWorker(DueWorker):
    name = "incident"

    def steps(self) -> list[tuple[str, Step]]:
        return [("incidents", lambda incident_id: services.advance_incident(self.c.uow(), self.c.clock,
                                                                            incident_id))]


def loop(c: Container) -> Loop:
    return Loop("incident", IncidentWorker(c).run_once, c.settings.fulfilment_interval_s)
