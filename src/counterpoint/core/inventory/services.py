"""Use cases of the product inventory, and the hook completed order items call."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from counterpoint.core.inventory.model import Product, ProductStatus
from counterpoint.core.shared.errors import Conflict, NotFound
from counterpoint.core.shared.ids import new_id
from counterpoint.core.shared.times import iso

if TYPE_CHECKING:
    from counterpoint.core.ports import UnitOfWork
    from counterpoint.core.seller.model import SellerProfile

# Fields of an order item's product that the delivered product keeps.
_CARRIED = ("productOffering", "productConfiguration", "productRelationship")


@dataclass(frozen=True, slots=True)
class ProductFilter:
    status: str | None = None
    product_specification_id: str | None = None
    product_offering_id: str | None = None
    external_id: str | None = None
    site_id: str | None = None
    related_product_id: str | None = None
    billing_account_id: str | None = None
    product_order_id: str | None = None
    start_gt: datetime | None = None
    start_lt: datetime | None = None
    updated_gt: datetime | None = None
    updated_lt: datetime | None = None


def _sites(places: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """relatedSite entries from an order item's places that name a site."""
    out = []
    for place in places or []:
        if place.get("@type") == "GeographicSiteRef" and place.get("id"):
            out.append({"id": place["id"], "role": place.get("role", "site"), "@type": "RelatedGeographicSite"})
    return out


async def apply_order_item(uow: UnitOfWork, *, buyer_id: str, seller_id: str, channel: str, order_id: str,
                           order_item: dict[str, Any], action: str, product_id: str | None, at: datetime,
                           external_id: str | None = None) -> str:
    """Record what a completed order item delivered. Runs inside the caller's transaction."""
    ref = {"productOrderId": order_id, "productOrderItemId": order_item["id"]}
    source = order_item.get("product") or {}
    if action == "add":
        doc: dict[str, Any] = {k: copy.deepcopy(source[k]) for k in _CARRIED if k in source}
        new = new_id()
        doc.update({"id": new, "status": ProductStatus.ACTIVE.value, "startDate": iso(at), "lastUpdateDate": iso(at),
                    "productOrderItem": [ref],
                    "statusChange": [{"status": ProductStatus.ACTIVE.value, "changeDate": iso(at)}]})
        urn = (source.get("productConfiguration") or {}).get("@type")
        if urn:
            doc["productSpecification"] = {"id": urn}
        if sites := _sites(source.get("place")):
            doc["relatedSite"] = sites
        if order_item.get("billingAccount"):
            doc["billingAccount"] = copy.deepcopy(order_item["billingAccount"])
        if order_item.get("requestedItemTerm"):
            doc["productTerm"] = [copy.deepcopy(order_item["requestedItemTerm"])]
        if external_id:
            doc["externalId"] = external_id
        product = Product(id=new, buyer_id=buyer_id, seller_id=seller_id, channel=channel, created_at=at,
                          updated_at=at, status=ProductStatus.ACTIVE, doc=doc,
                          places=copy.deepcopy([p for p in source.get("place") or [] if isinstance(p, dict)]))
        await uow.products.add(product)
        return new
    if product_id is None:
        raise NotFound(f"order item {order_item['id']} names no product to {action}")
    product = await uow.products.get(buyer_id, product_id)
    product.doc.setdefault("productOrderItem", []).append(ref)
    if action == "modify":
        for key in _CARRIED:
            if key in source:
                product.doc[key] = copy.deepcopy(source[key])
        if source.get("place"):
            product.places = copy.deepcopy([p for p in source["place"] if isinstance(p, dict)])
        product.move_to(ProductStatus.ACTIVE_PENDING_CHANGE, at=at, reason=f"order {order_id}")
        product.move_to(ProductStatus.ACTIVE, at=at, reason=f"order {order_id} completed")
    elif action == "delete":
        product.move_to(ProductStatus.PENDING_TERMINATE, at=at, reason=f"order {order_id}")
        product.move_to(ProductStatus.TERMINATED, at=at, reason=f"order {order_id} completed")
        product.doc["terminationDate"] = iso(at)
    else:
        raise ValueError(f"unknown action {action}")
    await uow.products.save(product)
    return product_id


async def seed_existing(uow: UnitOfWork, profile: SellerProfile, *, at: datetime) -> list[str]:
    """Add the products the profile says its Buyers already have; ids of those added this time.

    Idempotent: a product whose id is already stored is left as it is (the Buyer may have modified or
    deleted it since; the database, not the profile, then holds its truth).
    """
    try:
        return await _seed(uow, profile, at)
    except Conflict:  # another process seeded the same products at the same moment: what it stored stands
        return await _seed(uow, profile, at)


async def _seed(uow: UnitOfWork, profile: SellerProfile, at: datetime) -> list[str]:
    added: list[str] = []
    async with uow:
        for p in profile.inventory:
            try:
                await uow.products.get_unscoped(p.id)
                continue
            except NotFound:
                pass
            start = p.start_date or at
            status = ProductStatus(p.status)
            doc: dict[str, Any] = {
                "id": p.id, "status": status.value, "startDate": iso(start), "lastUpdateDate": iso(start),
                "productOffering": {"id": p.offering_id}, "productSpecification": {"id": p.spec_urn},
                "productConfiguration": copy.deepcopy(p.configuration), "productOrderItem": [],
                "statusChange": [{"status": status.value, "changeDate": iso(start),
                                  "changeReason": "existing product, from the Seller's profile"}]}
            if sites := _sites(list(p.places)):
                doc["relatedSite"] = sites
            if p.external_id:
                doc["externalId"] = p.external_id
            if p.billing_account_id:
                doc["billingAccount"] = {"id": p.billing_account_id}
            if status is ProductStatus.TERMINATED:
                doc["terminationDate"] = iso(start)
            await uow.products.add(Product(
                id=p.id, buyer_id=p.buyer_id, seller_id=profile.seller_id, channel=p.channel, created_at=start,
                updated_at=start, status=status, doc=doc, places=copy.deepcopy(list(p.places))))
            added.append(p.id)
        await uow.commit()
    return added


async def get_product(uow: UnitOfWork, *, buyer_id: str, product_id: str) -> Product:
    async with uow:
        return await uow.products.get(buyer_id, product_id)


async def list_products(uow: UnitOfWork, *, buyer_id: str, flt: ProductFilter, offset: int,
                        limit: int) -> tuple[list[Product], int]:
    async with uow:
        return await uow.products.search(buyer_id, flt, offset=offset, limit=limit)
