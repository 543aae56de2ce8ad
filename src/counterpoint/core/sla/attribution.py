"""From outages, their evidence and maintenance windows to a month's figures, each with the evidence behind it.

Pure and deterministic: the same records give the same report whatever order they were recorded in. The rules,
by the names the report cites:

- `skew`: evidence is stamped by different providers' clocks. A provider's offset from our clock is estimated
  from *pairs*: two evidence items on the same fact and reference of one outage (the same event, e.g. the
  supplier's ticket we opened), one stamped by our clock and one by theirs. The offset is the median (lower
  middle) of their differences; differences larger than the profile's `max_clock_skew` are not skew and are
  left out; a clock with no pair has offset 0. Every time stamped by that clock (evidence, its maintenance
  windows) is read minus the offset.
- `start`: an outage starts at the earliest of its START evidence, or of its DOWN evidence if that comes earlier
  (a fault seen present was present), after skew.
- `end`: for the customer, an outage ends at our own first recovery observation (evidence from us) that is
  not followed by evidence that the fault was still there (a DOWN item after it); without one, at a
  supplier's first claim of repair not contradicted that way; without either it is open. Our observation
  wins over a supplier's claim because the customer's service is what we measure and we can show it.
- `repair`: for a supplier's OLA, the repair ends at the supplier's first claim of repair not contradicted by
  a later DOWN item, however late the claim reached us (its lateness is shown, it does not move the instant);
  capped by our own recovery observation when that came first; without a claim, at the customer end.
- `order`: an end (or repair) that falls before the start after skew is read as the start (zero length).
- `domain`: the DOMAIN evidence with the latest instant (after skew) names the responsible domain; ties
  broken by kind, source and reference; without any, the outage's recorded domain.
- `root-cause`: the chain from the charged supplier to where the fault was: the charged supplier's latest
  ROOT_CAUSE evidence (after skew) names the provider further down and its ticket, and so on from that provider
  while evidence of its own says more. Shown with the outage; it changes no figure (each provider's OLA is with
  its own supplier, so the charged domain stays the one we buy from).
- `union`: a service's unavailable time is the union of its outages' intervals (down; degraded only where the
  SLA counts it), clipped to the month; an open outage runs to the report's instant (or the month's end, if
  that is first). An ended one counts whole, whenever the report is made. Time covered by several outages is
  counted once.
- `earliest`: each moment of unavailable time is charged to the outage, among those active then, that started
  first (ties by natural key): the first fault is taken as the cause, later overlapping ones add nothing.
- `customer`: moments charged to the customer's equipment are not counted.
- `maintenance`: where the SLA excludes announced maintenance, moments inside a window that names the
  service or the charged outage's segment are not counted.
- `availability`: (month - counted) / month, over the whole calendar month; compared exactly to the target.
- `credit`/`penalty`: the tier with the lowest threshold the availability is below; its percent of the
  monthly charge (the service's, or the segment's), rounded to the cent.
- `ola-repair`: a supplier's outage is judged in the month it started. Its repair clock starts when the supplier
  knew: the first of its own evidence of the fault (its ticket, its alarm) and a report to it (REPORTED
  evidence naming it as `responsible`), after skew; with neither, at the outage's start. Repaired within the OLA's
  hours of that, or missed; an open one is missed once its time is past, else pending.
- `ola-availability`: per supplier segment, the union of that supplier's outages on it (down; degraded too
  where the OLA counts it; start to repair end), less its own announced windows on the segment where the OLA
  excludes them, over the month. Overlaps with other domains do not matter here: the supplier's segment was
  down either way.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

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
    Month,
    Outage,
    Responsible,
    ServiceTerms,
    SupplierOla,
    iso,
    tier_for,
)

RULES: dict[str, str] = {
    "skew": "per-clock offset: median of same-event pairs (ours vs theirs) within the skew bound, else 0",
    "start": "earliest START (or DOWN) evidence after skew",
    "end": "our first recovery observation not followed by DOWN evidence; else a supplier's first such claim",
    "repair": "the supplier's first repair claim not contradicted by later DOWN evidence, capped by ours",
    "order": "an end before its start (after skew) is read as the start",
    "domain": "the latest DOMAIN evidence after skew; else the recorded domain",
    "root-cause": "from the charged supplier, each provider's latest ROOT_CAUSE evidence names the next one "
                  "down and its ticket; shown, never charged",
    "union": "unavailable time is the union of the service's outages, each moment counted once",
    "earliest": "each moment is charged to the earliest-starting active outage",
    "customer": "moments charged to the customer's equipment are not counted",
    "maintenance": "moments inside an announced window on the service or the charged segment are not counted",
    "availability": "(month - counted unavailable) / month, whole calendar month",
    "credit": "lowest credit tier the availability is below, percent of the service's monthly charge",
    "ola-repair": "from when the supplier knew (its own evidence or our report) to its repair end, against the "
                  "OLA's repair hours (judged in the month the outage started)",
    "ola-availability": "union of the supplier's outages on a segment, less its own windows, over the month",
    "penalty": "lowest penalty tier the segment's availability is below, plus each missed repair",
}

_KIND_ORDER = {k: n for n, k in enumerate(EvidenceKind)}
CENT = Decimal("0.01")


# ---- clocks -----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClockOffset:
    clock: str
    offset: timedelta  # their clock minus ours
    pairs: tuple[tuple[str, str], ...]  # (our evidence id, their evidence id) it was estimated from
    ignored: tuple[tuple[str, str], ...] = ()  # pairs whose difference was past the bound

    def to_json(self) -> dict[str, Any]:
        return {"clock": self.clock, "offsetSeconds": self.offset.total_seconds(),
                "pairs": [list(p) for p in self.pairs], "ignoredPairs": [list(p) for p in self.ignored]}


def estimate_offsets(outages: Iterable[Outage], bound: timedelta) -> dict[str, ClockOffset]:
    """Each foreign clock's offset from ours, from same-event pairs (rule `skew`)."""
    diffs: dict[str, list[tuple[timedelta, str, str]]] = {}
    ignored: dict[str, list[tuple[str, str]]] = {}
    for outage in outages:
        ours = {(e.fact, e.reference): e for e in sorted(outage.evidence, key=_ev_order) if e.stamped_by == OURS}
        for e in sorted(outage.evidence, key=_ev_order):
            mine = ours.get((e.fact, e.reference))
            if e.stamped_by == OURS or mine is None:
                continue
            d = e.at - mine.at
            if abs(d) <= bound:
                diffs.setdefault(e.stamped_by, []).append((d, mine.id, e.id))
            else:
                ignored.setdefault(e.stamped_by, []).append((mine.id, e.id))
    out: dict[str, ClockOffset] = {}
    for clock in sorted(set(diffs) | set(ignored)):
        found = sorted(diffs.get(clock, []))
        offset = statistics.median_low([d for d, _, _ in found]) if found else timedelta(0)
        out[clock] = ClockOffset(clock, offset, tuple((a, b) for _, a, b in found),
                                 tuple(sorted(ignored.get(clock, []))))
    return out


def _ev_order(e: Evidence) -> tuple[Any, ...]:
    return (e.at, _KIND_ORDER[e.kind], e.source, e.reference, e.fact.value, e.id)


# ---- one outage read by the rules ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChainLink:
    """One provider of an outage's root-cause chain: its ticket about the fault and the evidence naming it."""

    provider: str
    ticket: str | None
    evidence: str | None  # the DOMAIN evidence (the charged supplier) or ROOT_CAUSE evidence naming it
    said_by: str | None = None  # who named it (None: we charged it)
    at: datetime | None = None  # when that was said, after skew

    def to_json(self) -> dict[str, Any]:
        return {"provider": self.provider, "ticket": self.ticket, "evidence": self.evidence,
                "saidBy": self.said_by, "at": iso(self.at) if self.at else None}


@dataclass(frozen=True, slots=True)
class ResolvedOutage:
    """An outage as the rules read it, with the evidence each of its instants rests on."""

    outage: Outage
    start: datetime
    end: datetime | None  # the customer's view (rule `end`); None: still open
    repair_end: datetime | None  # the supplier's view (rule `repair`)
    repair_start: datetime  # when the responsible supplier knew (rule `ola-repair`)
    responsible: Responsible
    start_evidence: str | None
    end_evidence: str | None
    repair_evidence: str | None
    domain_evidence: str | None
    repair_start_evidence: str | None = None
    notes: tuple[str, ...] = ()
    chain: tuple[ChainLink, ...] = ()  # rule `root-cause`: the charged supplier first; () when none is charged

    @property
    def id(self) -> str:
        return self.outage.id

    @property
    def root_cause(self) -> str | None:
        """The provider the chain ends at, when a supplier named one further down (else None)."""
        return self.chain[-1].provider if len(self.chain) > 1 else None

    def root_cause_json(self) -> dict[str, Any]:
        return {"outage": self.outage.id, "key": self.outage.key, "charged": str(self.responsible),
                "rootCause": self.root_cause, "chain": [c.to_json() for c in self.chain]}

    def to_json(self, offsets: Mapping[str, ClockOffset] | None = None) -> dict[str, Any]:
        return {"id": self.outage.id, "key": self.outage.key, "service": self.outage.service_id,
                "segment": self.outage.segment_id, "impact": self.outage.impact.value,
                "responsible": str(self.responsible), "start": iso(self.start),
                "end": iso(self.end) if self.end else None,
                "repairStart": iso(self.repair_start), "repairEnd": iso(self.repair_end) if self.repair_end else None,
                "because": {"start": self.start_evidence, "end": self.end_evidence,
                            "repairStart": self.repair_start_evidence, "repairEnd": self.repair_evidence,
                            "responsible": self.domain_evidence},
                "rootCause": self.root_cause_json(),
                "notes": list(self.notes),
                "evidence": [e.to_json() for e in sorted(self.outage.evidence, key=_ev_order)]}


def resolve(outage: Outage, offsets: Mapping[str, ClockOffset] | None = None) -> ResolvedOutage:
    """Apply the rules `start`, `end`, `repair`, `order` and `domain` to one outage's evidence."""
    offsets = offsets or {}

    def at(e: Evidence) -> datetime:
        off = offsets.get(e.stamped_by)
        return e.at - off.offset if off is not None else e.at

    def first(items: Sequence[Evidence]) -> Evidence | None:
        return min(items, key=lambda e: (at(e), *_ev_order(e))) if items else None

    notes: list[str] = []
    evidence = sorted(outage.evidence, key=_ev_order)
    starts = [e for e in evidence if e.fact in (Fact.START, Fact.DOWN)]  # a fault seen present was present
    start_ev = first(starts)
    start = at(start_ev) if start_ev is not None else outage.start
    downs = [at(e) for e in evidence if e.fact is Fact.DOWN]
    last_down = max(downs) if downs else None

    def standing(e: Evidence) -> bool:
        return last_down is None or at(e) > last_down

    ends = [e for e in evidence if e.fact is Fact.END]
    for e in ends:
        if not standing(e):
            notes.append(f"end {e.id} ({e.source} {e.reference}) is contradicted by later DOWN evidence")
    ours = first([e for e in ends if e.source == OURS and standing(e)])
    claims = [e for e in ends if e.source != OURS and standing(e)]
    claim = first(claims)
    end_ev = ours or claim
    end = at(end_ev) if end_ev is not None else None
    repair_ev: Evidence | None = claim
    if claim is not None and ours is not None and at(ours) < at(claim):
        repair_ev = ours
        notes.append(f"repair claim {claim.id} comes after our recovery observation {ours.id}: capped")
    repair_ev = repair_ev or ours
    repair_end = at(repair_ev) if repair_ev is not None else None
    for e in claims:
        late = e.received_at - at(e)
        if late > timedelta(hours=1):
            notes.append(f"repair claim {e.id} reached us {_human(late)} after the instant it reports")
    if end is not None and end < start:
        notes.append(f"end {iso(end)} is before start {iso(start)} after clock correction: read as the start")
        end = start
    if repair_end is not None and repair_end < start:
        notes.append(f"repair end {iso(repair_end)} is before start after clock correction: read as the start")
        repair_end = start
    domains = [e for e in evidence if e.fact is Fact.DOMAIN and e.responsible is not None]
    domain_ev = max(domains, key=lambda e: (at(e), *_ev_order(e))) if domains else None
    responsible = domain_ev.responsible if domain_ev is not None and domain_ev.responsible else outage.responsible
    knew_ev: Evidence | None = None
    repair_start = start
    if responsible.supplier is not None:
        knew_ev = first([e for e in evidence if (e.fact is Fact.START and e.source == responsible.supplier)
                         or (e.fact is Fact.REPORTED and e.responsible == responsible)])
        repair_start = max(start, at(knew_ev)) if knew_ev is not None else start
    if repair_end is not None and repair_end < repair_start:
        notes.append(f"repair end {iso(repair_end)} is before the supplier knew ({iso(repair_start)}): read as then")
        repair_end = repair_start
    chain: list[ChainLink] = []
    if responsible.supplier is not None:
        named = domain_ev is not None and domain_ev.responsible == responsible
        chain.append(ChainLink(responsible.supplier, domain_ev.reference if named and domain_ev else None,
                               domain_ev.id if named and domain_ev else None))
        causes = [e for e in evidence if e.fact is Fact.ROOT_CAUSE and e.responsible is not None
                  and e.responsible.supplier is not None]
        while True:
            said = [e for e in causes if e.source == chain[-1].provider]
            step = max(said, key=lambda e: (at(e), *_ev_order(e))) if said else None
            nxt = step.responsible.supplier if step is not None and step.responsible is not None else None
            if step is None or nxt is None or any(c.provider == nxt for c in chain):
                break
            chain.append(ChainLink(nxt, step.reference, step.id, step.source, at(step)))
    return ResolvedOutage(
        outage=outage, start=start, end=end, repair_end=repair_end, repair_start=repair_start,
        responsible=responsible, start_evidence=start_ev.id if start_ev else None,
        end_evidence=end_ev.id if end_ev else None, repair_evidence=repair_ev.id if repair_ev else None,
        domain_evidence=domain_ev.id if domain_ev else None, repair_start_evidence=knew_ev.id if knew_ev else None,
        notes=tuple(notes), chain=tuple(chain))


def _human(d: timedelta) -> str:
    minutes = int(d.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


# ---- a service's month ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Slice:
    """A stretch of the month during which the service was unavailable, and what the rules made of it."""

    start: datetime
    end: datetime
    outage_id: str  # the outage charged (rule `earliest`)
    responsible: Responsible
    counted: bool
    excluded_by: str | None  # "customer" or "maintenance:<window id>"
    also_down: tuple[str, ...]  # other outages active at the same time (rule `union`: not counted again)

    @property
    def seconds(self) -> int:
        return int((self.end - self.start).total_seconds())

    def to_json(self) -> dict[str, Any]:
        return {"start": iso(self.start), "end": iso(self.end), "minutes": _minutes(self.seconds),
                "outage": self.outage_id, "responsible": str(self.responsible), "counted": self.counted,
                "excludedBy": self.excluded_by, "alsoDown": list(self.also_down)}


@dataclass(frozen=True, slots=True)
class ServiceFigure:
    service_id: str
    month: Month
    offering_id: str | None
    month_seconds: int
    unavailable_seconds: int
    excluded_maintenance_seconds: int
    excluded_customer_seconds: int
    by_domain: dict[str, int]
    availability: Fraction  # percent
    target_pct: Decimal | None
    met: bool | None
    credit_pct: Decimal | None
    credit: Decimal | None
    currency: str
    slices: tuple[Slice, ...]
    outages: tuple[ResolvedOutage, ...]
    windows: tuple[MaintenanceWindow, ...]
    rules: tuple[str, ...]

    @property
    def availability_pct(self) -> Decimal:
        return _pct(self.availability)

    @property
    def credit_eligible(self) -> bool:
        """Below target with a credit tier that applies."""
        return self.met is False and bool(self.credit_pct)

    def to_json(self, *, evidence: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "service": self.service_id, "month": str(self.month), "offering": self.offering_id,
            "monthMinutes": _minutes(self.month_seconds), "unavailableMinutes": _minutes(self.unavailable_seconds),
            "excludedMaintenanceMinutes": _minutes(self.excluded_maintenance_seconds),
            "excludedCustomerMinutes": _minutes(self.excluded_customer_seconds),
            "unavailableMinutesByDomain": {k: _minutes(v) for k, v in sorted(self.by_domain.items())},
            "availabilityPct": str(self.availability_pct),
            "targetPct": str(self.target_pct) if self.target_pct is not None else None, "met": self.met,
            "creditEligible": self.credit_eligible,
            "creditPct": str(self.credit_pct) if self.credit_pct is not None else None,
            "credit": str(self.credit) if self.credit is not None else None, "currency": self.currency,
            "rootCauses": [o.root_cause_json() for o in self.outages if o.chain]}
        if evidence:
            out["chain"] = {"rules": list(self.rules), "slices": [s.to_json() for s in self.slices],
                            "outages": [o.to_json() for o in self.outages],
                            "maintenance": [w.to_json() for w in self.windows]}
        return out


def _counts(o: ResolvedOutage, sla: CustomerSla | None) -> bool:
    return o.outage.impact is Impact.DOWN or (sla is not None and sla.count_degraded)


def _clip(a: datetime, b: datetime | None, month: Month, as_of: datetime) -> tuple[datetime, datetime] | None:
    """[a, b) within the month; an open interval (b None) runs to the report's instant (rule `union`)."""
    start, end = max(a, month.start), min(b if b is not None else max(as_of, a), month.end)
    return (start, end) if end > start else None


def service_month(month: Month, as_of: datetime, service_id: str, outages: Sequence[ResolvedOutage],
                  windows: Sequence[MaintenanceWindow], terms: ServiceTerms | None,
                  commitments: Commitments) -> ServiceFigure:
    """The service's month under the rules `union`, `earliest`, `customer`, `maintenance`, `availability`,
    `credit`. `outages` and `windows` are already corrected for skew; those of other services are ignored."""
    offering = terms.offering_id if terms else None
    sla = commitments.sla_for(offering)
    mine = sorted((o for o in outages if o.outage.service_id == service_id), key=_cause_order)
    spans = [(o, c) for o in mine if _counts(o, sla) and (c := _clip(o.start, o.end, month, as_of))]
    relevant = [w for w in windows if w.affects(service_id, None)
                or any(w.affects(service_id, o.outage.segment_id) for o, _ in spans)]
    cuts = sorted({t for _, (a, b) in spans for t in (a, b)}
                  | {t for w in relevant for t in (w.start, w.end) if month.start < t < month.end})
    slices: list[Slice] = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        active = [o for o, (s, e) in spans if s <= a and e >= b]
        if not active:
            continue
        cause = active[0]  # spans are in cause order (rule `earliest`)
        excluded: str | None = None
        if cause.responsible.domain is Domain.CUSTOMER:
            excluded = "customer"
        elif sla is not None and sla.exclude_maintenance:
            window = next((w for w in sorted(relevant, key=lambda w: (w.start, w.id))
                           if w.start <= a and w.end >= b and w.affects(service_id, cause.outage.segment_id)),
                          None)
            if window is not None:
                excluded = f"maintenance:{window.id}"
        piece = Slice(a, b, cause.id, cause.responsible, excluded is None, excluded,
                      tuple(o.id for o in active[1:]))
        if slices and _same(slices[-1], piece):
            last = slices.pop()
            piece = Slice(last.start, b, last.outage_id, last.responsible, last.counted, last.excluded_by,
                          tuple(sorted(set(last.also_down) | set(piece.also_down))))
        slices.append(piece)
    counted = sum(s.seconds for s in slices if s.counted)
    by_domain: dict[str, int] = {}
    for s in slices:
        if s.counted:
            by_domain[str(s.responsible)] = by_domain.get(str(s.responsible), 0) + s.seconds
    total = month.seconds
    availability = Fraction(total - counted, total) * 100
    target = sla.availability_pct if sla else None
    met = availability >= Fraction(target) if target is not None else None
    tier = tier_for(sla.credits, availability) if sla else None
    credit_pct = tier.pct if tier else (Decimal(0) if sla else None)
    mrc = terms.mrc if terms else None
    credit = (mrc * credit_pct / 100).quantize(CENT, ROUND_HALF_UP) if mrc is not None and credit_pct is not None \
        else None
    used = ["skew", "start", "end", "order", "domain", "union", "earliest", "availability"]
    if any(o.root_cause for o in mine):
        used.append("root-cause")
    if any(s.excluded_by == "customer" for s in slices):
        used.append("customer")
    if any((s.excluded_by or "").startswith("maintenance") for s in slices):
        used.append("maintenance")
    if sla is not None:
        used.append("credit")
    return ServiceFigure(
        service_id=service_id, month=month, offering_id=offering, month_seconds=total, unavailable_seconds=counted,
        excluded_maintenance_seconds=sum(s.seconds for s in slices if (s.excluded_by or "").startswith("maint")),
        excluded_customer_seconds=sum(s.seconds for s in slices if s.excluded_by == "customer"),
        by_domain=by_domain, availability=availability, target_pct=target, met=met, credit_pct=credit_pct,
        credit=credit, currency=terms.currency if terms else "USD", slices=tuple(slices),
        outages=tuple(o for o in mine if o.start < month.end and (o.end is None or o.end >= month.start)),
        windows=tuple(sorted(relevant, key=lambda w: (w.start, w.id))), rules=tuple(used))


def _cause_order(o: ResolvedOutage) -> tuple[Any, ...]:
    return (o.start, o.outage.key, o.outage.service_id, o.outage.id)


def _same(a: Slice, b: Slice) -> bool:
    return a.end == b.start and (a.outage_id, a.counted, a.excluded_by) == (b.outage_id, b.counted, b.excluded_by)


# ---- a supplier's month ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RepairFigure:
    outage_id: str
    service_id: str
    segment_id: str | None
    start: datetime  # when the repair clock started: when the supplier knew (rule `ola-repair`)
    repair_end: datetime | None
    repair_seconds: int  # to the repair end, or to the report's instant while open
    limit_seconds: int | None
    status: str  # met | missed | pending (open, time not yet past) | noOla
    evidence: tuple[str | None, str | None]  # (start evidence, repair evidence)

    def to_json(self) -> dict[str, Any]:
        return {"outage": self.outage_id, "service": self.service_id, "segment": self.segment_id,
                "repairStart": iso(self.start), "repairEnd": iso(self.repair_end) if self.repair_end else None,
                "repairMinutes": _minutes(self.repair_seconds),
                "limitMinutes": _minutes(self.limit_seconds) if self.limit_seconds is not None else None,
                "status": self.status, "because": {"repairStart": self.evidence[0], "repairEnd": self.evidence[1]}}


@dataclass(frozen=True, slots=True)
class SegmentFigure:
    segment_id: str
    down_seconds: int
    excluded_maintenance_seconds: int
    availability: Fraction
    target_pct: Decimal | None
    met: bool | None
    penalty_pct: Decimal | None
    penalty: Decimal | None
    outages: tuple[str, ...]
    windows: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"segment": self.segment_id, "downMinutes": _minutes(self.down_seconds),
                "excludedMaintenanceMinutes": _minutes(self.excluded_maintenance_seconds),
                "availabilityPct": str(_pct(self.availability)),
                "targetPct": str(self.target_pct) if self.target_pct is not None else None, "met": self.met,
                "penaltyPct": str(self.penalty_pct) if self.penalty_pct is not None else None,
                "penalty": str(self.penalty) if self.penalty is not None else None,
                "chain": {"outages": list(self.outages), "maintenance": list(self.windows)}}


@dataclass(frozen=True, slots=True)
class SupplierFigure:
    supplier: str
    month: Month
    repair_hours: Decimal | None
    repairs: tuple[RepairFigure, ...]
    segments: tuple[SegmentFigure, ...]
    penalty: Decimal | None
    currency: str
    rules: tuple[str, ...]

    @property
    def repairs_met(self) -> int:
        return sum(r.status == "met" for r in self.repairs)

    @property
    def repairs_missed(self) -> int:
        return sum(r.status == "missed" for r in self.repairs)

    @property
    def penalty_eligible(self) -> bool:
        """An OLA applies and a repair was missed or a segment fell into a penalty tier."""
        return self.repair_hours is not None and (
            self.repairs_missed > 0 or any(bool(g.penalty_pct) for g in self.segments))

    def to_json(self, *, evidence: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "supplier": self.supplier, "month": str(self.month),
            "repairHours": str(self.repair_hours) if self.repair_hours is not None else None,
            "repairsMet": self.repairs_met, "repairsMissed": self.repairs_missed,
            "repairsPending": sum(r.status == "pending" for r in self.repairs),
            "penaltyEligible": self.penalty_eligible,
            "penalty": str(self.penalty) if self.penalty is not None else None, "currency": self.currency,
            "repairs": [r.to_json() for r in self.repairs], "segments": [s.to_json() for s in self.segments]}
        if evidence:
            out["chain"] = {"rules": list(self.rules)}
        return out


def supplier_month(month: Month, as_of: datetime, supplier: str, outages: Sequence[ResolvedOutage],
                   windows: Sequence[MaintenanceWindow], services: Sequence[ServiceTerms],
                   commitments: Commitments) -> SupplierFigure:
    """The supplier's month under the rules `ola-repair`, `ola-availability` and `penalty`."""
    ola: SupplierOla | None = commitments.ola_for(supplier)
    theirs = sorted((o for o in outages if o.responsible.domain is Domain.SUPPLIER
                     and o.responsible.supplier == supplier), key=_cause_order)
    limit = int(ola.repair_hours * 3600) if ola else None
    repairs: list[RepairFigure] = []
    for o in theirs:
        if not month.start <= o.start < month.end:
            continue
        took = int(((o.repair_end or max(as_of, o.repair_start)) - o.repair_start).total_seconds())
        if limit is None:
            status = "noOla"
        elif o.repair_end is not None:
            status = "met" if took <= limit else "missed"
        else:
            status = "missed" if took > limit else "pending"
        repairs.append(RepairFigure(o.id, o.outage.service_id, o.outage.segment_id, o.repair_start, o.repair_end,
                                    took, limit, status, (o.repair_start_evidence or o.start_evidence,
                                                          o.repair_evidence)))
    segment_ids = sorted({s.id for t in services for s in t.segments if s.supplier == supplier}
                         | {o.outage.segment_id or "-" for o in theirs})
    mrc_of = {s.id: s.mrc for t in services for s in t.segments if s.supplier == supplier}
    currency = next((t.currency for t in services if any(s.supplier == supplier for s in t.segments)), "USD")
    figures: list[SegmentFigure] = []
    for seg in segment_ids:
        spans = [c for o in theirs if (o.outage.segment_id or "-") == seg
                 and (o.outage.impact is Impact.DOWN or (ola is not None and ola.count_degraded))
                 and (c := _clip(o.start, o.repair_end, month, as_of))]
        down = _union(spans)
        own = [w for w in windows if w.provider == supplier and seg in w.segments]
        excluded: list[tuple[datetime, datetime]] = []
        if ola is None or ola.exclude_maintenance:
            excluded = _intersect(down, _union([c for w in own if (c := _clip(w.start, w.end, month, as_of))]))
        down_s = _length(down) - _length(excluded)
        availability = Fraction(month.seconds - down_s, month.seconds) * 100
        target = ola.availability_pct if ola else None
        met = availability >= Fraction(target) if target is not None else None
        tier = tier_for(ola.penalties, availability) if ola else None
        pct = tier.pct if tier else (Decimal(0) if ola else None)
        mrc = mrc_of.get(seg)
        penalty = (mrc * pct / 100).quantize(CENT, ROUND_HALF_UP) if mrc is not None and pct is not None else None
        figures.append(SegmentFigure(seg, down_s, _length(excluded), availability, target, met, pct, penalty,
                                     tuple(o.id for o in theirs if (o.outage.segment_id or "-") == seg),
                                     tuple(w.id for w in sorted(own, key=lambda w: (w.start, w.id)))))
    total: Decimal | None = None
    if ola is not None:
        total = sum((f.penalty or Decimal(0) for f in figures), Decimal(0))
        total += ola.missed_repair_penalty * sum(r.status == "missed" for r in repairs)
        total = total.quantize(CENT, ROUND_HALF_UP)
    return SupplierFigure(supplier, month, ola.repair_hours if ola else None, tuple(repairs), tuple(figures), total,
                          currency, ("skew", "start", "repair", "order", "domain", "ola-repair",
                                     "ola-availability", "penalty"))


def _union(spans: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    out: list[tuple[datetime, datetime]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _intersect(xs: list[tuple[datetime, datetime]], ys: list[tuple[datetime, datetime]]
               ) -> list[tuple[datetime, datetime]]:
    return [(max(a, c), min(b, d)) for a, b in xs for c, d in ys if min(b, d) > max(a, c)]


def _length(spans: Iterable[tuple[datetime, datetime]]) -> int:
    return int(sum((b - a).total_seconds() for a, b in spans))


def _minutes(seconds: int) -> float:
    return round(seconds / 60, 2)


def _pct(value: Fraction) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.0001"), ROUND_HALF_UP)


# ---- the month ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MonthReport:
    month: Month
    as_of: datetime
    offsets: dict[str, ClockOffset]
    services: tuple[ServiceFigure, ...]
    suppliers: tuple[SupplierFigure, ...]
    rules: dict[str, str] = field(default_factory=lambda: dict(RULES))

    def summary(self) -> list[str]:
        """One plain line per service and per supplier (for a timeline or a log; the CLI draws tables)."""
        lines = []
        for s in self.services:
            charged = ", ".join(f"{who} {v / 60:g} min" for who, v in sorted(s.by_domain.items())) or "nothing"
            verdict = "no SLA" if s.met is None else "met" if s.met else "missed"
            credit = f"credit {s.credit} {s.currency}" if s.credit_eligible and s.credit is not None else (
                f"credit {s.credit_pct}%" if s.credit_eligible else "no credit")
            causes = [f"; outage {o.outage.key}: charged to {o.responsible}, root cause {o.root_cause} ("
                      + " -> ".join(f"{c.provider} {c.ticket or '-'}" for c in o.chain) + ")"
                      for o in s.outages if o.root_cause]
            lines.append(f"{s.service_id} {self.month}: {s.availability_pct}% (target {s.target_pct or '-'}%, "
                         f"{verdict}), {credit}; charged to {charged}{''.join(causes)}")
        for p in self.suppliers:
            penalty = f"penalty {p.penalty} {p.currency}" if p.penalty_eligible else "no penalty"
            lines.append(f"{p.supplier} {self.month}: repairs {p.repairs_met} met, {p.repairs_missed} missed; "
                         f"{penalty}")
        return lines

    def to_json(self, *, evidence: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "month": str(self.month), "asOf": iso(self.as_of),
            "services": [s.to_json(evidence=evidence) for s in self.services],
            "suppliers": [s.to_json(evidence=evidence) for s in self.suppliers],
            "clockOffsets": [o.to_json() for _, o in sorted(self.offsets.items())]}
        if evidence:
            out["rules"] = dict(self.rules)
        return out


def month_report(month: Month, as_of: datetime, outages: Sequence[Outage], windows: Sequence[MaintenanceWindow],
                 services: Sequence[ServiceTerms], commitments: Commitments, *,
                 service_id: str | None = None) -> MonthReport:
    """Every service's and supplier's figures for the month (one service's, and the suppliers it touches,
    when `service_id` is given). Clock offsets are estimated from all the outages given, whichever service is
    asked for, so one service's figures are the same in its own report and in the whole month's."""
    offsets = estimate_offsets(outages, commitments.max_clock_skew)
    resolved = [resolve(o, offsets) for o in sorted(outages, key=lambda o: (o.service_id, o.key, o.id))]
    fixed = [_correct(w, offsets) for w in windows]
    terms = {t.service_id: t for t in services}
    ids = sorted(set(terms) | {o.outage.service_id for o in resolved})
    if service_id is not None:
        ids = [i for i in ids if i == service_id]
    by_service: dict[str, list[ResolvedOutage]] = {}
    for o in resolved:
        by_service.setdefault(o.outage.service_id, []).append(o)
    figures = tuple(service_month(month, as_of, sid, by_service.get(sid, []), fixed, terms.get(sid), commitments)
                    for sid in ids)
    in_scope = [o for o in resolved if o.outage.service_id in ids]
    suppliers = sorted({o.responsible.supplier for o in in_scope if o.responsible.supplier}
                       | {s.supplier for i in ids if (t := terms.get(i)) for s in t.segments if s.supplier}
                       | ({o.supplier for o in commitments.suppliers} if service_id is None else set()))
    scoped_terms = [terms[i] for i in ids if i in terms]
    return MonthReport(month, as_of, offsets, figures,
                       tuple(supplier_month(month, as_of, s, in_scope, fixed, scoped_terms, commitments)
                             for s in suppliers))


def _correct(w: MaintenanceWindow, offsets: Mapping[str, ClockOffset]) -> MaintenanceWindow:
    off = offsets.get(w.provider)
    if off is None or not off.offset:
        return w
    return MaintenanceWindow(w.id, w.provider, w.notice_ref, w.start - off.offset, w.end - off.offset, w.services,
                             w.segments, w.received_at)
