"""Outages and evidence written out by hand for the attribution's tests."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from counterpoint.core.sla.model import (
    OURS,
    Commitments,
    CustomerSla,
    Domain,
    Evidence,
    EvidenceKind,
    Fact,
    Impact,
    MaintenanceWindow,
    Outage,
    Responsible,
    SegmentTerms,
    ServiceTerms,
    SupplierOla,
    Tier,
)

C_ID, B_ID = "merlion-access", "lion-city-metro"
C = Responsible(Domain.SUPPLIER, C_ID)
B = Responsible(Domain.SUPPLIER, B_ID)
OURS_D = Responsible(Domain.OURS)
CUSTOMER = Responsible(Domain.CUSTOMER)

SLA = CustomerSla(None, Decimal("99.9"), (Tier(Decimal("99.9"), Decimal(10)), Tier(Decimal("99.5"), Decimal(25)),
                                          Tier(Decimal("99.0"), Decimal(50))))
OLA_C = SupplierOla(C_ID, Decimal(4), Decimal("99.9"), (Tier(Decimal("99.9"), Decimal(10)),), Decimal(50))
OLA_B = SupplierOla(B_ID, Decimal(4), Decimal("99.95"), (Tier(Decimal("99.95"), Decimal(20)),), Decimal(0))
COMMITMENTS = Commitments(customer=(SLA,), suppliers=(OLA_C, OLA_B))
SERVICE = ServiceTerms("svc-1", "enterprise", "evpl", Decimal(1000), "USD",
                       (SegmentTerms("seg-c", C_ID, Decimal(500)), SegmentTerms("seg-b", B_ID, Decimal(800)),
                        SegmentTerms("seg-own")))

_ids = itertools.count(1)


def nov(day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def ev(fact: Fact, at: datetime, *, source: str = OURS, reference: str | None = None, stamped_by: str | None = None,
       kind: EvidenceKind | None = None, received_at: datetime | None = None,
       responsible: Responsible | None = None, outage_id: str = "") -> Evidence:
    n = next(_ids)
    return Evidence(id=f"ev-{n:03d}", outage_id=outage_id, fact=fact,
                    kind=kind or (EvidenceKind.TEST if source == OURS and fact is not Fact.START
                                  else EvidenceKind.SUPPLIER_NOTICE if source != OURS else EvidenceKind.TICKET),
                    source=source, reference=reference or f"ref-{n}", at=at, stamped_by=stamped_by or source,
                    received_at=received_at or at, responsible=responsible)


def outage(key: str, start: datetime, end: datetime | None, *, responsible: Responsible = C,
           segment: str | None = "seg-c", service: str = "svc-1", impact: Impact = Impact.DOWN,
           evidence: list[Evidence] | None = None) -> Outage:
    """An outage whose evidence is one ticket (start and domain) and, if `end`, one passing test of ours;
    `evidence` replaces those when given."""
    oid = f"out-{key}"
    items = evidence if evidence is not None else [
        ev(Fact.START, start, reference=f"ticket-{key}"),
        ev(Fact.DOMAIN, start, reference=f"ticket-{key}", responsible=responsible),
        *([ev(Fact.END, end, reference=f"test-{key}")] if end is not None else [])]
    items = [Evidence(e.id, oid, e.fact, e.kind, e.source, e.reference, e.at, e.stamped_by, e.received_at,
                      e.responsible, e.note) for e in items]
    return Outage(id=oid, service_id=service, key=key, segment_id=segment, impact=impact, start=start, end=end,
                  responsible=responsible, created_at=start, updated_at=start, evidence=items)


def window(ref: str, start: datetime, end: datetime, *, provider: str = C_ID, segments: tuple[str, ...] = ("seg-c",),
           services: tuple[str, ...] = ()) -> MaintenanceWindow:
    return MaintenanceWindow(f"mw-{ref}", provider, ref, start, end, services, segments)


MINUTE = timedelta(minutes=1)
