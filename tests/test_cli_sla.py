"""`counterpoint sla report`: tables, JSON and the evidence chain from a database the services filled."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from typer.testing import CliRunner

from counterpoint.cli.main import app
from counterpoint.core.shared.clock import ManualClock
from counterpoint.core.sla import services as sla
from counterpoint.core.sla.model import Domain, Responsible, SegmentTerms, ServiceTerms
from counterpoint.storage.db import create_engine, migrate
from counterpoint.storage.uow import SqlUnitOfWork

runner = CliRunner(env={"COLUMNS": "220"})
A_PROFILE = Path(__file__).parents[1] / "src/counterpoint/profiles/chain/a_archipelago.yaml"
T0 = datetime(2026, 11, 10, 8, 0, tzinfo=UTC)
B = Responsible(Domain.SUPPLIER, "lion-city-metro")


def _fill(url: str) -> None:
    async def go() -> None:
        engine = create_engine(url)
        try:
            await migrate(engine)
            clock = ManualClock(T0 + timedelta(hours=6))
            async with SqlUnitOfWork(engine) as uow:
                await sla.register_service(uow, ServiceTerms(
                    "svc-jkt-sgp", "enterprise", "evpl-jkt-sgp", Decimal(4200), "USD",
                    (SegmentTerms("seg-sg", "lion-city-metro", Decimal(1200)), SegmentTerms("seg-jkt"))))
                await sla.record_outage_start(uow, clock, service_id="svc-jkt-sgp", key="ticket:TT-1", at=T0,
                                              reference="TT-1", segment_id="seg-sg", responsible=B)
                await sla.record_outage_end(uow, clock, service_id="svc-jkt-sgp", key="ticket:TT-1",
                                            at=T0 + timedelta(hours=5), reference="e2e-3")
                await uow.commit()
        finally:
            await engine.dispose()

    asyncio.run(go())


def test_sla_report_tables_json_and_evidence(tmp_path: Path) -> None:
    """A's enterprise line down 5 h (300 min) on B's segment in November (43 200 min): 42 900 / 43 200 =
    99.3056%, below 99.5%: credit 25% of 4 200 = 1 050.00. B missed its 4 h repair (100) and its segment is at
    99.3056% < 99.5%: 30% of 1 200 = 360, penalty 460.00."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'sla.db'}"
    _fill(url)
    common = ["--database-url", url, "--config", str(A_PROFILE), "--as-of", "2026-12-02T00:00:00Z"]
    result = runner.invoke(app, ["sla", "report", "--month", "2026-11", "--json", *common])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    (svc,) = report["services"]
    assert (svc["service"], svc["unavailableMinutes"], svc["availabilityPct"], svc["met"], svc["credit"]) == (
        "svc-jkt-sgp", 300.0, "99.3056", False, "1050.00")
    (sup,) = report["suppliers"]
    assert (sup["supplier"], sup["repairsMissed"], sup["penaltyEligible"], sup["penalty"]) == (
        "lion-city-metro", 1, True, "460.00")
    assert svc["creditEligible"] is True
    assert "chain" not in svc

    result = runner.invoke(app, ["sla", "report", "--month", "2026-11", "--json", "--evidence", *common])
    chain = json.loads(result.output)["services"][0]["chain"]
    assert [e["reference"] for e in chain["outages"][0]["evidence"]] == ["TT-1", "TT-1", "e2e-3"]

    result = runner.invoke(app, ["sla", "report", "--month", "2026-11", "--evidence", *common])
    assert result.exit_code == 0, result.output
    for shown in ("svc-jkt-sgp", "supplier:lion-city-metro 300", "99.3056", "1050.00 USD", "lion-city-metro",
                  "460.00 USD", "rule start", "e2e-3", "earliest"):
        assert shown in result.output, shown

    result = runner.invoke(app, ["sla", "report", "--month", "2026-11", "--service", "other", "--json", *common])
    assert json.loads(result.output)["services"] == []


def test_sla_report_refuses_a_bad_month_and_a_missing_database(tmp_path: Path) -> None:
    result = runner.invoke(app, ["sla", "report", "--month", "2026-13"])
    assert result.exit_code == 2 and "YYYY-MM" in result.output
    result = runner.invoke(app, ["sla", "report", "--month", "2026-11", "--database-url",
                                 f"sqlite+aiosqlite:///{tmp_path / 'none.db'}"])
    assert result.exit_code == 1 and "No counterpoint database" in result.output
