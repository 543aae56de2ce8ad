"""MEF 124 incidents: how a Seller tells its buyers about planned work and impairments on their products.

An announcement (a `Notice`: planned maintenance from the profile or an operator, an impairment an operator
reports, or one the orchestrator relays from a supplier) becomes one `Incident` per affected buyer and
interface, naming only that buyer's products (`relatedEntity`), so a buyer never learns of another's products
and each is notified of its own incident. The incidents of one announcement share its `notice_id`.

Dates (MEF gives an incident no planned start of its own):
- `situationStartDate` is when the work or impairment begins (the window start);
- `expectedClosedDate` is when it is expected to end (the window end; an impairment announced without an end
  gets `start + DEFAULT_ESTIMATE` when it starts, since MEF 124 R70 wants one set from `inProgress` on);
- `closedDate` is when it was closed.
The worker moves an incident `created -> inProgress` at `situationStartDate` and, for a maintenance window,
`inProgress -> closed` at `expectedClosedDate`; an impairment stays open until it is closed by hand (or by
the supplier whose notice raised it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from counterpoint.core.shared.aggregate import Aggregate
from counterpoint.core.shared.ids import new_id
from counterpoint.core.shared.times import iso
from counterpoint.core.shared.transitions import check_transition

API = "troubleTicket"  # the notification family incidents belong to (the troubleTicket hub)
DEFAULT_ESTIMATE = timedelta(hours=4)  # expected duration of an impairment announced without an end
MAX_TEXT = 2000


class IncidentStatus(StrEnum):
    CREATED = "created"
    IN_PROGRESS = "inProgress"
    CLOSED = "closed"


S = IncidentStatus
# MEF 124 Table 10 / Figure 15; `created -> closed` is an announcement withdrawn (or a window that ended)
# before the work started.
INCIDENT_ALLOWED: dict[IncidentStatus, frozenset[IncidentStatus]] = {
    S.CREATED: frozenset({S.IN_PROGRESS, S.CLOSED}),
    S.IN_PROGRESS: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
}


class IncidentType(StrEnum):
    MAINTENANCE = "maintenance"
    REPAIR = "repair"
    INSTALLATION = "installation"


class Impact(StrEnum):  # MEFObservedImpactType
    DEGRADED = "degraded"
    INTERMITTENT = "intermittent"
    DOWN = "down"


PRIORITIES = ("low", "medium", "high", "critical")
SEVERITIES = ("minor", "moderate", "significant", "extensive")
# what an announcement that names neither gets, by impact (priority, severity)
DEFAULT_GRADING: dict[Impact, tuple[str, str]] = {
    Impact.DOWN: ("high", "significant"),
    Impact.INTERMITTENT: ("medium", "moderate"),
    Impact.DEGRADED: ("medium", "moderate"),
}


@dataclass(frozen=True, slots=True)
class Notice:
    """What is announced, before it is split per buyer."""

    notice_id: str
    incident_type: IncidentType
    impact: Impact
    start: datetime
    end: datetime | None
    description: str
    closes_at_end: bool  # a maintenance window closes itself at its end; an impairment waits to be closed
    priority: str | None = None
    severity: str | None = None
    source_ref: str | None = None  # "provider:kind:id" of a supplier's incident this one relays
    scope_ids: tuple[str, ...] = ()  # extra ids it concerns (our segments, for a supplier's notice)

    def grading(self) -> tuple[str, str]:
        priority, severity = DEFAULT_GRADING[self.impact]
        return self.priority or priority, self.severity or severity


@dataclass(slots=True, kw_only=True)
class Incident(Aggregate):
    status: IncidentStatus
    doc: dict[str, Any]
    notice_id: str
    start: datetime
    end: datetime | None
    closes_at_end: bool
    source_ref: str | None = None
    scope_ids: list[str] = field(default_factory=list)  # products named, plus what else it concerns
    due_at: datetime | None = None  # the next automatic move

    @property
    def incident_type(self) -> IncidentType:
        return IncidentType(self.doc["incidentType"])

    @property
    def product_ids(self) -> list[str]:
        return [e["id"] for e in self.doc.get("relatedEntity", [])]

    def schedule(self) -> None:
        if self.status is S.CREATED:
            self.due_at = self.start
        elif self.status is S.IN_PROGRESS and self.closes_at_end and self.end is not None:
            self.due_at = self.end
        else:
            self.due_at = None

    def move_to(self, target: IncidentStatus, *, at: datetime, reason: str | None = None) -> None:
        check_transition(INCIDENT_ALLOWED, f"incident {self.id}", self.status, target)
        self.status = target
        self.doc["status"] = target.value
        if target is S.IN_PROGRESS and self.end is None:
            self.end = max(at, self.start) + DEFAULT_ESTIMATE
        if self.end is not None:
            self.doc["expectedClosedDate"] = iso(self.end)
        if target is S.CLOSED:
            self.doc["closedDate"] = iso(at)
        change: dict[str, Any] = {"status": target.value, "changeDate": iso(at)}
        if reason:
            change["changeReason"] = reason[:255]
        self.doc.setdefault("statusChange", []).append(change)
        self.schedule()
        self.record("incidentStatusChangeEvent", API, at)

    def advance(self, now: datetime) -> bool:
        """The moves its dates call for by `now`; True when it moved."""
        moved = False
        if self.status is S.CREATED and now >= self.start:
            if self.closes_at_end and self.end is not None and now >= self.end:
                self.move_to(S.CLOSED, at=now, reason="the window ended before the work could start")
                return True
            self.move_to(S.IN_PROGRESS, at=now, reason="the announced work or impairment has begun")
            moved = True
        if self.status is S.IN_PROGRESS and self.closes_at_end and self.end is not None and now >= self.end:
            self.move_to(S.CLOSED, at=now, reason="the announced window has ended")
            moved = True
        if not moved:
            self.schedule()
        return moved

    def revise(self, *, at: datetime, end: datetime | None = None, description: str | None = None,
               impact: Impact | None = None, note: str | None = None, author: str = "seller",
               start: datetime | None = None) -> bool:
        """Change what the buyer was told; an attribute change event when anything did change. The start moves
        only while the work has not begun (a rescheduled window)."""
        if self.status is S.CLOSED:
            return False
        changed = False
        if start is not None and self.status is S.CREATED and start != self.start:
            self.start = start
            self.doc["situationStartDate"] = iso(start)
            changed = True
        if end is not None and end != self.end:
            self.end = end
            self.doc["expectedClosedDate"] = iso(end)
            changed = True
        if description and description[:MAX_TEXT] != self.doc.get("description"):
            self.doc["description"] = description[:MAX_TEXT]
            changed = True
        if impact is not None and impact.value != self.doc.get("impact"):
            self.doc["impact"] = impact.value
            changed = True
        if note:
            self.doc.setdefault("note", []).append({"id": new_id(), "author": author, "date": iso(at),
                                                     "source": "seller", "text": note[:MAX_TEXT]})
            changed = True
        if changed:
            self.schedule()
            self.record("incidentAttributeValueChangeEvent", API, at)
        return changed


def new_incident(notice: Notice, *, buyer_id: str, seller_id: str, channel: str, product_ids: list[str],
                 contact: dict[str, Any], at: datetime, product_href: str | None = None) -> Incident:
    """One buyer's incident of a notice, on one interface; its create event recorded."""
    priority, severity = notice.grading()
    incident_id = new_id()
    doc: dict[str, Any] = {
        "id": incident_id, "creationDate": iso(at), "status": S.CREATED.value,
        "description": notice.description[:MAX_TEXT], "incidentType": notice.incident_type.value,
        "impact": notice.impact.value, "priority": priority, "severity": severity,
        "situationStartDate": iso(notice.start),
        "relatedContactInformation": [contact],
        "relatedEntity": [{"@referredType": "Product", "id": pid, "role": "affectedProduct",
                           **({"href": f"{product_href}/{pid}"} if product_href else {})}
                          for pid in product_ids],
        "statusChange": [{"status": S.CREATED.value, "changeDate": iso(at), "changeReason": "announced"}],
    }
    if notice.end is not None:
        doc["expectedClosedDate"] = iso(notice.end)
    incident = Incident(id=incident_id, buyer_id=buyer_id, seller_id=seller_id, channel=channel, created_at=at,
                        updated_at=at, status=S.CREATED, doc=doc, notice_id=notice.notice_id, start=notice.start,
                        end=notice.end, closes_at_end=notice.closes_at_end, source_ref=notice.source_ref,
                        scope_ids=sorted({*product_ids, *notice.scope_ids}))
    incident.schedule()
    incident.record("incidentCreateEvent", API, at)
    return incident
