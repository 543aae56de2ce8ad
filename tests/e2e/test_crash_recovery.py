"""Provider A dies and comes back: nothing it promised is lost, nothing it ordered is ordered twice.

A runs as its own process (`counterpoint serve --config a_archipelago.yaml --set B_URL=...`), B and C as
uvicorn servers in the test's process, every one with its own SQLite database. A dies two ways:

- deterministically, in the one window that matters: right after it stored a command to B as in flight and
  before it sent it (the `chaos_exit_after_command_claim` setting makes it `os._exit(137)` there);
- at random moments, by SIGKILL, while several enterprise orders flow.

After each restart (same database, same port, no chaos) the enterprise's orders complete, B holds exactly one
order per A segment, each carrying A's reference as externalId, and A's command store shows how it recovered.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import httpx
import pytest

from counterpoint.bootstrap import Container, ScaledClock, build
from counterpoint.core.orchestration.model import CommandState, CompositeOrder, CompositeState, OutboundCommand
from counterpoint.demo.cluster import CHAIN, Cluster
from counterpoint.demo.scenario import disagreements, enterprise_view, new_correlation, place_enterprise_order, snapshot
from counterpoint.profiles.loader import load_profile
from counterpoint.settings import Settings
from tests.e2e.support import eventually

TIME_SCALE = 259_200  # 3 profile days per real second, as in test_chain
B_ID = "lion-city-metro"
# A's loops as fast as the in-process providers' (demo.cluster), and a short in-flight grace so that a
# command left in flight by the dead process is looked at one real second after it was claimed.
A_ENV = {"COUNTERPOINT_ORCHESTRATION_INTERVAL_S": "0.05", "COUNTERPOINT_FULFILMENT_INTERVAL_S": "0.05",
         "COUNTERPOINT_RELAY_INTERVAL_S": "0.05", "COUNTERPOINT_DELIVERY_BACKOFF_S": "0.2",
         "COUNTERPOINT_SUPPLIER_RETRY_BACKOFF_S": "0.2", "COUNTERPOINT_COMMAND_RECOVERY_GRACE_S": "0.5",
         "COUNTERPOINT_COMMAND_IN_FLIGHT_GRACE_S": "1.0", "COUNTERPOINT_LOG_LEVEL": "WARNING"}
CHAOS = "COUNTERPOINT_CHAOS_EXIT_AFTER_COMMAND_CLAIM"


@dataclass
class ProcessA:
    """Provider A as `counterpoint serve` in a child process; restartable on the same port and database."""

    cluster: Cluster
    workdir: Path
    clock_anchor: datetime
    proc: subprocess.Popen[bytes] | None = None
    logs: list[Path] = field(default_factory=list)
    _log: IO[str] | None = None

    @property
    def db_url(self) -> str:
        return f"sqlite+aiosqlite:///{self.workdir / 'a.db'}"

    def start(self, *, chaos: str | None = None) -> None:
        env = {k: v for k, v in os.environ.items() if k != CHAOS} | A_ENV
        env["COUNTERPOINT_CLOCK_ANCHOR"] = self.clock_anchor.isoformat()
        if chaos:
            env[CHAOS] = chaos
        self.logs.append(self.workdir / f"a-run{len(self.logs) + 1}.log")
        self._close_log()
        self._log = self.logs[-1].open("w")
        a = self.cluster["A"]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "counterpoint", "serve", "--config", str(CHAIN / "a_archipelago.yaml"),
             "--database-url", self.db_url, "--port", str(a.port), "--time-scale", str(TIME_SCALE),
             "--set", f"B_URL={self.cluster['B'].url}"],
            env=env, cwd=self.workdir, stdout=self._log, stderr=subprocess.STDOUT)

    async def healthy(self, timeout_s: float = 30) -> None:
        async def up() -> bool:
            assert self.proc is not None
            if self.proc.poll() is not None:
                pytest.fail(f"A exited with {self.proc.returncode} while starting:\n{self.output()}")
            try:
                async with httpx.AsyncClient(timeout=1) as http:
                    return (await http.get(f"{self.cluster['A'].url}/health")).status_code == 200
            except httpx.TransportError:
                return False

        await eventually("A to answer /health", up, timeout_s=timeout_s)

    async def exit_status(self, timeout_s: float) -> int:
        async def ended() -> int | None:
            assert self.proc is not None
            return None if self.proc.poll() is None else self.proc.returncode or -999

        return await eventually("A to exit", ended, timeout_s=timeout_s)

    def kill(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self._close_log()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def output(self) -> str:
        """What each run of A wrote after its start-up banner."""
        if self._log is not None:
            self._log.flush()
        runs = []
        for path in self.logs:
            lines = path.read_text().splitlines() if path.exists() else []
            start = next((i + 1 for i, line in enumerate(lines) if line.startswith("buyers:")), 0)
            runs.append(f"--- {path.name}\n" + "\n".join(lines[start:]))
        return "\n".join(runs)


@dataclass
class Chain:
    cluster: Cluster
    a: ProcessA
    reader: Container  # reads A's database from the test (A's own process does the writing)


@pytest.fixture
async def chain(tmp_path: Path) -> AsyncIterator[Chain]:
    # one clock for the three providers and for every run of A: a restarted A carries on from where it died
    anchor = datetime.now(UTC)
    cluster = Cluster.chain(tmp_path, ScaledClock(TIME_SCALE, anchor=anchor), TIME_SCALE)
    await cluster.start("C")
    await cluster.start("B")
    a = ProcessA(cluster, tmp_path, anchor)
    reader = build(Settings(database_url=a.db_url, run_workers=False),
                   profile=load_profile(CHAIN / "a_archipelago.yaml", cluster.variables))
    cluster["A"].container = reader  # so that demo.scenario.snapshot reads A's database too
    try:
        yield Chain(cluster, a, reader)
    finally:
        a.stop()
        cluster["A"].container = None
        await reader.engine.dispose()
        await cluster.stop_all()


async def _a_holds(chain: Chain) -> tuple[list[CompositeOrder], list[OutboundCommand]]:
    async with chain.reader.uow() as uow:
        composites = await uow.composites.all()
        commands = [c for comp in composites for c in await uow.commands.for_composite(comp.id)]
    return composites, commands


async def _b_orders(chain: Chain) -> list[Any]:
    b = chain.cluster["B"].container
    assert b is not None
    async with b.uow() as uow:
        return [await uow.product_orders.get_unscoped(i) for i in await uow.product_orders.ids_where()]


async def _all_done(chain: Chain, order_ids: list[str], timeout_s: float, why: str = "") -> dict[str, str]:
    """The enterprise orders' states once all have ended; on a timeout, fails saying where each one stands."""
    deadline = time.monotonic() + timeout_s
    while True:
        states = {oid: str((await enterprise_view(chain.cluster, oid))["state"]) for oid in order_ids}
        if all(s in ("completed", "failed", "partial") for s in states.values()):
            return states
        if time.monotonic() > deadline:
            pytest.fail(f"orders not finished after {timeout_s} s: {states}; {why}\n{await _where(chain)}")
        await asyncio.sleep(0.2)


async def _where(chain: Chain) -> str:
    """Where A's orchestrations and commands stand, and A's own log, for a failure message."""
    composites, commands = await _a_holds(chain)
    lines = [f"composite {c.id} {c.state.value}: " + ", ".join(f"{s.name}={s.state.value}" for s in c.segments)
             + f"; last: {c.timeline[-1] if c.timeline else None}" for c in composites]
    lines += [f"command {c.provider_id} {c.action} {c.state.value}: {[(h['to'], h.get('note')) for h in c.history]}"
              for c in commands]
    return "\n".join(lines) + "\n" + chain.a.output()


async def _check_invariants(chain: Chain, correlations: list[str], why: str) -> list[OutboundCommand]:
    """Every A segment bought from B is exactly one B order, carrying A's reference; nothing else is at B."""
    composites, commands = await _a_holds(chain)
    assert len(composites) == len(correlations), why
    assert {c.state for c in composites} == {CompositeState.ACTIVE}, why
    assert {c.state for c in commands} == {CommandState.SUCCEEDED}, why
    assert len(commands) == 3 * len(correlations), why  # three segments each, one command per segment
    bought = [s for comp in composites for s in comp.segments if s.provider_id == B_ID]
    b_orders = await _b_orders(chain)
    assert len(b_orders) == len(bought) == len(correlations), why
    assert sorted(o.doc["externalId"] for o in b_orders) == sorted(s.our_ref for s in bought), why
    assert {o.id for o in b_orders} == {s.external_ref.value for s in bought if s.external_ref}, why
    assert {o.state.value for o in b_orders} == {"completed"}, why
    states = await snapshot(chain.cluster)
    for correlation in correlations:
        assert disagreements(states, correlation) == [], why
    return commands


async def test_a_crash_between_storing_and_sending_a_command_loses_nothing_and_duplicates_nothing(
        chain: Chain) -> None:
    # 1. A dies the moment it has claimed the order to B, before the call goes out
    chain.a.start(chaos=B_ID)
    await chain.a.healthy()
    correlation = new_correlation()
    order = await place_enterprise_order(chain.cluster, correlation)
    assert await chain.a.exit_status(timeout_s=15) == 137
    assert f"to {B_ID}" in chain.a.output()
    _, commands = await _a_holds(chain)
    [claimed] = [c for c in commands if c.provider_id == B_ID]
    assert (claimed.state, claimed.attempts) == (CommandState.IN_FLIGHT, 1)
    assert await _b_orders(chain) == []  # the call never went out

    # 2. A comes back without the fault: the command in flight is an unknown outcome, looked up, then sent once
    chain.a.start()
    await chain.a.healthy()
    assert (await _all_done(chain, [order["id"]], timeout_s=30)) == {order["id"]: "completed"}
    commands = await _check_invariants(chain, [correlation], "after one crash")
    [cmd] = [c for c in commands if c.provider_id == B_ID]
    assert cmd.id == claimed.id and cmd.attempts == 2
    assert [(h["from"], h["to"]) for h in cmd.history] == [
        ("pending", "inFlight"), ("inFlight", "unknown"), ("unknown", "pending"), ("pending", "inFlight"),
        ("inFlight", "succeeded")]
    assert cmd.history[1]["note"] == "found in flight past its grace time"
    assert cmd.history[2]["note"] == "the supplier has no record of it: sending again"
    [composite], _ = await _a_holds(chain)
    assert [n["segment"] for n in composite.timeline if n["what"] == "not found at the supplier: resending"] == [
        "singapore-access"]


async def test_a_killed_at_random_moments_while_orders_flow_keeps_every_order_once(chain: Chain) -> None:
    seed = int(os.environ.get("COUNTERPOINT_CHAOS_SEED", time.time_ns() % 2**32))
    rng = random.Random(seed)
    why = f"seed {seed} (COUNTERPOINT_CHAOS_SEED={seed} repeats these kill times)"
    chain.a.start()
    await chain.a.healthy()
    correlations = [new_correlation() for _ in range(3)]
    order_ids = []
    for correlation in correlations:
        order_ids.append((await place_enterprise_order(chain.cluster, correlation))["id"])
        await asyncio.sleep(rng.uniform(0.0, 0.3))
    kills = []
    for _ in range(3):
        await asyncio.sleep(at := rng.uniform(0.05, 1.0))
        chain.a.kill()
        kills.append(round(at, 2))
        chain.a.start()
        await chain.a.healthy()
    why = f"{why}; killed after {kills} s"
    states = await _all_done(chain, order_ids, timeout_s=40, why=why)
    assert set(states.values()) == {"completed"}, f"{why}\n{await _where(chain)}"
    await _check_invariants(chain, correlations, why)


def test_the_chaos_setting_is_refused_in_production_and_off_by_default() -> None:
    from pydantic import SecretStr, ValidationError

    from counterpoint.workers.orchestration import chaos_exit

    with pytest.raises(ValidationError, match="CHAOS_EXIT_AFTER_COMMAND_CLAIM"):
        Settings(mode="production", api_key_salt=SecretStr("not-the-demo-salt"), chaos_exit_after_command_claim="*")
    assert Settings(mode="production", api_key_salt=SecretStr("not-the-demo-salt")).chaos_exit_after_command_claim \
        is None
    assert chaos_exit(None) is None and chaos_exit("") is None  # no hook at all unless asked for
