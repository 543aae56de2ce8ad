"""Federated tickets: customers' tickets followed across providers. Their supplier evidence goes to the same
evidence log as orders' (`supplier_evidence`, keyed by the federated ticket and the escalation), and suppliers'
ticket and work order ids to the same reference table (`supplier_ref`, by kind)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, String, insert, select
from sqlalchemy.engine import RowMapping

from counterpoint.core.orchestration.ticket_model import Escalation, FederatedTicket
from counterpoint.core.orchestration.ticket_supply import TICKET_TERMINAL, TicketObservation, TicketState
from counterpoint.core.shared.ids import ExternalRef
from counterpoint.core.shared.times import iso, parse_aware
from counterpoint.storage.orchestration import evidence, evidence_seen, log_evidence, supplier_ref
from counterpoint.storage.repository import ResourceRepository
from counterpoint.storage.schema import UtcDateTime, resource_table

federated_ticket = resource_table(
    "federated_ticket",
    Column("ticket_id", String(64), nullable=False, unique=True),
    Column("product_id", String(64), nullable=False, index=True),
    Column("composite_id", String(64), nullable=False, index=True),
    Column("due_at", UtcDateTime, nullable=True, index=True),
)


class SqlFederatedTickets(ResourceRepository[FederatedTicket]):
    table = federated_ticket
    noun = "federated ticket"
    by_channel = False  # the orchestrator's own record, reached through the customer's ticket

    def state_of(self, obj: FederatedTicket) -> str:
        return obj.state.value

    def doc_of(self, obj: FederatedTicket) -> dict[str, Any]:
        return {
            "reported": obj.reported, "segments": obj.segments, "suspect": obj.suspect,
            "escalations": [e.to_json() for e in obj.escalations],
            "faultStartedAt": iso(obj.fault_started_at) if obj.fault_started_at else None,
            "validatedAt": iso(obj.validated_at) if obj.validated_at else None, "validations": obj.validations,
            "pendingQuestion": obj.pending_question, "forwardedNotes": obj.forwarded_notes,
            "customerMoves": obj.customer_moves, "outage": obj.outage, "timeline": obj.timeline,
            "correlationId": obj.correlation_id,
        }

    def to_row(self, obj: FederatedTicket) -> dict[str, Any]:
        return {"ticket_id": obj.ticket_id, "product_id": obj.product_id, "composite_id": obj.composite_id,
                "due_at": obj.due_at}

    def from_row(self, row: RowMapping) -> FederatedTicket:
        doc = row["doc"]
        return FederatedTicket(
            id=row["id"], buyer_id=row["buyer_id"], seller_id=row["seller_id"], channel=row["channel"],
            created_at=row["created_at"], updated_at=row["updated_at"], version=row["version"],
            correlation_id=row["correlation_id"] or doc.get("correlationId"), ticket_id=row["ticket_id"],
            product_id=row["product_id"],
            composite_id=row["composite_id"], state=TicketState(row["state"]), reported=doc.get("reported") or {},
            segments=doc.get("segments") or [], suspect=doc.get("suspect"),
            escalations=[Escalation.from_json(e) for e in doc.get("escalations") or []],
            fault_started_at=parse_aware(doc.get("faultStartedAt")), validated_at=parse_aware(doc.get("validatedAt")),
            validations=doc.get("validations") or [], pending_question=doc.get("pendingQuestion"),
            forwarded_notes=doc.get("forwardedNotes") or [], customer_moves=doc.get("customerMoves") or [],
            outage=doc.get("outage"), timeline=doc.get("timeline") or [], due_at=row["due_at"])

    async def for_ticket(self, ticket_id: str) -> FederatedTicket | None:
        row = (await self.uow.conn.execute(select(self.table).where(self.table.c.ticket_id == ticket_id))
               ).mappings().first()
        return self._load(row) if row else None

    async def all(self, *, limit: int = 200) -> list[FederatedTicket]:
        rows = (await self.uow.conn.execute(select(self.table).order_by(self.table.c.created_at.desc())
                                            .limit(limit))).mappings().all()
        return [self._load(r) for r in rows]

    async def open_suspects(self, *, exclude: str | None = None) -> dict[str, int]:
        """Segment id -> how many open federated tickets suspect it (the 'open faults' of diagnosis)."""
        closed = [s.value for s in TICKET_TERMINAL]
        rows = (await self.uow.conn.execute(select(self.table.c.id, self.table.c.doc).where(
            self.table.c.state.not_in(closed)).limit(1000))).all()
        out: dict[str, int] = {}
        for rid, doc in rows:
            seg = (doc.get("suspect") or {}).get("segmentId") if rid != exclude else None
            if seg:
                out[seg] = out.get(seg, 0) + 1
        return out

    # --- evidence and references: the orchestrator's shared tables ------------------------------------------
    async def log_evidence(self, ticket_id: str, escalation_id: str, obs: TicketObservation, *, applied: bool,
                           why: str) -> bool:
        return await log_evidence(self.uow, ticket_id, escalation_id, obs, applied=applied, why=why)

    async def seen(self, escalation_id: str, evidence_id: str | None) -> bool:
        return await evidence_seen(self.uow, escalation_id, evidence_id)

    async def evidence_of(self, ticket_id: str) -> list[dict[str, Any]]:
        rows = (await self.uow.conn.execute(select(evidence).where(evidence.c.composite_id == ticket_id)
                                            .order_by(evidence.c.id))).mappings().all()
        return [dict(r) for r in rows]

    async def remember_ref(self, ref: ExternalRef, ticket_id: str, escalation_id: str) -> None:
        if await self.owner_of(ref) is None:
            await self.uow.conn.execute(insert(supplier_ref), {
                "provider_id": ref.provider, "kind": ref.kind, "external_id": ref.value,
                "composite_id": ticket_id, "segment_id": escalation_id})

    async def owner_of(self, ref: ExternalRef) -> tuple[str, str] | None:
        row = (await self.uow.conn.execute(select(supplier_ref.c.composite_id, supplier_ref.c.segment_id).where(
            supplier_ref.c.provider_id == ref.provider, supplier_ref.c.kind == ref.kind,
            supplier_ref.c.external_id == ref.value))).first()
        return (row[0], row[1]) if row else None
