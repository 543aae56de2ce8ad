"""Use cases of incidents: announce (operators, the profile, the orchestrator), revise, close, advance on their
dates (the worker), and read (buyers, scoped to their own products). Every maintenance window announced is
recorded in the SLA records too (core/sla: ours, or the supplier's whose notice we relay)."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from counterpoint.core.incident.model import (
    Impact,
    Incident,
    IncidentStatus,
    IncidentType,
    Notice,
    new_incident,
)
from counterpoint.core.inventory.model import Product, ProductStatus
from counterpoint.core.shared.clock import Clock
from counterpoint.core.shared.errors import Conflict, Invalid, NotFound, Problem
from counterpoint.core.sla import services as sla
from counterpoint.core.sla.model import OURS

if TYPE_CHECKING:
    from counterpoint.core.ports import UnitOfWork
    from counterpoint.core.seller.model import SellerProfile

# products an announcement can concern: those the buyer has (or is about to lose)
LIVE = frozenset({ProductStatus.ACTIVE, ProductStatus.ACTIVE_PENDING_CHANGE, ProductStatus.SUSPENDED,
                  ProductStatus.PENDING_TERMINATE, ProductStatus.SUSPENDED_PENDING_TERMINATE})


@dataclass(frozen=True, slots=True)
class IncidentFilter:
    priority: str | None = None
    severity: str | None = None
    impact: str | None = None
    incident_type: str | None = None
    status: str | None = None
    related_entity_id: str | None = None
    related_entity_type: str | None = None
    creation_gt: datetime | None = None
    creation_lt: datetime | None = None
    start_gt: datetime | None = None
    start_lt: datetime | None = None
    expected_closed_gt: datetime | None = None
    expected_closed_lt: datetime | None = None
    closed_gt: datetime | None = None
    closed_lt: datetime | None = None


@dataclass(frozen=True, slots=True)
class Targets:
    """What an announcement affects: products by id, or every live product of some offerings or in some areas
    (a product is in an area when one of its places is an address or site of that area)."""

    product_ids: tuple[str, ...] = ()
    offering_ids: tuple[str, ...] = ()
    area_ids: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.product_ids or self.offering_ids or self.area_ids)


@dataclass(slots=True)
class Announced:
    notice_id: str
    incidents: list[Incident] = field(default_factory=list)
    already: bool = False  # the notice was announced before: nothing new


def _area_of_place(profile: SellerProfile, place: dict[str, object]) -> str | None:
    ref = place.get("id")
    if not isinstance(ref, str):
        return None
    if place.get("@type") == "GeographicSiteRef":
        site = profile.site(ref)
        ref = site.address_id if site else ""
    address = profile.address(ref)
    return address.area if address else None


def in_areas(profile: SellerProfile, product: Product, areas: tuple[str, ...]) -> bool:
    return any(_area_of_place(profile, p) in areas for p in product.places)


def check_notice(notice: Notice, targets: Targets | None = None) -> None:
    problems = []
    if not notice.description.strip():
        problems.append(Problem("missingProperty", "an announcement needs a description", "/description"))
    if notice.start.tzinfo is None or (notice.end is not None and notice.end.tzinfo is None):
        problems.append(Problem("invalidValue", "give start and end with a time zone", "/situationStartDate"))
    elif notice.end is not None and notice.end <= notice.start:
        problems.append(Problem("invalidValue", "the end must come after the start", "/expectedClosedDate"))
    if notice.incident_type is IncidentType.MAINTENANCE and notice.end is None:
        problems.append(Problem("missingProperty", "a maintenance window needs an end", "/expectedClosedDate"))
    if targets is not None and targets.empty:
        problems.append(Problem("missingProperty", "name the affected products, offerings or areas",
                                "/relatedEntity"))
    if problems:
        raise Invalid("announcement refused", problems=problems)


async def _affected(uow: UnitOfWork, profile: SellerProfile, targets: Targets) -> list[Product]:
    found: dict[str, Product] = {}
    if targets.product_ids:
        for p in await uow.products.live(ids=targets.product_ids):
            found[p.id] = p
    if targets.offering_ids:
        for p in await uow.products.live(offerings=targets.offering_ids):
            found[p.id] = p
    if targets.area_ids:
        for p in await uow.products.live():
            if in_areas(profile, p, targets.area_ids):
                found[p.id] = p
    return [p for p in found.values() if p.status in LIVE]


def provider_of(source_ref: str | None) -> str:
    """Whose window it is, for the SLA: ours, or the supplier whose incident (`provider:id`) we relay."""
    return source_ref.split(":", 1)[0] if source_ref else OURS


async def feed_sla(uow: UnitOfWork, clock: Clock, notice_id: str) -> None:
    """Record a maintenance notice's window in the SLA records (core/sla), with every product it names (our
    customers' services) and the segments it concerns; given again after a change, the window is replaced.
    A window closed while it runs ends at its closing; one withdrawn before it began is kept covering nothing
    (the SLA records have no removal). Runs in the caller's transaction."""
    incidents = await uow.incidents.by_notice(notice_id)
    if not incidents or incidents[0].incident_type is not IncidentType.MAINTENANCE:
        return
    first = incidents[0]
    end = first.end
    closed = [datetime.fromisoformat(i.doc["closedDate"]) for i in incidents if i.doc.get("closedDate")]
    if len(closed) == len(incidents) and end is not None and max(closed) < end:
        end = max(closed)
    provider = provider_of(first.source_ref)
    ref = first.source_ref.split(":", 1)[1] if first.source_ref else notice_id
    if end is None or end <= first.start:  # withdrawn before it began: a window that covers nothing any more
        known = await uow.sla.maintenance_by_ref(provider, ref)
        if known is not None and (known.services or known.segments):
            await uow.sla.put_maintenance(dataclasses.replace(known, services=(), segments=()))
        return
    services = sorted({p for i in incidents for p in i.product_ids})
    segments = sorted({s for i in incidents for s in i.scope_ids} - set(services))
    await sla.record_maintenance(uow, clock, provider=provider, notice_ref=ref, start=first.start, end=end,
                                 services=services, segments=segments)


async def raise_incidents(uow: UnitOfWork, clock: Clock, profile: SellerProfile, notice: Notice,
                          products: list[tuple[str, str, str]]) -> Announced:
    """One incident per (buyer, interface) of `products` [(buyer, channel, product id)], inside the caller's
    transaction; a maintenance window is recorded for the SLA too. A notice announced before is not announced
    again (replays, restarts)."""
    now = clock.now()
    existing = await uow.incidents.by_notice(notice.notice_id)
    if existing:
        return Announced(notice.notice_id, existing, already=True)
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for buyer_id, channel, product_id in products:
        if product_id not in groups[(buyer_id, channel)]:
            groups[(buyer_id, channel)].append(product_id)
    contact = profile.desk_contact("incidentContact", "operations", "noc")
    out = Announced(notice.notice_id)
    for (buyer_id, channel), ids in sorted(groups.items()):
        incident = new_incident(notice, buyer_id=buyer_id, seller_id=profile.seller_id, channel=channel,
                                product_ids=sorted(ids), contact=contact, at=now)
        incident.advance(now)  # a window already begun is in progress from the start
        await uow.incidents.add(incident)
        out.incidents.append(incident)
    await feed_sla(uow, clock, notice.notice_id)
    return out


async def announce(uow: UnitOfWork, clock: Clock, profile: SellerProfile, notice: Notice, targets: Targets
                   ) -> Announced:
    """An operator's (or the profile's) announcement on the Seller's products."""
    check_notice(notice, targets)
    async with uow:
        products = await _affected(uow, profile, targets)
        if not products:
            raise NotFound("no live product matches the announcement")
        out = await raise_incidents(uow, clock, profile, notice,
                                    [(p.buyer_id, p.channel, p.id) for p in products])
        if not out.already:
            await uow.commit()
        return out


async def seed_windows(uow: UnitOfWork, clock: Clock, profile: SellerProfile) -> list[str]:
    """Announce the profile's planned maintenance windows not announced yet (idempotent: a window's id is its
    notice id); a window already over, or on no live product, is left out. Ids of the notices announced now."""
    done: list[str] = []
    for w in profile.maintenance:
        now = clock.now()
        if w.end <= now:
            continue
        notice = Notice(notice_id=w.id, incident_type=IncidentType(w.incident_type), impact=Impact(w.impact),
                        start=w.start, end=w.end, description=w.description, closes_at_end=True,
                        priority=w.priority, severity=w.severity)
        try:
            out = await announce(uow, clock, profile, notice, Targets(w.product_ids, w.offering_ids, w.area_ids))
        except NotFound:
            continue
        except Conflict:  # another process announced it at the same moment
            continue
        if not out.already:
            done.append(w.id)
    return done


async def _resolve(uow: UnitOfWork, ref: str) -> list[Incident]:
    """An incident by id, or every incident of a notice by its id."""
    try:
        return [await uow.incidents.get_unscoped(ref)]
    except NotFound:
        found = await uow.incidents.by_notice(ref)
        if not found:
            raise
        return found


async def close(uow: UnitOfWork, clock: Clock, ref: str, *, reason: str = "closed by the Seller") -> list[Incident]:
    """Close an incident, or all of a notice's; those already closed are left as they are."""
    async with uow:
        incidents = await _resolve(uow, ref)
        now = clock.now()
        for incident in incidents:
            if incident.status is not IncidentStatus.CLOSED:
                incident.move_to(IncidentStatus.CLOSED, at=now, reason=reason)
                await uow.incidents.save(incident)
        for notice_id in sorted({i.notice_id for i in incidents}):
            await feed_sla(uow, clock, notice_id)
        await uow.commit()
        return incidents


async def revise(uow: UnitOfWork, clock: Clock, ref: str, *, end: datetime | None = None,
                 description: str | None = None, impact: Impact | None = None, note: str | None = None
                 ) -> list[Incident]:
    """Change an open incident (or a notice's): new end, description, impact, or a note; buyers are told."""
    async with uow:
        incidents = await _resolve(uow, ref)
        now = clock.now()
        for incident in incidents:
            if end is not None and end <= incident.start:
                raise Invalid("the end must come after the start", problems=[
                    Problem("invalidValue", "the end must come after the start", "/expectedClosedDate")])
            if incident.revise(at=now, end=end, description=description, impact=impact, note=note):
                incident.advance(now)
                await uow.incidents.save(incident)
        for notice_id in sorted({i.notice_id for i in incidents}):
            await feed_sla(uow, clock, notice_id)
        await uow.commit()
        return incidents


async def advance_incident(uow: UnitOfWork, clock: Clock, incident_id: str) -> int:
    """The worker's step: move an incident whose date has come."""
    async with uow:
        incident = await uow.incidents.get_unscoped(incident_id)
        moved = incident.advance(clock.now())
        await uow.incidents.save(incident)
        await uow.commit()
        return 1 if moved else 0


async def get_incident(uow: UnitOfWork, *, buyer_id: str, incident_id: str) -> Incident:
    async with uow:
        return await uow.incidents.get(buyer_id, incident_id)


async def list_incidents(uow: UnitOfWork, *, buyer_id: str, flt: IncidentFilter, offset: int, limit: int
                         ) -> tuple[list[Incident], int]:
    async with uow:
        return await uow.incidents.search(buyer_id, flt, offset=offset, limit=limit)
