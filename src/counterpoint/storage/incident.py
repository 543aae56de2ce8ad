"""Incident table and repository (MEF 124 incidents, Seller side)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Boolean, Column, ColumnElement, String, Text, UniqueConstraint, select
from sqlalchemy.engine import RowMapping

from counterpoint.core.incident.model import Incident, IncidentStatus
from counterpoint.core.incident.services import IncidentFilter
from counterpoint.core.shared.times import parse_aware
from counterpoint.storage.repository import ResourceRepository
from counterpoint.storage.schema import UtcDateTime, resource_table

incident = resource_table(
    "incident",
    Column("notice_id", String(128), nullable=False, index=True),
    Column("incident_type", String(16), nullable=False),
    Column("impact", String(16), nullable=False),
    Column("priority", String(16), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("situation_start", UtcDateTime, nullable=False),
    Column("expected_closed", UtcDateTime, nullable=True),
    Column("closed_date", UtcDateTime, nullable=True),
    Column("closes_at_end", Boolean, nullable=False),
    Column("due_at", UtcDateTime, nullable=True, index=True),
    # |-delimited lists, so one LIKE finds a member without a child table
    Column("entity_ids", Text, nullable=False),  # relatedEntity ids (the buyer's products)
    Column("entity_types", Text, nullable=False),  # their @referredType
    Column("scope_ids", Text, nullable=False),  # everything it concerns: those products, our segments
    Column("source_ref", String(255), nullable=True, index=True),  # the supplier's incident it relays
    # one incident per announcement, buyer and interface: two processes announcing (or relaying) the same notice
    # at once make one, the other's insert is a Conflict and it reads what won
    UniqueConstraint("notice_id", "buyer_id", "channel"),
)


def _bars(values: Sequence[str]) -> str:
    return "|" + "|".join(values) + "|" if values else ""


def _unbar(text: str) -> list[str]:
    return [v for v in text.split("|") if v]


class SqlIncidents(ResourceRepository[Incident]):
    table = incident
    noun = "incident"

    def state_of(self, obj: Incident) -> str:
        return obj.status.value

    def doc_of(self, obj: Incident) -> dict[str, Any]:
        return obj.doc

    def to_row(self, obj: Incident) -> dict[str, Any]:
        d = obj.doc
        entities = d.get("relatedEntity", [])
        return {
            "notice_id": obj.notice_id, "incident_type": d["incidentType"], "impact": d["impact"],
            "priority": d["priority"], "severity": d["severity"], "situation_start": obj.start,
            "expected_closed": obj.end, "closed_date": parse_aware(d.get("closedDate")),
            "closes_at_end": obj.closes_at_end, "due_at": obj.due_at,
            "entity_ids": _bars([e["id"] for e in entities]),
            "entity_types": _bars(sorted({e.get("@referredType", "Product") for e in entities})),
            "scope_ids": _bars(obj.scope_ids), "source_ref": obj.source_ref,
        }

    def from_row(self, row: RowMapping) -> Incident:
        return Incident(id=row["id"], buyer_id=row["buyer_id"], seller_id=row["seller_id"], channel=row["channel"],
                        created_at=row["created_at"], updated_at=row["updated_at"], version=row["version"],
                        status=IncidentStatus(row["state"]), doc=row["doc"], notice_id=row["notice_id"],
                        start=row["situation_start"], end=row["expected_closed"],
                        closes_at_end=row["closes_at_end"], source_ref=row["source_ref"],
                        scope_ids=_unbar(row["scope_ids"]), due_at=row["due_at"])

    async def search(self, buyer_id: str, f: IncidentFilter, *, offset: int, limit: int
                     ) -> tuple[list[Incident], int]:
        t = self.table
        where: list[ColumnElement[bool]] = []
        for column, value in ((t.c.priority, f.priority), (t.c.severity, f.severity), (t.c.impact, f.impact),
                              (t.c.incident_type, f.incident_type), (t.c.state, f.status)):
            if value:
                where.append(column == value)
        if f.related_entity_id:
            where.append(t.c.entity_ids.contains(f"|{f.related_entity_id}|", autoescape=True))
        if f.related_entity_type:
            where.append(t.c.entity_types.contains(f"|{f.related_entity_type}|", autoescape=True))
        for column, gt, lt in ((t.c.created_at, f.creation_gt, f.creation_lt),
                               (t.c.situation_start, f.start_gt, f.start_lt),
                               (t.c.expected_closed, f.expected_closed_gt, f.expected_closed_lt),
                               (t.c.closed_date, f.closed_gt, f.closed_lt)):
            if gt is not None:
                where.append(column > gt)
            if lt is not None:
                where.append(column < lt)
        return await self.list(buyer_id, where, offset=offset, limit=limit)

    async def _many(self, *where: ColumnElement[bool]) -> list[Incident]:
        rows = (await self.uow.conn.execute(select(self.table).where(*where)
                                            .order_by(self.table.c.created_at, self.table.c.id))).mappings().all()
        return [self._load(r) for r in rows]

    async def by_notice(self, notice_id: str) -> list[Incident]:
        return await self._many(self.table.c.notice_id == notice_id)

    async def by_source(self, source_ref: str) -> list[Incident]:
        return await self._many(self.table.c.source_ref == source_ref)

    async def open_sources(self) -> list[str]:
        """The suppliers' incidents our open incidents relay (`provider:id`)."""
        t = self.table
        rows = await self.uow.conn.execute(select(t.c.source_ref).where(
            t.c.source_ref.is_not(None), t.c.state != IncidentStatus.CLOSED.value).distinct()
            .order_by(t.c.source_ref))
        return [r[0] for r in rows]

    async def recent(self, limit: int) -> list[Incident]:
        """Newest first, every buyer's (the operator's view)."""
        rows = (await self.uow.conn.execute(select(self.table).order_by(self.table.c.created_at.desc(),
                                                                        self.table.c.id).limit(limit))
                ).mappings().all()
        return [self._load(r) for r in rows]
