"""Trouble ticket table and repository (MEF 124).

One row per ticket, its MEF document in JSON; a column for each attribute the list filters name, the
resolution code SLA attribution reads, and the worker's `due_at`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, Column, ColumnElement, String, update
from sqlalchemy.engine import RowMapping

from counterpoint.core.trouble_ticket.model import Step, TicketStatus, TroubleTicket, Waiting, resolution_code_of
from counterpoint.core.trouble_ticket.services import TicketFilter
from counterpoint.storage.repository import ResourceRepository
from counterpoint.storage.schema import JSONDoc, UtcDateTime, resource_table

trouble_ticket = resource_table(
    "trouble_ticket",
    Column("external_id", String(128), nullable=True, index=True),
    Column("priority", String(16), nullable=True),
    Column("seller_priority", String(16), nullable=True),
    Column("severity", String(16), nullable=True),
    Column("seller_severity", String(16), nullable=True),
    Column("ticket_type", String(32), nullable=True),
    Column("observed_impact", String(16), nullable=True),
    Column("related_entity_id", String(128), nullable=True, index=True),
    Column("related_entity_type", String(64), nullable=True),
    Column("product_id", String(128), nullable=True, index=True),  # the affected product, when a Product
    Column("offering_id", String(128), nullable=True),
    Column("expected_resolution_at", UtcDateTime, nullable=True),
    Column("resolution_at", UtcDateTime, nullable=True),
    Column("resolution_code", String(32), nullable=True),  # core.trouble_ticket.model.ResolutionCode
    Column("waiting", String(16), nullable=True),
    Column("orchestrated", Boolean, nullable=False),
    Column("scenario", JSONDoc, nullable=False),
    Column("plan", JSONDoc, nullable=False),
    Column("wake_at", UtcDateTime, nullable=True),
    Column("due_at", UtcDateTime, nullable=True, index=True),
)


class SqlTroubleTickets(ResourceRepository[TroubleTicket]):
    table = trouble_ticket
    noun = "trouble ticket"

    def state_of(self, obj: TroubleTicket) -> str:
        return obj.status.value

    def doc_of(self, obj: TroubleTicket) -> dict[str, Any]:
        return obj.doc

    def to_row(self, obj: TroubleTicket) -> dict[str, Any]:
        d = obj.doc
        entity = (d.get("relatedEntity") or [{}])[0]
        code = resolution_code_of(d)
        return {
            "external_id": d.get("externalId"), "priority": d.get("priority"),
            "seller_priority": d.get("sellerPriority"), "severity": d.get("severity"),
            "seller_severity": d.get("sellerSeverity"), "ticket_type": d.get("ticketType"),
            "observed_impact": d.get("observedImpact"), "related_entity_id": entity.get("id"),
            "related_entity_type": entity.get("@referredType"), "product_id": obj.product_id,
            "offering_id": obj.offering_id, "expected_resolution_at": obj.expected_resolution,
            "resolution_at": obj.resolution_at,
            "resolution_code": code.value if code is not None and obj.status.value in ("resolved", "closed")
            else None,
            "waiting": obj.waiting.value if obj.waiting else None, "orchestrated": obj.orchestrated,
            "scenario": obj.scenario, "plan": [s.to_json() for s in obj.plan], "wake_at": obj.wake_at,
            "due_at": obj.due_at,
        }

    def from_row(self, row: RowMapping) -> TroubleTicket:
        return TroubleTicket(
            id=row["id"], buyer_id=row["buyer_id"], seller_id=row["seller_id"], channel=row["channel"],
            created_at=row["created_at"], updated_at=row["updated_at"], version=row["version"],
            status=TicketStatus(row["state"]), doc=row["doc"], product_id=row["product_id"],
            offering_id=row["offering_id"], plan=[Step.from_json(s) for s in row["plan"] or []],
            waiting=Waiting(row["waiting"]) if row["waiting"] else None, orchestrated=bool(row["orchestrated"]),
            scenario=dict(row["scenario"] or {}), wake_at=row["wake_at"])

    async def wake(self, ticket_id: str) -> None:
        """The ticket worker looks at the ticket on its next round: it is due from the moment it last changed
        (storage reads no clock; that instant is never ahead of the process clock). Its version moves, so a
        writer that read it before loses its optimistic race and retries with the wake-up seen."""
        t = self.table
        await self.uow.conn.execute(update(t).where(t.c.id == ticket_id).values(
            wake_at=t.c.updated_at, due_at=t.c.updated_at, version=t.c.version + 1))

    async def search(self, buyer_id: str, f: TicketFilter, *, offset: int, limit: int
                     ) -> tuple[list[TroubleTicket], int]:
        t = self.table
        where: list[ColumnElement[bool]] = []
        for column, value in ((t.c.external_id, f.external_id), (t.c.priority, f.priority),
                              (t.c.seller_priority, f.seller_priority), (t.c.severity, f.severity),
                              (t.c.seller_severity, f.seller_severity), (t.c.ticket_type, f.ticket_type),
                              (t.c.state, f.status), (t.c.observed_impact, f.observed_impact),
                              (t.c.related_entity_id, f.related_entity_id),
                              (t.c.related_entity_type, f.related_entity_type)):
            if value is not None:
                where.append(column == value)
        for column, gt, lt in ((t.c.created_at, f.creation_gt, f.creation_lt),
                               (t.c.expected_resolution_at, f.expected_resolution_gt, f.expected_resolution_lt),
                               (t.c.resolution_at, f.resolution_gt, f.resolution_lt)):
            if gt is not None:
                where.append(column > gt)
            if lt is not None:
                where.append(column < lt)
        return await self.list(buyer_id, where, offset=offset, limit=limit)
