"""Reconciliation: its findings and runs, and the paged reads its checks stream over.

Reads are keyset pages over the composite orders' primary key (`id > :after ORDER BY id LIMIT :n`); for each
page the commands, supplier references, latest evidence per segment and customer products are fetched with one
indexed `IN` query each, and only the columns (and JSON members) the checks read. A run is a few queries per
page, whatever the size of the tables.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Boolean,
    Column,
    ColumnElement,
    Index,
    Integer,
    String,
    Table,
    bindparam,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import RowMapping

from counterpoint.core.orchestration.codec import ref_from
from counterpoint.core.orchestration.model import CommandState, CompositeState, Segment
from counterpoint.core.orchestration.supply import SegmentState
from counterpoint.core.reconcile.model import (
    Check,
    Evidence,
    Finding,
    Kind,
    Repair,
    RepairAction,
    Severity,
    Status,
    Subject,
)
from counterpoint.core.reconcile.ports import Run
from counterpoint.core.reconcile.records import (
    CommandView,
    CompositeRecord,
    EvidenceView,
    ProductView,
    RefView,
    TicketRecord,
)
from counterpoint.core.shared.errors import StaleVersion
from counterpoint.core.shared.ids import ExternalRef
from counterpoint.storage.inventory import product
from counterpoint.storage.orchestration import composite_order, evidence, outbound_command, supplier_ref
from counterpoint.storage.schema import JSONDoc, UtcDateTime, metadata

if TYPE_CHECKING:
    from counterpoint.storage.uow import SqlUnitOfWork

finding = Table(
    "reconcile_finding",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("fingerprint", String(64), nullable=False, unique=True),
    Column("kind", String(48), nullable=False),
    Column("check_name", String(16), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("first_seen", UtcDateTime, nullable=False),
    Column("last_seen", UtcDateTime, nullable=False),
    Column("raised_at", UtcDateTime, nullable=True),
    Column("cleared_at", UtcDateTime, nullable=True),
    Column("last_run", String(64), nullable=False),
    Column("occurrences", Integer, nullable=False),
    Column("buyer_id", String(128), nullable=True),
    Column("composite_id", String(64), nullable=True, index=True),
    Column("version", Integer, nullable=False),
    Column("doc", JSONDoc, nullable=False),  # subject, summary, evidence, proposed repair, repairs applied
    Index("ix_reconcile_finding_status_kind", "status", "kind"),
)

run_table = Table(
    "reconcile_run",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("started_at", UtcDateTime, nullable=False, index=True),
    Column("finished_at", UtcDateTime, nullable=True),
    Column("checks", String(64), nullable=False),
    Column("repair", Boolean, nullable=False),
    Column("counts", JSONDoc, nullable=False),
)

_SAVE = update(finding).where(finding.c.id == bindparam("b_id"), finding.c.version == bindparam("b_version"))


def _finding_row(f: Finding) -> dict[str, Any]:
    return {
        "id": f.id, "fingerprint": f.fingerprint, "kind": f.kind.value, "check_name": f.check.value,
        "severity": f.severity.value, "status": f.status.value, "first_seen": f.first_seen,
        "last_seen": f.last_seen, "raised_at": f.raised_at, "cleared_at": f.cleared_at, "last_run": f.last_run,
        "occurrences": f.occurrences, "buyer_id": f.subject.buyer_id, "composite_id": f.subject.composite_id,
        "doc": {"subject": f.subject.to_json(), "summary": f.summary, "evidence": [e.to_json() for e in f.evidence],
                "repair": f.repair.to_json() if f.repair else None, "repairs": f.repairs},
    }


def _finding(row: RowMapping) -> Finding:
    doc = row["doc"]
    rep = doc.get("repair")
    return Finding(
        id=row["id"], fingerprint=row["fingerprint"], kind=Kind(row["kind"]), severity=Severity(row["severity"]),
        subject=Subject.from_json(doc.get("subject") or {}), summary=doc.get("summary", ""),
        evidence=[Evidence.from_json(e) for e in doc.get("evidence") or []], status=Status(row["status"]),
        first_seen=row["first_seen"], last_seen=row["last_seen"], last_run=row["last_run"],
        occurrences=row["occurrences"], cleared_at=row["cleared_at"], raised_at=row["raised_at"],
        repair=Repair(RepairAction(rep["action"]), rep["providerId"], rep["compositeId"], rep["segmentId"],
                      rep.get("commandId"), rep.get("ref")) if rep else None,
        repairs=list(doc.get("repairs") or []), version=row["version"])


class SqlFindings:
    def __init__(self, uow: SqlUnitOfWork) -> None:
        self.uow = uow

    async def by_fingerprints(self, fingerprints: Collection[str]) -> dict[str, Finding]:
        if not fingerprints:
            return {}
        rows = (await self.uow.conn.execute(select(finding).where(finding.c.fingerprint.in_(list(fingerprints))))
                ).mappings().all()
        return {r["fingerprint"]: _finding(r) for r in rows}

    async def add(self, f: Finding) -> None:
        await self.uow.conn.execute(insert(finding), {**_finding_row(f), "version": 1})
        f.version = 1

    async def save(self, f: Finding) -> None:
        row = _finding_row(f)
        del row["id"], row["fingerprint"]
        row.update(version=f.version + 1, b_id=f.id, b_version=f.version)
        result = await self.uow.conn.execute(_SAVE, row)
        if result.rowcount != 1:
            raise StaleVersion(f"finding {f.id} was changed concurrently")
        f.version += 1

    async def clear_unseen(self, kinds: Collection[Kind], run_id: str, at: datetime) -> list[Finding]:
        where = [finding.c.kind.in_([k.value for k in kinds]), finding.c.status != Status.CLEARED.value,
                 finding.c.last_run != run_id]
        rows = (await self.uow.conn.execute(select(finding).where(*where))).mappings().all()
        cleared = [_finding(r) for r in rows]
        if cleared:
            await self.uow.conn.execute(update(finding).where(finding.c.id.in_([f.id for f in cleared])).values(
                status=Status.CLEARED.value, cleared_at=at, version=finding.c.version + 1))
        for f in cleared:
            f.status, f.cleared_at, f.version = Status.CLEARED, at, f.version + 1
        return cleared

    async def listing(self, *, statuses: Collection[Status] = (), kinds: Collection[Kind] = (),
                      after: str | None = None, limit: int = 500) -> list[Finding]:
        where: list[ColumnElement[bool]] = []
        if statuses:
            where.append(finding.c.status.in_([s.value for s in statuses]))
        if kinds:
            where.append(finding.c.kind.in_([k.value for k in kinds]))
        if after is not None:
            where.append(finding.c.id > after)
        rows = (await self.uow.conn.execute(select(finding).where(*where).order_by(finding.c.id).limit(limit))
                ).mappings().all()
        return [_finding(r) for r in rows]

    async def start_run(self, run: Run) -> None:
        await self.uow.conn.execute(insert(run_table), {
            "id": run.id, "started_at": run.started_at, "finished_at": None,
            "checks": ",".join(c.value for c in run.checks), "repair": run.repair, "counts": {}})

    async def finish_run(self, run: Run) -> None:
        await self.uow.conn.execute(update(run_table).where(run_table.c.id == run.id).values(
            finished_at=run.finished_at, counts=run.counts))

    async def last_run(self) -> Run | None:
        row = (await self.uow.conn.execute(select(run_table).order_by(run_table.c.started_at.desc()).limit(1))
               ).mappings().first()
        if row is None:
            return None
        return Run(id=row["id"], started_at=row["started_at"], finished_at=row["finished_at"],
                   checks=tuple(Check(c) for c in row["checks"].split(",") if c), repair=row["repair"],
                   counts=dict(row["counts"] or {}))


# ---- the records the checks read ---------------------------------------------------------------------------

_C = composite_order.c
_LIVE_FOR_SERVICES = (CompositeState.CANCELLED.value, CompositeState.FAILED.value)


def _scope(check: Check) -> list[ColumnElement[bool]]:
    """Services skip composites that ended without a service; orders look at every one."""
    return [_C.state.not_in(_LIVE_FOR_SERVICES)] if check is Check.SERVICES else []


def _state(raw: str) -> SegmentState:
    try:
        return SegmentState(raw)
    except ValueError:
        return SegmentState.UNRECOGNISED


def _has_recurring(prices: Any) -> bool:
    return isinstance(prices, list) and any(isinstance(p, dict) and p.get("priceType") == "recurring"
                                            for p in prices)


class SqlReconcileRecords:
    def __init__(self, uow: SqlUnitOfWork) -> None:
        self.uow = uow

    async def count(self, check: Check) -> int:
        if check is Check.TICKETS:
            return 0
        stmt = select(func.count()).select_from(composite_order).where(*_scope(check))
        return int((await self.uow.conn.execute(stmt)).scalar_one())

    async def tickets(self, *, after: str | None, limit: int) -> list[TicketRecord]:
        return []  # no ticket store on this branch yet: the ticket checks (core/reconcile/checks.py) wait for it

    async def composites(self, check: Check, *, after: str | None, limit: int) -> list[CompositeRecord]:
        conn = self.uow.conn
        where = _scope(check)
        if after is not None:
            where.append(_C.id > after)
        stmt = (select(_C.id, _C.buyer_id, _C.order_id, _C.item_id, _C.state, _C.updated_at, _C.doc_action,
                       _C.doc["segments"].label("segments"), _C.doc["productId"].as_string().label("product_id"))
                .where(*where).order_by(_C.id).limit(limit))
        rows = (await conn.execute(stmt)).mappings().all()
        if not rows:
            return []
        ids = [r["id"] for r in rows]
        latest = await self._latest_evidence(ids)
        commands: dict[str, list[CommandView]] = {}
        refs: dict[str, list[RefView]] = {}
        products: dict[str, ProductView] = {}
        if check is Check.ORDERS:
            commands = await self._commands(ids)
            refs = await self._refs(ids)
        if check is Check.SERVICES:
            products = await self._products([r["product_id"] for r in rows if r["product_id"]])
        return [CompositeRecord(
            id=r["id"], buyer_id=r["buyer_id"], order_id=r["order_id"], item_id=r["item_id"], action=r["doc_action"],
            state=CompositeState(r["state"]), updated_at=r["updated_at"], product_id=r["product_id"],
            segments=tuple(Segment.from_json(s) for s in r["segments"] or []),
            commands=tuple(commands.get(r["id"], ())), refs=tuple(refs.get(r["id"], ())),
            latest=latest.get(r["id"], {}), product=products.get(r["product_id"]) if r["product_id"] else None)
            for r in rows]

    async def _latest_evidence(self, ids: list[str]) -> dict[str, dict[str, EvidenceView]]:
        e = evidence.c
        rank = func.row_number().over(partition_by=(e.composite_id, e.segment_id),
                                      order_by=(e.observed_at.desc(), e.id.desc())).label("rank")
        sub = (select(e.composite_id, e.segment_id, e.provider_id, e.state, e.raw_state, e.source, e.observed_at,
                      e.as_of, e.applied, e.why, rank).where(e.composite_id.in_(ids)).subquery())
        rows = (await self.uow.conn.execute(select(sub).where(sub.c.rank == 1))).mappings().all()
        out: dict[str, dict[str, EvidenceView]] = {}
        for r in rows:
            out.setdefault(r["composite_id"], {})[r["segment_id"]] = EvidenceView(
                segment_id=r["segment_id"], provider_id=r["provider_id"], state=_state(r["state"]),
                raw_state=r["raw_state"], source=r["source"], observed_at=r["observed_at"], as_of=r["as_of"],
                applied=bool(r["applied"]), why=r["why"])
        return out

    async def _commands(self, ids: list[str]) -> dict[str, list[CommandView]]:
        c = outbound_command.c
        rows = (await self.uow.conn.execute(
            select(c.id, c.composite_id, c.segment_id, c.action, c.state, c.idempotency_key, c.sent_at,
                   c.updated_at, c.doc["result"].label("result"))
            .where(c.composite_id.in_(ids)).order_by(c.composite_id, c.created_at, c.id))).mappings().all()
        out: dict[str, list[CommandView]] = {}
        for r in rows:
            result = r["result"] if isinstance(r["result"], dict) else {}
            out.setdefault(r["composite_id"], []).append(CommandView(
                id=r["id"], segment_id=r["segment_id"], action=r["action"], state=CommandState(r["state"]),
                key=r["idempotency_key"], sent_at=r["sent_at"], updated_at=r["updated_at"],
                result_ref=ref_from(result.get("externalRef"))))
        return out

    async def _refs(self, ids: list[str]) -> dict[str, list[RefView]]:
        s = supplier_ref.c
        rows = (await self.uow.conn.execute(
            select(s.composite_id, s.segment_id, s.provider_id, s.kind, s.external_id)
            .where(s.composite_id.in_(ids)))).mappings().all()
        out: dict[str, list[RefView]] = {}
        for r in rows:
            out.setdefault(r["composite_id"], []).append(
                RefView(r["segment_id"], ExternalRef(r["provider_id"], r["external_id"], r["kind"])))
        return out

    async def _products(self, ids: list[str]) -> dict[str, ProductView]:
        if not ids:
            return {}
        p = product.c
        rows = (await self.uow.conn.execute(
            select(p.id, p.state, p.billing_account_id, p.doc["productPrice"].label("prices"))
            .where(p.id.in_(sorted(set(ids)))))).mappings().all()
        return {r["id"]: ProductView(id=r["id"], status=r["state"], recurring_price=_has_recurring(r["prices"]),
                                     billing_account_id=r["billing_account_id"]) for r in rows}
