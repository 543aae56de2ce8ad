"""Storage without HTTP: every repository with optimistic versions refuses a stale version, and the Alembic
migration gives exactly the tables the code defines (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, MetaData, String

from counterpoint.core.incident.model import Impact, IncidentType, Notice, new_incident
from counterpoint.core.inventory.model import Product, ProductStatus
from counterpoint.core.orchestration.enquiry import Purpose, SupplyEnquiry
from counterpoint.core.orchestration.model import CompositeOrder, OutboundCommand
from counterpoint.core.orchestration.ticket_model import FederatedTicket
from counterpoint.core.ordering.model import Charge, ChargeState, OrderState, OrderTask, ProductOrder, TaskState
from counterpoint.core.quote.model import Quote, QuoteState
from counterpoint.core.service_order.model import ServiceOrder, ServiceOrderState
from counterpoint.core.serviceability.model import Poq, PoqState
from counterpoint.core.shared.errors import StaleVersion
from counterpoint.core.shared.ids import new_id
from counterpoint.core.trouble_ticket.model import TicketStatus, TroubleTicket
from counterpoint.core.workforce.model import Appointment, AppointmentStatus, WorkOrder, WorkOrderState
from counterpoint.storage.db import create_engine, migrate
from counterpoint.storage.repository import ResourceRepository
from counterpoint.storage.tables import metadata
from counterpoint.storage.uow import SqlUnitOfWork

AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _common() -> dict[str, Any]:
    return {"id": new_id(), "buyer_id": "buyer-a", "seller_id": "seller", "channel": "sonata", "created_at": AT,
            "updated_at": AT}


# uow attribute -> a minimal resource of that repository
RESOURCES: dict[str, Callable[[], Any]] = {
    "poqs": lambda: Poq(**_common(), state=PoqState.ACKNOWLEDGED, doc={"productOfferingQualificationItem": []},
                        instant=False),
    "quotes": lambda: Quote(**_common(), state=QuoteState.ACKNOWLEDGED, doc={"quoteItem": []}, instant=False),
    "product_orders": lambda: ProductOrder(**_common(), state=OrderState.ACKNOWLEDGED, doc={"productOrderItem": []}),
    "cancel_requests": lambda: OrderTask(**_common(), kind="cancel", order_id="o-1", state=TaskState.ACKNOWLEDGED,
                                         doc={}),
    "delivery_date_requests": lambda: OrderTask(**_common(), kind="modifyDate", order_id="o-1",
                                                state=TaskState.ACKNOWLEDGED, doc={}),
    "charges": lambda: Charge(**_common(), order_id="o-1", item_id="1", state=ChargeState.AWAITING_RESPONSE,
                              doc={"chargeItem": []}),
    "products": lambda: Product(**_common(), status=ProductStatus.ACTIVE, doc={}),
    "service_orders": lambda: ServiceOrder(**_common(), state=ServiceOrderState.ACKNOWLEDGED,
                                           doc={"serviceOrderItem": [{"id": "1", "action": "add"}]}),
    "composites": lambda: CompositeOrder(**_common(), order_id="o-1", item_id="1", action="add"),
    "commands": lambda: OutboundCommand(**_common(), provider_id="p", composite_id="c-1", segment_id="s-1",
                                        action="placeOrder", idempotency_key=new_id(), payload={}),
    "incidents": lambda: new_incident(Notice(notice_id=new_id(), incident_type=IncidentType.MAINTENANCE,
                                             impact=Impact.DOWN, start=AT, end=AT + timedelta(hours=1),
                                             description="work", closes_at_end=True),
                                      buyer_id="buyer-a", seller_id="seller", channel="sonata", product_ids=["p"],
                                      contact={}, at=AT),
    "enquiries": lambda: SupplyEnquiry(**_common(), purpose=Purpose.QUALIFY, resource_id="r-1", item_id="1",
                                       offering_id="off"),
    "federated_tickets": lambda: FederatedTicket(**_common(), ticket_id=new_id(), product_id="p-1",
                                                 composite_id="c-1"),
    "trouble_tickets": lambda: TroubleTicket(**_common(), status=TicketStatus.ACKNOWLEDGED, doc={}),
    "work_orders": lambda: WorkOrder(**_common(), state=WorkOrderState.OPEN, doc={"relatedEntity": [], "place": []}),
    "appointments": lambda: Appointment(**_common(), status=AppointmentStatus.CONFIRMED, doc={}, work_order_id="w-1",
                                        start=AT, end=AT + timedelta(hours=2), technician=0),
}


def test_every_versioned_repository_is_covered() -> None:
    """Each repository property of the unit of work that returns a ResourceRepository has a case above."""
    classes = {c.__name__ for c in _subclasses(ResourceRepository)}
    optimistic = {name for name, attr in vars(SqlUnitOfWork).items()
                  if isinstance(attr, property) and attr.fget is not None
                  and attr.fget.__annotations__.get("return") in classes}
    assert optimistic == set(RESOURCES)


def _subclasses(cls: type) -> list[type]:
    return [s for c in cls.__subclasses__() for s in (c, *_subclasses(c))]


@pytest.mark.parametrize("repo", sorted(RESOURCES))
async def test_a_stale_version_is_refused(database_url: str, repo: str) -> None:
    engine = create_engine(database_url)
    try:
        obj = RESOURCES[repo]()
        async with SqlUnitOfWork(engine) as uow:
            await getattr(uow, repo).add(obj)
            await uow.commit()
        async with SqlUnitOfWork(engine) as uow:
            first = await getattr(uow, repo).get_unscoped(obj.id)
        async with SqlUnitOfWork(engine) as uow:
            second = await getattr(uow, repo).get_unscoped(obj.id)
        assert first.version == second.version == 1
        async with SqlUnitOfWork(engine) as uow:
            await getattr(uow, repo).save(first)
            await uow.commit()
        with pytest.raises(StaleVersion):
            async with SqlUnitOfWork(engine) as uow:
                await getattr(uow, repo).save(second)  # read before the first save: its version is stale
                await uow.commit()
        async with SqlUnitOfWork(engine) as uow:
            stored = await getattr(uow, repo).get_unscoped(obj.id)
        assert stored.version == 2
    finally:
        await engine.dispose()


async def test_the_migration_equals_the_table_definitions(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await migrate(engine)
        async with engine.connect() as conn:
            diffs = await conn.run_sync(lambda sync: compare_metadata(
                MigrationContext.configure(sync, opts={"compare_type": True}), metadata))
        # the comparison sees a difference when there is one: a column the migration does not make
        extra = metadata.tables["quote"].to_metadata(MetaData())
        extra.append_column(Column("not_migrated", String(8)))
        async with engine.connect() as conn:
            found = await conn.run_sync(lambda sync: compare_metadata(
                MigrationContext.configure(sync, opts={"compare_type": True}), extra.metadata))
    finally:
        await engine.dispose()
    assert diffs == []
    assert any(d[0] == "add_column" and d[3].name == "not_migrated" for d in found)
