"""Several counterpoint providers in one process, each on its own loopback port with its own database.

They share nothing but a clock (so their timelines line up) and talk only through their HTTP APIs.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path

import uvicorn

from counterpoint.api.app import create_app
from counterpoint.bootstrap import Container, ScaledClock, build
from counterpoint.core.shared.clock import Clock
from counterpoint.profiles.loader import load_profile
from counterpoint.settings import Settings

CHAIN = Path(__file__).resolve().parents[1] / "profiles" / "chain"


class DemoClock(ScaledClock):
    """The providers' shared fast clock, whose pace the demo may change between acts (never backwards)."""

    def rescale(self, scale: float) -> None:
        """From now on run `scale` times faster than real time, going on from the instant it reads now."""
        at = self.now()
        self.origin, self._mono, self.scale = at, time.monotonic(), scale


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Provider:
    key: str  # "A", "B", "C"
    profile_path: Path
    port: int
    container: Container | None = None
    server: uvicorn.Server | None = None
    task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Cluster:
    providers: dict[str, Provider]
    workdir: Path
    clock: Clock
    time_scale: float
    variables: dict[str, str] = field(default_factory=dict)

    @classmethod
    def chain(cls, workdir: Path, clock: Clock, time_scale: float) -> Cluster:
        """Providers A, B and C of the Jakarta-Singapore scenario, on free ports."""
        files = {"A": "a_archipelago.yaml", "B": "b_lion_city.yaml", "C": "c_merlion.yaml"}
        providers = {k: Provider(k, CHAIN / f, free_port()) for k, f in files.items()}
        variables = {f"{k}_URL": p.url for k, p in providers.items()}
        return cls(providers, workdir, clock, time_scale, variables)

    def rescale(self, scale: float) -> None:
        """Change the pace of the shared clock, and each provider's idea of it (its orchestrator's timings)."""
        if isinstance(self.clock, DemoClock):
            self.clock.rescale(scale)
        self.time_scale = scale
        for p in self.providers.values():
            if p.container is not None:
                p.container.settings = p.container.settings.model_copy(update={"time_scale": scale})

    def __getitem__(self, key: str) -> Provider:
        return self.providers[key]

    async def start(self, key: str) -> Provider:
        p = self.providers[key]
        settings = Settings(database_url=f"sqlite+aiosqlite:///{self.workdir / key.lower()}.db", port=p.port,
                            time_scale=self.time_scale, relay_interval_s=0.05, fulfilment_interval_s=0.05,
                            orchestration_interval_s=0.05, delivery_backoff_s=0.2, supplier_retry_backoff_s=0.2,
                            command_recovery_grace_s=0.5, command_in_flight_grace_s=5.0)
        p.container = build(settings, clock=self.clock, profile=load_profile(p.profile_path, self.variables))
        config = uvicorn.Config(create_app(p.container), host="127.0.0.1", port=p.port, log_level="warning",
                                lifespan="on", access_log=False)
        p.server = uvicorn.Server(config)
        p.server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        p.task = asyncio.create_task(p.server.serve(), name=f"provider-{key}")
        for _ in range(400):
            if p.server.started:
                return p
            if p.task.done():
                await p.task  # raises what stopped it
            await asyncio.sleep(0.01)
        raise RuntimeError(f"provider {key} did not start on port {p.port}")

    async def start_all(self) -> None:
        for key in reversed(list(self.providers)):  # suppliers first, so the buyers' first calls find them
            await self.start(key)

    async def stop(self, key: str) -> None:
        p = self.providers[key]
        if p.server is not None and p.task is not None:
            p.server.should_exit = True
            try:
                await asyncio.wait_for(p.task, timeout=10)
            except TimeoutError:
                p.task.cancel()
        p.server = p.task = None

    async def stop_all(self) -> None:
        for key in self.providers:
            await self.stop(key)
        logging.getLogger("counterpoint").debug("cluster stopped")
