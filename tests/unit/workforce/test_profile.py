"""The profile's workforce section and visit scenarios: loaded into core objects, mistakes named at their line."""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path

import pytest

from counterpoint.core.seller.model import VisitOutcome
from counterpoint.profiles.loader import ProfileError, load_profile

DEMO = Path(__file__).resolve().parents[3] / "src" / "counterpoint" / "profiles" / "demo_seller.yaml"


def test_the_demo_workforce() -> None:
    profile = load_profile(DEMO)
    cal = profile.workforce
    assert (cal.technicians, cal.working_days, cal.day_start, cal.day_end) == (2, frozenset(range(5)), time(1),
                                                                                time(9))
    assert (cal.slot, cal.lead, cal.visit) == (timedelta(hours=2), timedelta(hours=24), timedelta(minutes=90))
    outcomes = {s.match.address_id: s.visit_outcome for s in profile.scenarios if s.visit_outcome}
    assert outcomes == {"addr-jkt-kuningan": VisitOutcome.NO_SHOW, "addr-sby-tunjungan": VisitOutcome.NO_ACCESS,
                        "addr-sg-changi": VisitOutcome.INCOMPLETE,
                        "addr-jkt-sudirman": VisitOutcome.RESCHEDULED_BY_SELLER}


@pytest.mark.parametrize(("old", "new", "message"), [
    ("  slotMinutes: 120", "  slotMinutes: 600", "no 600-minute slot fits"),
    ("  visitMinutes: 90", "  visitMinutes: 150", "must fit in a slot"),
    ("  dayStart: \"01:00\"", "  dayStart: \"25:00\"", "not a time of day"),
    ("  workingDays: [mon, tue, wed, thu, fri]", "  workingDays: [mon, funday]", "workingDays"),
    ("  technicians: 2", "  technicians: 0", "technicians"),
    ("visitOutcome: noShow}", "visitOutcome: lateShow}", "visitOutcome"),
])
def test_workforce_mistakes_are_named_with_their_line(tmp_path: Path, old: str, new: str, message: str) -> None:
    text = DEMO.read_text()
    assert old in text
    line = text[:text.index(old)].count("\n") + 1
    bad = tmp_path / "p.yaml"
    bad.write_text(text.replace(old, new, 1))
    with pytest.raises(ProfileError, match=message) as err:
        load_profile(bad)
    assert f"{bad}:{line}:" in str(err.value), str(err.value)
