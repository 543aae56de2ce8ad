"""Benchmark: product order creation (POST, 3 items, product payload validated).

Starts each target as its own process on loopback, drives it with wrk (64 connections by default, as in
../shared/PERFORMANCE.md), and prints and records requests/s and p50/p99 latency:

  - bare FastAPI: parses the same body with the same generated model and echoes it (the floor)
  - counterpoint on SQLite (WAL, embedded)
  - counterpoint on PostgreSQL (a fresh database on the local server)

Usage:  .venv/bin/python bench/order_create.py [--duration 15] [--connections 64] [--targets bare,sqlite,pg]
        [--pg-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres] [--write bench/README.md]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PY = sys.executable
ORDER_PATH = "/mefApi/sonata/productOrderingManagement/v10/productOrder"
console = Console()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def run_wrk(port: int, body: Path, duration: int, connections: int) -> dict[str, float]:
    env = {**os.environ, "BENCH_BODY": str(body)}
    out = subprocess.run(
        ["wrk", "-t", "2", "-c", str(connections), "-d", f"{duration}s", "--latency", "-s", str(HERE / "post.lua"),
         f"http://127.0.0.1:{port}{ORDER_PATH}"], env=env, capture_output=True, text=True, check=True).stdout
    m = re.search(r"RESULT rps=([\d.]+) p50=([\d.]+) p99=([\d.]+) errors=(\d+)", out)
    statuses = re.search(r"STATUS(.*)", out)
    if not m:
        raise RuntimeError(f"wrk output not understood:\n{out}")
    return {"rps": float(m[1]), "p50": float(m[2]), "p99": float(m[3]), "errors": int(m[4]),
            "statuses": statuses[1].strip() if statuses else ""}


def check_once(port: int, body: Path, expect: int = 201) -> None:
    r = httpx.post(f"http://127.0.0.1:{port}{ORDER_PATH}", content=body.read_bytes(), headers={
        "Content-Type": "application/json;charset=utf-8", "Authorization": "Bearer demo-key-buyer-a"})
    if r.status_code != expect:
        raise RuntimeError(f"sanity POST answered {r.status_code}: {r.text[:500]}")


def start(cmd: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(cmd, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            cwd=REPO)


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


async def _pg_admin(url: str, sql: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


def bench_target(name: str, body: Path, args: argparse.Namespace, workdir: Path) -> dict[str, float]:
    port = free_port()
    cleanup = None
    if name == "bare":
        cmd = [PY, "-m", "uvicorn", "bench.bare_app:app", "--port", str(port), "--log-level", "warning"]
        env: dict[str, str] = {}
        ready = f"http://127.0.0.1:{port}/docs"
    else:
        if name == "sqlite":
            url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
        else:
            db = f"cp_bench_{uuid.uuid4().hex[:8]}"
            asyncio.run(_pg_admin(args.pg_url, f'CREATE DATABASE "{db}"'))
            url = args.pg_url.rsplit("/", 1)[0] + "/" + db
            cleanup = lambda: asyncio.run(_pg_admin(args.pg_url, f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))  # noqa: E731
        cmd = [PY, "-m", "counterpoint", "serve", "--port", str(port), "--time-scale", "1"]
        env = {"COUNTERPOINT_DATABASE_URL": url, "COUNTERPOINT_LOG_LEVEL": "WARNING"}
        ready = f"http://127.0.0.1:{port}/health"
    proc = start(cmd, env)
    try:
        wait_ready(ready)
        check_once(port, body)
        run_wrk(port, body, 3, args.connections)  # warm-up
        return run_wrk(port, body, args.duration, args.connections)
    finally:
        stop(proc)
        if cleanup:
            cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--targets", default="bare,sqlite,pg")
    parser.add_argument("--pg-url", default=os.environ.get(
        "COUNTERPOINT_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--body", type=Path, default=HERE / "order_3_items.json")
    parser.add_argument("--write", type=Path, default=None, help="append the table to this markdown file")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for target in args.targets.split(","):
            console.print(f"[bold]{target}[/bold]: {args.connections} connections, {args.duration} s ...")
            results[target] = bench_target(target, args.body, args, Path(tmp))
    floor = results.get("bare", {}).get("rps")
    table = Table(title=f"POST productOrder, 3 items ({len(args.body.read_bytes())} bytes), "
                        f"{args.connections} connections, {args.duration} s")
    for col in ("target", "req/s", "p50 ms", "p99 ms", "of bare", "non-201/errors"):
        table.add_column(col)
    names = {"bare": "bare FastAPI (parse + echo)", "sqlite": "counterpoint, SQLite",
             "pg": "counterpoint, PostgreSQL"}
    lines = ["| target | req/s | p50 ms | p99 ms | of bare |", "|---|---|---|---|---|"]
    for target, r in results.items():
        ratio = f"{r['rps'] / floor:.0%}" if floor else "-"
        table.add_row(names[target], f"{r['rps']:.0f}", f"{r['p50']:.1f}", f"{r['p99']:.1f}", ratio,
                      f"{r['statuses']} / {r['errors']}")
        lines.append(f"| {names[target]} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p99']:.1f} | {ratio} |")
    console.print(table)
    if args.write:
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        with args.write.open("a") as f:
            f.write(f"\n### order creation, {stamp}, {args.connections} connections, {args.duration} s\n\n")
            f.write("\n".join(lines) + "\n")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
