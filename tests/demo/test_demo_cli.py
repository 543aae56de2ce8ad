"""`counterpoint demo` as a person meets it: its working directory, a redirected output, a timeout."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from counterpoint.cli.main import app
from counterpoint.demo import run
from counterpoint.demo.run import WorkdirBusy, claim_workdir, timed_out

runner = CliRunner(env={"COLUMNS": "80", "LINES": "24"})


def test_a_reused_workdir_keeps_the_previous_run_and_a_second_demo_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.db").write_text("run one")
    (tmp_path / "a.db-wal").write_text("run one's log")
    (tmp_path / "notes.txt").write_text("mine")
    lock, aside = claim_workdir(tmp_path)
    try:
        assert aside is not None and aside.parent == tmp_path and aside.name.startswith("previous-")
        assert (aside / "a.db").read_text() == "run one" and (aside / "a.db-wal").exists()
        assert not (tmp_path / "a.db").exists() and (tmp_path / "notes.txt").exists()
        with pytest.raises(WorkdirBusy, match="another counterpoint demo is running in"):
            claim_workdir(tmp_path)
        result = runner.invoke(app, ["demo", "--workdir", str(tmp_path)])
        assert result.exit_code == 2 and "--workdir" in result.output, result.output
    finally:
        lock.release()
    (tmp_path / "a.db").write_text("run two")
    lock, again = claim_workdir(tmp_path)
    lock.release()
    assert again is not None and again != aside and (again / "a.db").read_text() == "run two"
    assert (aside / "a.db").read_text() == "run one"


def test_a_redirected_demo_prints_one_line_per_change(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = iter(["acknowledged", "inProgress", "inProgress", "completed"])

    async def no_states(cluster: Any) -> dict[str, Any]:
        return {}

    async def enterprise(cluster: Any, order_id: str) -> dict[str, str]:
        return {"state": next(seen)}

    monkeypatch.setattr(run, "snapshot", no_states)
    monkeypatch.setattr(run, "enterprise_view", enterprise)
    out = io.StringIO()
    console = Console(file=out, width=80)  # not a terminal, as when redirected to a file
    loop_time = asyncio.run(_follow(console))
    console.print("the next line")
    lines = out.getvalue().splitlines()
    assert [line.split("  ")[-1] for line in lines] == ["enterprise sees: acknowledged", "enterprise sees: inProgress",
                                                        "enterprise sees: completed", "the next line"], lines
    assert loop_time == "completed"


async def _follow(console: Console) -> str:
    import time

    state, _ = await run._follow(console, None, "o-1", "demo-x", deadline=time.monotonic() + 60, live=False,  # type: ignore[arg-type]
                                 started=time.monotonic())
    return state


def test_a_timeout_says_how_to_give_it_longer() -> None:
    text = timed_out("order", "inProgress", 60.2, 60)
    assert "'inProgress'" in text and "after 60 s" in text and "--timeout 120" in text


def test_the_demo_that_runs_out_of_time_suggests_timeout_and_keeps_its_databases(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", "--workdir", str(tmp_path), "--timeout", "0"])
    said = " ".join(result.output.split())
    assert result.exit_code == 1, result.output
    assert "when the demo gave up" in said and "--timeout" in said
    assert {p.name for p in tmp_path.glob("*.db")} == {"a.db", "b.db", "c.db"}
