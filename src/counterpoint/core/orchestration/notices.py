"""A supplier's maintenance or impairment notice, carried to the customers whose services use its products.

The supplier names its own products; each is a segment of ours (its product reference, remembered like its
order reference) and so a part of a customer's service (the composite's product in our inventory). For every
customer service touched we raise **our own** incident (core/incident), with our ids, on the interface the
customer bought through, keeping the supplier's incident as its `source_ref`; the customer hears of it through
our hub. Later notices of the same supplier incident (a new end, another impact, its start, its closing) are
carried onto ours. For the SLA (core/sla): a maintenance window is recorded as the supplier's, on our segments
and the customers' services (core/incident's feed); an impairment is an outage of each customer service, in the
supplier's domain, from the start to the end the supplier states (evidence of kind supplierNotice).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from counterpoint.core.incident import services as incidents
from counterpoint.core.incident.model import Impact, Incident, IncidentStatus, IncidentType, Notice
from counterpoint.core.orchestration.ports import UowFactory
from counterpoint.core.orchestration.supply import NoticeImpact, NoticeKind, NoticeState, SupplierNotice
from counterpoint.core.ports import UnitOfWork
from counterpoint.core.seller.model import SellerProfile
from counterpoint.core.shared.clock import Clock
from counterpoint.core.shared.errors import Conflict, NotFound, StaleVersion
from counterpoint.core.sla import services as sla
from counterpoint.core.sla.model import OURS, Domain, EvidenceKind, Responsible
from counterpoint.core.sla.model import Impact as SlaImpact

IMPACTS = {NoticeImpact.OUTAGE: Impact.DOWN, NoticeImpact.DEGRADED: Impact.DEGRADED,
           NoticeImpact.INTERMITTENT: Impact.INTERMITTENT}


def source_ref(notice: SupplierNotice) -> str:
    """How our incidents name the supplier's: `provider:incident id`."""
    return f"{notice.ref.provider}:{notice.ref.value}"


@dataclass(frozen=True, slots=True)
class Affected:
    """What a supplier notice touches on our side."""

    services: tuple[tuple[str, str, str], ...]  # (customer, interface, our product id)
    segments: tuple[str, ...]  # our segment ids
    unknown: tuple[str, ...] = ()  # supplier products we cannot place (not ours, or not delivered yet)
    pairs: tuple[tuple[str, str], ...] = ()  # (our product id, our segment id) for each placed supplier product


@dataclass(slots=True)
class Relayed:
    incidents: list[Incident] = field(default_factory=list)
    affected: Affected | None = None
    changed: bool = False


async def affected_by(uow: UnitOfWork, notice: SupplierNotice) -> Affected:
    """Our segments built on the supplier's products the notice names, and the customer services they serve."""
    services: dict[str, tuple[str, str, str]] = {}
    segments: list[str] = []
    unknown: list[str] = []
    pairs: list[tuple[str, str]] = []
    for product in notice.products:
        owner = await uow.composites.owner_of(product)
        if owner is None:
            unknown.append(product.value)
            continue
        composite = await uow.composites.get_unscoped(owner[0])
        if owner[1] not in segments:
            segments.append(owner[1])
        if composite.product_id:
            services[composite.product_id] = (composite.buyer_id, composite.channel, composite.product_id)
            if (composite.product_id, owner[1]) not in pairs:
                pairs.append((composite.product_id, owner[1]))
        else:
            unknown.append(product.value)
    return Affected(tuple(services.values()), tuple(segments), tuple(unknown), tuple(pairs))


async def feed_outages(uow: UnitOfWork, clock: Clock, notice: SupplierNotice, pairs: tuple[tuple[str, str], ...]
                       ) -> None:
    """A supplier's impairment is an outage of the customer services on its product, in the supplier's domain,
    from the start it states (its clock) to the end it reports: evidence for the SLA (core/sla), one outage per
    service under the notice's key, idempotent. Planned maintenance is a window (feed_sla), not an outage."""
    if notice.kind is not NoticeKind.IMPAIRMENT or notice.state in (NoticeState.ANNOUNCED,
                                                                     NoticeState.UNRECOGNISED):
        return
    provider = notice.ref.provider
    key = f"notice:{source_ref(notice)}"
    impact = SlaImpact.DOWN if notice.impact is NoticeImpact.OUTAGE else SlaImpact.DEGRADED
    for service_id, segment_id in pairs:
        await sla.record_outage_start(
            uow, clock, service_id=service_id, key=key, at=notice.starts_at or notice.observed_at, source=provider,
            reference=notice.ref.value, kind=EvidenceKind.SUPPLIER_NOTICE,
            stamped_by=provider if notice.starts_at else OURS, segment_id=segment_id,
            responsible=Responsible(Domain.SUPPLIER, provider), impact=impact, note=notice.description[:500] or None)
        if notice.state is NoticeState.ENDED:
            await sla.record_outage_end(
                uow, clock, service_id=service_id, key=key, at=notice.ended_at or notice.observed_at,
                source=provider, reference=notice.ref.value, kind=EvidenceKind.SUPPLIER_NOTICE,
                stamped_by=provider if notice.ended_at else OURS)


def _our_notice(notice: SupplierNotice, segments: tuple[str, ...], *, now: datetime) -> Notice:
    maintenance = notice.kind is NoticeKind.MAINTENANCE
    start = notice.starts_at or now
    end = notice.expected_end if notice.expected_end and notice.expected_end > start else None
    if maintenance and end is None:  # a window without an end cannot be planned around: read as an impairment
        maintenance = False
    text = notice.description or ("planned maintenance" if maintenance else "impairment")
    return Notice(notice_id=f"supplier:{source_ref(notice)}",
                  incident_type=IncidentType.MAINTENANCE if maintenance else IncidentType.REPAIR,
                  impact=IMPACTS[notice.impact], start=start, end=end,
                  description=f"{text} (on a part of your service delivered by a partner)",
                  closes_at_end=False,  # the supplier says when it is over
                  source_ref=source_ref(notice), scope_ids=segments)


def _follow(incident: Incident, notice: SupplierNotice, *, now: datetime) -> bool:
    """Carry what the supplier changed onto our incident; True when it changed."""
    if incident.status is IncidentStatus.CLOSED:
        return False
    changed = False
    start = notice.starts_at
    end = notice.expected_end
    if end is not None and end <= (start or incident.start):
        end = None
    if incident.revise(at=now, start=start, end=end, impact=IMPACTS[notice.impact],
                       description=_our_notice(notice, (), now=now).description if notice.description else None):
        changed = True
    if notice.state is NoticeState.ONGOING and incident.status is IncidentStatus.CREATED:
        incident.move_to(IncidentStatus.IN_PROGRESS, at=now, reason="our partner has begun")
        changed = True
    if notice.state is NoticeState.ENDED:
        incident.move_to(IncidentStatus.CLOSED, at=now, reason="our partner reports normal operation restored")
        changed = True
    if not changed:
        changed = incident.advance(now)
    return changed


async def relay_notice(uow_factory: UowFactory, clock: Clock, profile: SellerProfile, notice: SupplierNotice
                       ) -> Relayed:
    """Raise, update or close our incidents for a supplier's notice. Idempotent: the same notice read twice
    changes nothing the second time; a notice on none of our services raises nothing."""
    for attempt in range(5):
        try:
            return await _relay(uow_factory(), clock, profile, notice)
        except (StaleVersion, Conflict):  # a concurrent reading of the same notice won: read again
            if attempt == 4:
                raise
    raise AssertionError("unreachable")


async def _relay(uow: UnitOfWork, clock: Clock, profile: SellerProfile, notice: SupplierNotice) -> Relayed:
    async with uow:
        now = clock.now()
        ours = await uow.incidents.by_source(source_ref(notice))
        out = Relayed(incidents=ours)
        if ours:
            for incident in ours:
                if _follow(incident, notice, now=now):
                    await uow.incidents.save(incident)
                    out.changed = True
            if out.changed:
                await incidents.feed_sla(uow, clock, ours[0].notice_id)
                await feed_outages(uow, clock, notice, (await affected_by(uow, notice)).pairs)
                await uow.commit()
            return out
        if notice.state is NoticeState.ENDED:
            return out  # over before we heard of it: nothing to tell our customers
        affected = await affected_by(uow, notice)
        out.affected = affected
        if not affected.services:
            return out
        announced = await incidents.raise_incidents(uow, clock, profile,
                                                    _our_notice(notice, affected.segments, now=now),
                                                    list(affected.services))
        for incident in announced.incidents:
            if notice.state is NoticeState.ONGOING and incident.status is IncidentStatus.CREATED:
                incident.move_to(IncidentStatus.IN_PROGRESS, at=now, reason="our partner has begun")
                await uow.incidents.save(incident)
        out.incidents, out.changed = announced.incidents, True
        await feed_outages(uow, clock, notice, affected.pairs)
        await uow.commit()
        return out


async def catch_up(uow_factory: UowFactory, clock: Clock, profile: SellerProfile,
                   notices: list[SupplierNotice]) -> int:
    """Relay a supplier's open notices listed by a poll (a notification we missed); how many changed ours."""
    changed = 0
    for notice in notices:
        try:
            changed += (await relay_notice(uow_factory, clock, profile, notice)).changed
        except NotFound:
            continue
    return changed
