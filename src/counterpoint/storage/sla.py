"""SLA records: outages and their evidence, maintenance windows, the terms of the services measured.

Not MEF resources: the orchestrator's own records, never reached by a buyer, so no buyer or interface scope.
Natural keys are unique indexes; evidence is written with ON CONFLICT DO NOTHING so a duplicate delivered
twice, even by two writers at once, is one row and aborts no transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import Column, Index, Integer, String, Table, Text, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import RowMapping

from counterpoint.core.shared.errors import Conflict, NotFound, StaleVersion
from counterpoint.core.sla.model import (
    Evidence,
    EvidenceKind,
    Fact,
    Impact,
    MaintenanceWindow,
    Outage,
    Responsible,
    SegmentTerms,
    ServiceTerms,
)
from counterpoint.storage.schema import JSONDoc, UtcDateTime, metadata

if TYPE_CHECKING:
    from counterpoint.storage.uow import SqlUnitOfWork

sla_outage = Table(
    "sla_outage",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("service_id", String(128), nullable=False),
    Column("key", String(200), nullable=False),
    Column("segment_id", String(128), nullable=True),
    Column("impact", String(16), nullable=False),
    Column("responsible", String(160), nullable=False),
    Column("start_at", UtcDateTime, nullable=False, index=True),
    Column("end_at", UtcDateTime, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("version", Integer, nullable=False),
    Index("ux_sla_outage_service_key", "service_id", "key", unique=True),
)

sla_evidence = Table(
    "sla_evidence",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("outage_id", String(64), nullable=False, index=True),
    Column("fact", String(16), nullable=False),
    Column("kind", String(24), nullable=False),
    Column("source", String(128), nullable=False),
    Column("reference", String(256), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("stamped_by", String(128), nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("responsible", String(160), nullable=True),
    Column("note", Text, nullable=True),
    Index("ux_sla_evidence_natural", "outage_id", "fact", "source", "reference", unique=True),
)

sla_maintenance = Table(
    "sla_maintenance",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("provider", String(128), nullable=False),
    Column("notice_ref", String(256), nullable=False),
    Column("start_at", UtcDateTime, nullable=False, index=True),
    Column("end_at", UtcDateTime, nullable=False),
    Column("services", JSONDoc, nullable=False),
    Column("segments", JSONDoc, nullable=False),
    Column("received_at", UtcDateTime, nullable=True),
    Index("ux_sla_maintenance_notice", "provider", "notice_ref", unique=True),
)

sla_service = Table(
    "sla_service",
    metadata,
    Column("service_id", String(128), primary_key=True),
    Column("customer_id", String(128), nullable=False),
    Column("offering_id", String(128), nullable=True),
    Column("mrc", String(40), nullable=True),  # a decimal, kept exact as text
    Column("currency", String(3), nullable=False),
    Column("segments", JSONDoc, nullable=False),  # [{id, supplier, mrc}]
)


def _dec(value: str | None) -> Decimal | None:
    return Decimal(value) if value is not None else None


class SqlSlaRecords:
    def __init__(self, uow: SqlUnitOfWork) -> None:
        self.uow = uow

    # --- outages ---------------------------------------------------------------------------------------------
    @staticmethod
    def _outage_row(o: Outage) -> dict[str, Any]:
        return {"service_id": o.service_id, "key": o.key, "segment_id": o.segment_id, "impact": o.impact.value,
                "responsible": str(o.responsible), "start_at": o.start, "end_at": o.end,
                "created_at": o.created_at, "updated_at": o.updated_at}

    @staticmethod
    def _outage(row: RowMapping, evidence: list[Evidence]) -> Outage:
        return Outage(id=row["id"], service_id=row["service_id"], key=row["key"], segment_id=row["segment_id"],
                      impact=Impact(row["impact"]), start=row["start_at"], end=row["end_at"],
                      responsible=Responsible.parse(row["responsible"]), created_at=row["created_at"],
                      updated_at=row["updated_at"], evidence=evidence, version=row["version"])

    @staticmethod
    def _evidence(row: RowMapping) -> Evidence:
        return Evidence(id=row["id"], outage_id=row["outage_id"], fact=Fact(row["fact"]),
                        kind=EvidenceKind(row["kind"]), source=row["source"], reference=row["reference"],
                        at=row["at"], stamped_by=row["stamped_by"], received_at=row["received_at"],
                        responsible=Responsible.parse(row["responsible"]) if row["responsible"] else None,
                        note=row["note"])

    async def _with_evidence(self, rows: Sequence[RowMapping]) -> list[Outage]:
        if not rows:
            return []
        ids = [r["id"] for r in rows]
        found: dict[str, list[Evidence]] = {i: [] for i in ids}
        for start in range(0, len(ids), 500):
            ev = (await self.uow.conn.execute(
                select(sla_evidence).where(sla_evidence.c.outage_id.in_(ids[start:start + 500]))
                .order_by(sla_evidence.c.at, sla_evidence.c.id))).mappings().all()
            for r in ev:
                found[r["outage_id"]].append(self._evidence(r))
        return [self._outage(r, found[r["id"]]) for r in rows]

    async def outage_by_key(self, service_id: str, key: str) -> Outage | None:
        row = (await self.uow.conn.execute(select(sla_outage).where(
            sla_outage.c.service_id == service_id, sla_outage.c.key == key))).mappings().first()
        return (await self._with_evidence([row]))[0] if row is not None else None

    async def get_outage(self, outage_id: str) -> Outage:
        row = (await self.uow.conn.execute(select(sla_outage).where(sla_outage.c.id == outage_id))
               ).mappings().first()
        if row is None:
            raise NotFound(f"outage {outage_id} not found")
        return (await self._with_evidence([row]))[0]

    def _insert(self, table: Table, index: list[str]) -> Any:
        dialect = postgresql if self.uow.conn.dialect.name == "postgresql" else sqlite
        return dialect.insert(table).on_conflict_do_nothing(index_elements=index)

    def _upsert(self, table: Table, index: list[str], row: dict[str, Any], keep: tuple[str, ...] = ()) -> Any:
        """INSERT, or UPDATE every column but the key's and `keep` when the key is taken (one statement, so two
        writers at once cannot both insert)."""
        dialect = postgresql if self.uow.conn.dialect.name == "postgresql" else sqlite
        stmt = dialect.insert(table).values(**row)
        return stmt.on_conflict_do_update(index_elements=index, set_={
            k: stmt.excluded[k] for k in row if k not in index and k not in keep})

    async def add_outage(self, outage: Outage) -> Outage:
        """Insert, unless a concurrent recorder stored the same (service, key) first: then that one, as stored.
        (PostgreSQL makes the second INSERT wait for the first transaction, so the row it yields to is
        committed and visible to the next statement.)"""
        result = await self.uow.conn.execute(self._insert(sla_outage, ["service_id", "key"]).values(
            id=outage.id, version=1, **self._outage_row(outage)))
        if result.rowcount != 1:
            stored = await self.outage_by_key(outage.service_id, outage.key)
            if stored is None:
                raise Conflict(f"outage {outage.key} of {outage.service_id}: recorded and removed concurrently")
            return stored
        outage.version = 1
        for item in list(outage.evidence):
            await self.add_evidence(item)
        return outage

    async def save_outage(self, outage: Outage) -> None:
        result = await self.uow.conn.execute(
            update(sla_outage).where(sla_outage.c.id == outage.id, sla_outage.c.version == outage.version)
            .values(version=outage.version + 1, **self._outage_row(outage)))
        if result.rowcount != 1:
            raise StaleVersion(f"outage {outage.id} was changed concurrently; retry")
        outage.version += 1

    async def add_evidence(self, evidence: Evidence) -> bool:
        row = {"id": evidence.id, "outage_id": evidence.outage_id, "fact": evidence.fact.value,
               "kind": evidence.kind.value, "source": evidence.source, "reference": evidence.reference,
               "at": evidence.at, "stamped_by": evidence.stamped_by, "received_at": evidence.received_at,
               "responsible": str(evidence.responsible) if evidence.responsible else None, "note": evidence.note}
        result = await self.uow.conn.execute(
            self._insert(sla_evidence, ["outage_id", "fact", "source", "reference"]).values(**row))
        return bool(result.rowcount == 1)

    async def outages_between(self, start: datetime, end: datetime, *, service_id: str | None = None
                              ) -> list[Outage]:
        t = sla_outage
        cond = [t.c.start_at < end, or_(t.c.end_at.is_(None), t.c.end_at >= start)]
        if service_id is not None:
            cond.append(t.c.service_id == service_id)
        rows = (await self.uow.conn.execute(select(t).where(*cond).order_by(t.c.start_at, t.c.id))
                ).mappings().all()
        return await self._with_evidence(rows)

    # --- maintenance ----------------------------------------------------------------------------------------
    @staticmethod
    def _window(row: RowMapping) -> MaintenanceWindow:
        return MaintenanceWindow(id=row["id"], provider=row["provider"], notice_ref=row["notice_ref"],
                                 start=row["start_at"], end=row["end_at"], services=tuple(row["services"]),
                                 segments=tuple(row["segments"]), received_at=row["received_at"])

    async def maintenance_by_ref(self, provider: str, notice_ref: str) -> MaintenanceWindow | None:
        row = (await self.uow.conn.execute(select(sla_maintenance).where(
            sla_maintenance.c.provider == provider, sla_maintenance.c.notice_ref == notice_ref))).mappings().first()
        return self._window(row) if row is not None else None

    async def put_maintenance(self, window: MaintenanceWindow) -> None:
        """Insert, or (the same provider and notice) replace its times and scope; the first id stays."""
        stmt = self._upsert(sla_maintenance, ["provider", "notice_ref"], {
            "id": window.id, "provider": window.provider, "notice_ref": window.notice_ref,
            "start_at": window.start, "end_at": window.end, "services": list(window.services),
            "segments": list(window.segments), "received_at": window.received_at},
            keep=("id", "received_at"))
        await self.uow.conn.execute(stmt)

    async def maintenance_between(self, start: datetime, end: datetime) -> list[MaintenanceWindow]:
        t = sla_maintenance
        rows = (await self.uow.conn.execute(select(t).where(t.c.start_at < end, t.c.end_at > start)
                                            .order_by(t.c.start_at, t.c.id))).mappings().all()
        return [self._window(r) for r in rows]

    # --- services -------------------------------------------------------------------------------------------
    async def put_service(self, terms: ServiceTerms) -> None:
        await self.uow.conn.execute(self._upsert(sla_service, ["service_id"], {
            "service_id": terms.service_id, "customer_id": terms.customer_id, "offering_id": terms.offering_id,
            "mrc": str(terms.mrc) if terms.mrc is not None else None, "currency": terms.currency,
            "segments": [{"id": s.id, "supplier": s.supplier, "mrc": str(s.mrc) if s.mrc is not None else None}
                         for s in terms.segments]}))

    async def services(self, ids: Sequence[str] | None = None) -> list[ServiceTerms]:
        stmt = select(sla_service).order_by(sla_service.c.service_id)
        if ids is not None:
            stmt = stmt.where(sla_service.c.service_id.in_(list(ids)))
        rows = (await self.uow.conn.execute(stmt)).mappings().all()
        return [ServiceTerms(service_id=r["service_id"], customer_id=r["customer_id"], offering_id=r["offering_id"],
                             mrc=_dec(r["mrc"]), currency=r["currency"],
                             segments=tuple(SegmentTerms(id=s["id"], supplier=s.get("supplier"),
                                                         mrc=_dec(s.get("mrc"))) for s in r["segments"]))
                for r in rows]
