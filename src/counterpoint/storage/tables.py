"""Every table, on one MetaData: Alembic and tests import this module.

Capability modules register their tables on `schema.metadata` when imported; add yours below.
"""

from counterpoint.storage import (  # noqa: F401
    enquiry,
    incident,
    inventory,
    orchestration,
    ordering,
    outbox,
    quote,
    reconcile,
    service_order,
    serviceability,
    sla,
    ticket_federation,
    trouble_ticket,
    workforce,
)
from counterpoint.storage.schema import metadata

__all__ = ["metadata"]
