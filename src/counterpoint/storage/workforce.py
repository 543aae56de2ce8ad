"""MEF 137 tables and repositories: work orders (with their places and related entities as list keys),
appointments, and the technicians' slot bookings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    ColumnElement,
    Integer,
    String,
    Table,
    UniqueConstraint,
    and_,
    delete,
    exists,
    func,
    insert,
    select,
)
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError

from counterpoint.core.seller.model import VisitOutcome
from counterpoint.core.workforce.model import (
    Appointment,
    AppointmentFilter,
    AppointmentStatus,
    WorkOrder,
    WorkOrderFilter,
    WorkOrderState,
)
from counterpoint.storage.repository import ResourceRepository
from counterpoint.storage.schema import UtcDateTime, metadata, resource_table

work_order = resource_table(
    "work_order",
    Column("appointment_required", Boolean, nullable=False, index=True),
    Column("due_at", UtcDateTime, nullable=True, index=True),
    Column("follow_up_of", String(64), nullable=True),
)

# What listWorkOrder filters on among a work order's lists: its places (kind "place": GeographicSiteRef or
# GeographicAddressRef and the id) and related entities (kind "entity": @referredType and id). Written once, when
# the work order is opened (neither list changes afterwards).
work_order_key = Table(
    "work_order_key", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("work_order_id", String(64), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("ref_type", String(64), nullable=False),
    Column("ref_id", String(255), nullable=False, index=True),
)

appointment = resource_table(
    "appointment",
    Column("work_order_id", String(64), nullable=False, index=True),
    Column("starts_at", UtcDateTime, nullable=False, index=True),
    Column("ends_at", UtcDateTime, nullable=False),
    Column("technician", Integer, nullable=False),
    Column("outcome", String(32), nullable=False),
    Column("arrived", Boolean, nullable=False),
    Column("site_id", String(255), nullable=True, index=True),
    Column("address_id", String(255), nullable=True, index=True),
    Column("due_at", UtcDateTime, nullable=True, index=True),
)

# One row per technician taken in a slot: the unique key is what stops two concurrent bookings from sharing one.
technician_slot = Table(
    "technician_slot", metadata,
    Column("slot_start", UtcDateTime, nullable=False),
    Column("technician", Integer, nullable=False),
    Column("appointment_id", String(64), nullable=False, index=True),
    UniqueConstraint("slot_start", "technician", name="uq_technician_slot_start_technician"),
)


class SqlWorkOrders(ResourceRepository[WorkOrder]):
    table = work_order
    noun = "work order"

    def state_of(self, obj: WorkOrder) -> str:
        return obj.state.value

    def doc_of(self, obj: WorkOrder) -> dict[str, Any]:
        return obj.doc

    def to_row(self, obj: WorkOrder) -> dict[str, Any]:
        return {"appointment_required": obj.appointment_required, "due_at": obj.due_at,
                "follow_up_of": obj.follow_up_of}

    def from_row(self, row: RowMapping) -> WorkOrder:
        return WorkOrder(
            id=row["id"], buyer_id=row["buyer_id"], seller_id=row["seller_id"], channel=row["channel"],
            created_at=row["created_at"], updated_at=row["updated_at"], version=row["version"],
            state=WorkOrderState(row["state"]), doc=row["doc"], due_at=row["due_at"],
            follow_up_of=row["follow_up_of"])

    async def add(self, obj: WorkOrder) -> None:
        await super().add(obj)
        keys = [{"work_order_id": obj.id, "kind": "place", "ref_type": p["@type"][:64], "ref_id": str(p["id"])[:255]}
                for p in obj.places if p.get("@type") in ("GeographicSiteRef", "GeographicAddressRef") and p.get("id")]
        keys += [{"work_order_id": obj.id, "kind": "entity", "ref_type": str(e["@referredType"])[:64],
                  "ref_id": str(e["id"])[:255]} for e in obj.related]
        if keys:
            await self.uow.conn.execute(insert(work_order_key), keys)

    def _keyed(self, kind: str, ref_type: str | None, ref_id: str | None) -> ColumnElement[bool]:
        k = work_order_key
        cond = [k.c.work_order_id == self.table.c.id, k.c.kind == kind]
        if ref_type is not None:
            cond.append(k.c.ref_type == ref_type)
        if ref_id is not None:
            cond.append(k.c.ref_id == ref_id)
        return exists(select(k.c.id).where(and_(*cond)))

    async def search(self, buyer_id: str, f: WorkOrderFilter, *, offset: int, limit: int
                     ) -> tuple[list[WorkOrder], int]:
        t = self.table
        where: list[ColumnElement[bool]] = []
        if f.state:
            where.append(t.c.state == f.state)
        if f.appointment_required is not None:
            where.append(t.c.appointment_required.is_(f.appointment_required))
        if f.site_id is not None:
            where.append(self._keyed("place", "GeographicSiteRef", f.site_id))
        if f.address_id is not None:
            where.append(self._keyed("place", "GeographicAddressRef", f.address_id))
        if f.related_type is not None or f.related_id is not None:
            where.append(self._keyed("entity", f.related_type, f.related_id))
        return await self.list(buyer_id, where, offset=offset, limit=limit)


class SqlAppointments(ResourceRepository[Appointment]):
    table = appointment
    noun = "appointment"

    def state_of(self, obj: Appointment) -> str:
        return obj.status.value

    def doc_of(self, obj: Appointment) -> dict[str, Any]:
        return obj.doc

    def to_row(self, obj: Appointment) -> dict[str, Any]:
        return {"work_order_id": obj.work_order_id, "starts_at": obj.start, "ends_at": obj.end,
                "technician": obj.technician, "outcome": obj.outcome.value, "arrived": obj.arrived,
                "site_id": obj.site_id, "address_id": obj.address_id, "due_at": obj.due_at}

    def from_row(self, row: RowMapping) -> Appointment:
        return Appointment(
            id=row["id"], buyer_id=row["buyer_id"], seller_id=row["seller_id"], channel=row["channel"],
            created_at=row["created_at"], updated_at=row["updated_at"], version=row["version"],
            status=AppointmentStatus(row["state"]), doc=row["doc"], work_order_id=row["work_order_id"],
            start=row["starts_at"], end=row["ends_at"], technician=row["technician"],
            outcome=VisitOutcome(row["outcome"]), arrived=row["arrived"], site_id=row["site_id"],
            address_id=row["address_id"], due_at=row["due_at"])

    async def search(self, buyer_id: str, f: AppointmentFilter, *, offset: int, limit: int
                     ) -> tuple[list[Appointment], int]:
        t = self.table
        where: list[ColumnElement[bool]] = []
        for column, value in ((t.c.work_order_id, f.work_order_id), (t.c.state, f.status),
                              (t.c.site_id, f.site_id), (t.c.address_id, f.address_id)):
            if value is not None:
                where.append(column == value)
        # R31: every appointment whose validFor overlaps the window, even in part
        if f.valid_for_gt is not None:
            where.append(t.c.ends_at > f.valid_for_gt)
        if f.valid_for_lt is not None:
            where.append(t.c.starts_at < f.valid_for_lt)
        return await self.list(buyer_id, where, offset=offset, limit=limit)


class SqlTechnicianSlots:
    def __init__(self, uow: Any) -> None:
        self.uow = uow

    async def booked(self, start: datetime, end: datetime) -> dict[datetime, int]:
        s = technician_slot
        rows = await self.uow.conn.execute(
            select(s.c.slot_start, func.count()).where(s.c.slot_start >= start, s.c.slot_start < end)
            .group_by(s.c.slot_start))
        return {r[0]: int(r[1]) for r in rows}

    async def book(self, slot_start: datetime, technicians: int, appointment_id: str) -> int | None:
        """Each technician's row is tried in a savepoint: a row a concurrent booking holds waits for it on
        PostgreSQL, then fails its unique key, and the next technician is tried (SQLite runs one writer at a
        time, so it never races)."""
        taken = {r[0] for r in await self.uow.conn.execute(
            select(technician_slot.c.technician).where(technician_slot.c.slot_start == slot_start))}
        for index in range(technicians):
            if index in taken:
                continue
            nested = await self.uow.conn.begin_nested()
            try:
                await self.uow.conn.execute(insert(technician_slot), {
                    "slot_start": slot_start, "technician": index, "appointment_id": appointment_id})
            except IntegrityError:
                await nested.rollback()
                continue
            await nested.commit()
            return index
        return None

    async def release(self, appointment_id: str) -> None:
        await self.uow.conn.execute(delete(technician_slot).where(technician_slot.c.appointment_id == appointment_id))
