"""Supply enquiries: what we asked suppliers for one of our POQ, quote or composite order items."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Column, String, UniqueConstraint, select
from sqlalchemy.engine import RowMapping

from counterpoint.core.orchestration.enquiry import EnquiryState, Purpose, SupplyAsk, SupplyEnquiry
from counterpoint.storage.repository import ResourceRepository
from counterpoint.storage.schema import UtcDateTime, resource_table

supply_enquiry = resource_table(
    "supply_enquiry",
    Column("purpose", String(16), nullable=False),
    Column("resource_id", String(64), nullable=False, index=True),
    Column("item_id", String(64), nullable=False),
    Column("due_at", UtcDateTime, nullable=True, index=True),
    UniqueConstraint("purpose", "resource_id", "item_id", name="uq_supply_enquiry_item"),
)


class SqlSupplyEnquiries(ResourceRepository[SupplyEnquiry]):
    table = supply_enquiry
    noun = "supply enquiry"
    by_channel = False  # the orchestrator's own record, not a buyer-visible MEF resource

    def state_of(self, obj: SupplyEnquiry) -> str:
        return obj.state.value

    def doc_of(self, obj: SupplyEnquiry) -> dict[str, Any]:
        return {
            "offering": obj.offering_id, "asks": [a.to_json() for a in obj.asks], "firm": obj.firm,
            "termMonths": obj.term_months, "bandwidthMbps": obj.bandwidth_mbps, "marginPct": str(obj.margin_pct),
            "testHours": obj.test_hours, "link": obj.link, "result": obj.result, "timeline": obj.timeline,
        }

    def to_row(self, obj: SupplyEnquiry) -> dict[str, Any]:
        return {"purpose": obj.purpose.value, "resource_id": obj.resource_id, "item_id": obj.item_id,
                "due_at": obj.due_at}

    def from_row(self, row: RowMapping) -> SupplyEnquiry:
        doc = row["doc"]
        return SupplyEnquiry(
            id=row["id"], buyer_id=row["buyer_id"], seller_id=row["seller_id"], channel=row["channel"],
            created_at=row["created_at"], updated_at=row["updated_at"], version=row["version"],
            correlation_id=row["correlation_id"], purpose=Purpose(row["purpose"]), resource_id=row["resource_id"],
            item_id=row["item_id"], offering_id=doc["offering"], state=EnquiryState(row["state"]),
            asks=[SupplyAsk.from_json(a) for a in doc.get("asks") or []], firm=doc.get("firm", True),
            term_months=doc.get("termMonths"), bandwidth_mbps=doc.get("bandwidthMbps"),
            margin_pct=Decimal(str(doc.get("marginPct", "0"))), test_hours=float(doc.get("testHours", 0.0)),
            link=doc.get("link") or {}, result=doc.get("result") or {}, timeline=doc.get("timeline") or [],
            due_at=row["due_at"])

    async def find_for(self, purpose: Purpose, resource_id: str, item_id: str) -> SupplyEnquiry | None:
        """The enquiry of one item (callers have checked the item is the Buyer's)."""
        t = self.table
        row = (await self.uow.conn.execute(select(t).where(
            t.c.purpose == purpose.value, t.c.resource_id == resource_id, t.c.item_id == item_id))).mappings().first()
        return self._load(row) if row else None

    async def for_resource(self, purpose: Purpose, resource_id: str) -> list[SupplyEnquiry]:
        t = self.table
        rows = (await self.uow.conn.execute(select(t).where(t.c.purpose == purpose.value, t.c.resource_id ==
                                                            resource_id).order_by(t.c.item_id))).mappings().all()
        return [self._load(r) for r in rows]
