"""The run's last lines list what was skipped, with each reason and its count."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]


def test_every_skip_reason_is_listed_at_the_end(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        import pytest

        @pytest.mark.parametrize("n", [1, 2, 3, 4])
        def test_needs_a_server(n):
            pytest.skip("no server binaries found")

        def test_needs_files():
            pytest.skip("../shared/mef not found")

        def test_runs():
            pass
    """)
    result = pytester.runpytest("-q", "-p", "no:asyncio", "-p", "tests.skip_summary")
    result.assert_outcomes(passed=1, skipped=5)
    lines = result.outlines
    start = next(i for i, line in enumerate(lines) if "5 skipped, by reason" in line)
    tail = "\n".join(lines[start:])
    assert "    4  no server binaries found" in tail
    assert "    1  ../shared/mef not found" in tail
    assert "... and 1 more" in tail
    assert tail.index("no server binaries") < tail.index("../shared/mef")  # most frequent first


def test_nothing_is_printed_when_nothing_is_skipped(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_ok():\n    pass\n")
    result = pytester.runpytest("-q", "-p", "no:asyncio", "-p", "tests.skip_summary")
    result.assert_outcomes(passed=1)
    assert not any("by reason" in line for line in result.outlines)
