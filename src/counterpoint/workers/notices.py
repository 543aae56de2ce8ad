"""The orchestrator's catch-up on suppliers' notices: a notification may be lost, so each supplier's open
notices are read now and then (`list_incidents`), and every notice we relay that the supplier no longer lists
as open is read again (it may have ended). What is read goes through the same mapping as a notification."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from counterpoint.core.orchestration.notices import catch_up
from counterpoint.core.orchestration.supply import SupplierError, SupplierNotFound, SupplierNotice
from counterpoint.core.shared.ids import ExternalRef
from counterpoint.workers.loop import Loop

if TYPE_CHECKING:
    from counterpoint.bootstrap import Container

POLL_S = 60.0  # real seconds between two catch-ups


class NoticePoll:
    def __init__(self, c: Container) -> None:
        self.c = c
        self.log = logging.getLogger("counterpoint.notices")

    async def run_once(self) -> int:
        orch = self.c.profile.orchestration
        if orch is None:
            return 0
        async with self.c.uow() as uow:
            relayed = await uow.incidents.open_sources()
        changed = 0
        for provider in orch.providers:
            if provider.adapter == "own-network":
                continue
            adapter = self.c.suppliers.adapter(provider.id)
            try:
                notices: list[SupplierNotice] = await adapter.list_incidents()
                listed = {n.ref.value for n in notices}
                for source in relayed:
                    who, _, incident_id = source.partition(":")
                    if who != provider.id or incident_id in listed:
                        continue
                    try:
                        notices.append(await adapter.get_incident(ExternalRef(provider.id, incident_id,
                                                                              "incident")))
                    except SupplierNotFound:  # no longer shown to us: ours stays open for a person to close
                        self.log.warning("%s no longer shows incident %s", provider.id, incident_id)
            except SupplierError as exc:
                self.log.info("cannot read %s's notices now: %s", provider.id, exc.reason)
                continue
            changed += await catch_up(self.c.uow, self.c.clock, self.c.profile, notices)
        return changed


def loop(c: Container) -> Loop:
    return Loop("supplier-notices", NoticePoll(c).run_once, POLL_S)
