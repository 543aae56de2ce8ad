"""What SLA attribution needs stored (storage/sla.py implements it; the unit of work's `sla`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from counterpoint.core.sla.model import Evidence, MaintenanceWindow, Outage, ServiceTerms


class SlaRecords(Protocol):
    async def outage_by_key(self, service_id: str, key: str) -> Outage | None:
        """The outage with this natural key, with its evidence."""
        ...

    async def get_outage(self, outage_id: str) -> Outage:
        """NotFound when there is none."""
        ...

    async def add_outage(self, outage: Outage) -> Outage:
        """Insert with its evidence; when a concurrent recorder stored the same (service, key) first, nothing is
        written and that outage is returned instead."""
        ...

    async def save_outage(self, outage: Outage) -> None:
        """Write back the outage's own columns (not its evidence); StaleVersion when changed meanwhile."""
        ...

    async def add_evidence(self, evidence: Evidence) -> bool:
        """Store one item; False (and nothing written) when its natural key is already there."""
        ...

    async def outages_between(self, start: datetime, end: datetime, *, service_id: str | None = None
                              ) -> list[Outage]:
        """Outages (with evidence) whose recorded interval touches [start, end); open ones included."""
        ...

    async def maintenance_by_ref(self, provider: str, notice_ref: str) -> MaintenanceWindow | None: ...
    async def put_maintenance(self, window: MaintenanceWindow) -> None:
        """Insert, or replace the window with the same id."""
        ...

    async def maintenance_between(self, start: datetime, end: datetime) -> list[MaintenanceWindow]: ...
    async def put_service(self, terms: ServiceTerms) -> None:
        """Insert or replace the service's terms."""
        ...

    async def services(self, ids: Sequence[str] | None = None) -> list[ServiceTerms]: ...
