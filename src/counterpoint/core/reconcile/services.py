"""A reconciliation run: every check over its records, page by page; findings kept; safe repairs applied.

A run reads a page (one short transaction), checks it in memory, folds what it found into the findings (a
second short transaction, only when something was found), applies the safe repairs outside any transaction
(they may call a supplier), and goes on after the page's last id. So a run holds one page at a time, never
locks the database for long, and costs a few indexed queries per page: linear in the number of orders.
When a check has seen every record, its findings that this run did not see again are cleared.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from counterpoint.core.orchestration.commands import run_command
from counterpoint.core.orchestration.model import CommandState
from counterpoint.core.orchestration.observations import evidence_key, record_observation, staleness
from counterpoint.core.orchestration.ports import Suppliers, Timing
from counterpoint.core.orchestration.supply import Observation, SegmentState, SupplierError
from counterpoint.core.reconcile.checks import Context, check_composite, check_ticket
from counterpoint.core.reconcile.model import (
    CHECK_OF,
    Check,
    Drift,
    Finding,
    Repair,
    RepairAction,
    RepairOutcome,
    Seen,
    Sighting,
    Status,
    repaired,
    sight,
)
from counterpoint.core.reconcile.policy import ReconcilePolicy
from counterpoint.core.reconcile.ports import ReconcileUowFactory, Run
from counterpoint.core.seller.model import SellerProfile
from counterpoint.core.shared.clock import Clock
from counterpoint.core.shared.errors import NotFound, StaleVersion
from counterpoint.core.shared.ids import new_id
from counterpoint.core.shared.times import iso

Progress = Callable[[Check, int, int], None]  # (check, records done, records in all)


def policy_of(profile: SellerProfile) -> ReconcilePolicy:
    orch = profile.orchestration
    return orch.reconciliation if orch is not None else ReconcilePolicy()


@dataclass(slots=True)
class RunReport:
    run: Run
    scanned: dict[Check, int] = field(default_factory=dict)
    sightings: list[Sighting] = field(default_factory=list)  # every finding this run found, in order
    newly_raised: list[str] = field(default_factory=list)  # finding ids raised to a person by this run
    cleared: list[Finding] = field(default_factory=list)

    @property
    def findings(self) -> list[Finding]:
        return [s.finding for s in self.sightings]

    def count(self, status: Status) -> int:
        return sum(1 for s in self.sightings if s.finding.status is status)

    @property
    def new(self) -> int:
        return sum(1 for s in self.sightings if s.seen is Seen.NEW)

    @property
    def still_raised(self) -> int:
        """Raised by an earlier run and still there."""
        return sum(1 for s in self.sightings if s.finding.status is Status.RAISED and s.finding.id not in
                   self.newly_raised)

    def counts(self) -> dict[str, int]:
        return {"found": len(self.sightings), "new": self.new, "raised": len(self.newly_raised),
                "stillRaised": self.still_raised, "repaired": self.count(Status.REPAIRED),
                "open": self.count(Status.OPEN), "cleared": len(self.cleared)}


async def run_reconciliation(uow_factory: ReconcileUowFactory, clock: Clock, profile: SellerProfile, *,
                             suppliers: Suppliers | None, timing: Timing = Timing(),
                             checks: Sequence[Check] = tuple(Check), repair: bool = True,
                             progress: Progress | None = None, policy: ReconcilePolicy | None = None) -> RunReport:
    """Run the given checks once. Without `suppliers` (or with `repair=False`) nothing is repaired: findings
    that have a safe repair stay open for a run that may repair."""
    policy = policy or policy_of(profile)
    can_repair = repair and suppliers is not None
    run = Run(id=new_id(), started_at=clock.now(), checks=tuple(checks), repair=can_repair)
    report = RunReport(run)
    async with uow_factory() as uow:
        await uow.findings.start_run(run)
        await uow.commit()
    # orders and services read the same composite records: one pass serves both, each keeping its own findings
    passes: list[tuple[Check, ...]] = []
    composite_checks = tuple(c for c in checks if c is not Check.TICKETS)
    if composite_checks:
        passes.append(composite_checks)
    if Check.TICKETS in checks:
        passes.append((Check.TICKETS,))
    for group in passes:
        async with uow_factory() as uow:
            total = await uow.reconcile_records.count(group)
        done, after = 0, None
        for check in group:
            if progress:
                progress(check, 0, total)
        while True:
            ctx = Context(now=clock.now(), policy=policy, staleness=lambda p: staleness(profile, p),
                          clock_skew=profile.commitments.max_clock_skew)
            async with uow_factory() as uow:
                if group == (Check.TICKETS,):
                    tickets = await uow.reconcile_records.tickets(after=after, limit=policy.page_size)
                    ids = [t.id for t in tickets]
                    drifts = [d for t in tickets for d in check_ticket(t, ctx)]
                else:
                    records = await uow.reconcile_records.composites(group, after=after, limit=policy.page_size)
                    ids = [r.id for r in records]
                    drifts = [d for c in group for r in records for d in check_composite(c, r, ctx)]
            if not ids:
                break
            after = ids[-1]
            done += len(ids)
            if drifts:
                await _fold(uow_factory, clock, profile, suppliers, timing, report, drifts, repair=can_repair)
            for check in group:
                if progress:
                    progress(check, done, max(total, done))
        for check in group:
            report.scanned[check] = done
        async with uow_factory() as uow:
            kinds = [k for k, c in CHECK_OF.items() if c in group]
            report.cleared += await uow.findings.clear_unseen(kinds, run.id, clock.now())
            await uow.commit()
    run.finished_at = clock.now()
    run.counts = {"scanned": {c.value: n for c, n in report.scanned.items()}, **report.counts()}
    async with uow_factory() as uow:
        await uow.findings.finish_run(run)
        await uow.commit()
    return report


async def _fold(uow_factory: ReconcileUowFactory, clock: Clock, profile: SellerProfile, suppliers: Suppliers | None,
                timing: Timing, report: RunReport, drifts: list[Drift], *, repair: bool) -> None:
    unique = list({d.fingerprint: d for d in drifts}.values())
    now = clock.now()
    async with uow_factory() as uow:
        known = await uow.findings.by_fingerprints([d.fingerprint for d in unique])
        sightings = []
        for drift in unique:
            existing = known.get(drift.fingerprint)
            was_raised = existing is not None and existing.status is Status.RAISED
            s = sight(existing, drift, new_id=new_id(), run_id=report.run.id, now=now, repair=repair)
            if existing is None:
                await uow.findings.add(s.finding)
            else:
                await uow.findings.save(s.finding)
            if s.finding.status is Status.RAISED and not was_raised:
                report.newly_raised.append(s.finding.id)
            sightings.append(s)
        await uow.commit()
    for s in sightings:
        if s.try_repair and s.finding.repair is not None and suppliers is not None:
            outcome = await repair_drift(uow_factory, clock, profile, suppliers, s.finding.repair, timing=timing)
            repaired(s.finding, outcome, now=clock.now())
            if s.finding.status is Status.RAISED:
                report.newly_raised.append(s.finding.id)
            async with uow_factory() as uow:
                await uow.findings.save(s.finding)
                await uow.commit()
    report.sightings += sightings


# ---- repairs ------------------------------------------------------------------------------------------------


async def repair_drift(uow_factory: ReconcileUowFactory, clock: Clock, profile: SellerProfile,
                       suppliers: Suppliers, repair: Repair, *, timing: Timing = Timing()) -> RepairOutcome:
    """Apply one safe repair; what it did (or why it could not) comes back in words for the finding."""
    try:
        if repair.action is RepairAction.REQUERY:
            return await _requery(uow_factory, clock, profile, suppliers, repair, timing)
        if repair.action is RepairAction.ADOPT:
            return await _adopt(uow_factory, clock, profile, suppliers, repair)
        return await _refresh(uow_factory, clock, profile, suppliers, repair)
    except SupplierError as exc:
        return RepairOutcome(False, f"{repair.provider_id} could not be asked: {exc.reason}")
    except (NotFound, KeyError) as exc:
        return RepairOutcome(False, f"the record to repair is gone: {exc}")
    except StaleVersion:
        return RepairOutcome(False, "the record changed while it was repaired; the next run looks again")


async def _requery(uow_factory: ReconcileUowFactory, clock: Clock, profile: SellerProfile, suppliers: Suppliers,
                   repair: Repair, timing: Timing) -> RepairOutcome:
    """The command's outcome is treated as unknown and recovered now: the supplier is asked for the order under
    our reference, and the answer is settled as recovery settles it (found: adopted; none: sent again)."""
    assert repair.command_id is not None
    async with uow_factory() as uow:
        cmd = await uow.commands.get_unscoped(repair.command_id)
        if cmd.state in (CommandState.SUCCEEDED, CommandState.REJECTED):
            return RepairOutcome(False, f"command settled meanwhile ({cmd.state.value}); a person looks")
        now = clock.now()
        if cmd.state is not CommandState.UNKNOWN:
            cmd.move_to(CommandState.UNKNOWN, at=now, note="reconciliation: no supplier record; asking by our ref")
        cmd.due_at = now
        await uow.commands.save(cmd)
        await uow.commit()
    await run_command(uow_factory, clock, profile, suppliers, repair.command_id, timing=timing)
    async with uow_factory() as uow:
        cmd = await uow.commands.get_unscoped(repair.command_id)
        seg = (await uow.composites.get_unscoped(repair.composite_id)).segment(repair.segment_id)
    if seg.external_ref is not None:
        return RepairOutcome(True, f"asked {repair.provider_id} for our reference {cmd.idempotency_key}: found "
                                   f"order {seg.external_ref.value}, adopted ({seg.state.value})")
    if cmd.state is CommandState.PENDING:
        return RepairOutcome(True, f"{repair.provider_id} has no order under our reference "
                                   f"{cmd.idempotency_key}: the command is sent again under the same reference")
    note = cmd.history[-1].get("note", "") if cmd.history else ""
    return RepairOutcome(False, f"asked {repair.provider_id} for our reference {cmd.idempotency_key}: still "
                                f"{cmd.state.value} ({note})")


async def _read(uow_factory: ReconcileUowFactory, clock: Clock, suppliers: Suppliers, repair: Repair
                ) -> Observation | None:
    async with uow_factory() as uow:
        seg = (await uow.composites.get_unscoped(repair.composite_id)).segment(repair.segment_id)
    if seg.external_ref is None:
        return None
    obs = await suppliers.adapter(seg.provider_id).get_order(seg.external_ref)
    return dataclasses.replace(obs, observed_at=clock.now())


async def _adopt(uow_factory: ReconcileUowFactory, clock: Clock, profile: SellerProfile, suppliers: Suppliers,
                 repair: Repair) -> RepairOutcome:
    """Read the supplier's order again and hand it to the normal flow (judged, logged, applied, reconciled)."""
    obs = await _read(uow_factory, clock, suppliers, repair)
    if obs is None:
        return RepairOutcome(False, "the segment names no supplier order to read")
    if not await record_observation(uow_factory, clock, profile, obs):
        return RepairOutcome(False, f"{repair.provider_id}'s order {obs.ref.value} is not ours any more")
    async with uow_factory() as uow:
        composite = await uow.composites.get_unscoped(repair.composite_id)
        seg = composite.segment(repair.segment_id)
    moved = f"segment now {seg.state.value}, service {composite.state.value}"
    if seg.observed_at is not None and seg.observed_at >= obs.observed_at:
        return RepairOutcome(True, f"read {obs.ref.value} at {repair.provider_id} again: {obs.raw_state!r}, "
                                   f"given to the normal flow; {moved}")
    return RepairOutcome(False, f"read {obs.ref.value} again: {obs.raw_state!r} was not taken ({moved})")


async def _refresh(uow_factory: ReconcileUowFactory, clock: Clock, profile: SellerProfile, suppliers: Suppliers,
                   repair: Repair) -> RepairOutcome:
    """Ask again about a segment we hold active. The supplier still delivering it renews our evidence (and gives
    its service id if we lacked it); any other answer is logged, not applied, and raised for a person."""
    obs = await _read(uow_factory, clock, suppliers, repair)
    if obs is None:
        return RepairOutcome(False, "the segment names no supplier order to read")
    obs = dataclasses.replace(obs, evidence=evidence_key(obs))
    confirms = obs.state in (SegmentState.DELIVERED, SegmentState.ACTIVE)
    for attempt in range(3):
        try:
            async with uow_factory() as uow:
                now = clock.now()
                composite = await uow.composites.get_unscoped(repair.composite_id)
                seg = composite.segment(repair.segment_id)
                why = ("reconciliation: the supplier still delivers the active segment" if confirms else
                       f"reconciliation: the supplier says {obs.raw_state} of a segment we hold active")
                await uow.composites.log_evidence(composite.id, seg.id, obs, applied=confirms, why=why)
                if confirms:
                    seg.observed_at, seg.raw_state = obs.observed_at, obs.raw_state
                    if obs.product_ref is not None and seg.product_ref is None:
                        seg.product_ref = obs.product_ref
                    composite.note(now, "evidence renewed by reconciliation", segment=seg.name,
                                   provider=seg.provider_id, raw=obs.raw_state, observedAt=iso(obs.observed_at))
                    await uow.composites.save(composite)
                await uow.commit()
            break
        except StaleVersion:
            if attempt == 2:
                raise
    if confirms:
        return RepairOutcome(True, f"{repair.provider_id} confirms {obs.ref.value} ({obs.raw_state!r}); evidence "
                                   "renewed")
    return RepairOutcome(False, f"{repair.provider_id} says {obs.raw_state!r} of {obs.ref.value}, which we hold "
                                "active: logged for a person")


def due(last: Run | None, now: datetime, interval: timedelta) -> bool:
    """Whether the periodic job should run now (no run yet, or the last one started an interval ago)."""
    return last is None or now - last.started_at >= interval
