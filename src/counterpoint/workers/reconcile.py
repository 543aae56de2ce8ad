"""The periodic reconciliation job: every check, with the profile's repair policy, once per interval."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from counterpoint.core.reconcile.model import Status
from counterpoint.core.reconcile.services import due, policy_of, run_reconciliation
from counterpoint.workers.loop import Loop

if TYPE_CHECKING:
    from counterpoint.bootstrap import Container

log = logging.getLogger("counterpoint.reconcile")


class ReconcileWorker:
    """One run per interval (the last run's start, on the Seller's clock, is read from the database, so several
    processes on one database and restarts do not run it more often). Newly raised findings are logged once."""

    def __init__(self, c: Container) -> None:
        self.c = c

    @property
    def interval_s(self) -> float:
        configured = self.c.settings.reconcile_interval_s
        return configured if configured is not None else policy_of(self.c.profile).interval_s

    async def run_once(self) -> int:
        c = self.c
        async with c.uow() as uow:
            last = await uow.findings.last_run()
        if not due(last, c.clock.now(), timedelta(seconds=self.interval_s * c.settings.time_scale)):
            return 0
        report = await run_reconciliation(c.uow, c.clock, c.profile, suppliers=c.suppliers, timing=c.timing,
                                          repair=policy_of(c.profile).repair)
        for f in report.findings:
            if f.id in report.newly_raised and f.status is Status.RAISED:
                log.warning("reconciliation raised %s (%s): %s", f.kind.value, f.severity.value, f.summary)
        return 0  # a run is not "work moved": the loop pauses a whole interval after it


def loop(c: Container) -> Loop:
    worker = ReconcileWorker(c)
    # wakes often enough to notice its turn; a run happens only once per interval
    return Loop("reconcile", worker.run_once, min(worker.interval_s, 60.0))
