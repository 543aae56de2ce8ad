"""Findings of reconciliation: drift between what we recorded and what our suppliers and our network said.

A check looks at one record (a composite order with what we know around it) and reports `Drift`: a kind,
who it is about, the evidence that shows it (each piece with the time it was observed) and, where it is safe,
the repair that would put it right. A `Finding` is a drift kept across runs under a stable fingerprint (its
kind and what it is about, never the run or the time), so the same drift is raised to a person once, marked
seen on the next runs, and cleared when a run no longer finds it.

Status of a finding:
- open: found, a safe repair exists and has not been applied yet (a run without repairs);
- repaired: a safe repair was applied, and recorded; the next run clears it if the drift went away;
- raised: a person must look (no safe repair, or the repair did not help);
- cleared: the last run did not find it any more.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from counterpoint.core.shared.times import iso, parse_aware


class Check(StrEnum):
    """The groups of checks, each one pass over its records (`counterpoint reconcile --only ...`)."""

    ORDERS = "orders"
    SERVICES = "services"
    TICKETS = "tickets"


class Kind(StrEnum):
    # orders
    COMMAND_WITHOUT_SUPPLIER_RECORD = "commandWithoutSupplierRecord"
    SUPPLIER_COMPLETED_WHILE_WAITING = "supplierCompletedWhileWaiting"
    SUPPLIER_CANCELLED_BELIEVED_ACTIVE = "supplierCancelledBelievedActive"
    DUPLICATE_SUPPLIER_ORDERS = "duplicateSupplierOrders"
    # services
    SEGMENT_INACTIVE_SERVICE_ACTIVE = "segmentInactiveServiceActive"
    ACTIVE_WITHOUT_BILLING = "activeWithoutBillingRecord"
    MISSING_SUPPLIER_SERVICE_ID = "missingSupplierServiceId"
    STALE_OBSERVATIONS = "staleObservations"
    # tickets
    TICKET_RESOLVED_NOT_VALIDATED = "ticketResolvedNotValidated"
    MAJOR_INCIDENT_NOT_ESCALATED = "majorIncidentNotEscalated"
    SLA_CLOCKS_DISAGREE = "slaClocksDisagree"


CHECK_OF: dict[Kind, Check] = {
    Kind.COMMAND_WITHOUT_SUPPLIER_RECORD: Check.ORDERS,
    Kind.SUPPLIER_COMPLETED_WHILE_WAITING: Check.ORDERS,
    Kind.SUPPLIER_CANCELLED_BELIEVED_ACTIVE: Check.ORDERS,
    Kind.DUPLICATE_SUPPLIER_ORDERS: Check.ORDERS,
    Kind.SEGMENT_INACTIVE_SERVICE_ACTIVE: Check.SERVICES,
    Kind.ACTIVE_WITHOUT_BILLING: Check.SERVICES,
    Kind.MISSING_SUPPLIER_SERVICE_ID: Check.SERVICES,
    Kind.STALE_OBSERVATIONS: Check.SERVICES,
    Kind.TICKET_RESOLVED_NOT_VALIDATED: Check.TICKETS,
    Kind.MAJOR_INCIDENT_NOT_ESCALATED: Check.TICKETS,
    Kind.SLA_CLOCKS_DISAGREE: Check.TICKETS,
}


class Severity(StrEnum):
    MINOR = "minor"  # our view lags; the customer is not affected yet
    MAJOR = "major"  # money or a promise is at stake (double orders, unbilled service, an unescalated fault)
    CRITICAL = "critical"  # the customer's service is, or may be, down while we say it is up


class Status(StrEnum):
    OPEN = "open"
    REPAIRED = "repaired"
    RAISED = "raised"
    CLEARED = "cleared"


class RepairAction(StrEnum):
    REQUERY = "requeryByOurReference"  # ask the supplier for the order we sent under our reference
    ADOPT = "adoptSupplierState"  # read the supplier's order again and give it to the normal flow as evidence
    REFRESH = "refreshActiveSegment"  # ask again about an active segment whose evidence is too old


@dataclass(frozen=True, slots=True)
class Subject:
    """Who a finding is about: our ids first, the suppliers' references beside them (never instead)."""

    buyer_id: str | None = None
    composite_id: str | None = None
    segment_id: str | None = None
    order_id: str | None = None
    item_id: str | None = None
    product_id: str | None = None
    command_id: str | None = None
    ticket_id: str | None = None
    provider_id: str | None = None
    supplier_refs: tuple[str, ...] = ()  # "provider/kind/id"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: getattr(self, k) for k in (
            "buyer_id", "composite_id", "segment_id", "order_id", "item_id", "product_id", "command_id",
            "ticket_id", "provider_id") if getattr(self, k) is not None}
        renamed = {_CAMEL[k]: v for k, v in out.items()}
        if self.supplier_refs:
            renamed["supplierRefs"] = list(self.supplier_refs)
        return renamed

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Subject:
        kwargs: dict[str, Any] = {snake: raw[camel] for snake, camel in _CAMEL.items() if camel in raw}
        return cls(**kwargs, supplier_refs=tuple(raw.get("supplierRefs") or ()))


_CAMEL = {"buyer_id": "buyerId", "composite_id": "compositeId", "segment_id": "segmentId", "order_id": "orderId",
          "item_id": "itemId", "product_id": "productId", "command_id": "commandId", "ticket_id": "ticketId",
          "provider_id": "providerId"}


@dataclass(frozen=True, slots=True)
class Evidence:
    """One fact behind a finding: what we recorded or what a supplier said, and when it was observed."""

    what: str  # in words, e.g. "supplier sup-b says deliveredPendingAcceptance"
    source: str  # segment | command | evidenceLog | supplierRef | product | ticket | ...
    observed_at: datetime | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"what": self.what, "source": self.source,
                "observedAt": iso(self.observed_at) if self.observed_at else None, "detail": self.detail}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Evidence:
        return cls(what=raw["what"], source=raw["source"], observed_at=parse_aware(raw.get("observedAt")),
                   detail=raw.get("detail") or {})


@dataclass(frozen=True, slots=True)
class Repair:
    """A safe repair a check proposes; applied by services.repair (outside any transaction for supplier calls)."""

    action: RepairAction
    provider_id: str
    composite_id: str
    segment_id: str
    command_id: str | None = None
    ref: str | None = None  # the supplier's order id to read, when there is one

    def to_json(self) -> dict[str, Any]:
        return {"action": self.action.value, "providerId": self.provider_id, "compositeId": self.composite_id,
                "segmentId": self.segment_id, "commandId": self.command_id, "ref": self.ref}


@dataclass(frozen=True, slots=True)
class Drift:
    """What one check found in one run (not stored as such: it becomes or refreshes a Finding)."""

    kind: Kind
    subject: Subject
    summary: str
    severity: Severity
    evidence: tuple[Evidence, ...]
    key: tuple[str, ...]  # what makes it the same drift next time (ids, never times)
    repair: Repair | None = None

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.kind, self.key)


def fingerprint(kind: Kind, key: tuple[str, ...]) -> str:
    return hashlib.sha256("|".join((kind.value, *key)).encode()).hexdigest()[:40]


@dataclass(frozen=True, slots=True)
class RepairOutcome:
    done: bool  # the repair did what it should; False: the drift is raised for a person
    what: str  # what it did or why it could not, in words

    def record(self, action: RepairAction, at: datetime) -> dict[str, Any]:
        return {"at": iso(at), "action": action.value, "done": self.done, "what": self.what[:1000]}


@dataclass(slots=True, kw_only=True)
class Finding:
    id: str
    fingerprint: str
    kind: Kind
    severity: Severity
    subject: Subject
    summary: str
    evidence: list[Evidence]
    status: Status
    first_seen: datetime
    last_seen: datetime
    last_run: str
    occurrences: int = 1  # how many times it appeared (again after being cleared)
    cleared_at: datetime | None = None
    raised_at: datetime | None = None
    repair: Repair | None = None
    repairs: list[dict[str, Any]] = field(default_factory=list)  # every repair applied, with what it did
    version: int = 0

    @property
    def check(self) -> Check:
        return CHECK_OF[self.kind]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "fingerprint": self.fingerprint, "check": self.check.value, "kind": self.kind.value,
            "severity": self.severity.value, "status": self.status.value, "summary": self.summary,
            "subject": self.subject.to_json(), "evidence": [e.to_json() for e in self.evidence],
            "firstSeen": iso(self.first_seen), "lastSeen": iso(self.last_seen),
            "raisedAt": iso(self.raised_at) if self.raised_at else None,
            "clearedAt": iso(self.cleared_at) if self.cleared_at else None, "occurrences": self.occurrences,
            "repair": self.repair.to_json() if self.repair else None, "repairs": self.repairs,
        }


class Seen(StrEnum):
    """What a run's sighting of a drift meant for its finding."""

    NEW = "new"  # never seen, or seen again after it was cleared
    AGAIN = "again"  # still there, already known: nothing new for a person


@dataclass(frozen=True, slots=True)
class Sighting:
    finding: Finding
    seen: Seen
    try_repair: bool  # apply the drift's repair now


def sight(existing: Finding | None, drift: Drift, *, new_id: str, run_id: str, now: datetime,
          repair: bool) -> Sighting:
    """Fold one drift found by this run into its finding (new, reopened or seen again).

    A drift with a safe repair is repaired once per appearance: still there on the run after its repair, it is
    raised for a person instead of being repaired again on every run.
    """
    if existing is None or existing.status is Status.CLEARED:
        finding = Finding(
            id=existing.id if existing else new_id, fingerprint=drift.fingerprint, kind=drift.kind,
            severity=drift.severity, subject=drift.subject, summary=drift.summary, evidence=list(drift.evidence),
            status=Status.OPEN, first_seen=now, last_seen=now, last_run=run_id,
            occurrences=(existing.occurrences + 1) if existing else 1, repair=drift.repair,
            repairs=existing.repairs if existing else [], version=existing.version if existing else 0)
        if drift.repair is None:
            finding.status, finding.raised_at = Status.RAISED, now
        return Sighting(finding, Seen.NEW, try_repair=repair and drift.repair is not None)
    existing.summary, existing.evidence, existing.severity = drift.summary, list(drift.evidence), drift.severity
    existing.subject, existing.repair = drift.subject, drift.repair
    existing.last_seen, existing.last_run = now, run_id
    if existing.status is Status.OPEN:
        if drift.repair is None:
            existing.status, existing.raised_at = Status.RAISED, now
            return Sighting(existing, Seen.NEW, try_repair=False)
        return Sighting(existing, Seen.AGAIN, try_repair=repair)
    if existing.status is Status.REPAIRED:  # the repair did not make it go away: a person must look
        existing.status, existing.raised_at = Status.RAISED, now
        return Sighting(existing, Seen.NEW, try_repair=False)
    return Sighting(existing, Seen.AGAIN, try_repair=False)  # raised before: not raised again


def repaired(finding: Finding, outcome: RepairOutcome, *, now: datetime) -> None:
    """Record a repair's outcome on its finding: repaired, or raised when it could not be done."""
    assert finding.repair is not None
    finding.repairs.append(outcome.record(finding.repair.action, now))
    if outcome.done:
        finding.status = Status.REPAIRED
    else:
        finding.status, finding.raised_at = Status.RAISED, now
