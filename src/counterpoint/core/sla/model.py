"""SLA and OLA records: outages with their evidence, maintenance windows, the services they concern, and the
commitments (customer SLA, suppliers' OLAs) the month's figures are measured against.

Everything an outage says (when it started, when it ended, who was responsible) is evidence: an `Evidence`
item names its source, its reference (a ticket, a test run, a supplier notice), the instant it speaks of and
whose clock stamped that instant. The outage's figures are derived from its evidence by the rules in
`attribution.py`; nothing here decides who is to blame.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

OURS = "ours"  # the name of our own clock and of our own domain


class Domain(StrEnum):
    """Who an outage is charged to."""

    OURS = "ours"  # our own network (a segment we deliver, or the service as a whole)
    SUPPLIER = "supplier"  # a named supplier's segment
    CUSTOMER = "customer"  # the customer's own equipment: not ours to count
    UNKNOWN = "unknown"  # not established yet: counted against us (we owe the customer regardless)


@dataclass(frozen=True, slots=True, order=True)
class Responsible:
    """A responsible domain; `supplier` names the provider when the domain is a supplier."""

    domain: Domain
    supplier: str | None = None

    def __post_init__(self) -> None:
        if (self.domain is Domain.SUPPLIER) != bool(self.supplier):
            raise ValueError("a supplier domain names its supplier, and only it does")

    @classmethod
    def parse(cls, text: str) -> Responsible:
        """`ours`, `customer`, `unknown` or `supplier:<provider id>`."""
        kind, _, who = text.partition(":")
        try:
            domain = Domain(kind)
        except ValueError as exc:
            raise ValueError(f"unknown responsible domain {text!r}: ours, customer, unknown or supplier:ID") from exc
        return cls(domain, who or None)

    def __str__(self) -> str:
        return f"supplier:{self.supplier}" if self.domain is Domain.SUPPLIER else self.domain.value


OUR_DOMAIN = Responsible(Domain.OURS)
UNKNOWN_DOMAIN = Responsible(Domain.UNKNOWN)
CUSTOMER_DOMAIN = Responsible(Domain.CUSTOMER)


class Impact(StrEnum):
    DOWN = "down"  # no service: counts as unavailable
    DEGRADED = "degraded"  # service impaired: unavailable only where the SLA says so (count_degraded)


class Fact(StrEnum):
    """What an evidence item speaks of."""

    START = "start"  # the fault was present from `at`
    END = "end"  # the service was back (a test passed, a supplier says repaired) at `at`
    DOWN = "down"  # the fault was still present at `at` (a failed test, a still-open alarm)
    DOMAIN = "domain"  # the fault lies in `responsible`'s domain, as established at `at`
    REPORTED = "reported"  # the fault was reported to `responsible` at `at` (e.g. our ticket opened at a supplier)
    # the `source` supplier says the fault lay further down its supply chain, in `responsible`'s network, whose
    # own ticket is `reference` (its coded resolution note, stamped at its resolution): shown as the outage's
    # root cause, it charges nobody (the charged domain stays the `source`, by DOMAIN evidence)
    ROOT_CAUSE = "rootCause"


class EvidenceKind(StrEnum):
    TICKET = "ticket"
    OBSERVATION = "observation"  # monitoring, an alarm, a polled state
    TEST = "test"  # an end-to-end or segment test run by us
    SUPPLIER_NOTICE = "supplierNotice"  # what a supplier told us (a ticket update, a resolution, a notice)


@dataclass(frozen=True, slots=True)
class Evidence:
    """One item of evidence about one fact of an outage.

    `at` is the instant it speaks of, as stamped by `stamped_by`'s clock (OURS, or a provider id);
    `received_at` is when we recorded it, on our clock (a report that arrives late shows here).
    Its natural key is (outage, fact, source, reference): the same item reported twice is one item.
    """

    id: str
    outage_id: str
    fact: Fact
    kind: EvidenceKind
    source: str  # who says so: OURS or a provider id (the customer's ticket is ours: we took it)
    reference: str  # ticket id, test run id, notice id, alarm id...
    at: datetime
    stamped_by: str
    received_at: datetime
    responsible: Responsible | None = None  # for DOMAIN: whose fault; for REPORTED: to whom
    note: str | None = None

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.outage_id, self.fact.value, self.source, self.reference)

    @property
    def ours(self) -> bool:
        """Our own evidence: stamped by our clock and coming from us."""
        return self.source == OURS and self.stamped_by == OURS

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "fact": self.fact.value, "kind": self.kind.value,
                               "source": self.source, "reference": self.reference, "at": _iso(self.at),
                               "stampedBy": self.stamped_by, "receivedAt": _iso(self.received_at)}
        if self.responsible is not None:
            out["responsible"] = str(self.responsible)
        if self.note:
            out["note"] = self.note
        return out


@dataclass(slots=True)
class Outage:
    """A fault that affected a customer service, identified by (service, key): `key` is the natural key the
    recorder gives (e.g. `ticket:TT-12`), so the same ticket reported twice is one outage.

    `start`, `end` and `responsible` hold what the evidence said when last recorded, read without clock
    correction (for listing and for finding a month's outages); the report derives its own from the evidence.
    """

    id: str
    service_id: str
    key: str
    segment_id: str | None  # the affected segment; None: our own domain as a whole (or not known)
    impact: Impact
    start: datetime
    end: datetime | None
    responsible: Responsible
    created_at: datetime
    updated_at: datetime
    evidence: list[Evidence] = field(default_factory=list)
    version: int = 0

    def has(self, key: tuple[str, str, str, str]) -> bool:
        return any(e.key == key for e in self.evidence)


@dataclass(frozen=True, slots=True)
class MaintenanceWindow:
    """Announced planned work: by `provider` (OURS or a supplier), on these services and/or segments."""

    id: str
    provider: str
    notice_ref: str  # the notice's reference; (provider, notice_ref) is its natural key
    start: datetime
    end: datetime
    services: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()
    received_at: datetime | None = None

    def affects(self, service_id: str, segment_id: str | None) -> bool:
        return service_id in self.services or (segment_id is not None and segment_id in self.segments)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "provider": self.provider, "noticeRef": self.notice_ref, "start": _iso(self.start),
                "end": _iso(self.end), "services": list(self.services), "segments": list(self.segments)}


@dataclass(frozen=True, slots=True)
class SegmentTerms:
    """A segment of a customer service: who provides it (None: we do) and what it costs us a month."""

    id: str
    supplier: str | None = None
    mrc: Decimal | None = None


@dataclass(frozen=True, slots=True)
class ServiceTerms:
    """A customer service the SLA is measured for: its offering (which picks the SLA), what the customer
    pays a month (the basis of credits) and its segments (the basis of suppliers' penalties)."""

    service_id: str
    customer_id: str
    offering_id: str | None = None
    mrc: Decimal | None = None
    currency: str = "USD"
    segments: tuple[SegmentTerms, ...] = ()

    def segment(self, segment_id: str | None) -> SegmentTerms | None:
        return next((s for s in self.segments if s.id == segment_id), None)


# ---- commitments ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Tier:
    """Below `below_pct` availability, `pct` percent of the monthly charge is owed (a credit or a penalty)."""

    below_pct: Decimal
    pct: Decimal


@dataclass(frozen=True, slots=True)
class CustomerSla:
    """What we commit to a customer for an offering (None: every offering without its own)."""

    offering_id: str | None
    availability_pct: Decimal = Decimal("99.9")  # per calendar month
    credits: tuple[Tier, ...] = ()
    exclude_maintenance: bool = True  # announced maintenance windows are not counted as unavailable
    count_degraded: bool = False  # a degraded service counts as unavailable


@dataclass(frozen=True, slots=True)
class SupplierOla:
    """What a supplier commits to us for its segments."""

    supplier: str
    repair_hours: Decimal = Decimal(4)  # each outage repaired within this time of its start
    availability_pct: Decimal = Decimal("99.9")  # per segment and calendar month
    penalties: tuple[Tier, ...] = ()  # on the segment's monthly charge, below an availability
    missed_repair_penalty: Decimal = Decimal(0)  # owed per repair that missed repair_hours
    exclude_maintenance: bool = True  # the supplier's own announced windows on its segments
    count_degraded: bool = False  # a degraded segment counts as unavailable (repairs are judged either way)


@dataclass(frozen=True, slots=True)
class Commitments:
    customer: tuple[CustomerSla, ...] = ()
    suppliers: tuple[SupplierOla, ...] = ()
    max_clock_skew: timedelta = timedelta(minutes=10)  # bigger differences are real delays, not skew

    def sla_for(self, offering_id: str | None) -> CustomerSla | None:
        exact = next((s for s in self.customer if offering_id is not None and s.offering_id == offering_id), None)
        return exact or next((s for s in self.customer if s.offering_id is None), None)

    def ola_for(self, supplier: str) -> SupplierOla | None:
        return next((o for o in self.suppliers if o.supplier == supplier), None)


def tier_for(tiers: tuple[Tier, ...], availability_pct: Decimal | float | Any) -> Tier | None:
    """The tier that applies: the one with the lowest threshold the availability is below (tiers need not be
    sorted). `availability_pct` is compared exactly (a Fraction or a Decimal)."""
    below = [t for t in tiers if availability_pct < t.below_pct]
    return min(below, key=lambda t: t.below_pct) if below else None


# ---- months ---------------------------------------------------------------------------------------------

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True, slots=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        found = _MONTH.match(text.strip())
        if not found or not 1 <= int(found.group(2)) <= 12:
            raise ValueError(f"not a month: {text!r} (give YYYY-MM, e.g. 2026-11)")
        return cls(int(found.group(1)), int(found.group(2)))

    @property
    def start(self) -> datetime:
        return datetime(self.year, self.month, 1, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        days = calendar.monthrange(self.year, self.month)[1]
        return self.start + timedelta(days=days)

    @property
    def seconds(self) -> int:
        return int((self.end - self.start).total_seconds())

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


iso = _iso
