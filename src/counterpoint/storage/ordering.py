"""Product order, cancellation, delivery-date change and charge tables and repositories.

An order and its items are one row (items inside the JSON document) so that creating one is a single
INSERT; the item dates that list filters need are kept as min/max columns beside it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, ColumnElement, String, UniqueConstraint, select
from sqlalchemy.engine import RowMapping

from counterpoint.core.ordering.model import (
    Charge,
    ChargeState,
    OrderState,
    OrderTask,
    ProductOrder,
    Step,
    TaskState,
    parse_time,
)
from counterpoint.core.ordering.services import OrderFilter, TaskFilter
from counterpoint.storage.repository import ResourceRepository
from counterpoint.storage.schema import JSONDoc, UtcDateTime, resource_table

product_order = resource_table(
    "product_order",
    Column("external_id", String(128), nullable=True, index=True),
    Column("project_id", String(128), nullable=True),
    Column("completion_date", UtcDateTime, nullable=True),
    Column("cancellation_date", UtcDateTime, nullable=True),
    Column("item_requested_min", UtcDateTime, nullable=True),
    Column("item_requested_max", UtcDateTime, nullable=True),
    Column("item_expected_min", UtcDateTime, nullable=True),
    Column("item_expected_max", UtcDateTime, nullable=True),
    Column("due_at", UtcDateTime, nullable=True, index=True),
    Column("resume_state", String(48), nullable=True),
    Column("held_since", UtcDateTime, nullable=True),  # unused: an item's hold starts at its own stateChange
    Column("plan", JSONDoc, nullable=False),
    Column("idempotency_key", String(128), nullable=True),
    Column("request_hash", String(64), nullable=True),  # sha-256 of the create body the key was used with
    UniqueConstraint("buyer_id", "channel", "idempotency_key",
                     name="uq_product_order_buyer_channel_idempotency_key"),
)
cancel_product_order = resource_table(
    "cancel_product_order",
    Column("order_id", String(64), nullable=False, index=True),
    Column("due_at", UtcDateTime, nullable=True, index=True),
)
modify_delivery_date = resource_table(
    "modify_delivery_date",
    Column("order_id", String(64), nullable=False, index=True),
    Column("due_at", UtcDateTime, nullable=True, index=True),
)
order_charge = resource_table(
    "product_order_charge",
    Column("order_id", String(64), nullable=False, index=True),
    Column("item_id", String(64), nullable=True),
    Column("due_at", UtcDateTime, nullable=True, index=True),
)


def _dates(order: ProductOrder, key: str) -> list[datetime]:
    return [d for d in (parse_time(i.get(key)) for i in order.items) if d is not None]


def _range(cond: list[ColumnElement[bool]], col: Any, gt: datetime | None, lt: datetime | None) -> None:
    if gt is not None:
        cond.append(col > gt)
    if lt is not None:
        cond.append(col < lt)


class SqlProductOrders(ResourceRepository[ProductOrder]):
    table = product_order
    noun = "product order"

    def state_of(self, obj: ProductOrder) -> str:
        return obj.state.value

    def doc_of(self, obj: ProductOrder) -> dict[str, Any]:
        return obj.doc

    def to_row(self, obj: ProductOrder) -> dict[str, Any]:
        requested, expected = _dates(obj, "requestedCompletionDate"), _dates(obj, "expectedCompletionDate")
        return {
            "external_id": obj.doc.get("externalId"), "project_id": obj.doc.get("projectId"),
            "completion_date": parse_time(obj.doc.get("completionDate")),
            "cancellation_date": parse_time(obj.doc.get("cancellationDate")),
            "item_requested_min": min(requested, default=None), "item_requested_max": max(requested, default=None),
            "item_expected_min": min(expected, default=None), "item_expected_max": max(expected, default=None),
            "due_at": obj.due_at, "resume_state": obj.resume_state.value if obj.resume_state else None,
            "held_since": None, "plan": [s.to_json() for s in obj.plan],
            "idempotency_key": obj.idempotency_key, "request_hash": obj.request_hash,
        }

    def from_row(self, row: RowMapping) -> ProductOrder:
        return ProductOrder(
            id=row["id"], buyer_id=row["buyer_id"], seller_id=row["seller_id"], channel=row["channel"],
            created_at=row["created_at"], updated_at=row["updated_at"], version=row["version"],
            state=OrderState(row["state"]), doc=row["doc"], plan=[Step.from_json(s) for s in row["plan"]],
            idempotency_key=row["idempotency_key"], request_hash=row["request_hash"],
            resume_state=OrderState(row["resume_state"]) if row["resume_state"] else None)

    async def by_idempotency_key(self, buyer_id: str, key: str) -> ProductOrder | None:
        row = (await self.uow.conn.execute(select(self.table).where(
            *self._scope(buyer_id), self.table.c.idempotency_key == key))).mappings().first()
        return self._load(row) if row is not None else None

    async def correlation_of(self, order_id: str) -> str | None:
        """The correlation id the order arrived with, to carry into the work it starts."""
        row = (await self.uow.conn.execute(select(self.table.c.correlation_id).where(self.table.c.id == order_id))
               ).first()
        return row[0] if row else None

    async def search(self, buyer_id: str, f: OrderFilter, *, offset: int, limit: int
                     ) -> tuple[list[ProductOrder], int]:
        t = self.table
        cond: list[ColumnElement[bool]] = []
        if f.state:
            cond.append(t.c.state == f.state)
        if f.external_id:
            cond.append(t.c.external_id == f.external_id)
        if f.project_id:
            cond.append(t.c.project_id == f.project_id)
        _range(cond, t.c.created_at, f.order_date_gt, f.order_date_lt)
        _range(cond, t.c.completion_date, f.completion_date_gt, f.completion_date_lt)
        _range(cond, t.c.cancellation_date, f.cancellation_date_gt, f.cancellation_date_lt)
        # "some item's date is after X" is "the latest is after X"; "before X" is "the earliest is before X"
        _range(cond, t.c.item_requested_max, f.item_requested_gt, None)
        _range(cond, t.c.item_requested_min, None, f.item_requested_lt)
        _range(cond, t.c.item_expected_max, f.item_expected_gt, None)
        _range(cond, t.c.item_expected_min, None, f.item_expected_lt)
        return await self.list(buyer_id, cond, offset=offset, limit=limit)


class _SqlTasks(ResourceRepository[OrderTask]):
    kind: str

    def state_of(self, obj: OrderTask) -> str:
        return obj.state.value

    def doc_of(self, obj: OrderTask) -> dict[str, Any]:
        return obj.doc

    def to_row(self, obj: OrderTask) -> dict[str, Any]:
        return {"order_id": obj.order_id, "due_at": obj.due_at}

    def from_row(self, row: RowMapping) -> OrderTask:
        return OrderTask(id=row["id"], buyer_id=row["buyer_id"], seller_id=row["seller_id"], channel=row["channel"],
                         created_at=row["created_at"], updated_at=row["updated_at"], version=row["version"],
                         kind=self.kind, order_id=row["order_id"], state=TaskState(row["state"]), doc=row["doc"],
                         due_at=row["due_at"])

    async def search(self, buyer_id: str, f: TaskFilter, *, offset: int, limit: int
                     ) -> tuple[list[OrderTask], int]:
        t = self.table
        cond: list[ColumnElement[bool]] = []
        if f.order_id:
            cond.append(t.c.order_id == f.order_id)
        if f.state:
            cond.append(t.c.state == f.state)
        _range(cond, t.c.created_at, dict(f.extra).get("created_gt"), dict(f.extra).get("created_lt"))
        items, _ = await self.list(buyer_id, cond, offset=0, limit=None)
        # the remaining filters are on document fields of a few small rows
        for key, value in f.extra:
            if key in ("created_gt", "created_lt"):
                continue
            if key.endswith(".gt") or key.endswith(".lt"):
                field, op = key[:-3], key[-2:]
                items = [i for i in items if (d := parse_time(i.doc.get(field))) is not None
                         and (d > value if op == "gt" else d < value)]
            else:
                items = [i for i in items if str(i.doc.get(key)).lower() == str(value).lower()]
        return items[offset:offset + limit], len(items)


class SqlCancelRequests(_SqlTasks):
    table = cancel_product_order
    noun = "cancel product order request"
    kind = "cancel"


class SqlDeliveryDateRequests(_SqlTasks):
    table = modify_delivery_date
    noun = "delivery date change request"
    kind = "modifyDate"


class SqlCharges(ResourceRepository[Charge]):
    table = order_charge
    noun = "charge"

    def state_of(self, obj: Charge) -> str:
        return obj.state.value

    def doc_of(self, obj: Charge) -> dict[str, Any]:
        return obj.doc

    def to_row(self, obj: Charge) -> dict[str, Any]:
        return {"order_id": obj.order_id, "item_id": obj.item_id, "due_at": obj.due_at}

    def from_row(self, row: RowMapping) -> Charge:
        return Charge(id=row["id"], buyer_id=row["buyer_id"], seller_id=row["seller_id"], channel=row["channel"],
                      created_at=row["created_at"], updated_at=row["updated_at"], version=row["version"],
                      order_id=row["order_id"], item_id=row["item_id"], state=ChargeState(row["state"]),
                      doc=row["doc"], due_at=row["due_at"])

    async def search(self, buyer_id: str, f: TaskFilter, *, offset: int, limit: int) -> tuple[list[Charge], int]:
        t = self.table
        cond: list[ColumnElement[bool]] = []
        if f.order_id:
            cond.append(t.c.order_id == f.order_id)
        extra = dict(f.extra)
        if extra.get("item_id"):
            cond.append(t.c.item_id == extra["item_id"])
        _range(cond, t.c.created_at, extra.get("created_gt"), extra.get("created_lt"))
        items, _ = await self.list(buyer_id, cond, offset=0, limit=None)
        for key in ("responseDueDate.gt", "responseDueDate.lt"):
            if key in extra:
                value = extra[key]
                items = [i for i in items if (d := parse_time(i.doc.get("responseDueDate"))) is not None
                         and (d > value if key.endswith("gt") else d < value)]
        return items[offset:offset + limit], len(items)
