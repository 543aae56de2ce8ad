"""Commitments in the Seller profile: the chain's and the demo's load, and mistakes are named at file:line."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from counterpoint.cli.main import app
from counterpoint.core.sla.model import Tier
from counterpoint.profiles.loader import ProfileError, load_profile
from counterpoint.settings import DEMO_PROFILE

CHAIN = Path(DEMO_PROFILE).parent / "chain"
URLS = {"B_URL": "http://b.test", "C_URL": "http://c.test"}


def test_the_chain_commits_to_its_customers_and_holds_its_suppliers_to_olas() -> None:
    a = load_profile(CHAIN / "a_archipelago.yaml", URLS).commitments
    b = load_profile(CHAIN / "b_lion_city.yaml", URLS).commitments
    c = load_profile(CHAIN / "c_merlion.yaml", URLS).commitments
    sla = a.sla_for("evpl-jkt-sgp")
    assert sla is not None and sla.availability_pct == Decimal("99.9") and sla.exclude_maintenance
    assert Tier(Decimal("99.5"), Decimal(25)) in sla.credits
    assert a.ola_for("lion-city-metro") is not None and a.ola_for("merlion-access") is None
    ola = b.ola_for("merlion-access")
    assert ola is not None and ola.repair_hours == 4 and ola.missed_repair_penalty == 50 and ola.count_degraded
    assert c.sla_for("lastmile-sg") is not None and c.suppliers == ()
    demo = load_profile(DEMO_PROFILE).commitments
    assert demo.sla_for("anything") is not None and demo.sla_for("anything").offering_id is None  # type: ignore[union-attr]


def _line(path: Path, needle: str) -> int:
    return next(i for i, text in enumerate(path.read_text().splitlines(), 1) if needle in text)


@pytest.mark.parametrize(("old", "new", "needle", "message"), [
    ("{offering: evpl-jkt-sgp, availabilityPct: 99.9", "{offering: evpl-nowhere, availabilityPct: 99.9",
     "evpl-nowhere", "commitments: SLA for unknown offering evpl-nowhere"),
    ("{provider: lion-city-metro, repairHours: 4", "{provider: lion-city-nowhere, repairHours: 4",
     "lion-city-nowhere", "commitments: OLA for unknown provider lion-city-nowhere"),
    ("repairHours: 4,", "repairHours: -1,", "repairHours: -1", "Input should be greater than 0"),
    ("availabilityPct: 99.95, missed", "availabilityPct: 101, missed", "availabilityPct: 101",
     "Input should be less than or equal to 100"),
    ("{provider: lion-city-metro, repairHours: 4", "{provider: lion-city-metro, repairHour: 4", "repairHour: 4",
     "unknown key repairHour (did you mean repairHours?)"),
])
def test_a_wrong_commitment_is_named_at_its_line(tmp_path: Path, old: str, new: str, needle: str,
                                                 message: str) -> None:
    text = (CHAIN / "a_archipelago.yaml").read_text()
    assert old in text
    bad = tmp_path / "a.yaml"
    bad.write_text(text.replace(old, new, 1))
    with pytest.raises(ProfileError) as caught:
        load_profile(bad, URLS)
    assert f"{bad}:{_line(bad, needle)}:" in str(caught.value)
    assert message in str(caught.value)


def test_check_profile_counts_the_commitments() -> None:
    result = CliRunner(env={"COLUMNS": "200"}).invoke(app, ["check-profile", str(CHAIN / "b_lion_city.yaml")])
    assert result.exit_code == 0 and "1 customer SLAs, 1 supplier OLAs" in result.output


def test_two_default_slas_are_named_at_the_commitments(tmp_path: Path) -> None:
    text = DEMO_PROFILE.read_text()
    old = "    - {availabilityPct: 99.9, excludeMaintenance: true,"
    assert old in text
    bad = tmp_path / "two.yaml"
    bad.write_text(text.replace(old, "    - {availabilityPct: 99.5}\n" + old, 1))
    with pytest.raises(ProfileError) as caught:
        load_profile(bad)
    assert f"{bad}:{_line(bad, 'commitments:')}: commitments: two SLAs for every offering" in str(caught.value)
