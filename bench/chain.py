"""Benchmark: the three-provider chain end to end, with the suppliers' own work taking no time.

The enterprise orders from A; A buys Singapore access from B and builds its Jakarta access and backbone on
its own network; B buys the last mile from C and builds its metro segment. Each provider is its own
`counterpoint` process on loopback with its own SQLite database (the chain profiles of `counterpoint demo`),
on the real-time clock, with every delay of the profiles set to zero: no installation days, no acknowledgement
lead time, no scenarios (C's site survey and slip), no provisioning delay on the simulated network. What is
left is the mechanics: HTTP calls, database writes, and the background loops handing work to each other.

Measured:
  - cycle time: customer order POSTed to A -> the enterprise, notified by A, reads its order `completed`
    (orders one at a time: p50/p99 over --orders);
  - throughput: --load-orders orders kept --concurrency at a time; completed orders per second;
  - HTTP round trips per order, counted at each provider's and the enterprise's door (one at a time).

Usage:  .venv/bin/python bench/chain.py [--orders 100] [--load-orders 200] [--concurrency 16]
        [--interval 0.05] [--poll 0.05] [--sweep] [--json results.json]

It prints a Markdown report (the tables of bench/README.md); copy it there by hand with a note on the run.

BENCH_PROFILE_DIR=<dir> makes each provider write a cProfile of its run there (<dir>/A.pstats...).

`--interval` sets every provider's background loops (fulfilment, orchestration, outbox relay, service orders;
settings `*_interval_s`); `--poll` how often a provider reads a segment its supplier or its own network has
not yet reported delivered (the profiles' `pollIntervalS`). `--sweep` runs the default intervals and a few
smaller ones, then each loop alone slowed to 0.5 s, to show which loop the cycle time waits on.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CANTATA_ORDER = "/mefApi/cantata/productOrderingManagement/v5/productOrder"
CANTATA_HUB = "/mefApi/cantata/productOrderingManagement/v5/hub"
ENTERPRISE = {"Authorization": "Bearer demo-key-enterprise"}
FILES = {"A": "a_archipelago.yaml", "B": "b_lion_city.yaml", "C": "c_merlion.yaml"}
# what the settings call these loops, and their defaults (src/counterpoint/settings.py)
LOOPS = {"fulfilment": "COUNTERPOINT_FULFILMENT_INTERVAL_S", "orchestration": "COUNTERPOINT_ORCHESTRATION_INTERVAL_S",
         "relay": "COUNTERPOINT_RELAY_INTERVAL_S"}
DEFAULTS = {"fulfilment": 0.5, "orchestration": 0.2, "relay": 0.5}


# ---- one provider, in its own process ------------------------------------------------------------------------


def zero_delay(profile: Any, poll_s: float) -> Any:
    """The profile with every delay of its own and of its network at zero, and polls every `poll_s` seconds."""
    from counterpoint.core.seller.model import LeadTimes

    orch = profile.orchestration
    if orch is not None:
        providers = []
        for p in orch.providers:
            options = json.loads(json.dumps(p.options))
            network = options.get("network")
            if network is not None:  # our own network: provisioning at once, room for any number of orders
                network["provisioning_delay_s"] = 0
                network["removal_delay_s"] = 0
                for sip in network.get("service_interface_points") or []:
                    sip["capacity_mbps"] = 100_000_000
                options["service_orders"] = {**(options.get("service_orders") or {}), "poll_interval_s": poll_s}
            providers.append(dataclasses.replace(p, poll_interval_s=poll_s, options=options))
        orch = dataclasses.replace(orch, providers=tuple(providers))
    return dataclasses.replace(
        profile, offerings=tuple(dataclasses.replace(o, installation_days=0) for o in profile.offerings),
        lead_times=LeadTimes(poq_deferred_days=0, quote_days=0, site_survey_days=0, order_ack_days=0),
        scenarios=(), orchestration=orch)


class Counting:
    """ASGI wrapper counting requests by kind; GET /_bench/counts answers the counts (and is not counted)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.counts: Counter[str] = Counter()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            if scope["path"] == "/_bench/counts":
                body = json.dumps(self.counts).encode()
                await send({"type": "http.response.start", "status": 200,
                            "headers": [(b"content-type", b"application/json")]})
                await send({"type": "http.response.body", "body": body})
                return
            self.counts[kind(scope["method"], scope["path"])] += 1
        await self.app(scope, receive, send)


def kind(method: str, path: str) -> str:
    if path.startswith("/suppliers/"):
        return "notification from a supplier"
    if "/listener/" in path:
        return "notification to a buyer"
    if path.endswith("/productOrder") and method == "POST":
        return "create order"
    if "/productOrder/" in path and method == "GET":
        return "read order"
    if path.endswith("/hub"):
        return "hub registration"
    return f"{method} {path}"


def serve_one(key: str, port: int, workdir: Path, variables: dict[str, str], poll_s: float) -> None:
    import uvicorn

    from counterpoint.api.app import create_app
    from counterpoint.bootstrap import build
    from counterpoint.demo.cluster import CHAIN
    from counterpoint.profiles.loader import load_profile
    from counterpoint.settings import Settings

    profile = zero_delay(load_profile(CHAIN / FILES[key], variables), poll_s)
    settings = Settings(database_url=f"sqlite+aiosqlite:///{workdir / key.lower()}.db", port=port, time_scale=1.0,
                        log_level="WARNING")  # loop intervals come from the environment
    app = Counting(create_app(build(settings, profile=profile)))
    if not (out := os.environ.get("BENCH_PROFILE_DIR")):
        uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
        return
    import cProfile  # where the provider's CPU goes, written when it stops
    import signal

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False))
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign]  # SIGTERM stops it below

    async def serve() -> None:
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, lambda: setattr(server, "should_exit", True))
        await server.serve()

    with cProfile.Profile() as prof:
        asyncio.run(serve())
    prof.dump_stats(Path(out) / f"{key}.pstats")


# ---- the enterprise, in the bench's process ------------------------------------------------------------------


class Enterprise:
    """The customer: orders from A, is told by A's notifications, and reads its order when told."""

    def __init__(self, a_url: str) -> None:
        self.a_url = a_url
        self.http = httpx.AsyncClient(base_url=a_url, headers=ENTERPRISE, timeout=30,
                                      limits=httpx.Limits(max_connections=200, max_keepalive_connections=200))
        self.waiting: dict[str, asyncio.Future[float]] = {}
        self.early: dict[str, float] = {}
        self.notifications = 0
        self.reads = 0
        self._tasks: set[asyncio.Task[None]] = set()

    async def listener(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        self.notifications += 1
        event = json.loads(body or b"{}")
        if event.get("eventType") == "productOrderStateChangeEvent":
            task = asyncio.get_running_loop().create_task(self._read(event["event"]["id"]))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _read(self, order_id: str) -> None:
        self.reads += 1
        r = await self.http.get(f"{CANTATA_ORDER}/{order_id}")
        state = r.json().get("state")
        if state in ("completed", "failed", "partial", "cancelled", "rejected"):
            done = time.perf_counter() if state == "completed" else float("nan")
            future = self.waiting.pop(order_id, None)
            if future is None:
                self.early[order_id] = done
            elif not future.done():
                future.set_result(done)

    async def order(self) -> float:
        """Place one order and wait until it is completed; its cycle time in seconds (nan if it failed)."""
        from counterpoint.demo.scenario import enterprise_order

        started = time.perf_counter()
        r = await self.http.post(CANTATA_ORDER, json=enterprise_order(100))
        if r.status_code != 201:
            raise RuntimeError(f"A refused the order: {r.status_code} {r.text[:300]}")
        oid = r.json()["id"]
        if oid in self.early:
            return self.early.pop(oid) - started
        future = asyncio.get_running_loop().create_future()
        self.waiting[oid] = future
        return await asyncio.wait_for(future, timeout=120) - started


@contextlib.asynccontextmanager
async def serving(app: Any) -> AsyncIterator[str]:
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                                           interface="asgi3"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:  # noqa: ASYNC110 (uvicorn offers no event for it)
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        sock.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclasses.dataclass
class Chain:
    urls: dict[str, str]
    pids: dict[str, int]

    def cpu_s(self) -> dict[str, float]:
        """CPU seconds (user + system) each provider process has used so far (Linux /proc; 0 elsewhere)."""
        out = {}
        for key, pid in self.pids.items():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                out[key] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            except (OSError, ValueError, IndexError):
                out[key] = 0.0
        return out


@contextlib.asynccontextmanager
async def chain(intervals: dict[str, float], poll_s: float) -> AsyncIterator[Chain]:
    """A, B and C as processes, started suppliers first (their output in a log beside their databases)."""
    with tempfile.TemporaryDirectory(prefix="cp-bench-chain-") as tmp:
        ports = {k: free_port() for k in FILES}
        urls = {k: f"http://127.0.0.1:{p}" for k, p in ports.items()}
        variables = {f"{k}_URL": u for k, u in urls.items()}
        env = {**os.environ, **{LOOPS[name]: str(v) for name, v in intervals.items()}}
        procs: dict[str, subprocess.Popen[bytes]] = {}
        log = (Path(tmp) / "providers.log").open("wb")  # noqa: ASYNC230 (start-up, before anything is measured)
        try:
            for key in ("C", "B", "A"):
                procs[key] = subprocess.Popen(  # noqa: ASYNC220 (start-up, before anything is measured)
                    [sys.executable, __file__, "--serve-one", key, "--port", str(ports[key]), "--workdir", tmp,
                     "--variables", json.dumps(variables), "--poll", str(poll_s)], env=env, cwd=tmp,
                    stdout=log, stderr=subprocess.STDOUT)
                await wait_up(urls[key], procs[key], Path(tmp) / "providers.log")
            yield Chain(urls, {k: p.pid for k, p in procs.items()})
        finally:
            for proc in procs.values():
                proc.terminate()
            for proc in procs.values():
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
            log.close()


async def wait_up(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    async with httpx.AsyncClient(timeout=1) as http:
        for _ in range(300):
            with contextlib.suppress(httpx.TransportError):
                if (await http.get(f"{url}/health")).status_code == 200:
                    return
            if proc.poll() is not None:
                break
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not start:\n{log.read_text()[-3000:]}")  # noqa: ASYNC240


async def counts(urls: dict[str, str]) -> dict[str, Counter[str]]:
    async with httpx.AsyncClient(timeout=5) as http:
        return {k: Counter((await http.get(f"{u}/_bench/counts")).json()) for k, u in urls.items()}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


async def run(intervals: dict[str, float], poll_s: float, orders: int, load_orders: int,
              concurrency: int) -> dict[str, Any]:
    async with chain(intervals, poll_s) as procs:
        urls = procs.urls
        enterprise = Enterprise(urls["A"])
        async with serving(enterprise.listener) as listener_url:
            r = await enterprise.http.post(CANTATA_HUB, json={"callback": listener_url})
            assert r.status_code == 201, r.text
            await enterprise.order()  # warm-up: first imports, compiled validators, subscriptions
            await asyncio.sleep(max(intervals.values()) * 2 + poll_s)  # let the warm-up's stragglers land

            before, notes_before, reads_before = await counts(urls), enterprise.notifications, enterprise.reads
            one_at_a_time = [await enterprise.order() for _ in range(orders)]
            await asyncio.sleep(max(intervals.values()) * 2 + poll_s)
            after = await counts(urls)
            trips = {k: after[k] - before[k] for k in urls}  # A's "read order" are the enterprise's reads
            trips["enterprise"] = Counter({"notification to a buyer": enterprise.notifications - notes_before})
            assert trips["A"]["read order"] == enterprise.reads - reads_before, (trips["A"], enterprise.reads)

            gate = asyncio.Semaphore(concurrency)

            async def one() -> float:
                async with gate:
                    return await enterprise.order()

            cpu_before, started = procs.cpu_s(), time.perf_counter()
            loaded = await asyncio.gather(*(one() for _ in range(load_orders)))
            wall = time.perf_counter() - started
            cpu = {k: (v - cpu_before[k]) for k, v in procs.cpu_s().items()}
        await enterprise.http.aclose()
    failed = sum(1 for v in one_at_a_time + loaded if v != v)
    ok = [v for v in one_at_a_time if v == v]
    ok_loaded = [v for v in loaded if v == v]
    return {"intervals": intervals, "poll_s": poll_s, "orders": orders, "failed": failed,
            "p50": statistics.median(ok), "p99": pct(ok, 0.99), "min": min(ok),
            "trips": {k: dict(v) for k, v in trips.items()},
            "trips_per_order": sum(sum(v.values()) for v in trips.values()) / orders,
            "load_orders": load_orders, "concurrency": concurrency, "throughput": len(ok_loaded) / wall,
            "load_p50": statistics.median(ok_loaded), "load_p99": pct(ok_loaded, 0.99), "load_wall_s": wall,
            "cpu_ms_per_order": {k: 1000 * v / load_orders for k, v in cpu.items()},
            "cpu_busy": sum(cpu.values()) / wall}


# ---- report ------------------------------------------------------------------------------------------------


def describe(result: dict[str, Any]) -> str:
    i = result["intervals"]
    return f"fulfilment {i['fulfilment']:g} s, orchestration {i['orchestration']:g} s, relay {i['relay']:g} s, " \
           f"poll {result['poll_s']:g} s"


def table(results: list[dict[str, Any]]) -> str:
    lines = ["| loop intervals | cycle p50 s | cycle p99 s | min s | orders/s (concurrency) | p50 / p99 s under load "
             "| HTTP round trips per order |", "|---|---|---|---|---|---|---|"]
    for r in results:
        lines.append(f"| {describe(r)} | {r['p50']:.2f} | {r['p99']:.2f} | {r['min']:.2f} | "
                     f"{r['throughput']:.1f} ({r['concurrency']}) | {r['load_p50']:.2f} / {r['load_p99']:.2f} | "
                     f"{r['trips_per_order']:.1f} |")
    return "\n".join(lines)


def trips_table(result: dict[str, Any]) -> str:
    n = result["orders"]
    lines = ["| received by | what | per order |", "|---|---|---|"]
    for who in ("A", "B", "C", "enterprise"):
        for what, count in sorted(result["trips"][who].items()):
            lines.append(f"| {who} | {what} | {count / n:.1f} |")
    return "\n".join(lines)


def machine() -> str:
    return f"{os.cpu_count()} vCPU, {platform.python_implementation()} {platform.python_version()}, " \
           f"{platform.system()} {platform.release()}"


async def main_async(args: argparse.Namespace) -> None:
    if args.sweep:
        # every loop at once, from the settings' defaults down; then one loop at a time slowed to 0.5 s
        base = {k: 0.05 for k in DEFAULTS}
        settings = [(dict(DEFAULTS), 1.0), ({k: 0.2 for k in DEFAULTS}, 0.2), (base, 0.05),
                    ({k: 0.01 for k in DEFAULTS}, 0.01)]
        settings += [({**base, name: 0.5}, 0.05) for name in DEFAULTS] + [(base, 0.5)]
    else:
        settings = [({k: args.interval for k in DEFAULTS}, args.poll if args.poll is not None else args.interval)]
    results = []
    for intervals, poll_s in settings:
        result = await run(intervals, poll_s, args.orders, args.load_orders, args.concurrency)
        results.append(result)
        print(f"{describe(result)}: cycle p50 {result['p50']:.3f} s p99 {result['p99']:.3f} s; "
              f"{result['throughput']:.1f} orders/s at concurrency {result['concurrency']}; "
              f"{result['trips_per_order']:.1f} HTTP round trips per order; failed {result['failed']}", flush=True)
    last = results[-1]
    cpu = ", ".join(f"{k} {v:.0f} ms" for k, v in last["cpu_ms_per_order"].items())
    report = (f"{datetime.now(UTC):%Y-%m-%d}, {machine()}, SQLite, {args.orders} orders one at a time, "
              f"{args.load_orders} at concurrency {args.concurrency}:\n\n{table(results)}\n\n"
              f"Under load ({describe(last)}): CPU per completed order {cpu}; the three processes kept "
              f"{last['cpu_busy']:.2f} of the {os.cpu_count()} vCPUs busy.\n\n"
              f"Round trips of one order ({describe(last)}):\n\n{trips_table(last)}\n")
    print(report)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))  # noqa: ASYNC240 (after the measurements)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=100, help="orders placed one at a time (cycle time)")
    parser.add_argument("--load-orders", type=int, default=200, help="orders placed for the throughput figure")
    parser.add_argument("--concurrency", type=int, default=16, help="orders in flight at once under load")
    parser.add_argument("--interval", type=float, default=0.05, help="every provider's background loop interval, s")
    parser.add_argument("--poll", type=float, default=None, help="poll interval of undelivered segments, s "
                        "(default: --interval)")
    parser.add_argument("--sweep", action="store_true", help="the default intervals, then 0.2, 0.05 and 0.01 s; "
                        "then each loop (and the poll) alone at 0.5 s, the others at 0.05 s")
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument("--serve-one", choices=sorted(FILES), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    parser.add_argument("--variables", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_one:
        serve_one(args.serve_one, args.port, Path(args.workdir), json.loads(args.variables), args.poll)
        return
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
