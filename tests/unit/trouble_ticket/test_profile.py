"""The profile's assurance section: read into core objects, its mistakes reported at file:line."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from counterpoint.profiles.loader import ProfileError, load_profile
from counterpoint.settings import DEMO_PROFILE


def write(tmp_path: Path, assurance: dict) -> Path:  # type: ignore[type-arg]
    doc = yaml.safe_load(DEMO_PROFILE.read_text())
    doc["assurance"] = assurance
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def test_the_demo_profiles_assurance_is_read_as_data() -> None:
    a = load_profile(DEMO_PROFILE).assurance
    assert a.repair_time({"priority": "critical"}) == timedelta(hours=4)
    assert a.repair_time({"offering": "dia-sg", "severity": "extensive", "priority": "high"}) == timedelta(hours=6)
    assert a.repair_time({"priority": "low"}) == timedelta(hours=24)
    names = [s.name for s in a.scenarios_for({"external_id": "CPE-1", "description": "an intermittent fault"})]
    assert names == ["intermittent faults need the buyer's logs", "test tickets find the fault at the customer"]
    assert (a.confirmation_hours, a.acknowledge_hours) == (72, 0.25)


@pytest.mark.parametrize(("assurance", "expected"), [
    ({"repairTimes": [{"offering": "nope", "hours": 1}]}, "assurance repair time: unknown offering nope"),
    ({"scenarios": [{"name": "x", "when": {"buyer": "zed"}, "lateHours": 1}]},
     "assurance scenario x: unknown buyer zed"),
    ({"scenarios": [{"name": "idle"}]},
     "assurance: no needsInformation, customerEquipment, lateHours or needsVisit in scenario idle"),
    ({"scenarios": [{"name": "y", "lateHour": 2}]}, "unknown key lateHour (did you mean lateHours?)"),
    ({"repairTimes": [{"priority": "urgent", "hours": 1}]}, "repairTimes #1 / priority"),
    ({"confirmationHours": 0}, "confirmationHours"),
])
def test_assurance_mistakes_are_reported_at_their_line(tmp_path: Path, assurance: dict,  # type: ignore[type-arg]
                                                       expected: str) -> None:
    path = write(tmp_path, assurance)
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    message = str(caught.value)
    assert expected in message
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if text.startswith("assurance:"))
    assert any(f"{path}:{n}:" in message for n in range(line, line + 12)), message
