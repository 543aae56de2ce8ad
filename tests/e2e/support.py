"""What the e2e tests share: serving an ASGI app on a free loopback port, running `counterpoint serve` as a
process, waiting for a condition, reading what each provider of a demo cluster holds of a fault's tickets."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import uvicorn

from counterpoint.core.orchestration.ticket_escalation import outage_key
from counterpoint.core.orchestration.ticket_model import FederatedTicket
from counterpoint.core.sla import services as sla
from counterpoint.core.sla.model import Month
from counterpoint.core.trouble_ticket.model import TroubleTicket
from counterpoint.demo.cluster import Cluster

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serve_process(workdir: Path, args: list[str], env: Mapping[str, str]) -> Iterator[str]:
    """`counterpoint serve ARGS` as its own process on a free port, in `workdir` (its log in serve.log there),
    until it answers /health; yields its base URL and stops it afterwards."""
    port = free_port()
    log_path = workdir / "serve.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "counterpoint", "serve", "--port", str(port), *args],
                                cwd=workdir, env=dict(env), stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"counterpoint serve did not start:\n{log_path.read_text()}")
                time.sleep(0.1)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


@contextlib.asynccontextmanager
async def serving(app: Any) -> AsyncIterator[str]:
    """Serve `app` with uvicorn on a free 127.0.0.1 port in this event loop; yields its base URL."""
    # IPPROTO_TCP named explicitly: asyncio sets TCP_NODELAY only on sockets that name it, and without it a
    # keep-alive request can wait ~40 ms for a delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on",
                                           timeout_graceful_shutdown=1))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        for _ in range(500):
            if server.started or task.done():
                break
            await asyncio.sleep(0.01)
        assert server.started, "uvicorn did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=10)
        sock.close()


async def eventually(what: str, check: Callable[[], Awaitable[T | None]], *, timeout_s: float = 20,
                     every_s: float = 0.05) -> T:
    """Poll `check` until it returns something truthy; fail the test naming `what` after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s} s waiting for {what}")
        await asyncio.sleep(every_s)


@dataclass
class ProviderTickets:
    """What one provider of a cluster holds of the fault right now."""

    key: str
    tickets: list[TroubleTicket] = field(default_factory=list)  # its customers' tickets (as a Seller)
    federated: list[FederatedTicket] = field(default_factory=list)  # those it follows across suppliers
    commands: list[Any] = field(default_factory=list)  # its ticket commands to suppliers
    evidence: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # per federated ticket


async def ticket_snapshot(cluster: Cluster) -> dict[str, ProviderTickets]:
    out: dict[str, ProviderTickets] = {}
    for key, p in cluster.providers.items():
        c = p.container
        if c is None:
            continue
        st = ProviderTickets(key)
        async with c.uow() as uow:
            st.tickets = [await uow.trouble_tickets.get_unscoped(i) for i in await uow.trouble_tickets.ids_where()]
            st.tickets.sort(key=lambda t: t.created_at)
            st.federated = sorted(await uow.federated_tickets.all(), key=lambda f: f.created_at)
            for ft in st.federated:
                st.commands += await uow.commands.for_composite(ft.id)
                st.evidence[ft.id] = await uow.federated_tickets.evidence_of(ft.id)
        out[key] = st
    return out


async def sla_lines(cluster: Cluster, tickets: dict[str, ProviderTickets], correlation: str) -> list[str]:
    """`A: ...` and `B: ...` lines of the month's SLA report (the month the outage began), for the service the
    customer's ticket of this correlation was about; nothing for a provider that recorded no outage."""
    lines: list[str] = []
    for key in "AB":
        c = cluster[key].container
        fed = next((f for f in tickets[key].federated if f.correlation_id == correlation), None)
        if c is None or fed is None:
            continue
        async with c.uow() as uow:
            outage = await uow.sla.outage_by_key(fed.product_id, outage_key(fed))
            if outage is None:
                continue
            report = await sla.report(uow, c.clock, c.profile.commitments,
                                      Month(outage.start.year, outage.start.month), service_id=fed.product_id)
        lines += [f"{key}'s SLA report: {line}" for line in report.summary()]
    return lines
