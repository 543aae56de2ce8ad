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

import orjson
from sqlalchemy import (
    Boolean,
    Column,
    ColumnElement,
    Index,
    Integer,
    String,
    Table,
    and_,
    bindparam,
    func,
    insert,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.engine import RowMapping

from counterpoint.core.orchestration.codec import ref_from
from counterpoint.core.orchestration.model import PLACE_ORDER, CommandState, CompositeState, Segment
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
    MAJOR_PRIORITY,
    MAJOR_SEVERITY,
    CommandView,
    CompositeRecord,
    EvidenceView,
    ProductView,
    RefView,
    SlaClockView,
    SupplierTicketView,
    TicketRecord,
)
from counterpoint.core.shared.errors import StaleVersion
from counterpoint.core.shared.ids import ExternalRef
from counterpoint.core.shared.times import parse_aware
from counterpoint.core.sla.model import OURS, Fact
from counterpoint.storage.inventory import product
from counterpoint.storage.orchestration import composite_order, evidence, outbound_command, supplier_ref
from counterpoint.storage.schema import JSONDoc, UtcDateTime, metadata
from counterpoint.storage.sla import sla_evidence, sla_outage
from counterpoint.storage.ticket_federation import federated_ticket

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


def _scope(checks: Collection[Check]) -> list[ColumnElement[bool]]:
    """Services alone skip composites that ended without a service; orders look at every one."""
    return [] if Check.ORDERS in checks else [_C.state.not_in(_LIVE_FOR_SERVICES)]


def _state(raw: str) -> SegmentState:
    try:
        return SegmentState(raw)
    except ValueError:
        return SegmentState.UNRECOGNISED


def _has_recurring(prices: Any) -> bool:
    return isinstance(prices, list) and any(isinstance(p, dict) and p.get("priceType") == "recurring"
                                            for p in prices)


# The supplier's last word matters to the checks only when it is one of these (see core/reconcile/checks.py):
# an end (cancelled, failed...) whatever our state, or a completion while the composite is still delivering.
_ENDS = (SegmentState.CANCELLED.value, SegmentState.FAILED.value, SegmentState.REJECTED.value,
         SegmentState.CANCELLING.value)
_DONE = (SegmentState.DELIVERED.value, SegmentState.ACTIVE.value)
_SETTLED = (CompositeState.ACTIVE.value, CompositeState.CANCELLED.value, CompositeState.FAILED.value)
_OPEN_COMMANDS = (CommandState.IN_FLIGHT.value, CommandState.UNKNOWN.value)


# The segments as the checks read them: without the request we sent and the selection's reasons, which are
# most of a segment's JSON and which no check reads (the database drops them before they travel).
_SLIM = {
    "postgresql": "(SELECT jsonb_agg(e - 'request' - 'selection') FROM jsonb_array_elements(composite_order.doc "
                  "-> 'segments') AS e)",
    "sqlite": "(SELECT json_group_array(json_remove(e.value, '$.request', '$.selection')) "
              "FROM json_each(composite_order.doc, '$.segments') AS e)",
}


def _segments(dialect: str) -> Any:
    if dialect in _SLIM:
        return literal_column(_SLIM[dialect]).label("segments")
    return _C.doc["segments"].label("segments")


def _json(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(orjson.loads(value) if isinstance(value, str | bytes) else value)


def _segment(raw: dict[str, Any]) -> Segment:
    """A read-only view of a segment: what the checks read (the full `Segment.from_json` parses far more)."""
    ext, prod = raw.get("externalRef"), raw.get("productRef")
    return Segment(
        id=raw["id"], name=raw["name"], provider_id=raw["provider"], own=raw["own"], request={},
        state=_state(raw["state"]), version=raw.get("version", 1), our_ref=raw.get("ourRef"),
        external_ref=ExternalRef(ext["provider"], ext["id"], ext.get("kind", "productOrder")) if ext else None,
        product_ref=ExternalRef(prod["provider"], prod["id"], prod.get("kind", "productOrder")) if prod else None,
        observed_at=parse_aware(raw.get("observedAt")) if raw.get("observedAt") else None,
        raw_state=raw.get("rawState"), cost=raw.get("cost") or {})


class SqlReconcileRecords:
    """The checks' records, a page at a time. Each related table is read with one indexed query per page, and
    narrowed in SQL to the rows a check could find drift in (an unsettled command, a settled one without its
    reference, a segment with two references, a supplier's last word that is an end or a completion), so a
    clean page costs little more than reading its composites."""

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self.uow = uow

    async def count(self, checks: Collection[Check]) -> int:
        if not set(checks) - {Check.TICKETS}:
            stmt = select(func.count()).select_from(federated_ticket)
        else:
            stmt = select(func.count()).select_from(composite_order).where(*_scope(checks))
        return int((await self.uow.conn.execute(stmt)).scalar_one())

    async def tickets(self, *, after: str | None, limit: int) -> list[TicketRecord]:
        """Federated tickets (keyset on their id) with their escalations and the SLA clocks of their outage."""
        t = federated_ticket.c
        where = [t.id > after] if after is not None else []
        rows = (await self.uow.conn.execute(
            select(t.id, t.ticket_id, t.buyer_id, t.state, t.created_at, t.updated_at, t.product_id, t.composite_id,
                   t.doc["reported"].label("reported"), t.doc["suspect"].label("suspect"),
                   t.doc["escalations"].label("escalations"), t.doc["validatedAt"].as_string().label("validated"))
            .where(*where).order_by(t.id).limit(limit))).mappings().all()
        if not rows:
            return []
        clocks = await self._clocks({r["product_id"]: f"ticket:{r['ticket_id']}" for r in rows})
        out = []
        for r in rows:
            reported = r["reported"] if isinstance(r["reported"], dict) else {}
            suspect = r["suspect"] if isinstance(r["suspect"], dict) else {}
            escalations = r["escalations"] if isinstance(r["escalations"], list) else []
            out.append(TicketRecord(
                id=r["id"], ticket_id=r["ticket_id"], buyer_id=r["buyer_id"], state=r["state"],
                major_incident=reported.get("severity") in MAJOR_SEVERITY or reported.get("priority") in
                MAJOR_PRIORITY, created_at=r["created_at"], updated_at=r["updated_at"], product_id=r["product_id"],
                composite_id=r["composite_id"], validated_at=parse_aware(r["validated"]) if r["validated"] else None,
                suspected_provider=None if suspect.get("own", True) else suspect.get("provider"),
                supplier_tickets=tuple(SupplierTicketView(
                    provider_id=e["provider"], ref=(e.get("externalRef") or {}).get("id") or e["ourRef"],
                    state=e["state"], resolved_at=parse_aware(e.get("resolvedAt")) if e.get("resolvedAt") else None)
                    for e in escalations),
                clocks=clocks.get(f"ticket:{r['ticket_id']}", ())))
        return out

    async def _clocks(self, keys: dict[str, str]) -> dict[str, tuple[SlaClockView, ...]]:
        """Per outage key: each party's start (earliest START) and end (latest END), read only from the events
        that we and that party both stamped (the same fact about the same reference, as the SLA's skew rule pairs
        them). Two different events are not two clocks: our validation test ends after the supplier's repair
        because it follows it, however well the clocks agree."""
        o, ev = sla_outage.c, sla_evidence.c
        rows = (await self.uow.conn.execute(
            select(o.key, ev.fact, ev.reference, ev.stamped_by, func.min(ev.at).label("first"),
                   func.max(ev.at).label("last"))
            .join(sla_evidence, ev.outage_id == o.id)
            .where(o.service_id.in_(sorted(keys)), o.key.in_(sorted(set(keys.values()))),
                   ev.fact.in_([Fact.START.value, Fact.END.value]))
            .group_by(o.key, ev.fact, ev.reference, ev.stamped_by))).mappings().all()
        stamps: dict[str, dict[tuple[str, str], dict[str, datetime]]] = {}
        for r in rows:
            stamps.setdefault(r["key"], {}).setdefault((r["fact"], r["reference"]), {})[r["stamped_by"]] = (
                r["first"] if r["fact"] == Fact.START.value else r["last"])
        out: dict[str, tuple[SlaClockView, ...]] = {}
        for key, events in stamps.items():
            facts: dict[str, dict[str, datetime]] = {}
            for (fact, _), by in events.items():
                if OURS not in by or len(by) < 2:
                    continue  # only one clock stamped this event: nothing to compare it with
                for source, at in by.items():
                    seen = facts.setdefault(source, {}).get(fact)
                    earliest = fact == Fact.START.value
                    facts[source][fact] = at if seen is None else (min(seen, at) if earliest else max(seen, at))
            if facts:
                out[key] = tuple(SlaClockView(source, f.get(Fact.START.value), f.get(Fact.END.value))
                                 for source, f in sorted(facts.items()))
        return out

    async def composites(self, checks: Collection[Check], *, after: str | None, limit: int
                         ) -> list[CompositeRecord]:
        conn = self.uow.conn
        where = _scope(checks)
        if after is not None:
            where.append(_C.id > after)
        stmt = (select(_C.id, _C.buyer_id, _C.order_id, _C.item_id, _C.state, _C.updated_at, _C.doc_action,
                       _segments(conn.dialect.name), _C.doc["productId"].as_string().label("product_id"))
                .where(*where).order_by(_C.id).limit(limit))
        rows = (await conn.execute(stmt)).mappings().all()
        if not rows:
            return []
        first, last = rows[0]["id"], rows[-1]["id"]  # the page is a range of our ids: related rows by range
        latest = await self._latest_evidence(first, last)
        commands: dict[str, list[CommandView]] = {}
        refs: dict[str, list[RefView]] = {}
        products: dict[str, ProductView] = {}
        if Check.ORDERS in checks:
            commands = await self._commands(first, last)
            refs = await self._refs(first, last, with_all_of=list(commands))
        if Check.SERVICES in checks:
            products = await self._products(first, last)
        return [CompositeRecord(
            id=r["id"], buyer_id=r["buyer_id"], order_id=r["order_id"], item_id=r["item_id"], action=r["doc_action"],
            state=CompositeState(r["state"]), updated_at=r["updated_at"], product_id=r["product_id"],
            segments=tuple(_segment(s) for s in _json(r["segments"])),
            commands=tuple(commands.get(r["id"], ())), refs=tuple(refs.get(r["id"], ())),
            latest=latest.get(r["id"], {}), product=products.get(r["product_id"]) if r["product_id"] else None)
            for r in rows]

    async def _latest_evidence(self, first: str, last: str) -> dict[str, dict[str, EvidenceView]]:
        e = evidence.c
        rank = func.row_number().over(partition_by=(e.composite_id, e.segment_id),
                                      order_by=(e.observed_at.desc(), e.id.desc())).label("rank")
        sub = (select(e.composite_id, e.segment_id, e.provider_id, e.state, e.raw_state, e.source, e.observed_at,
                      e.as_of, e.applied, e.why, rank).where(e.composite_id.between(first, last)).subquery())
        said = or_(sub.c.state.in_(_ENDS), and_(sub.c.state.in_(_DONE), _C.state.not_in(_SETTLED)))
        stmt = select(sub).join(composite_order, _C.id == sub.c.composite_id).where(sub.c.rank == 1, said)
        rows = (await self.uow.conn.execute(stmt)).mappings().all()
        out: dict[str, dict[str, EvidenceView]] = {}
        for r in rows:
            out.setdefault(r["composite_id"], {})[r["segment_id"]] = EvidenceView(
                segment_id=r["segment_id"], provider_id=r["provider_id"], state=_state(r["state"]),
                raw_state=r["raw_state"], source=r["source"], observed_at=r["observed_at"], as_of=r["as_of"],
                applied=bool(r["applied"]), why=r["why"])
        return out

    async def _commands(self, first: str, last: str) -> dict[str, list[CommandView]]:
        """Place-order commands that went out and are unsettled, or settled with no reference of the supplier's
        order kept for their segment (the only ones `command_without_supplier_record` can report)."""
        c = outbound_command.c
        indexed = select(supplier_ref.c.segment_id).where(supplier_ref.c.composite_id == c.composite_id,
                                                          supplier_ref.c.segment_id == c.segment_id).exists()
        rows = (await self.uow.conn.execute(
            select(c.id, c.composite_id, c.segment_id, c.action, c.state, c.idempotency_key, c.sent_at,
                   c.updated_at, c.doc["result"].label("result"))
            .where(c.composite_id.between(first, last), c.action == PLACE_ORDER, c.sent_at.is_not(None),
                   or_(c.state.in_(_OPEN_COMMANDS), and_(c.state == CommandState.SUCCEEDED.value, ~indexed)))
            .order_by(c.composite_id, c.created_at, c.id))).mappings().all()
        out: dict[str, list[CommandView]] = {}
        for r in rows:
            result = r["result"] if isinstance(r["result"], dict) else {}
            out.setdefault(r["composite_id"], []).append(CommandView(
                id=r["id"], segment_id=r["segment_id"], action=r["action"], state=CommandState(r["state"]),
                key=r["idempotency_key"], sent_at=r["sent_at"], updated_at=r["updated_at"],
                result_ref=ref_from(result.get("externalRef"))))
        return out

    async def _refs(self, first: str, last: str, *, with_all_of: list[str]) -> dict[str, list[RefView]]:
        """References of segments that have more than one of a kind, and every reference of the composites
        named in `with_all_of` (those with a suspect command)."""
        s = supplier_ref.c
        twice = (select(s.composite_id, s.segment_id, s.kind).where(s.composite_id.between(first, last))
                 .group_by(s.composite_id, s.segment_id, s.kind).having(func.count() > 1).subquery())
        cols = (s.composite_id, s.segment_id, s.provider_id, s.kind, s.external_id)
        stmt = select(*cols).join(twice, and_(s.composite_id == twice.c.composite_id,
                                              s.segment_id == twice.c.segment_id, s.kind == twice.c.kind)
                                  ).where(s.composite_id.between(first, last))  # the range on both sides
        found = list((await self.uow.conn.execute(stmt)).mappings().all())
        if with_all_of:
            found += (await self.uow.conn.execute(select(*cols).where(s.composite_id.in_(with_all_of)))
                      ).mappings().all()
        out: dict[str, dict[tuple[str, str, str, str], RefView]] = {}
        for r in found:
            out.setdefault(r["composite_id"], {})[(r["segment_id"], r["provider_id"], r["kind"], r["external_id"])] = (
                RefView(r["segment_id"], ExternalRef(r["provider_id"], r["external_id"], r["kind"])))
        return {cid: list(v.values()) for cid, v in out.items()}

    async def _products(self, first: str, last: str) -> dict[str, ProductView]:
        """The products of the page's active composites (joined on the product id the composite records)."""
        p = product.c
        stmt = (select(p.id, p.state, p.billing_account_id, p.doc["productPrice"].label("prices"))
                .select_from(composite_order)
                .join(product, p.id == _C.doc["productId"].as_string())
                .where(_C.id.between(first, last), _C.state == CompositeState.ACTIVE.value))
        rows = (await self.uow.conn.execute(stmt)).mappings().all()
        return {r["id"]: ProductView(id=r["id"], status=r["state"], recurring_price=_has_recurring(r["prices"]),
                                     billing_account_id=r["billing_account_id"]) for r in rows}
