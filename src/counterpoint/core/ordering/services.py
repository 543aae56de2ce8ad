"""Use cases of MEF 123: place, read, update and cancel orders, change delivery dates, answer charges.

The emulated Seller's timeline (what its profile plans for an order, and each planned step) is in
timeline.py, charges in charges.py; fulfilment.py drives the timeline and decides the Buyer's requests.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from counterpoint.core.ordering.charges import settle_charge, withdraw_if_item_ended
from counterpoint.core.ordering.model import (
    ORDER_TERMINAL,
    Charge,
    ChargeState,
    ItemState,
    OrderState,
    OrderTask,
    ProductOrder,
    Step,
    TaskState,
)
from counterpoint.core.ordering.timeline import plan_item
from counterpoint.core.quote.model import Quote
from counterpoint.core.quote.services import accept_quotes, check_quote_refs
from counterpoint.core.seller.model import SellerProfile
from counterpoint.core.serviceability.services import check_poq_ref
from counterpoint.core.shared.clock import Clock
from counterpoint.core.shared.errors import Conflict, Invalid, NotFound, Problem
from counterpoint.core.shared.ids import new_id
from counterpoint.core.shared.notes import own_notes, own_request_notes
from counterpoint.core.shared.times import iso
from counterpoint.core.shared.validation import ProductSchemas, check_configurations, item_configurations

if TYPE_CHECKING:
    from counterpoint.core.ports import UnitOfWork


@dataclass(frozen=True, slots=True)
class Party:
    buyer_id: str
    seller_id: str
    channel: str


@dataclass(frozen=True, slots=True)
class OrderFilter:
    state: str | None = None
    external_id: str | None = None
    project_id: str | None = None
    order_date_gt: datetime | None = None
    order_date_lt: datetime | None = None
    completion_date_gt: datetime | None = None
    completion_date_lt: datetime | None = None
    item_requested_gt: datetime | None = None
    item_requested_lt: datetime | None = None
    item_expected_gt: datetime | None = None
    item_expected_lt: datetime | None = None
    cancellation_date_gt: datetime | None = None
    cancellation_date_lt: datetime | None = None


@dataclass(frozen=True, slots=True)
class TaskFilter:
    order_id: str | None = None
    state: str | None = None
    extra: tuple[tuple[str, Any], ...] = ()  # kind-specific equality filters on the document


async def orchestrated_changes(uow: UnitOfWork, profile: SellerProfile, buyer_id: str,
                               items: list[dict[str, Any]]) -> set[str]:
    """Ids of the modify items whose product we built from segments: the orchestrator carries them out.

    (A delete of such a product still takes the Seller's own path; see core/orchestration/modify.py.)
    """
    orch = profile.orchestration
    found: set[str] = set()
    if orch is None:
        return found
    for item in items:
        pid = (item.get("product") or {}).get("id")
        if item.get("action") != "modify" or not pid:
            continue
        product = await uow.products.find(buyer_id, pid)
        if product is not None and orch.offering((product.doc.get("productOffering") or {}).get("id")):
            found.add(item["id"])
    return found


def _problem(code: str, reason: str, path: str) -> Invalid:
    return Invalid(reason, problems=[Problem(code, reason, path)])


async def _check_items(uow: UnitOfWork, profile: SellerProfile, buyer_id: str,
                       items: list[dict[str, Any]], *, now: datetime) -> dict[str, Quote]:
    """Business checks of the order items; returns the quotes they accept."""
    seen: set[str] = set()
    problems, quotes = await check_quote_refs(uow, buyer_id, items, now=now)
    for i, item in enumerate(items):
        base = f"/productOrderItem/{i}"
        if item["id"] in seen:
            problems.append(Problem("invalidValue", f"item id {item['id']} is used twice", f"{base}/id"))
        seen.add(item["id"])
        product = item.get("product") or {}
        offering_id = (product.get("productOffering") or {}).get("id")
        if item["action"] == "add":
            if not offering_id:
                problems.append(Problem("missingProperty", "an item that adds a product names its productOffering",
                                        f"{base}/product/productOffering"))
            elif profile.offering(offering_id) is None:
                problems.append(Problem("referenceNotFound", f"unknown product offering {offering_id}",
                                        f"{base}/product/productOffering/id"))
        else:
            pid = product.get("id")
            if not pid:
                problems.append(Problem("missingProperty", f"a {item['action']} item names the product it changes",
                                        f"{base}/product/id"))
            elif await uow.products.find(buyer_id, pid) is None:
                problems.append(Problem("referenceNotFound", f"unknown product {pid}", f"{base}/product/id"))
        poq_problem = await check_poq_ref(uow, buyer_id, item.get("productOfferingQualificationItem"),
                                          f"{base}/productOfferingQualificationItem")
        if poq_problem is not None:
            problems.append(poq_problem)
        for rel in item.get("productOrderItemRelationship") or []:
            if rel.get("id") not in {it["id"] for it in items}:
                problems.append(Problem("referenceNotFound", f"related item {rel.get('id')} is not in this order",
                                        f"{base}/productOrderItemRelationship"))
    if problems:
        raise Invalid(f"{len(problems)} problem(s) in the order items", problems=problems)
    return quotes


def _href(base_url: str, path: str, rid: str) -> str:
    return f"{base_url}/{path}/{rid}"


async def place_order(uow: UnitOfWork, clock: Clock, profile: SellerProfile, schemas: ProductSchemas, *,
                      party: Party, body: dict[str, Any], api_base: str,
                      idempotency_key: str | None = None) -> ProductOrder:
    """Create an order. With an idempotency key the buyer already used, the order it created is returned
    instead (a retry after a lost answer never creates a second order)."""
    now = clock.now()
    digest = request_hash(body) if idempotency_key is not None else None
    if idempotency_key is not None:
        existing = await _replayed(uow, party.buyer_id, idempotency_key, digest)
        if existing is not None:
            return existing
    try:
        return await _create_order(uow, clock, profile, schemas, party=party, body=body, api_base=api_base,
                                   idempotency_key=idempotency_key, digest=digest, now=now)
    except Conflict:
        # a concurrent request with the same key stored its order first: that one is the answer
        if idempotency_key is not None:
            existing = await _replayed(uow, party.buyer_id, idempotency_key, digest)
            if existing is not None:
                return existing
        raise


def request_hash(body: dict[str, Any]) -> str:
    """What an Idempotency-Key was used for: the sha-256 of the create body, keys sorted."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


async def _replayed(uow: UnitOfWork, buyer_id: str, key: str, digest: str | None) -> ProductOrder | None:
    async with uow:
        existing = await uow.product_orders.by_idempotency_key(buyer_id, key)
    if existing is not None and existing.request_hash is not None and existing.request_hash != digest:
        raise Invalid("Idempotency-Key reused", problems=[Problem(
            "otherIssue", f"Idempotency-Key {key} was used for a different request (order {existing.id}); "
            "send a new key for a new order", None)])
    return existing


async def _create_order(uow: UnitOfWork, clock: Clock, profile: SellerProfile, schemas: ProductSchemas, *,
                        party: Party, body: dict[str, Any], api_base: str, idempotency_key: str | None,
                        digest: str | None, now: datetime) -> ProductOrder:
    warnings = check_configurations(schemas, strict=profile.validation.value == "strict",
                                    configs=item_configurations(body["productOrderItem"], "productOrderItem"))
    oid = new_id()
    doc = body  # the caller hands over a body it parsed for us: no copy needed
    own_request_notes(doc, "productOrderItem", buyer_id=party.buyer_id, at=now)
    doc.update({"id": oid, "href": _href(api_base, "productOrder", oid), "orderDate": iso(now),
                "state": OrderState.ACKNOWLEDGED.value,
                "stateChange": [{"state": OrderState.ACKNOWLEDGED.value, "changeDate": iso(now)}]})
    doc.setdefault("relatedContactInformation", []).append(seller_contact(profile))  # R17
    plan: list[Step] = []
    async with uow:
        quotes = await _check_items(uow, profile, party.buyer_id, doc["productOrderItem"], now=now)
        orchestrated = await orchestrated_changes(uow, profile, party.buyer_id, doc["productOrderItem"])
        for item in doc["productOrderItem"]:
            steps, done = plan_item(profile, party.buyer_id, doc, item, now,
                                     orchestrated=item["id"] in orchestrated)
            plan.extend(steps)
            item["state"] = ItemState.ACKNOWLEDGED.value
            item["stateChange"] = [{"state": ItemState.ACKNOWLEDGED.value, "changeDate": iso(now)}]
            item["expectedCompletionDate"] = iso(done)
            item.setdefault("relatedContactInformation", []).append(seller_contact(profile))  # Table 11
        if any(s.kind == "reject" for s in plan):  # validation decides before any item starts
            plan = [s for s in plan if s.kind == "reject"]
        order = ProductOrder(id=oid, buyer_id=party.buyer_id, seller_id=party.seller_id, channel=party.channel,
                             created_at=now, updated_at=now, state=OrderState.ACKNOWLEDGED, doc=doc,
                             plan=sorted(plan, key=lambda s: s.at), idempotency_key=idempotency_key,
                             request_hash=digest)
        for w in warnings:
            order.add_note(f"accepted with a product payload problem: {w.as_text()}", at=now, note_id=new_id(),
                           author=profile.name)
        await uow.product_orders.add(order)
        await accept_quotes(uow, quotes, order_id=oid, now=now)
        await uow.commit()
    return order


async def get_order(uow: UnitOfWork, *, buyer_id: str, order_id: str) -> ProductOrder:
    async with uow:
        return await uow.product_orders.get(buyer_id, order_id)


async def list_orders(uow: UnitOfWork, *, buyer_id: str, flt: OrderFilter, offset: int,
                      limit: int) -> tuple[list[ProductOrder], int]:
    async with uow:
        return await uow.product_orders.search(buyer_id, flt, offset=offset, limit=limit)


def seller_contact(profile: SellerProfile, role: str = "sellerContact") -> dict[str, Any]:
    """The Seller's contact that orders and their items carry (R17, Table 11) and cancel requests (R76)."""
    return profile.desk_contact(role, "order", "orders")


def _sellers(contacts: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    return [c for c in contacts or [] if c.get("role") == "sellerContact"]


_ITEM_UPDATABLE = ("endCustomerName", "relatedBuyerPON", "relatedContactInformation")


async def update_order(uow: UnitOfWork, clock: Clock, *, buyer_id: str, order_id: str,
                       body: dict[str, Any]) -> ProductOrder:
    """patchProductOrder: the buyer's own references, contacts and new notes, while the order is open."""
    now = clock.now()
    async with uow:
        order = await uow.product_orders.get(buyer_id, order_id)
        if order.state in ORDER_TERMINAL:
            raise Conflict(f"order {order_id} is {order.state.value}: it can no longer be updated")
        for key in ("externalId", "projectId"):
            if key in body:
                order.doc[key] = body[key]
        if "relatedContactInformation" in body:  # the buyer's contacts are replaced; the seller's stay
            kept = _sellers(order.doc.get("relatedContactInformation"))
            order.doc["relatedContactInformation"] = kept + [
                copy.deepcopy(c) for c in body["relatedContactInformation"] if c.get("role") != "sellerContact"]
        # notes are append-only (only ones not seen before are added), and always the caller's own
        order.doc.setdefault("note", []).extend(
            own_notes(body.get("note"), buyer_id=buyer_id, at=now, known=order.doc.get("note", [])))
        if not order.doc["note"]:
            del order.doc["note"]
        ids = {item["id"] for item in order.items}
        for change in body.get("productOrderItem") or []:
            if change.get("id") not in ids:
                raise Conflict(f"order {order_id} has no item {change.get('id')}")
            item = order.item(change["id"])
            item_before = copy.deepcopy(item)
            for key in _ITEM_UPDATABLE:
                if key in change:
                    item[key] = copy.deepcopy(change[key])
            if "relatedContactInformation" in change:  # the Seller's own contact stays
                item["relatedContactInformation"] = _sellers(item_before.get("relatedContactInformation")) + [
                    c for c in item["relatedContactInformation"] if c.get("role") != "sellerContact"]
            added = own_notes(change.get("note"), buyer_id=buyer_id, at=now, known=item.get("note", []))
            if added:
                item.setdefault("note", []).extend(added)
        order.updated_at = now
        await uow.product_orders.save(order)
        await uow.commit()
    return order


def _task_doc(kind: str, tid: str, href: str, body: dict[str, Any], now: datetime) -> dict[str, Any]:
    doc = copy.deepcopy(body)
    doc.update({"id": tid, "href": href, "state": TaskState.ACKNOWLEDGED.value})
    if kind == "modifyDate":
        doc["creationDate"] = iso(now)
    return doc


async def request_cancellation(uow: UnitOfWork, clock: Clock, profile: SellerProfile, *, party: Party,
                               body: dict[str, Any], api_base: str) -> OrderTask:
    now = clock.now()
    order_id = body["productOrder"]["productOrderId"]
    async with uow:
        order = await uow.product_orders.find(party.buyer_id, order_id)
        if order is None:
            raise _problem("referenceNotFound", f"unknown product order {order_id}", "/productOrder/productOrderId")
        tid = new_id()
        doc = _task_doc("cancel", tid, _href(api_base, "cancelProductOrder", tid), body, now)
        doc.setdefault("relatedContactInformation", []).append(
            seller_contact(profile, "cancelProductOrderSellerContact"))  # R76
        task = OrderTask(id=tid, buyer_id=party.buyer_id, seller_id=party.seller_id, channel=party.channel,
                         created_at=now, updated_at=now, kind="cancel", order_id=order_id,
                         state=TaskState.ACKNOWLEDGED, due_at=now, doc=doc)
        if order.state is not OrderState.IN_PROGRESS:
            # Table 13: a request about an order in a state that cannot be cancelled is taken (201) and
            # rejected at once, the order left as it is.
            task.doc["cancellationDeniedReason"] = (f"the order is {order.state.value}: only an order in "
                                                    "progress can be cancelled")
            task.move_to(TaskState.REJECTED, at=now)
            await uow.cancel_requests.add(task)
            await uow.commit()
            return task
        order.resume_state = order.state
        order.move_to(OrderState.ASSESSING_CANCELLATION, at=now, reason="cancellation requested")
        for item in order.items:  # Table 9: work stops on every open item while the request is assessed
            if ItemState(item["state"]) is ItemState.IN_PROGRESS:
                order.move_item(item["id"], ItemState.PENDING, at=now, reason="assessing the cancellation")
        await uow.cancel_requests.add(task)
        await uow.product_orders.save(order)
        await uow.commit()
    return task


async def request_delivery_date_change(uow: UnitOfWork, clock: Clock, *, party: Party, body: dict[str, Any],
                                       api_base: str) -> OrderTask:
    now = clock.now()
    ref = body["productOrderItem"]
    async with uow:
        order = await uow.product_orders.find(party.buyer_id, ref["productOrderId"])
        if order is None:
            raise _problem("referenceNotFound", f"unknown product order {ref['productOrderId']}",
                           "/productOrderItem/productOrderId")
        if ref["productOrderItemId"] not in {i["id"] for i in order.items}:
            raise _problem("referenceNotFound", f"order has no item {ref['productOrderItemId']}",
                           "/productOrderItem/productOrderItemId")
        if order.state is not OrderState.IN_PROGRESS or \
                order.item_state(ref["productOrderItemId"]) is not ItemState.IN_PROGRESS:
            raise _problem("invalidValue", "the delivery date can only change while the order and the item are "
                           "in progress", "/productOrderItem")
        if "requestedCompletionDate" not in body and not body.get("expediteIndicator"):
            raise _problem("missingProperty", "give requestedCompletionDate, or expediteIndicator true",
                           "/requestedCompletionDate")
        tid = new_id()
        task = OrderTask(id=tid, buyer_id=party.buyer_id, seller_id=party.seller_id, channel=party.channel,
                         created_at=now, updated_at=now, kind="modifyDate", order_id=order.id,
                         state=TaskState.ACKNOWLEDGED, due_at=now,
                         doc=_task_doc("modifyDate", tid, _href(api_base, "modifyProductOrderItemRequestedDeliveryDate",
                                                                tid), body, now))
        order.resume_state = order.state
        order.move_to(OrderState.PENDING_ASSESSING_MODIFICATION, at=now, reason="delivery date change requested")
        order.move_item(ref["productOrderItemId"], ItemState.PENDING, at=now,  # Table 9
                        reason="assessing the delivery date change")
        await uow.delivery_date_requests.add(task)
        await uow.product_orders.save(order)
        await uow.commit()
    return task


async def get_task(uow: UnitOfWork, *, kind: str, buyer_id: str, task_id: str) -> OrderTask:
    async with uow:
        repo = uow.cancel_requests if kind == "cancel" else uow.delivery_date_requests
        return await repo.get(buyer_id, task_id)


async def list_tasks(uow: UnitOfWork, *, kind: str, buyer_id: str, flt: Any, offset: int,
                     limit: int) -> tuple[list[OrderTask], int]:
    async with uow:
        repo = uow.cancel_requests if kind == "cancel" else uow.delivery_date_requests
        return await repo.search(buyer_id, flt, offset=offset, limit=limit)


async def get_charge(uow: UnitOfWork, *, buyer_id: str, charge_id: str) -> Charge:
    async with uow:
        return await uow.charges.get(buyer_id, charge_id)


async def list_charges(uow: UnitOfWork, *, buyer_id: str, flt: Any, offset: int,
                       limit: int) -> tuple[list[Charge], int]:
    async with uow:
        return await uow.charges.search(buyer_id, flt, offset=offset, limit=limit)


async def withdraw_charges_of_ended_items(uow: UnitOfWork, order: ProductOrder, *, at: datetime,
                                          besides: str) -> None:
    """Charges still awaiting an answer about items that have just failed are withdrawn by the Seller."""
    charges, _ = await uow.charges.search(order.buyer_id, TaskFilter(order_id=order.id), offset=0, limit=1000)
    for other in charges:
        if other.id != besides and withdraw_if_item_ended(order, other, at=at):
            await uow.charges.save(other)


async def respond_to_charge(uow: UnitOfWork, clock: Clock, *, buyer_id: str, charge_id: str,
                            body: dict[str, Any]) -> Charge:
    now = clock.now()
    async with uow:
        charge = await uow.charges.get(buyer_id, charge_id)
        if charge.state is not ChargeState.AWAITING_RESPONSE:
            raise Conflict(f"charge {charge_id} is {charge.state.value}; it no longer takes answers")
        items = {i["id"]: i for i in charge.doc["chargeItem"]}
        for answer in body.get("chargeItem") or []:
            item = items.get(answer.get("id"))
            if item is None:
                raise Conflict(f"charge {charge_id} has no charge item {answer.get('id')}")
            verdict = answer.get("acceptanceIndicator")
            if verdict not in ("accepted", "rejected"):
                raise Conflict("acceptanceIndicator must be 'accepted' or 'rejected'")
            item["acceptanceIndicator"] = verdict
            item["state"] = "acceptedByBuyer" if verdict == "accepted" else "declinedByBuyer"
        if all(i["state"] != "awaitingResponse" for i in items.values()):
            accepted = all(i["state"] == "acceptedByBuyer" for i in items.values() if i.get("blocking", True))
            charge.move_to(ChargeState.COMPLETED, at=now)
            order = await uow.product_orders.get(buyer_id, charge.order_id)
            settle_charge(order, charge, accepted=accepted, at=now)
            await withdraw_charges_of_ended_items(uow, order, at=now, besides=charge.id)
            await uow.product_orders.save(order)
        else:
            charge.updated_at = now
        await uow.charges.save(charge)
        await uow.commit()
    return charge


__all__ = ["NotFound", "OrderFilter", "Party", "TaskFilter", "place_order"]
