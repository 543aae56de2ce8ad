"""A repository base for resource tables: scoped by buyer, optimistic locking, events to the outbox."""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Insert, Table, Update, bindparam, func, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError

from counterpoint.core.shared.aggregate import Aggregate
from counterpoint.core.shared.errors import Conflict, NotFound, StaleVersion

if TYPE_CHECKING:
    from counterpoint.storage.uow import SqlUnitOfWork

T = TypeVar("T", bound=Aggregate)


@functools.cache
def _insert_of(table: Table) -> Insert:
    return insert(table)


@functools.cache
def _update_of(table: Table) -> Update:
    """UPDATE ... WHERE id = :b_id AND version = :b_version; the SET list comes from the parameters."""
    return update(table).where(table.c.id == bindparam("b_id"), table.c.version == bindparam("b_version"))


class ResourceRepository(ABC, Generic[T]):
    table: Table
    noun: str = "resource"
    # A buyer's MEF resource belongs to the interface (Sonata or Cantata) it was created through: a unit of work
    # opened for one interface reads only that interface's. The orchestrator's own records are reached through
    # those resources, never by a buyer, and set this to False.
    by_channel: bool = True

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self.uow = uow

    # --- mapping, per capability -------------------------------------------------------------
    @abstractmethod
    def to_row(self, obj: T) -> dict[str, Any]:
        """Columns other than the common ones (id, buyer, state, version, timestamps, doc...)."""

    @abstractmethod
    def from_row(self, row: RowMapping) -> T: ...

    @abstractmethod
    def state_of(self, obj: T) -> str: ...

    @abstractmethod
    def doc_of(self, obj: T) -> dict[str, Any]: ...

    # --- common ---------------------------------------------------------------------------------
    def _scope(self, buyer_id: str) -> list[ColumnElement[bool]]:
        """What a buyer may see: its own resources, of the unit of work's interface when it has one."""
        cond = [self.table.c.buyer_id == buyer_id]
        if self.by_channel and self.uow.channel is not None:
            cond.append(self.table.c.channel == self.uow.channel)
        return cond

    def _load(self, row: RowMapping) -> T:
        obj = self.from_row(row)
        if obj.correlation_id is None:
            obj.correlation_id = row.get("correlation_id")
        return obj

    def _row(self, obj: T) -> dict[str, Any]:
        return {
            "id": obj.id, "buyer_id": obj.buyer_id, "seller_id": obj.seller_id, "channel": obj.channel,
            "state": self.state_of(obj), "created_at": obj.created_at, "updated_at": obj.updated_at,
            "doc": self.doc_of(obj), **self.to_row(obj),
        }

    async def add(self, obj: T) -> None:
        row = self._row(obj)
        row["version"] = 1
        obj.correlation_id = row["correlation_id"] = self.uow.correlation_id or obj.correlation_id
        # one statement object per table, parameters apart: SQLAlchemy compiles it once and caches it
        try:
            await self.uow.conn.execute(_insert_of(self.table), row)
        except IntegrityError as exc:  # a unique key taken by a concurrent writer: that one won
            raise Conflict(f"{self.noun} {obj.id}: a concurrent request created the same resource") from exc
        obj.version = 1
        self.uow.collect(obj)

    async def save(self, obj: T) -> None:
        """Write back a loaded aggregate; fails with StaleVersion if someone else wrote first."""
        row = self._row(obj)
        del row["id"], row["created_at"], row["buyer_id"]
        row.update(version=obj.version + 1, b_id=obj.id, b_version=obj.version)
        result = await self.uow.conn.execute(_update_of(self.table), row)
        if result.rowcount != 1:
            raise StaleVersion(f"{self.noun} {obj.id} was changed concurrently; retry")
        obj.version += 1
        self.uow.collect(obj)

    async def get(self, buyer_id: str, id: str) -> T:
        """One resource, only if it belongs to this buyer and interface (else NotFound: never reveal others')."""
        row = (await self.uow.conn.execute(
            select(self.table).where(self.table.c.id == id, *self._scope(buyer_id))
        )).mappings().first()
        if row is None:
            raise NotFound(f"{self.noun} {id} not found")
        return self._load(row)

    async def find(self, buyer_id: str, id: str) -> T | None:
        try:
            return await self.get(buyer_id, id)
        except NotFound:
            return None

    async def get_unscoped(self, id: str) -> T:
        """For workers acting for the Seller itself (fulfilment, expiry): not reachable from the API."""
        row = (await self.uow.conn.execute(select(self.table).where(self.table.c.id == id))).mappings().first()
        if row is None:
            raise NotFound(f"{self.noun} {id} not found")
        return self._load(row)

    async def due(self, now: datetime, *, limit: int = 200) -> list[str]:
        """Ids of any Buyer's resources whose `due_at` has come, oldest first (for the Seller's workers).

        Only for tables with a `due_at` column (NULL once nothing more is scheduled)."""
        due_at = self.table.c.due_at
        rows = await self.uow.conn.execute(select(self.table.c.id).where(due_at.is_not(None), due_at <= now)
                                           .order_by(due_at, self.table.c.id).limit(limit))
        return [r[0] for r in rows]

    async def list(self, buyer_id: str, where: Sequence[ColumnElement[bool]] = (), *, offset: int = 0,
                   limit: int | None = None) -> tuple[list[T], int]:
        cond = [*self._scope(buyer_id), *where]
        total = (await self.uow.conn.execute(
            select(func.count()).select_from(self.table).where(*cond))).scalar_one()
        stmt = (select(self.table).where(*cond)
                .order_by(self.table.c.created_at.desc(), self.table.c.id).offset(offset))
        if limit is not None:
            stmt = stmt.limit(limit)
        rows = (await self.uow.conn.execute(stmt)).mappings().all()
        return [self._load(r) for r in rows], total

    async def ids_where(self, *where: ColumnElement[bool], limit: int = 500) -> list[str]:
        """Ids of any buyer's resources matching; for the Seller's own workers."""
        rows = await self.uow.conn.execute(select(self.table.c.id).where(*where).limit(limit))
        return [r[0] for r in rows]
