"""Evidence about a segment (a poll, a callback, a command's answer): judged, logged, applied."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from counterpoint.core.orchestration import evidence
from counterpoint.core.orchestration.model import (
    CompositeOrder,
    Segment,
)
from counterpoint.core.orchestration.ports import UowFactory
from counterpoint.core.orchestration.reconciliation import reconcile
from counterpoint.core.orchestration.supply import (
    Observation,
)
from counterpoint.core.ports import UnitOfWork
from counterpoint.core.seller.model import SellerProfile
from counterpoint.core.shared.clock import Clock
from counterpoint.core.shared.errors import StaleVersion
from counterpoint.core.shared.times import iso


def provider_window(profile: SellerProfile, provider_id: str, attr: str, default_s: float) -> timedelta:
    """A provider's poll interval or staleness window (profile seconds), or a default for one we do not know."""
    orch = profile.orchestration
    try:
        return timedelta(seconds=getattr(orch.provider(provider_id), attr) if orch else default_s)
    except KeyError:
        return timedelta(seconds=default_s)


def staleness(profile: SellerProfile, provider_id: str) -> timedelta:
    return provider_window(profile, provider_id, "staleness_s", 300.0)


def poll_interval(profile: SellerProfile, provider_id: str) -> timedelta:
    return provider_window(profile, provider_id, "poll_interval_s", 30.0)


def evidence_key(obs: Observation) -> str | None:
    """What makes two observations the same evidence: the carrier (event id, resource) and what it said.

    A replayed notification repeats all three; a new read of the same resource that says something else
    is new evidence, even though an adapter may name both after the resource.
    """
    if obs.evidence is None:
        return None
    return f"{obs.evidence}|{obs.raw_state}|{iso(obs.as_of) if obs.as_of else '-'}"


async def observe(uow: UnitOfWork, profile: SellerProfile, composite: CompositeOrder, segment: Segment,
                   obs: Observation, *, now: datetime) -> bool:
    obs = dataclasses.replace(obs, evidence=evidence_key(obs))
    seen = await uow.composites.seen(segment.id, obs.evidence)
    verdict = evidence.judge(segment, obs, now=now, staleness=staleness(profile, segment.provider_id), seen=seen)
    if not seen:
        await uow.composites.log_evidence(composite.id, segment.id, obs, applied=verdict.applied, why=verdict.why)
    if not verdict.applied:
        return False
    known_product = segment.product_ref
    changes = evidence.apply(segment, obs)
    if segment.product_ref is not None and segment.product_ref != known_product:
        # the supplier's product, so that its later notices (incidents) that name only it find this segment
        await uow.composites.remember_ref(segment.product_ref, composite.id, segment.id)
    if changes:
        composite.note(now, "evidence", segment=segment.name, provider=segment.provider_id,
                       source=obs.source.value, change="; ".join(changes), raw=obs.raw_state)
    return True


async def record_observation(uow_factory: UowFactory, clock: Clock, profile: SellerProfile, obs: Observation
                             ) -> bool:
    """Evidence from a poll or a callback about a supplier's resource; False if it is not ours."""
    for attempt in range(5):  # a concurrent writer of the same composite wins; we re-read and judge again
        try:
            async with uow_factory() as uow:
                now = clock.now()
                owner = await uow.composites.owner_of(obs.ref)
                if owner is None:
                    return False
                composite = await uow.composites.get_unscoped(owner[0])
                await observe(uow, profile, composite, composite.segment(owner[1]), obs, now=now)
                await reconcile(uow, profile, composite, now=now)
                await uow.composites.save(composite)
                await uow.commit()
            return True
        except StaleVersion:
            if attempt == 4:
                raise
    return True
