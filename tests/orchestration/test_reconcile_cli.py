"""`counterpoint reconcile`: the human table, the JSON report, and exit statuses that say what needs a person."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from counterpoint.bootstrap import build
from counterpoint.cli.main import app
from counterpoint.core.orchestration.model import CompositeOrder, CompositeState, Segment
from counterpoint.core.orchestration.supply import SegmentState
from counterpoint.core.reconcile.report import EXIT_CLEAN, EXIT_RAISED, EXIT_STILL_RAISED, SCHEMA
from counterpoint.core.shared.ids import ExternalRef
from counterpoint.settings import Settings

runner = CliRunner(env={"COLUMNS": "220"})


def _seed(url: str) -> None:
    """An active service whose only segment has two supplier orders and no cost, and no inventory record."""

    async def go() -> None:
        now = datetime.now(UTC)  # the command reads the system clock: the evidence must be fresh by it
        c = build(Settings(database_url=url, run_workers=False))
        await c.start()
        try:
            seg = Segment(id="seg-1", name="last-mile", provider_id="sup-b", own=False, request={},
                          state=SegmentState.ACTIVE, external_ref=ExternalRef("sup-b", "B-1"),
                          product_ref=ExternalRef("sup-b", "B-P-1", "product"), observed_at=now)
            composite = CompositeOrder(id="comp-1", buyer_id="buyer-a", seller_id="s", channel="sonata",
                                       created_at=now, updated_at=now, order_id="ord-1", item_id="1", action="add",
                                       state=CompositeState.ACTIVE, segments=[seg], product_id="prod-1")
            async with c.uow() as uow:
                await uow.composites.add(composite)
                await uow.composites.remember_ref(ExternalRef("sup-b", "B-1"), "comp-1", "seg-1")
                await uow.composites.remember_ref(ExternalRef("sup-b", "B-2"), "comp-1", "seg-1")
                await uow.commit()
        finally:
            await c.close()

    asyncio.run(go())


def test_reconcile_reports_raises_once_and_says_so_in_its_exit_status(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cp.db'}"
    _seed(url)
    out = tmp_path / "report.json"
    result = runner.invoke(app, ["reconcile", "--database-url", url, "--json", str(out), "--no-repair"])
    assert result.exit_code == EXIT_RAISED, result.output
    for text in ("duplicateSupplierOrders", "activeWithoutBillingRecord", "raised (new)", "order ord-1"):
        assert text in result.output, text
    report = json.loads(out.read_text())
    assert report["schema"] == SCHEMA and report["exitCode"] == EXIT_RAISED
    assert report["run"]["repair"] is False and report["run"]["checks"] == ["orders", "services", "tickets"]
    assert report["scanned"] == {"orders": 1, "services": 1, "tickets": 0}
    assert report["summary"]["raised"] == 2 and report["summary"]["found"] == 2
    dup = next(f for f in report["findings"] if f["kind"] == "duplicateSupplierOrders")
    assert dup["status"] == "raised" and dup["raisedNow"] is True and dup["seen"] == "new"
    assert dup["subject"]["compositeId"] == "comp-1" and dup["check"] == "orders"
    assert dup["subject"]["supplierRefs"] == ["sup-b/productOrder/B-1", "sup-b/productOrder/B-2"]
    assert all(e["source"] for e in dup["evidence"]) and dup["firstSeen"] == dup["lastSeen"]

    # the same drift a second time: nothing new for a person, but still outstanding; JSON on stdout
    again = runner.invoke(app, ["reconcile", "--database-url", url, "--json", "-", "--only", "orders"])
    assert again.exit_code == EXIT_STILL_RAISED, again.output
    second = json.loads(again.stdout)
    assert second["summary"]["raised"] == 0 and second["summary"]["stillRaised"] == 1
    assert [f["id"] for f in second["findings"]] == [dup["id"]] and second["findings"][0]["seen"] == "again"
    assert second["scanned"] == {"orders": 1}

    # tickets only: nothing to look at here, nothing outstanding among them
    clean = runner.invoke(app, ["reconcile", "--database-url", url, "--only", "tickets"])
    assert clean.exit_code == EXIT_CLEAN, clean.output

    bad = runner.invoke(app, ["reconcile", "--database-url", url, "--only", "orders,invoices"])
    assert bad.exit_code == 2 and "invoices" in bad.output
    missing = runner.invoke(app, ["reconcile", "--database-url", f"sqlite+aiosqlite:///{tmp_path / 'no.db'}"])
    assert missing.exit_code == 1
