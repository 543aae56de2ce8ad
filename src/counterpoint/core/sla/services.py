"""Feeding the SLA records, and reading a month's report.

Every function here runs in the caller's transaction: open the unit of work, call as many as the change
needs (a ticket and its outage together, say), then commit. Each is idempotent on a natural key:

- an outage is (service id, key), the key naming what reported it, e.g. `ticket:TT-12` or `alarm:A-9`; the
  service id is the customer's product id in our inventory (what tickets and maintenance notices name);
- an evidence item is (outage, fact, source, reference); given again, even with another instant, the first one
  stands (a supplier that revises its repair time sends a new reference);
- a maintenance window is (provider, notice reference); a notice given again with other times or scope
  replaces the window (a rescheduled notice);
- a service's terms are its id (given again: replaced).

So the same ticket reported twice makes one outage, and a supplier's "resolved" delivered twice is one item.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from counterpoint.core.orchestration.model import CompositeOrder
from counterpoint.core.seller.model import SellerProfile
from counterpoint.core.shared.clock import Clock
from counterpoint.core.shared.errors import Invalid, NotFound
from counterpoint.core.shared.ids import new_id
from counterpoint.core.sla.attribution import MonthReport, month_report, resolve
from counterpoint.core.sla.model import (
    OURS,
    UNKNOWN_DOMAIN,
    Commitments,
    Evidence,
    EvidenceKind,
    Fact,
    Impact,
    MaintenanceWindow,
    Month,
    Outage,
    Responsible,
    SegmentTerms,
    ServiceTerms,
)

if TYPE_CHECKING:
    from counterpoint.core.ports import UnitOfWork

# outages looked at around a month: evidence may be corrected by up to a day of skew, and an outage recorded
# as starting just before the month may belong to it once corrected
MARGIN = timedelta(days=1)


# the longest identifiers the records keep (storage/sla.py's columns)
LIMITS = {"service_id": 128, "key": 200, "segment_id": 128, "source": 128, "stamped_by": 128, "reference": 256,
          "provider": 128, "notice_ref": 256}


def _fits(**values: str | None) -> None:
    for name, value in values.items():
        if value is not None and (len(value) > LIMITS[name] or "\x00" in value):
            raise Invalid(f"{name} is longer than {LIMITS[name]} characters or holds a NUL character")


def _aware(name: str, at: datetime) -> datetime:
    if at.tzinfo is None:
        raise Invalid(f"{name} must carry a time zone")
    return at


def _evidence(outage: Outage, *, fact: Fact, at: datetime, source: str, reference: str, kind: EvidenceKind,
              stamped_by: str | None, received_at: datetime, responsible: Responsible | None = None,
              note: str | None = None) -> Evidence:
    return Evidence(id=new_id(), outage_id=outage.id, fact=fact, kind=kind, source=source, reference=reference,
                    at=_aware("at", at), stamped_by=stamped_by or source, received_at=received_at,
                    responsible=responsible, note=note)


async def _refresh(uow: UnitOfWork, outage: Outage, now: datetime) -> None:
    """Keep the outage's recorded start, end and domain in step with its evidence (no skew correction)."""
    r = resolve(outage)
    changed = (r.start, r.end, r.responsible) != (outage.start, outage.end, outage.responsible)
    if changed:
        outage.start, outage.end, outage.responsible = r.start, r.end, r.responsible
        outage.updated_at = now
        await uow.sla.save_outage(outage)


async def _add(uow: UnitOfWork, outage: Outage, item: Evidence) -> bool:
    if outage.has(item.key):
        return False
    if await uow.sla.add_evidence(item):
        outage.evidence.append(item)
        return True
    return False


async def record_outage_start(uow: UnitOfWork, clock: Clock, *, service_id: str, key: str, at: datetime,
                              source: str = OURS, reference: str | None = None,
                              kind: EvidenceKind = EvidenceKind.TICKET, stamped_by: str | None = None,
                              segment_id: str | None = None, responsible: Responsible | None = None,
                              impact: Impact = Impact.DOWN, note: str | None = None) -> Outage:
    """An outage of `service_id` began at `at` (by `stamped_by`'s clock, default the source's), as `source`'s
    `reference` shows (default: the key). Recording it again adds the evidence if it is new and nothing else;
    a `responsible` domain given is recorded as DOMAIN evidence of the same reference."""
    if not key or not service_id:
        raise Invalid("an outage needs a service id and a natural key")
    _fits(service_id=service_id, key=key, segment_id=segment_id, source=source, stamped_by=stamped_by,
          reference=reference)
    now = clock.now()
    reference = reference or key
    outage = await uow.sla.outage_by_key(service_id, key)
    if outage is None:
        outage = Outage(id=new_id(), service_id=service_id, key=key, segment_id=segment_id, impact=impact,
                        start=_aware("at", at), end=None, responsible=responsible or UNKNOWN_DOMAIN,
                        created_at=now, updated_at=now)
        outage = await uow.sla.add_outage(outage)
    if (segment_id is not None and outage.segment_id is None) or (
            impact is Impact.DOWN and outage.impact is not Impact.DOWN):
        # a later report may name the segment, or say a degradation became an outage; never the reverse
        outage.segment_id = outage.segment_id or segment_id
        if impact is Impact.DOWN:
            outage.impact = Impact.DOWN
        outage.updated_at = now
        await uow.sla.save_outage(outage)
    await _add(uow, outage, _evidence(outage, fact=Fact.START, at=at, source=source, reference=reference,
                                      kind=kind, stamped_by=stamped_by, received_at=now, note=note))
    if responsible is not None:
        await _add(uow, outage, _evidence(outage, fact=Fact.DOMAIN, at=at, source=source, reference=reference,
                                          kind=kind, stamped_by=stamped_by, received_at=now,
                                          responsible=responsible))
    await _refresh(uow, outage, now)
    return outage


async def record_outage_end(uow: UnitOfWork, clock: Clock, *, service_id: str, key: str, at: datetime,
                            source: str = OURS, reference: str, kind: EvidenceKind = EvidenceKind.TEST,
                            stamped_by: str | None = None, note: str | None = None) -> Outage:
    """The service was back at `at`: our test passed (source OURS), or a supplier says it repaired (source:
    the supplier). Which of these ends the outage is the attribution's rule `end`; both are kept."""
    return await add_evidence(uow, clock, service_id=service_id, key=key, fact=Fact.END, at=at, source=source,
                              reference=reference, kind=kind, stamped_by=stamped_by, note=note)


async def set_responsible(uow: UnitOfWork, clock: Clock, *, service_id: str, key: str, responsible: Responsible,
                          at: datetime, source: str = OURS, reference: str,
                          kind: EvidenceKind = EvidenceKind.TICKET, stamped_by: str | None = None,
                          note: str | None = None) -> Outage:
    """The fault was found in `responsible`'s domain (a triage, a supplier's diagnosis, a test)."""
    return await add_evidence(uow, clock, service_id=service_id, key=key, fact=Fact.DOMAIN, at=at, source=source,
                              reference=reference, kind=kind, stamped_by=stamped_by, responsible=responsible,
                              note=note)


async def record_reported(uow: UnitOfWork, clock: Clock, *, service_id: str, key: str, to: Responsible,
                          at: datetime, source: str = OURS, reference: str,
                          kind: EvidenceKind = EvidenceKind.TICKET, stamped_by: str | None = None) -> Outage:
    """The fault was reported to `to` at `at` (our ticket opened at a supplier): its OLA repair clock starts
    then, unless its own evidence shows it knew earlier (attribution rule `ola-repair`)."""
    return await add_evidence(uow, clock, service_id=service_id, key=key, fact=Fact.REPORTED, at=at, source=source,
                              reference=reference, kind=kind, stamped_by=stamped_by, responsible=to)


async def add_evidence(uow: UnitOfWork, clock: Clock, *, service_id: str, key: str, fact: Fact, at: datetime,
                       source: str = OURS, reference: str, kind: EvidenceKind = EvidenceKind.OBSERVATION,
                       stamped_by: str | None = None, responsible: Responsible | None = None,
                       note: str | None = None) -> Outage:
    """One more item of evidence on a recorded outage (NotFound if (service, key) has none)."""
    if fact in (Fact.DOMAIN, Fact.REPORTED, Fact.ROOT_CAUSE) and responsible is None:
        raise Invalid(f"{fact.value.upper()} evidence names a domain (whose fault, or to whom it was reported)")
    _fits(source=source, stamped_by=stamped_by, reference=reference)
    outage = await uow.sla.outage_by_key(service_id, key)
    if outage is None:
        raise NotFound(f"no outage {key} of service {service_id}")
    now = clock.now()
    await _add(uow, outage, _evidence(outage, fact=fact, at=at, source=source, reference=reference, kind=kind,
                                      stamped_by=stamped_by, received_at=now, responsible=responsible, note=note))
    await _refresh(uow, outage, now)
    return outage


async def record_maintenance(uow: UnitOfWork, clock: Clock, *, provider: str, notice_ref: str, start: datetime,
                             end: datetime, services: Sequence[str] = (), segments: Sequence[str] = ()
                             ) -> MaintenanceWindow:
    """An announced maintenance window of `provider` (OURS or a supplier id), on services and/or segments."""
    if _aware("end", end) <= _aware("start", start):
        raise Invalid("a maintenance window ends after it starts")
    if not services and not segments:
        raise Invalid("a maintenance window names the services or segments it affects")
    _fits(provider=provider, notice_ref=notice_ref)
    known = await uow.sla.maintenance_by_ref(provider, notice_ref)
    window = MaintenanceWindow(id=known.id if known else new_id(), provider=provider, notice_ref=notice_ref,
                               start=start, end=end, services=tuple(sorted(set(services))),
                               segments=tuple(sorted(set(segments))),
                               received_at=known.received_at if known else clock.now())
    if window != known:
        await uow.sla.put_maintenance(window)
    return window


async def register_service(uow: UnitOfWork, terms: ServiceTerms) -> None:
    """What a customer service is (offering, monthly charge, segments and their suppliers), for the report."""
    await uow.sla.put_service(terms)


def terms_from_composite(composite: CompositeOrder, profile: SellerProfile, *, mrc: Decimal | None = None,
                         currency: str | None = None) -> ServiceTerms:
    """A delivered composite as the SLA sees it: the customer's product (the service id), our offering, what the
    customer pays a month (given, else the price book's tier for its bandwidth) and its segments, each with its
    supplier (None for ours) and what it costs us a month (its cost basis). Needs the composite's product id."""
    if composite.product_id is None:
        raise Invalid(f"composite {composite.id} has no product yet: its service is not delivered")
    tier = profile.price(composite.offering_id, composite.bandwidth_mbps or 0) if composite.offering_id else None
    segments = tuple(SegmentTerms(id=s.id, supplier=None if s.own else s.provider_id, mrc=_decimal(s.cost.get("mrc")))
                     for s in composite.segments)
    return ServiceTerms(service_id=composite.product_id, customer_id=composite.buyer_id,
                        offering_id=composite.offering_id, mrc=mrc if mrc is not None else tier.mrc if tier else None,
                        currency=currency or (tier.currency if tier else "USD"), segments=segments)


def _decimal(value: object) -> Decimal | None:
    try:
        return Decimal(str(value)) if value is not None and value != "" else None
    except InvalidOperation:
        return None


async def register_composite(uow: UnitOfWork, profile: SellerProfile, composite: CompositeOrder, *,
                             mrc: Decimal | None = None) -> ServiceTerms:
    """`register_service` for a delivered composite (see `terms_from_composite`)."""
    terms = terms_from_composite(composite, profile, mrc=mrc)
    await uow.sla.put_service(terms)
    return terms


async def report(uow: UnitOfWork, clock: Clock, commitments: Commitments, month: Month, *,
                 service_id: str | None = None) -> MonthReport:
    """The month's figures from what is stored, as of now (an open outage runs to now or the month's end). Every
    outage of the month is read even for one service: the clock offsets are estimated from all of them."""
    outages = await uow.sla.outages_between(month.start - MARGIN, month.end + MARGIN)
    windows = await uow.sla.maintenance_between(month.start - MARGIN, month.end + MARGIN)
    services = await uow.sla.services([service_id] if service_id else None)
    return month_report(month, clock.now(), outages, windows, services, commitments, service_id=service_id)
