"""`counterpoint incident announce | update | close` and `counterpoint incidents`: the Seller's operators tell
buyers about maintenance and impairments from the command line."""

from __future__ import annotations

import asyncio
from pathlib import Path

import yaml
from sqlalchemy import select
from typer.testing import CliRunner

from counterpoint.bootstrap import build
from counterpoint.cli.main import app
from counterpoint.core.shared.clock import ManualClock
from counterpoint.settings import Settings
from counterpoint.storage.db import create_engine
from counterpoint.storage.outbox import outbox
from tests.api.test_incident import profile_doc

runner = CliRunner(env={"COLUMNS": "250"})


def _seller(tmp_path: Path) -> tuple[str, Path]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    doc = profile_doc()
    doc["maintenance"] = []
    path = tmp_path / "seller.yaml"
    path.write_text(yaml.safe_dump(doc))

    async def start() -> None:
        c = build(Settings(database_url=url, run_workers=False, profile=path), clock=ManualClock())
        await c.start()  # migrates and seeds the profile's inventory
        await c.close()

    asyncio.run(start())
    return url, path


def _events(url: str) -> list[tuple[str, str, str]]:
    async def read() -> list[tuple[str, str, str]]:
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:
                rows = (await conn.execute(select(outbox.c.event_type, outbox.c.buyer_id, outbox.c.channel)
                                           .where(outbox.c.api == "troubleTicket").order_by(outbox.c.seq))).all()
                return [tuple(r) for r in rows]  # type: ignore[misc]
        finally:
            await engine.dispose()

    return asyncio.run(read())


def test_announce_list_update_and_close_from_the_command_line(tmp_path: Path) -> None:
    url, profile = _seller(tmp_path)
    common = ["--database-url", url, "--config", str(profile)]
    result = runner.invoke(app, ["incident", "announce", "maintenance", "--area", "sg-metro", "--id", "mw-cli-1",
                                 "--start", "2027-03-01T01:00:00Z", "--end", "2027-03-01T05:00:00Z",
                                 "--description", "Ring upgrade", *common])
    assert result.exit_code == 0, result.output
    assert "mw-cli-1" in result.output and "buyer-a" in result.output and "buyer-b" in result.output
    assert sorted(_events(url)) == [("incidentCreateEvent", "buyer-a", "cantata"),
                                    ("incidentCreateEvent", "buyer-a", "sonata"),
                                    ("incidentCreateEvent", "buyer-b", "sonata")]
    # the same announcement again sends nothing
    result = runner.invoke(app, ["incident", "announce", "maintenance", "--area", "sg-metro", "--id", "mw-cli-1",
                                 "--start", "2027-03-01T01:00:00Z", "--end", "2027-03-01T05:00:00Z",
                                 "--description", "Ring upgrade", *common])
    assert result.exit_code == 0 and "made before" in result.output
    assert len(_events(url)) == 3
    result = runner.invoke(app, ["incident", "announce", "impairment", "--product", "prod-b-jkt", "--impact",
                                 "degraded", "--description", "Packet loss", "--id", "imp-cli", *common])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["incidents", "--database-url", url])
    assert result.exit_code == 0, result.output
    for text in ("mw-cli-1", "imp-cli", "maintenance", "repair", "degraded", "inProgress", "created",
                 "2027-03-01T01:00:00Z"):
        assert text in result.output, text
    result = runner.invoke(app, ["incident", "update", "mw-cli", "--end", "2027-03-01T07:00:00Z", "--note",
                                 "Longer than planned", *common])  # a unique start of the notice id
    assert result.exit_code == 0, result.output
    assert "2027-03-01T07:00:00Z" in result.output
    result = runner.invoke(app, ["incident", "show", "mw-cli-1", "--database-url", url])
    assert result.exit_code == 0, result.output
    for text in ("buyer-a", "buyer-b", "cantata", "Longer than planned", "incidentAttributeValueChangeEvent",
                 "incidentCreateEvent", "announced"):
        assert text in result.output, text
    result = runner.invoke(app, ["incident", "close", "imp-cli", "--reason", "fixed", *common])
    assert result.exit_code == 0, result.output
    assert "closed" in result.output
    assert [e[0] for e in _events(url)][3:] == ["incidentCreateEvent", "incidentStatusChangeEvent",
                                                "incidentAttributeValueChangeEvent",
                                                "incidentAttributeValueChangeEvent",
                                                "incidentAttributeValueChangeEvent",
                                                "incidentStatusChangeEvent"]


def test_the_command_line_refuses_what_cannot_be_announced(tmp_path: Path) -> None:
    url, profile = _seller(tmp_path)
    common = ["--database-url", url, "--config", str(profile)]
    cases = [
        (["incident", "announce", "outage", "--product", "prod-a-sg", "--description", "x"], "maintenance or"),
        (["incident", "announce", "maintenance", "--product", "prod-a-sg", "--description", "x"],
         "a maintenance window needs an end"),
        (["incident", "announce", "maintenance", "--product", "prod-a-sg", "--description", "x", "--start",
          "tomorrow", "--end", "2027-01-01T00:00:00Z"], "--start must be an ISO 8601"),
        (["incident", "announce", "impairment", "--description", "x"], "name the affected products"),
        (["incident", "announce", "impairment", "--product", "nope", "--description", "x"], "no live product"),
        (["incident", "announce", "impairment", "--product", "prod-a-sg", "--description", "x", "--impact",
          "broken"], "broken"),
        (["incident", "close", "nope"], "no incident nope"),
    ]
    for args, message in cases:
        result = runner.invoke(app, [*args, *common])
        assert result.exit_code == 1, (args, result.output)
        assert message in result.output, (args, result.output)
    result = runner.invoke(app, ["incident", "show", "nope", "--database-url", url])
    assert result.exit_code == 1 and "no incident nope" in result.output
    assert _events(url) == []


def test_check_profile_counts_the_planned_windows_and_names_a_bad_one(tmp_path: Path) -> None:
    doc = profile_doc()
    path = tmp_path / "seller.yaml"
    path.write_text(yaml.safe_dump(doc))
    result = runner.invoke(app, ["check-profile", str(path)])
    assert result.exit_code == 0 and "1 planned maintenance windows" in result.output, result.output
    doc["maintenance"][0]["areas"] = ["atlantis"]
    path.write_text(yaml.safe_dump(doc))
    result = runner.invoke(app, ["check-profile", str(path)])
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if "atlantis" in text)
    assert result.exit_code == 1
    assert f"{path}:{line}: maintenance window mw-profile: unknown area atlantis" in result.output
