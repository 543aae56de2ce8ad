"""The demo's fault act as a person sees it: the live ticket view fits an 80x24 terminal, and the clock the providers
share can change pace between acts without going back."""

from __future__ import annotations

import io
import time
from datetime import timedelta

from rich.console import Console

from counterpoint.demo.cluster import DemoClock
from counterpoint.demo.view import ticket_live_view


def test_the_live_ticket_view_fits_80_by_24_however_many_rows() -> None:
    rows = [("A", "ticket 65d77bb9", "enterprise", "inProgress", "their NUSANTARA-TT-001"),
            ("", "  -> B 6ba0fd04", "ours investigating", "resolvedPendingValidation", "seg singapore-access"),
            ("C", "  work order f8f6c2ce", "B", "planned", "visit Mar 08 08:00")] * 12
    out = io.StringIO()
    Console(file=out, width=80, height=24, color_system=None).print(
        ticket_live_view(rows, "enterprise's ticket: inProgress    94.1 s"))
    lines = out.getvalue().splitlines()
    assert len(lines) <= 24 and max(len(line) for line in lines) <= 80, lines
    assert lines[-1] == "enterprise's ticket: inProgress    94.1 s"
    assert "their NUSANTARA" in lines[1] and "ticket 65d77bb9" in lines[1]


def test_the_shared_clock_slows_down_without_going_back() -> None:
    clock = DemoClock(86400.0)
    before = clock.now()
    clock.rescale(3600.0)
    after = clock.now()
    assert after >= before and after - before < timedelta(hours=1)  # it goes on from where it was
    time.sleep(0.05)
    moved = clock.now() - after
    assert timedelta(seconds=100) < moved < timedelta(minutes=30), moved  # an hour a second now, not a day
