"""Benchmark: how long a reconciliation run takes over 10k, 100k and 1M composite orders, and how it grows.

For each size and database it makes a fresh database (a file for SQLite, a new database on the PostgreSQL
server), migrates it, bulk-seeds realistic rows with Core inserts, then times one run of every check (orders,
services, tickets) with repairs off, so the figure is reconciliation's own reading and checking:

  - per order: one composite (two segments: our own core and a supplier's last mile, each with its
    selection, cost, request and a timeline of about ten entries, as the orchestrator writes them), two
    placeOrder commands, two supplier references, two or three evidence-log rows per segment, and, for an
    active service, its product in the inventory;
  - states: 80% active services, 12% in delivery (fresh evidence), 5% cancelled, 3% failed;
  - one order in a thousand carries drift (a duplicate supplier order, a missing cost basis, a supplier's
    "cancelled" we did not take), so the fold and finding writes are on the path, as in real life;
  - the first 10,000 orders are built row by row and inserted in batches; larger sizes add copies of them
    made by the database (INSERT ... SELECT, every id, reference and key suffixed), the same rows otherwise.

Usage:  .venv/bin/python bench/reconcile.py [--sizes 10000,100000] [--targets sqlite,pg]
        [--pg-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres] [--page 500] [--json out.json]

It prints a Markdown table (as in bench/README.md): seconds per run, orders per second, and the ratio of each
size's time to the previous size's (10x more orders: 10.0 means linear).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import platform
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Insert, case, func, insert, literal, literal_column, not_, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from counterpoint.core.reconcile.model import Check  # noqa: E402
from counterpoint.core.reconcile.policy import ReconcilePolicy  # noqa: E402
from counterpoint.core.reconcile.services import run_reconciliation  # noqa: E402
from counterpoint.core.shared.clock import ManualClock  # noqa: E402
from counterpoint.core.shared.times import iso  # noqa: E402
from counterpoint.profiles.loader import load_profile  # noqa: E402
from counterpoint.settings import DEMO_PROFILE  # noqa: E402
from counterpoint.storage.db import create_engine, migrate  # noqa: E402
from counterpoint.storage.inventory import product  # noqa: E402
from counterpoint.storage.orchestration import composite_order, evidence, outbound_command, supplier_ref  # noqa: E402
from counterpoint.storage.uow import SqlUnitOfWork  # noqa: E402

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
CHUNK = 2000  # composite orders per insert batch
BASE = 10_000  # orders built row by row; larger sizes are copies of these made by the database


def _segment(i: int, name: str, provider: str, state: str, observed: datetime, *, own: bool) -> dict[str, Any]:
    ref = {"provider": provider, "kind": "serviceOrder" if own else "productOrder", "id": f"{provider}-{i}"}
    return {
        "id": f"{i:08d}-{name}", "name": name, "provider": provider, "own": own, "state": state, "version": 1,
        "request": {"ourRef": f"cp-{i:08d}{name}", "correlationId": f"corr-{i}", "action": "add",
                    "offeringId": f"{provider}-offer", "specUrn": "urn:mef:lso:spec:sonata:access-eline-ovc",
                    "configuration": {"@type": "urn:mef:lso:spec:sonata:access-eline-ovc", "bandwidth": 1000,
                                      "evcEndPoint": [{"identifier": f"uni-{i}", "vlan": 100 + i % 3000}]},
                    "places": [{"@type": "GeographicAddressRef", "id": "addr-sg-raffles", "role": "INSTALL"}],
                    "bandwidthMbps": 1000, "note": f"segment {name} of order ord-{i}", "termMonths": 12},
        "ourRef": f"cp-{i:08d}{name}", "externalRef": ref,
        "productRef": {"provider": provider, "kind": "product", "id": f"{provider}-prod-{i}"}
        if state == "active" else None,
        "stateAsOf": iso(observed), "observedAt": iso(observed), "rawState": state,
        "expectedCompletion": iso(observed), "requiredAction": None, "reason": None,
        "selection": {"provider": provider, "offering": f"{provider}-offer", "candidates": [provider],
                      "reasons": [f"{provider} covers SG at 1000 Mb/s", "cheapest of 2"], "excluded": {}},
        "cost": {"nrc": "300", "mrc": "900", "currency": "USD", "basis": "list price"},
    }


def _timeline(at: datetime) -> list[dict[str, Any]]:
    steps = ["segment planned", "segment planned", "supplier order placed", "service order created", "evidence",
             "evidence", "state", "evidence", "end-to-end activation test passed", "state"]
    return [{"at": iso(at + timedelta(minutes=k)), "what": w, "segment": "last-mile", "provider": "sup-b"}
            for k, w in enumerate(steps)]


def rows_for(start: int, n: int) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {"composite": [], "command": [], "ref": [], "evidence": [],
                                           "product": []}
    for i in range(start, start + n):
        bucket = i % 100
        state = "active" if bucket < 80 else "inDelivery" if bucket < 92 else "cancelled" if bucket < 97 else "failed"
        created = NOW - timedelta(days=40) + timedelta(seconds=i % 86400)
        observed = NOW - timedelta(minutes=2) if state == "inDelivery" else NOW - timedelta(days=1)
        seg_state = {"active": "active", "inDelivery": "inDelivery", "cancelled": "cancelled",
                     "failed": "failed"}[state]
        segs = [_segment(i, "core", "our-net", seg_state, observed, own=True),
                _segment(i, "last-mile", "sup-b", seg_state, observed, own=False)]
        drift = i % 1000 == 7
        if drift and state == "active":
            segs[1]["cost"] = {}
        cid, pid = f"c{i:08d}", f"p{i:08d}" if state == "active" else None
        doc = {"action": "add", "correlationId": f"corr-{i}", "segments": segs, "bandwidthMbps": 1000,
               "expectedCompletion": iso(created), "pendingAction": None, "test": {"passed": True, "attempts": 1},
               "productId": pid, "timeline": _timeline(created), "offeringId": "ael-sg", "cancellation": None}
        common = {"buyer_id": "buyer-a", "seller_id": "seller", "channel": "sonata", "version": 3,
                  "created_at": created, "updated_at": observed, "correlation_id": f"corr-{i}"}
        out["composite"].append({**common, "id": cid, "state": state, "doc": doc, "order_id": f"ord-{i}",
                                 "item_id": "1", "due_at": None, "doc_action": "add"})
        for s in segs:
            ext = s["externalRef"]
            out["command"].append({**common, "id": f"k{i:08d}{s['name']}", "state": "succeeded",
                                   "doc": {"payload": {"request": s["request"]},
                                           "result": {"externalRef": ext, "rawState": "acknowledged"},
                                           "history": [], "correlationId": f"corr-{i}"},
                                   "provider_id": s["provider"], "composite_id": cid, "segment_id": s["id"],
                                   "action": "placeOrder", "idempotency_key": f"cp-{i:08d}{s['name']}",
                                   "attempts": 1, "due_at": None, "sent_at": created})
            out["ref"].append({"provider_id": s["provider"], "kind": ext["kind"], "external_id": ext["id"],
                               "composite_id": cid, "segment_id": s["id"]})
            said = ["acknowledged", "inDelivery"] + (["deliveredPendingAcceptance"] if state == "active" else [])
            if drift and s["name"] == "last-mile" and state == "active":
                said.append("cancelled")
            for k, word in enumerate(said):
                out["evidence"].append({
                    "composite_id": cid, "segment_id": s["id"], "provider_id": s["provider"], "source": "poll",
                    "raw_state": word, "state": word, "observed_at": observed - timedelta(hours=len(said) - k),
                    "as_of": None, "evidence_id": f"{ext['id']}|{word}", "applied": word != "cancelled",
                    "why": "moves the segment on", "correlation_id": f"corr-{i}"})
        if drift:
            out["ref"].append({"provider_id": "sup-b", "kind": "productOrder", "external_id": f"sup-b-dup-{i}",
                               "composite_id": cid, "segment_id": segs[1]["id"]})
        if pid:
            out["product"].append({
                **common, "id": pid, "state": "active", "doc": {"id": pid, "status": "active",
                                                               "productOffering": {"id": "ael-sg"}},
                "external_id": f"PO-{i}", "offering_id": "ael-sg", "spec_id": None, "billing_account_id": None,
                "start_date": created, "order_ids": f"|ord-{i}|", "site_ids": "", "related_ids": "", "places": []})
    return out


def _copies(dialect: str, k: int) -> list[Insert]:
    """Copy `k` of the base rows (those whose ids hold no '-'), as INSERT ... SELECT: every id, reference,
    key and the composite's productId get the suffix `-k`, so the copy is as many more distinct orders."""
    sfx = literal(f"-{k}")

    def base(col: Any) -> Any:
        return not_(col.contains("-"))

    c = composite_order.c
    pid = c.doc["productId"].as_string()
    if dialect == "postgresql":
        doc = case((pid.is_(None), c.doc), else_=func.jsonb_set(c.doc, literal_column("'{productId}'"),
                                                                 func.to_jsonb(pid + sfx)))
    else:
        doc = case((pid.is_(None), c.doc), else_=func.json_set(c.doc, "$.productId", pid + sfx))
    same = [col for col in c if col.name not in ("id", "order_id", "doc")]
    out = [insert(composite_order).from_select(
        ["id", "order_id", "doc", *[col.name for col in same]],
        select(c.id + sfx, c.order_id + sfx, doc, *same).where(base(c.id)))]
    o = outbound_command.c
    same = [col for col in o if col.name not in ("id", "composite_id", "idempotency_key")]
    out.append(insert(outbound_command).from_select(
        ["id", "composite_id", "idempotency_key", *[col.name for col in same]],
        select(o.id + sfx, o.composite_id + sfx, o.idempotency_key + sfx, *same).where(base(o.composite_id))))
    r = supplier_ref.c
    out.append(insert(supplier_ref).from_select(
        ["provider_id", "kind", "external_id", "composite_id", "segment_id"],
        select(r.provider_id, r.kind, r.external_id + sfx, r.composite_id + sfx, r.segment_id)
        .where(base(r.composite_id))))
    e = evidence.c
    same = [col for col in e if col.name not in ("id", "composite_id", "evidence_id")]
    out.append(insert(evidence).from_select(
        ["composite_id", "evidence_id", *[col.name for col in same]],
        select(e.composite_id + sfx, e.evidence_id + sfx, *same).where(base(e.composite_id))))
    p = product.c
    same = [col for col in p if col.name not in ("id", "external_id")]
    out.append(insert(product).from_select(
        ["id", "external_id", *[col.name for col in same]],
        select(p.id + sfx, p.external_id + sfx, *same).where(base(p.id))))
    return out


async def seed(url: str, n: int) -> float:
    """Rows for up to BASE orders built in Python and inserted in batches; beyond that, server-side copies of
    them (INSERT ... SELECT with suffixed ids), so a million orders seed in minutes, not an hour."""
    engine = create_engine(url)
    started = time.perf_counter()
    try:
        await migrate(engine)
        tables = {"composite": composite_order, "command": outbound_command, "ref": supplier_ref,
                  "evidence": evidence, "product": product}
        built = min(n, BASE)
        for start in range(0, built, CHUNK):
            rows = rows_for(start, min(CHUNK, built - start))
            async with engine.begin() as conn:
                for key, table in tables.items():
                    if rows[key]:
                        await conn.execute(insert(table), rows[key])
        assert n % built == 0, f"{n} orders: a multiple of {built}"
        for k in range(1, n // built):
            async with engine.begin() as conn:
                for stmt in _copies(engine.dialect.name, k):
                    await conn.execute(stmt)
        if engine.dialect.name == "postgresql":
            async with engine.connect() as conn:
                await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(text("VACUUM ANALYZE"))
        else:
            async with engine.begin() as conn:
                await conn.execute(text("ANALYZE"))
    finally:
        await engine.dispose()
    return time.perf_counter() - started


async def reconcile_once(url: str, page: int) -> tuple[float, dict[str, float], dict[str, Any]]:
    engine = create_engine(url)
    profile = load_profile(DEMO_PROFILE)
    policy = dataclasses.replace(ReconcilePolicy(), page_size=page)
    clock = ManualClock(NOW)
    marks: dict[str, float] = {}
    last = [time.perf_counter()]

    def progress(check: Check, done: int, total: int) -> None:
        if done >= total and check.value not in marks:  # orders and services share one pass over the composites
            now = time.perf_counter()
            marks[check.value] = now - last[0]
            last[0] = now

    try:
        started = last[0] = time.perf_counter()
        cpu = time.process_time()
        report = await run_reconciliation(lambda: SqlUnitOfWork(engine), clock, profile, suppliers=None,
                                          repair=False, progress=progress, policy=policy)
        took = time.perf_counter() - started
        marks["cpu"] = time.process_time() - cpu  # this process (and SQLite's thread in it), not the server
    finally:
        await engine.dispose()
    return took, marks, report.counts()


async def pg_database(admin: str, name: str, *, drop: bool) -> str:
    engine = create_async_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            if not drop:
                await conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await engine.dispose()
    return make_url(admin).set(database=name).render_as_string(hide_password=False)


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000", help="comma-separated numbers of orders")
    ap.add_argument("--targets", default="sqlite,pg")
    ap.add_argument("--pg-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--page", type=int, default=ReconcilePolicy().page_size)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="cp-bench-reconcile-") as tmp:
        for target in args.targets.split(","):
            for n in sizes:
                name = f"cp_bench_reconcile_{uuid.uuid4().hex[:8]}"
                if target == "sqlite":
                    url = f"sqlite+aiosqlite:///{Path(tmp) / (name + '.db')}"
                else:
                    url = await pg_database(args.pg_url, name, drop=False)
                try:
                    seeded = await seed(url, n)
                    took, marks, counts = await reconcile_once(url, args.page)
                finally:
                    if target == "pg":
                        await pg_database(args.pg_url, name, drop=True)
                    else:
                        Path(url.split("///", 1)[1]).unlink(missing_ok=True)  # noqa: ASYNC240
                row = {"target": target, "orders": n, "seed_s": round(seeded, 1), "run_s": round(took, 2),
                       "per_check_s": {k: round(v, 2) for k, v in marks.items()}, "findings": counts["found"]}
                results.append(row)
                print(json.dumps(row), file=sys.stderr, flush=True)
    print(f"\n{platform.node()} {platform.python_version()}, page {args.page}, {datetime.now(UTC):%Y-%m-%d}\n")
    print("| database | orders | seed (s) | run (s) | CPU of the run (s) | orders/s | findings | x per 10x orders |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        prev = next((p for p in results if p["target"] == r["target"] and p["orders"] * 10 == r["orders"]), None)
        ratio = f"{r['run_s'] / prev['run_s']:.1f}" if prev and prev["run_s"] else "-"
        print(f"| {'SQLite' if r['target'] == 'sqlite' else 'PostgreSQL'} | {r['orders']:,} | {r['seed_s']:.0f} | "
              f"{r['run_s']:.1f} | {r['per_check_s'].get('cpu', 0):.1f} | {r['orders'] / r['run_s']:,.0f} | "
              f"{r['findings']} | {ratio} |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
