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
from counterpoint.core.sla.model import Domain, EvidenceKind, Fact, Responsible, SegmentTerms, ServiceTerms
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


def test_sla_report_shows_the_root_cause_its_supplier_named(tmp_path: Path) -> None:
    """The same month, B's resolution naming C (merlion-access, its ticket MA-7) as the root cause: shown in the
    table, the evidence and the JSON, the figures unchanged."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'sla.db'}"
    _fill(url)

    async def cause() -> None:
        engine = create_engine(url)
        try:
            async with SqlUnitOfWork(engine) as uow:
                await sla.set_responsible(uow, ManualClock(T0 + timedelta(hours=5)), service_id="svc-jkt-sgp",
                                          key="ticket:TT-1", responsible=B, at=T0 + timedelta(hours=5),
                                          reference="LCM-3", source="ours")
                await sla.add_evidence(uow, ManualClock(T0 + timedelta(hours=6)), service_id="svc-jkt-sgp",
                                       key="ticket:TT-1", fact=Fact.ROOT_CAUSE, at=T0 + timedelta(hours=4),
                                       source="lion-city-metro", reference="MA-7", kind=EvidenceKind.SUPPLIER_NOTICE,
                                       responsible=Responsible(Domain.SUPPLIER, "merlion-access"))
                await uow.commit()
        finally:
            await engine.dispose()

    asyncio.run(cause())
    common = ["--database-url", url, "--config", str(A_PROFILE), "--as-of", "2026-12-02T00:00:00Z"]
    result = runner.invoke(app, ["sla", "report", "--month", "2026-11", "--json", *common])
    (svc,) = json.loads(result.output)["services"]
    assert (svc["unavailableMinutes"], svc["credit"]) == (300.0, "1050.00")
    (root,) = svc["rootCauses"]
    assert (root["charged"], root["rootCause"]) == ("supplier:lion-city-metro", "merlion-access")
    assert [(c["provider"], c["ticket"], c["saidBy"]) for c in root["chain"]] == [
        ("lion-city-metro", "LCM-3", None), ("merlion-access", "MA-7", "lion-city-metro")]
    result = runner.invoke(app, ["sla", "report", "--month", "2026-11", "--evidence", *common])
    assert result.exit_code == 0, result.output
    for shown in ("lion-city-metro -> merlion-access", "root cause (rule root-cause), named by lion-city-metro",
                  "merlion-access, its ticket MA-7", "lion-city-metro's clock"):
        assert shown in result.output, shown
