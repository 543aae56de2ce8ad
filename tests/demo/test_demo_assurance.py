"""`counterpoint demo` end to end, act three included: after the upgrade, a fault on C's last mile is ticketed by
the enterprise at A, escalated to B and C, repaired after a visit B books at C, validated and closed; then the
month's SLA and a reconciliation run on every provider. The assertions read what each provider stored in its own
database once the demo has ended (its servers stopped), through the same repositories the providers use."""

from __future__ import annotations

import asyncio
import io
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

from rich.console import Console

from counterpoint.bootstrap import build
from counterpoint.core.shared.clock import ManualClock
from counterpoint.core.sla.model import Domain
from counterpoint.demo.assurance import Chain, find_chain, holdings, sla_disagreements, sla_views, ticket_disagreements
from counterpoint.demo.cluster import CHAIN, Cluster, DemoClock
from counterpoint.demo.run import run_demo
from counterpoint.profiles.loader import load_profile
from counterpoint.settings import Settings

FILES = {"A": "a_archipelago.yaml", "B": "b_lion_city.yaml", "C": "c_merlion.yaml"}


@asynccontextmanager
async def stored(workdir: Path, clock: ManualClock) -> AsyncIterator[Cluster]:
    """The three providers' databases after the run, opened with their profiles (no server, no worker), read at
    `clock` (the demo's own clock ran months ahead of real time)."""
    cluster = Cluster.chain(workdir, DemoClock(1.0), 1.0)
    for key, p in cluster.providers.items():
        settings = Settings(database_url=f"sqlite+aiosqlite:///{workdir / key.lower()}.db", run_workers=False)
        p.container = build(settings, clock=clock, profile=load_profile(CHAIN / FILES[key],
                                                                               cluster.variables))
    try:
        yield cluster
    finally:
        for p in cluster.providers.values():
            if p.container is not None:
                await p.container.engine.dispose()


def test_the_fault_is_ticketed_down_the_chain_repaired_attributed_to_c_and_reconciled(tmp_path: Path) -> None:
    out = io.StringIO()
    code = asyncio.run(run_demo(Console(file=out, width=80), time_scale=86400, timeout_s=480, workdir=tmp_path,
                                live=False))
    text = " ".join(out.getvalue().split())
    assert code == 0, out.getvalue()[-4000:]
    assert "every provider agrees" in text and "reconciliation on every provider found nothing" in text
    asyncio.run(_check_stored(tmp_path))
    for key in "abc":  # no reconciliation finding stored anywhere
        with sqlite3.connect(tmp_path / f"{key}.db") as conn:
            assert conn.execute("SELECT count(*) FROM reconcile_finding").fetchone() == (0,)
            assert conn.execute("SELECT count(*) FROM reconcile_run").fetchone()[0] >= 1


async def _check_stored(workdir: Path) -> None:
    clock = ManualClock()
    async with stored(workdir, clock) as cluster:
        hold = await holdings(cluster)
        [enterprise] = [t for t in hold["A"].tickets if t.buyer_id == "enterprise"]
        clock.set(enterprise.updated_at + timedelta(hours=1))  # just after the enterprise closed its ticket
        # tickets closed on A, B and C, each escalation naming the supplier's ticket that carries our reference
        assert ticket_disagreements(hold, enterprise.id, fault_cleared=True) == []
        assert [t.status.value for k in "ABC" for t in hold[k].tickets] == ["closed", "closed", "closed"]
        assert [f.state.value for k in "AB" for f in hold[k].federated] == ["closed", "closed"]
        assert all(f.validated_at is not None for k in "AB" for f in hold[k].federated)
        [c_ticket] = hold["C"].tickets
        assert c_ticket.buyer_id == "lion-city-metro" and c_ticket.work_order_ids
        [visit] = hold["C"].appointments  # C's crew, booked by B on C's MEF 137 API
        assert visit.buyer_id == "lion-city-metro" and visit.work_order_id in c_ticket.work_order_ids

        chain: Chain = await find_chain(cluster, enterprise.doc["relatedEntity"][0]["id"])
        since = enterprise.created_at - timedelta(days=1)
        views = await sla_views(cluster, since)
        assert sla_disagreements(views, chain) == []
        [b_outage] = [o for o in views["B"].outages if o.service_id == chain.b_product]
        assert (b_outage.responsible.domain, b_outage.responsible.supplier) == (Domain.SUPPLIER, "merlion-access")
        assert b_outage.end is not None and {e.fact.value for e in b_outage.evidence} >= {"start", "end", "domain"}
        [a_outage] = [o for o in views["A"].outages if o.service_id == chain.a_product]
        assert a_outage.responsible.supplier == "lion-city-metro"  # A sees B; B's own report names C
        # ...and B's resolution names C as the root cause, with C's ticket, by B's clock
        [cause] = [e for e in a_outage.evidence if e.fact.value == "rootCause"]
        assert (cause.source, cause.stamped_by, str(cause.responsible)) == (
            "lion-city-metro", "lion-city-metro", "supplier:merlion-access")
        assert cause.reference == c_ticket.id
        [a_resolved] = [o for r in views["A"].reports for s in r.services if s.service_id == chain.a_product
                        for o in s.outages]
        assert a_resolved.root_cause == "merlion-access"
        assert [(c.provider, c.ticket) for c in a_resolved.chain] == [
            ("lion-city-metro", hold["A"].federated[-1].escalations[0].external_ref.value),
            ("merlion-access", c_ticket.id)]
        assert all(o.root_cause is None for r in views["B"].reports for s in r.services for o in s.outages)
        assert any("root cause merlion-access" in line for r in views["A"].reports for line in r.summary())
        credit = [s for r in views["A"].reports for s in r.services if s.service_id == chain.a_product
                  and s.credit_eligible]
        assert credit and credit[0].credit is not None and credit[0].credit > 0  # the enterprise's credit
        penalty = [p for r in views["B"].reports for p in r.suppliers if p.supplier == "merlion-access"
                   and p.penalty_eligible]
        assert penalty and penalty[0].repairs_missed == 1 and penalty[0].penalty  # C missed its 4 h repair
