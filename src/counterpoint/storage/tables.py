"""Every table, on one MetaData: Alembic and tests import this module.

Capability modules register their tables on `schema.metadata` when imported; add yours below.
"""

from counterpoint.storage import inventory, ordering, outbox, quote, serviceability  # noqa: F401
from counterpoint.storage.schema import metadata

__all__ = ["metadata"]
