"""Product inventory table and repository."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column, ColumnElement, String, Text, select
from sqlalchemy.engine import RowMapping

from counterpoint.core.inventory.model import Product, ProductStatus
from counterpoint.core.inventory.services import ProductFilter
from counterpoint.storage.repository import ResourceRepository
from counterpoint.storage.schema import JSONDoc, UtcDateTime, resource_table

product = resource_table(
    "product",
    Column("external_id", String(128), nullable=True, index=True),
    Column("offering_id", String(128), nullable=True, index=True),
    Column("spec_id", String(160), nullable=True),
    Column("billing_account_id", String(128), nullable=True),
    Column("start_date", UtcDateTime, nullable=True),
    # |-delimited id lists, so one LIKE finds a member without a child table
    Column("order_ids", Text, nullable=False),
    Column("site_ids", Text, nullable=False),
    Column("related_ids", Text, nullable=False),
    Column("places", JSONDoc, nullable=False),  # install places as ordered (MEF 116 shows only sites)
)


def _bars(values: list[str]) -> str:
    return "|" + "|".join(values) + "|" if values else ""


class SqlProducts(ResourceRepository[Product]):
    table = product
    noun = "product"

    def state_of(self, obj: Product) -> str:
        return obj.status.value

    def doc_of(self, obj: Product) -> dict[str, Any]:
        return obj.doc

    def to_row(self, obj: Product) -> dict[str, Any]:
        d = obj.doc
        return {
            "external_id": d.get("externalId"),
            "offering_id": (d.get("productOffering") or {}).get("id"),
            "spec_id": (d.get("productSpecification") or {}).get("id"),
            "billing_account_id": (d.get("billingAccount") or {}).get("id"),
            "start_date": obj.created_at,
            "order_ids": _bars(sorted({r["productOrderId"] for r in d.get("productOrderItem", [])})),
            "site_ids": _bars([s["id"] for s in d.get("relatedSite", []) if s.get("id")]),
            "related_ids": _bars([r["id"] for r in d.get("productRelationship", []) if r.get("id")]),
            "places": obj.places,
        }

    def from_row(self, row: RowMapping) -> Product:
        return Product(id=row["id"], buyer_id=row["buyer_id"], seller_id=row["seller_id"], channel=row["channel"],
                       created_at=row["created_at"], updated_at=row["updated_at"], version=row["version"],
                       status=ProductStatus(row["state"]), doc=row["doc"], places=list(row["places"] or []))

    async def search(self, buyer_id: str, f: ProductFilter, *, offset: int, limit: int
                     ) -> tuple[list[Product], int]:
        t = self.table
        where: list[ColumnElement[bool]] = []
        if f.status:
            where.append(t.c.state == f.status)
        if f.product_specification_id:
            where.append(t.c.spec_id == f.product_specification_id)
        if f.product_offering_id:
            where.append(t.c.offering_id == f.product_offering_id)
        if f.external_id:
            where.append(t.c.external_id == f.external_id)
        if f.billing_account_id:
            where.append(t.c.billing_account_id == f.billing_account_id)
        if f.product_order_id:
            where.append(t.c.order_ids.contains(f"|{f.product_order_id}|", autoescape=True))
        if f.site_id:
            where.append(t.c.site_ids.contains(f"|{f.site_id}|", autoescape=True))
        if f.related_product_id:
            where.append(t.c.related_ids.contains(f"|{f.related_product_id}|", autoescape=True))
        if f.start_gt:
            where.append(t.c.start_date > f.start_gt)
        if f.start_lt:
            where.append(t.c.start_date < f.start_lt)
        if f.updated_gt:
            where.append(t.c.updated_at > f.updated_gt)
        if f.updated_lt:
            where.append(t.c.updated_at < f.updated_lt)
        return await self.list(buyer_id, where, offset=offset, limit=limit)

    _DEAD = (ProductStatus.TERMINATED.value, ProductStatus.CANCELLED.value)

    async def live(self, *, ids: Sequence[str] | None = None, offerings: Sequence[str] | None = None
                   ) -> list[Product]:
        t = self.table
        where: list[ColumnElement[bool]] = [t.c.state.not_in(self._DEAD)]
        if ids is not None:
            where.append(t.c.id.in_(list(ids)))
        if offerings is not None:
            where.append(t.c.offering_id.in_(list(offerings)))
        rows = (await self.uow.conn.execute(select(t).where(*where).order_by(t.c.id))).mappings().all()
        return [self._load(r) for r in rows]
