"""Composite orders, the outbound command store, the evidence log, suppliers' references and our subscriptions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError

from counterpoint.core.orchestration.model import (
    CommandState,
    CompositeOrder,
    CompositeState,
    OutboundCommand,
    Segment,
)
from counterpoint.core.orchestration.supply import Observation
from counterpoint.core.shared.ids import ExternalRef
from counterpoint.core.shared.times import parse_aware
from counterpoint.storage.repository import ResourceRepository
from counterpoint.storage.schema import JSONDoc, UtcDateTime, metadata, resource_table

composite_order = resource_table(
    "composite_order",
    Column("order_id", String(64), nullable=False, index=True),
    Column("item_id", String(64), nullable=False),
    Column("due_at", UtcDateTime, nullable=True, index=True),
    Column("doc_action", String(16), nullable=False),
    UniqueConstraint("order_id", "item_id", "doc_action", name="uq_composite_order_item_action"),
)

outbound_command = resource_table(
    "outbound_command",
    Column("provider_id", String(128), nullable=False),
    Column("composite_id", String(64), nullable=False, index=True),
    Column("segment_id", String(64), nullable=False),
    Column("action", String(32), nullable=False),
    Column("idempotency_key", String(64), nullable=False, unique=True),
    Column("attempts", Integer, nullable=False),
    Column("due_at", UtcDateTime, nullable=True, index=True),
    Column("sent_at", UtcDateTime, nullable=True),
)

# Every piece of evidence, applied or not, with the judge's reason: the audit trail of what suppliers said.
evidence = Table(
    "supplier_evidence",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("composite_id", String(64), nullable=False, index=True),
    Column("segment_id", String(64), nullable=False),
    Column("provider_id", String(128), nullable=False),
    Column("source", String(16), nullable=False),
    Column("raw_state", String(64), nullable=False),
    Column("state", String(32), nullable=False),
    Column("observed_at", UtcDateTime, nullable=False),
    Column("as_of", UtcDateTime, nullable=True),
    Column("evidence_id", String(255), nullable=True),
    Column("applied", Boolean, nullable=False),
    Column("why", Text, nullable=False),
    Column("correlation_id", String(64), nullable=True),
    UniqueConstraint("segment_id", "evidence_id"),
)

# Which of our segments a supplier's resource belongs to (callbacks only carry the supplier's id).
supplier_ref = Table(
    "supplier_ref",
    metadata,
    Column("provider_id", String(128), primary_key=True),
    Column("kind", String(32), primary_key=True),
    Column("external_id", String(255), primary_key=True),
    Column("composite_id", String(64), nullable=False),
    Column("segment_id", String(64), nullable=False),
    Index("ix_supplier_ref_composite_segment", "composite_id", "segment_id"),  # reconciliation's reads by page
)


# Our listener registrations at each supplier, so a restart does not register (and get called) twice.
supplier_subscription = Table(
    "supplier_subscription",
    metadata,
    Column("provider_id", String(128), primary_key=True),
    Column("callback_url", Text, primary_key=True),
    Column("listener_ids", JSONDoc, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)


class SqlCompositeOrders(ResourceRepository[CompositeOrder]):
    table = composite_order
    noun = "composite order"
    by_channel = False  # the orchestrator's own record, not a buyer-visible MEF resource

    def state_of(self, obj: CompositeOrder) -> str:
        return obj.state.value

    def doc_of(self, obj: CompositeOrder) -> dict[str, Any]:
        return {
            "action": obj.action, "correlationId": obj.correlation_id,
            "segments": [s.to_json() for s in obj.segments], "bandwidthMbps": obj.bandwidth_mbps,
            "expectedCompletion": obj.expected_completion.isoformat() if obj.expected_completion else None,
            "pendingAction": obj.pending_action, "test": obj.test, "productId": obj.product_id,
            "timeline": obj.timeline, "offeringId": obj.offering_id, "cancellation": obj.cancellation,
        }

    def to_row(self, obj: CompositeOrder) -> dict[str, Any]:
        return {"order_id": obj.order_id, "item_id": obj.item_id, "due_at": obj.due_at, "doc_action": obj.action}

    def from_row(self, row: RowMapping) -> CompositeOrder:
        doc = row["doc"]
        return CompositeOrder(
            id=row["id"], buyer_id=row["buyer_id"], seller_id=row["seller_id"], channel=row["channel"],
            created_at=row["created_at"], updated_at=row["updated_at"], version=row["version"],
            order_id=row["order_id"], item_id=row["item_id"], action=doc["action"],
            correlation_id=doc["correlationId"], state=CompositeState(row["state"]),
            segments=[Segment.from_json(s) for s in doc["segments"]], bandwidth_mbps=doc.get("bandwidthMbps"),
            expected_completion=parse_aware(doc.get("expectedCompletion")), pending_action=doc.get("pendingAction"),
            test=doc.get("test"), product_id=doc.get("productId"), timeline=doc.get("timeline") or [],
            due_at=row["due_at"], offering_id=doc.get("offeringId"), cancellation=doc.get("cancellation"))

    async def for_order(self, order_id: str) -> list[CompositeOrder]:
        rows = (await self.uow.conn.execute(select(self.table).where(self.table.c.order_id == order_id)
                                            .order_by(self.table.c.created_at))).mappings().all()
        return [self.from_row(r) for r in rows]

    async def all(self, *, limit: int = 200) -> list[CompositeOrder]:
        rows = (await self.uow.conn.execute(select(self.table).order_by(self.table.c.created_at.desc())
                                            .limit(limit))).mappings().all()
        return [self.from_row(r) for r in rows]

    # --- evidence and references ride on this repository: they belong to the composite's segments -------
    async def log_evidence(self, composite_id: str, segment_id: str, obs: Observation, *, applied: bool,
                           why: str) -> bool:
        """Append to the evidence log; False when this evidence id was already logged for the segment."""
        return await log_evidence(self.uow, composite_id, segment_id, obs, applied=applied, why=why)

    async def seen(self, segment_id: str, evidence_id: str | None) -> bool:
        """Whether this evidence was already applied to the segment.

        Evidence logged but not applied is judged again when it comes again: a poll answer that waited too long
        to be judged (stale) says the same as the next, fresh read of that state, and must not block it.
        """
        return await evidence_seen(self.uow, segment_id, evidence_id)

    async def evidence_of(self, composite_id: str) -> list[dict[str, Any]]:
        rows = (await self.uow.conn.execute(select(evidence).where(evidence.c.composite_id == composite_id)
                                            .order_by(evidence.c.id))).mappings().all()
        return [dict(r) for r in rows]

    async def remember_ref(self, ref: ExternalRef, composite_id: str, segment_id: str) -> None:
        existing = await self.owner_of(ref)
        if existing is None:
            await self.uow.conn.execute(insert(supplier_ref), {
                "provider_id": ref.provider, "kind": ref.kind, "external_id": ref.value,
                "composite_id": composite_id, "segment_id": segment_id})

    async def subscribed(self, provider_id: str, callback_url: str) -> bool:
        row = (await self.uow.conn.execute(select(supplier_subscription.c.provider_id).where(
            supplier_subscription.c.provider_id == provider_id,
            supplier_subscription.c.callback_url == callback_url))).first()
        return row is not None

    async def subscriptions(self, provider_id: str) -> list[str]:
        """Our listener ids at a supplier, every callback URL together."""
        rows = await self.uow.conn.execute(select(supplier_subscription.c.listener_ids).where(
            supplier_subscription.c.provider_id == provider_id))
        return [str(i) for r in rows for i in (r[0] or [])]

    async def remember_subscription(self, provider_id: str, callback_url: str, listener_ids: list[str],
                                    at: datetime) -> None:
        if not await self.subscribed(provider_id, callback_url):
            await self.uow.conn.execute(insert(supplier_subscription), {
                "provider_id": provider_id, "callback_url": callback_url, "listener_ids": listener_ids,
                "created_at": at})

    async def owner_of(self, ref: ExternalRef) -> tuple[str, str] | None:
        row = (await self.uow.conn.execute(select(supplier_ref.c.composite_id, supplier_ref.c.segment_id).where(
            supplier_ref.c.provider_id == ref.provider, supplier_ref.c.kind == ref.kind,
            supplier_ref.c.external_id == ref.value))).first()
        return (row[0], row[1]) if row else None


class SqlOutboundCommands(ResourceRepository[OutboundCommand]):
    table = outbound_command
    noun = "outbound command"
    by_channel = False  # the orchestrator's own record, not a buyer-visible MEF resource

    def state_of(self, obj: OutboundCommand) -> str:
        return obj.state.value

    def doc_of(self, obj: OutboundCommand) -> dict[str, Any]:
        return {"payload": obj.payload, "result": obj.result, "history": obj.history,
                "correlationId": obj.correlation_id}

    def to_row(self, obj: OutboundCommand) -> dict[str, Any]:
        return {"provider_id": obj.provider_id, "composite_id": obj.composite_id, "segment_id": obj.segment_id,
                "action": obj.action, "idempotency_key": obj.idempotency_key, "attempts": obj.attempts,
                "due_at": obj.due_at, "sent_at": obj.sent_at}

    def from_row(self, row: RowMapping) -> OutboundCommand:
        doc = row["doc"]
        return OutboundCommand(
            id=row["id"], buyer_id=row["buyer_id"], seller_id=row["seller_id"], channel=row["channel"],
            created_at=row["created_at"], updated_at=row["updated_at"], version=row["version"],
            provider_id=row["provider_id"], composite_id=row["composite_id"], segment_id=row["segment_id"],
            action=row["action"], idempotency_key=row["idempotency_key"], payload=doc["payload"],
            correlation_id=doc.get("correlationId") or "", state=CommandState(row["state"]),
            attempts=row["attempts"], due_at=row["due_at"], sent_at=row["sent_at"], result=doc.get("result") or {},
            history=doc.get("history") or [])

    async def by_key(self, key: str) -> OutboundCommand | None:
        row = (await self.uow.conn.execute(select(self.table).where(self.table.c.idempotency_key == key))
               ).mappings().first()
        return self.from_row(row) if row else None

    async def for_composite(self, composite_id: str) -> list[OutboundCommand]:
        rows = (await self.uow.conn.execute(select(self.table).where(self.table.c.composite_id == composite_id)
                                            .order_by(self.table.c.created_at))).mappings().all()
        return [self.from_row(r) for r in rows]

    async def count_by_state(self) -> dict[str, int]:
        rows = await self.uow.conn.execute(select(self.table.c.state, func.count()).group_by(self.table.c.state))
        return {r[0]: r[1] for r in rows}


async def log_evidence(uow: Any, composite_id: str, segment_id: str, obs: Any, *, applied: bool, why: str) -> bool:
    """Append to the evidence log (a segment's, or a ticket escalation's: `obs` is either kind of observation);
    False when this evidence id was already logged for it."""
    row = {"composite_id": composite_id, "segment_id": segment_id, "provider_id": obs.ref.provider,
           "source": obs.source.value, "raw_state": obs.raw_state[:64], "state": obs.state.value,
           "observed_at": obs.observed_at, "as_of": obs.as_of,
           "evidence_id": obs.evidence[:255] if obs.evidence else None, "applied": applied, "why": why,
           "correlation_id": uow.correlation_id}
    if obs.evidence is None:
        await uow.conn.execute(insert(evidence), row)
        return True
    # a savepoint keeps the transaction usable when the unique (segment, evidence id) pair already exists
    nested = await uow.conn.begin_nested()
    try:
        await uow.conn.execute(insert(evidence), row)
    except IntegrityError:
        await nested.rollback()
        if applied:  # logged unapplied before (stale when judged), applied now: the log says so
            await uow.conn.execute(update(evidence).where(
                evidence.c.segment_id == segment_id, evidence.c.evidence_id == row["evidence_id"]).values(
                source=row["source"], observed_at=row["observed_at"], applied=True, why=why))
        return False
    await nested.commit()
    return True


async def evidence_seen(uow: Any, segment_id: str, evidence_id: str | None) -> bool:
    """Whether this evidence was already applied (logged with applied=True) for the segment."""
    if evidence_id is None:
        return False
    row = (await uow.conn.execute(select(evidence.c.id).where(
        evidence.c.segment_id == segment_id, evidence.c.evidence_id == evidence_id[:255],
        evidence.c.applied.is_(True)))).first()
    return row is not None
