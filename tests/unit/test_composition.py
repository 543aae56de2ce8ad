"""The composition root: one table of MEF base paths, the supply chain it wires, the workers it starts."""

from __future__ import annotations

import re
from pathlib import Path

from counterpoint.bootstrap import build
from counterpoint.core.orchestration.supply_chain import Orchestrator
from counterpoint.core.ports import NO_SUPPLY
from counterpoint.core.shared.apis import BASE, LISTENER, base_path, sonata_api
from counterpoint.core.shared.clock import ManualClock
from counterpoint.settings import Settings
from counterpoint.suppliers.mef_sonata.client import APIS

SRC = Path(__file__).resolve().parents[2] / "src" / "counterpoint"
# a MEF API's base path segment, e.g. productOrderingManagement/v10 or quoteNotification/v8
_BASE_SEGMENT = re.compile("|".join(re.escape(v) for table in (BASE, LISTENER) for ch in table.values()
                                    for v in ch.values()))


def test_base_paths_are_spelt_in_one_table_only() -> None:
    spelt = [str(p.relative_to(SRC)) for p in SRC.rglob("*.py")
             if "contracts" not in p.parts and p.name != "apis.py" and _BASE_SEGMENT.search(p.read_text())]
    assert spelt == []


def test_the_sonata_client_speaks_the_versions_of_the_table() -> None:
    for function, (name, version) in APIS.items():
        assert (name, version) == sonata_api(function)
        assert base_path(function, "sonata") == f"/mefApi/sonata/{name}/{version}"


def _container(tmp_path: Path, profile=None, **settings):  # type: ignore[no-untyped-def]
    return build(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'c.db'}", **settings),
                 clock=ManualClock(), profile=profile)


def test_a_seller_that_orchestrates_nothing_gets_no_supply_chain(tmp_path: Path, profile) -> None:  # type: ignore[no-untyped-def]
    assert profile.orchestration is None
    assert _container(tmp_path, profile).supply_chain is NO_SUPPLY


async def test_the_composition_root_starts_and_stops_the_workers(tmp_path: Path) -> None:
    c = _container(tmp_path, run_workers=True)
    try:
        await c.start()
        assert c.running is not None
        names = {task.get_name() for task in c.running.tasks}
        assert {"outbox-relay", "fulfilment"} <= names and not any(t.done() for t in c.running.tasks)
        tasks = list(c.running.tasks)
    finally:
        await c.close()
    assert c.running is None and all(t.done() for t in tasks)


async def test_no_workers_unless_the_settings_say_so(tmp_path: Path) -> None:
    c = _container(tmp_path, run_workers=False)
    try:
        await c.start()
        assert c.running is None
    finally:
        await c.close()


def test_an_orchestrating_profile_is_wired_to_the_orchestrator(tmp_path: Path) -> None:
    from counterpoint.profiles.loader import load_profile

    chain = sorted((SRC / "profiles" / "chain").glob("*.yaml"))
    profiles = [load_profile(p) for p in chain]
    orchestrating = next(p for p in profiles if p.orchestration is not None)
    assert isinstance(_container(tmp_path, orchestrating).supply_chain, Orchestrator)
