"""The transaction boundary. Repositories never commit; events leave through the outbox on commit."""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from typing import Any

from sqlalchemy import exc as sa_exc
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from counterpoint.core.shared.aggregate import Aggregate
from counterpoint.core.shared.errors import CoreError, Unavailable
from counterpoint.core.shared.events import DomainEvent
from counterpoint.core.shared.ids import new_id
from counterpoint.storage.enquiry import SqlSupplyEnquiries
from counterpoint.storage.hub import SqlHubListeners
from counterpoint.storage.incident import SqlIncidents
from counterpoint.storage.inventory import SqlProducts
from counterpoint.storage.orchestration import SqlCompositeOrders, SqlOutboundCommands
from counterpoint.storage.ordering import (
    SqlCancelRequests,
    SqlCharges,
    SqlDeliveryDateRequests,
    SqlProductOrders,
)
from counterpoint.storage.outbox import outbox
from counterpoint.storage.quote import SqlQuotes
from counterpoint.storage.reconcile import SqlFindings, SqlReconcileRecords
from counterpoint.storage.service_order import SqlNetwork, SqlServiceOrders
from counterpoint.storage.serviceability import SqlPoqs
from counterpoint.storage.sla import SqlSlaRecords
from counterpoint.storage.ticket_federation import SqlFederatedTickets
from counterpoint.storage.trouble_ticket import SqlTroubleTickets
from counterpoint.storage.workforce import SqlAppointments, SqlTechnicianSlots, SqlWorkOrders

# SQLite has one writer at a time and every transaction here is BEGIN IMMEDIATE. Left to SQLite, waiting
# writers poll its lock with growing sleeps, so under load some wait far longer than their turn (p99 above
# a second in bench/). One FIFO lock per engine queues them in the process instead: each transaction starts
# the moment the previous one ends. Units of work are never nested, so the lock cannot deadlock.
_SQLITE_GATES: weakref.WeakKeyDictionary[Any, asyncio.Lock] = weakref.WeakKeyDictionary()


def _gate(engine: AsyncEngine) -> asyncio.Lock | None:
    if engine.dialect.name != "sqlite":
        return None
    gate = _SQLITE_GATES.get(engine.sync_engine)
    if gate is None:
        gate = _SQLITE_GATES[engine.sync_engine] = asyncio.Lock()
    return gate


def is_outage(exc: BaseException) -> bool:
    """Whether an error means the database is out of reach (down, restarting, refusing, locked too long),
    as opposed to a refusal of what was asked (a constraint, a bug)."""
    if isinstance(exc, sa_exc.DBAPIError):
        return exc.connection_invalidated or isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError)
    return isinstance(exc, OSError | TimeoutError | sa_exc.TimeoutError | sa_exc.DisconnectionError)


class SqlUnitOfWork:
    def __init__(self, engine: AsyncEngine, *, correlation_id: str | None = None, channel: str | None = None
                 ) -> None:
        self.engine = engine
        self.correlation_id = correlation_id
        # the interface ("sonata" or "cantata") a buyer's request came through: its resources only. None for
        # the Seller's own workers, which act on every interface's.
        self.channel = channel
        self._conn: AsyncConnection | None = None
        self._events: list[tuple[DomainEvent, str | None]] = []
        self._repos: dict[str, Any] = {}
        self._gate: asyncio.Lock | None = None

    async def __aenter__(self) -> SqlUnitOfWork:
        self._gate = _gate(self.engine)
        if self._gate is not None:
            await self._gate.acquire()
        try:
            self._conn = await self.engine.connect()
            await self._conn.begin()
        except BaseException as exc:
            if self._conn is not None:
                with contextlib.suppress(Exception):
                    await self._conn.close()
                self._conn = None
            if self._gate is not None:
                self._gate.release()
            if is_outage(exc):
                raise Unavailable(f"the database cannot be reached: {type(exc).__name__}") from exc
            raise
        return self

    async def __aexit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        assert self._conn is not None
        failure = exc
        try:
            try:
                if self._conn.in_transaction():
                    await self._conn.rollback()
            finally:
                await self._conn.close()
        except Exception as cleanup:  # a dead connection cannot roll back: that is the outage, not a new bug
            if not is_outage(cleanup):
                raise
            failure = failure or cleanup
        finally:
            self._conn = None
            self._events.clear()
            self._repos.clear()
            if self._gate is not None:
                self._gate.release()
        if failure is not None and not isinstance(failure, CoreError) and is_outage(failure):
            raise Unavailable(f"the database cannot be reached: {type(failure).__name__}") from failure

    @property
    def conn(self) -> AsyncConnection:
        if self._conn is None:
            raise RuntimeError("unit of work used outside 'async with'")
        return self._conn

    def collect(self, obj: Aggregate) -> None:
        self._events.extend((e, obj.correlation_id) for e in obj.events)
        obj.events.clear()

    def record(self, event: DomainEvent) -> None:
        self._events.append((event, None))

    async def commit(self) -> None:
        if self._events:
            await self.conn.execute(insert(outbox), [
                {"event_id": new_id(), "api": e.api, "event_type": e.event_type, "channel": e.channel,
                 "buyer_id": e.buyer_id, "seller_id": e.seller_id, "resource_id": e.resource_id,
                 "item_id": e.item_id, "milestone": e.milestone, "occurred_at": e.at,
                 "correlation_id": self.correlation_id or corr, "dispatched_at": None}
                for e, corr in self._events
            ])
            self._events.clear()
        await self.conn.commit()

    async def rollback(self) -> None:
        self._events.clear()
        await self.conn.rollback()

    def _repo(self, key: str, factory: Any) -> Any:
        if key not in self._repos:
            self._repos[key] = factory(self)
        return self._repos[key]

    # --- repositories ------------------------------------------------------------------------------
    @property
    def hub(self) -> SqlHubListeners:
        return self._repo("hub", SqlHubListeners)

    @property
    def poqs(self) -> SqlPoqs:
        return self._repo("poqs", SqlPoqs)

    @property
    def quotes(self) -> SqlQuotes:
        return self._repo("quotes", SqlQuotes)

    @property
    def product_orders(self) -> SqlProductOrders:
        return self._repo("product_orders", SqlProductOrders)

    @property
    def cancel_requests(self) -> SqlCancelRequests:
        return self._repo("cancel_requests", SqlCancelRequests)

    @property
    def delivery_date_requests(self) -> SqlDeliveryDateRequests:
        return self._repo("delivery_date_requests", SqlDeliveryDateRequests)

    @property
    def charges(self) -> SqlCharges:
        return self._repo("charges", SqlCharges)

    @property
    def products(self) -> SqlProducts:
        return self._repo("products", SqlProducts)

    @property
    def trouble_tickets(self) -> SqlTroubleTickets:
        return self._repo("trouble_tickets", SqlTroubleTickets)

    @property
    def incidents(self) -> SqlIncidents:
        return self._repo("incidents", SqlIncidents)

    @property
    def composites(self) -> SqlCompositeOrders:
        return self._repo("composites", SqlCompositeOrders)

    @property
    def commands(self) -> SqlOutboundCommands:
        return self._repo("commands", SqlOutboundCommands)

    @property
    def network(self) -> SqlNetwork:  # the simulated network controller's points and services
        return self._repo("network", SqlNetwork)

    @property
    def service_orders(self) -> SqlServiceOrders:
        return self._repo("service_orders", SqlServiceOrders)

    @property
    def enquiries(self) -> SqlSupplyEnquiries:  # supply enquiries of composite POQs, quotes and orders
        return self._repo("enquiries", SqlSupplyEnquiries)

    @property
    def sla(self) -> SqlSlaRecords:  # outages, their evidence, maintenance windows, services' terms
        return self._repo("sla", SqlSlaRecords)

    @property
    def work_orders(self) -> SqlWorkOrders:  # MEF 137
        return self._repo("work_orders", SqlWorkOrders)

    @property
    def appointments(self) -> SqlAppointments:
        return self._repo("appointments", SqlAppointments)

    @property
    def technician_slots(self) -> SqlTechnicianSlots:
        return self._repo("technician_slots", SqlTechnicianSlots)

    @property
    def findings(self) -> SqlFindings:  # reconciliation's findings and runs
        return self._repo("findings", SqlFindings)

    @property
    def reconcile_records(self) -> SqlReconcileRecords:  # the paged reads reconciliation's checks stream over
        return self._repo("reconcile_records", SqlReconcileRecords)

    @property
    def federated_tickets(self) -> SqlFederatedTickets:  # customers' tickets followed across providers
        return self._repo("federated_tickets", SqlFederatedTickets)
