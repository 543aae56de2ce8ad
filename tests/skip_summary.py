"""A pytest plugin: every run ends with what was skipped and why, grouped by reason.

Loaded by tests/conftest.py, so `pytest -q` on a clone without ../shared or without PostgreSQL says exactly
which checks did not run and what the machine lacked, instead of a bare count of skips.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

_SHOWN = 3  # test ids shown per reason (-rs lists them all)


def _reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    skipped = [r for r in terminalreporter.stats.get("skipped", []) if isinstance(r, pytest.TestReport)]
    if not skipped:
        return
    by_reason: dict[str, list[str]] = defaultdict(list)
    for report in skipped:
        by_reason[_reason(report)].append(report.nodeid)
    terminalreporter.write_sep("=", f"{len(skipped)} skipped, by reason")
    for reason, ids in sorted(by_reason.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        terminalreporter.write_line(f"{len(ids):5d}  {reason}")
        for nodeid in ids[:_SHOWN]:
            terminalreporter.write_line(f"         {nodeid}")
        if len(ids) > _SHOWN:
            terminalreporter.write_line(f"         ... and {len(ids) - _SHOWN} more")
