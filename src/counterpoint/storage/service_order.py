"""Service orders of our own orchestration, and the state of the simulated network controller.

A service order is one row (items inside the JSON document) with its plan of provisioning steps and the
`due_at` the worker scans. The network tables belong to the controller (network/controller.py), a separate
system in real life: its own tables, written in its own short transactions.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Column, Float, Index, Integer, String, Table, insert, or_, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError

from counterpoint.core.service_order.model import ServiceOrder, ServiceOrderState, Step
from counterpoint.core.shared.errors import Conflict
from counterpoint.storage.repository import ResourceRepository
from counterpoint.storage.schema import JSONDoc, UtcDateTime, metadata, resource_table

if TYPE_CHECKING:
    from counterpoint.storage.uow import SqlUnitOfWork

service_order = resource_table(
    "service_order",
    Column("external_id", String(128), nullable=True),
    Column("action", String(16), nullable=False),
    Column("due_at", UtcDateTime, nullable=True, index=True),
    Column("plan", JSONDoc, nullable=False),
    Index("ux_service_order_buyer_external", "buyer_id", "external_id", unique=True),
)

network_sip = Table(
    "network_service_interface_point",
    metadata,
    Column("uuid", String(128), primary_key=True),
    Column("name", String(128), nullable=False),
    Column("capacity_mbps", Integer, nullable=False),
    Column("used_mbps", Integer, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

network_connectivity_service = Table(
    "network_connectivity_service",
    metadata,
    Column("uuid", String(64), primary_key=True),
    Column("name", String(200), nullable=False, index=True),
    Column("end_points", JSONDoc, nullable=False),  # service-interface-point uuids
    Column("capacity_mbps", Integer, nullable=False),
    Column("lifecycle_state", String(24), nullable=False),
    Column("operational_state", String(16), nullable=False),
    Column("administrative_state", String(16), nullable=False),
    Column("fault", String(24), nullable=True),  # down | neverOperational | flap
    Column("flap_period_s", Float, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("ready_at", UtcDateTime, nullable=False),  # when provisioning ends
    Column("updated_at", UtcDateTime, nullable=False),
    Column("removal_requested_at", UtcDateTime, nullable=True),
    Column("removed_at", UtcDateTime, nullable=True),  # when it leaves the network (set with the removal request)
)


class SqlServiceOrders(ResourceRepository[ServiceOrder]):
    table = service_order
    noun = "service order"
    by_channel = False  # the orchestrator's own record, not a buyer-visible MEF resource

    def state_of(self, obj: ServiceOrder) -> str:
        return obj.state.value

    def doc_of(self, obj: ServiceOrder) -> dict[str, Any]:
        return obj.doc

    def to_row(self, obj: ServiceOrder) -> dict[str, Any]:
        return {"external_id": obj.external_id, "action": obj.items[0]["action"], "due_at": obj.due_at,
                "plan": [s.to_json() for s in obj.plan]}

    def from_row(self, row: RowMapping) -> ServiceOrder:
        return ServiceOrder(id=row["id"], buyer_id=row["buyer_id"], seller_id=row["seller_id"],
                            channel=row["channel"], created_at=row["created_at"], updated_at=row["updated_at"],
                            version=row["version"], state=ServiceOrderState(row["state"]), doc=row["doc"],
                            plan=[Step.from_json(s) for s in row["plan"]])

    async def add(self, obj: ServiceOrder) -> None:
        """Insert; a second order with the same requester and externalId is a Conflict (never a duplicate)."""
        try:
            await super().add(obj)
        except IntegrityError as exc:
            raise Conflict(f"a service order with externalId {obj.external_id} already exists") from exc

    async def find_by_external_id(self, buyer_id: str, external_id: str) -> ServiceOrder | None:
        row = (await self.uow.conn.execute(select(self.table).where(
            self.table.c.buyer_id == buyer_id, self.table.c.external_id == external_id))).mappings().first()
        return self.from_row(row) if row is not None else None


class SqlNetwork:
    """Rows of the simulated controller: service interface points with their used capacity, and services."""

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self.uow = uow

    async def sync_sips(self, sips: Sequence[tuple[str, str, int]], at: datetime) -> None:
        """Make the inventory match the configuration (uuid, name, capacity); used capacity is kept."""
        conn = self.uow.conn
        known = {r["uuid"]: r for r in (await conn.execute(select(network_sip))).mappings().all()}
        for uuid, name, capacity in sips:
            row = known.get(uuid)
            if row is None:
                await conn.execute(insert(network_sip).values(uuid=uuid, name=name, capacity_mbps=capacity,
                                                              used_mbps=0, updated_at=at))
            elif (row["name"], row["capacity_mbps"]) != (name, capacity):
                await conn.execute(update(network_sip).where(network_sip.c.uuid == uuid)
                                   .values(name=name, capacity_mbps=capacity, updated_at=at))

    async def sips(self) -> dict[str, RowMapping]:
        rows = (await self.uow.conn.execute(select(network_sip))).mappings().all()
        return {r["uuid"]: r for r in rows}

    async def reserve(self, sip_uuid: str, mbps: int, at: datetime) -> bool:
        """Take capacity on a point only if it has room; one conditional UPDATE, so two takers cannot overbook."""
        result = await self.uow.conn.execute(
            update(network_sip)
            .where(network_sip.c.uuid == sip_uuid, network_sip.c.used_mbps + mbps <= network_sip.c.capacity_mbps)
            .values(used_mbps=network_sip.c.used_mbps + mbps, updated_at=at))
        return result.rowcount == 1

    async def release(self, sip_uuid: str, mbps: int, at: datetime) -> None:
        await self.uow.conn.execute(update(network_sip).where(network_sip.c.uuid == sip_uuid)
                                    .values(used_mbps=network_sip.c.used_mbps - mbps, updated_at=at))

    async def insert_service(self, row: dict[str, Any]) -> None:
        await self.uow.conn.execute(insert(network_connectivity_service).values(**row))

    async def service(self, uuid_or_name: str, now: datetime) -> RowMapping | None:
        """The live service with this uuid or name (one whose removal has taken effect is gone)."""
        t = network_connectivity_service
        live = or_(t.c.removed_at.is_(None), t.c.removed_at > now)
        row = (await self.uow.conn.execute(select(t).where(t.c.uuid == uuid_or_name, live))).mappings().first()
        if row is None:
            row = (await self.uow.conn.execute(select(t).where(t.c.name == uuid_or_name, live)
                                               .order_by(t.c.created_at.desc()))).mappings().first()
        return row

    async def services(self, now: datetime, *, include_removed: bool = False) -> list[RowMapping]:
        t = network_connectivity_service
        stmt = select(t).order_by(t.c.created_at, t.c.uuid)
        if not include_removed:
            stmt = stmt.where(or_(t.c.removed_at.is_(None), t.c.removed_at > now))
        return list((await self.uow.conn.execute(stmt)).mappings().all())

    async def update_service(self, uuid: str, values: dict[str, Any]) -> None:
        await self.uow.conn.execute(update(network_connectivity_service)
                                    .where(network_connectivity_service.c.uuid == uuid).values(**values))
