"""A run's report as JSON (the schema is in README.md, "Reconciliation") and the exit status it implies."""

from __future__ import annotations

from typing import Any

from counterpoint.core.reconcile.model import Status
from counterpoint.core.reconcile.services import RunReport
from counterpoint.core.shared.times import iso

SCHEMA = "counterpoint.reconcile/v1"
EXIT_CLEAN = 0  # nothing needs a person
EXIT_RAISED = 3  # this run raised at least one finding to a person
EXIT_STILL_RAISED = 4  # nothing new, but findings raised by earlier runs are still there


def exit_code(report: RunReport) -> int:
    if report.newly_raised:
        return EXIT_RAISED
    if any(f.status is Status.RAISED for f in report.findings):
        return EXIT_STILL_RAISED
    return EXIT_CLEAN


def report_json(report: RunReport) -> dict[str, Any]:
    run = report.run
    raised = set(report.newly_raised)
    return {
        "schema": SCHEMA,
        "run": {"id": run.id, "startedAt": iso(run.started_at),
                "finishedAt": iso(run.finished_at) if run.finished_at else None,
                "checks": [c.value for c in run.checks], "repair": run.repair},
        "scanned": {c.value: n for c, n in report.scanned.items()},
        "summary": report.counts(),
        "exitCode": exit_code(report),
        "findings": [{**s.finding.to_json(), "seen": s.seen.value, "raisedNow": s.finding.id in raised}
                     for s in report.sightings],
        "cleared": [f.to_json() for f in report.cleared],
    }
