"""Polling, the end-to-end activation test and completion of a composite order."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any

from counterpoint.core.orchestration import evidence
from counterpoint.core.orchestration.model import (
    COMPOSITE_TERMINAL,
    CompositeOrder,
    CompositeState,
)
from counterpoint.core.orchestration.observations import observe, poll_interval, staleness
from counterpoint.core.orchestration.ports import ActivationTester, Suppliers, Timing, UowFactory
from counterpoint.core.orchestration.projection import complete_item, customer_order, fail_item
from counterpoint.core.orchestration.reconciliation import reconcile
from counterpoint.core.orchestration.supply import (
    TERMINAL,
    Observation,
    SegmentState,
    SupplierError,
)
from counterpoint.core.ordering.model import OrderState
from counterpoint.core.ports import UnitOfWork
from counterpoint.core.seller.model import SellerProfile
from counterpoint.core.shared.clock import Clock


async def tick_composite(uow_factory: UowFactory, clock: Clock, profile: SellerProfile, suppliers: Suppliers,
                         tester: ActivationTester, composite_id: str, *, timing: Timing = Timing()) -> int:
    """Poll what is due, run the activation test when everything is delivered, and schedule the next look."""
    now = clock.now()
    async with uow_factory() as uow:
        composite = await uow.composites.get_unscoped(composite_id)
    if composite.state in (CompositeState.FAILED, CompositeState.CANCELLED):
        return 0
    observations: list[tuple[str, Observation]] = []
    for seg in composite.segments:
        if seg.external_ref is None or seg.state in TERMINAL or seg.state is SegmentState.ACTIVE:
            continue
        stale = seg.observed_at is None or now - seg.observed_at >= poll_interval(profile, seg.provider_id)
        if composite.state is CompositeState.TESTING:  # the test only runs on fresh evidence
            stale = not evidence.fresh(seg, now=now, staleness=staleness(profile, seg.provider_id))
        if not stale:
            continue
        try:
            obs = await suppliers.adapter(seg.provider_id).get_order(seg.external_ref)
        except SupplierError:
            continue  # unreachable now; the next round asks again, and nothing is decided on old evidence
        observations.append((seg.id, dataclasses.replace(obs, observed_at=clock.now())))
    report: dict[str, Any] | None = None
    if composite.state is CompositeState.TESTING and all(
            evidence.fresh(s, now=now, staleness=staleness(profile, s.provider_id))
            or any(sid == s.id for sid, _ in observations) for s in composite.segments
            if s.state not in (SegmentState.CANCELLED, SegmentState.ACTIVE)):  # ACTIVE: carried over by a modify
        report = await tester.test(composite)
    moved = 0
    state_before = composite.state
    async with uow_factory() as uow:
        composite = await uow.composites.get_unscoped(composite_id)
        now = clock.now()
        for seg_id, obs in observations:
            moved += await observe(uow, profile, composite, composite.segment(seg_id), obs, now=now)
        await reconcile(uow, profile, composite, now=now)
        if report is not None and composite.state is CompositeState.TESTING:
            await _test_done(uow, profile, composite, report, now=now, timing=timing)
            moved += 1
        # segments whose orders are still going out count too: looked at before any was placed, the item must
        # come back at its providers' pace, not at the 30 s fallback
        intervals = [poll_interval(profile, s.provider_id) for s in composite.segments if s.state not in TERMINAL]
        next_poll = now + min(intervals, default=timedelta(seconds=30))
        if composite.state is CompositeState.TESTING:
            if report is None:  # just got there: test at once if the evidence is fresh, else after a poll
                composite.due_at = now if observations or state_before is not CompositeState.TESTING else next_poll
            # otherwise _test_done scheduled the retry
        elif composite.state in COMPOSITE_TERMINAL:
            composite.due_at = None
        else:
            composite.due_at = next_poll
        await uow.composites.save(composite)
        await uow.commit()
    return moved


async def _test_done(uow: UnitOfWork, profile: SellerProfile, composite: CompositeOrder, report: dict[str, Any],
                     *, now: datetime, timing: Timing) -> None:
    order = await customer_order(uow, composite)
    if order.state in (OrderState.ASSESSING_CANCELLATION, OrderState.PENDING_ASSESSING_MODIFICATION):
        # the customer's request is being assessed: the service is not handed over meanwhile (cancellation.py)
        composite.note(now, "end-to-end test result held back: a customer request is being assessed")
        composite.due_at = now + timedelta(seconds=timing.test_retry_s)
        return
    attempts = (composite.test or {}).get("attempts", 0) + 1
    composite.test = {**report, "attempts": attempts}
    if report.get("passed"):
        composite.note(now, "end-to-end activation test passed", summary=report.get("summary"))
        for seg in composite.segments:
            if seg.state is SegmentState.DELIVERED:
                seg.state = SegmentState.ACTIVE
        composite.move_to(CompositeState.ACTIVE, at=now, reason="end-to-end test passed")
        composite.due_at = None
        await complete_item(uow, order, composite, now=now)
        await uow.product_orders.save(order)
        return
    orch = profile.orchestration
    limit = orch.max_test_attempts if orch else 3
    composite.note(now, "end-to-end activation test failed", attempt=attempts, summary=report.get("summary"))
    if attempts >= limit:
        reason = f"end-to-end activation test failed {attempts} times: {report.get('summary', '')}"
        composite.move_to(CompositeState.FAILED, at=now, reason=reason)
        await fail_item(uow, order, composite, reason, now=now)
        await uow.product_orders.save(order)
        composite.due_at = None
    else:
        composite.due_at = now + timedelta(seconds=timing.test_retry_s)
