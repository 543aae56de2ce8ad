"""The `counterpoint` command."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from counterpoint import __version__

app = typer.Typer(name="counterpoint", help="MEF LSO Seller, Buyer and orchestrator.", no_args_is_help=True,
                  add_completion=False)
console = Console()


def _settings(config: Path | None, port: int | None, database_url: str | None):  # type: ignore[no-untyped-def]
    from counterpoint.settings import Settings

    overrides: dict[str, object] = {}
    if config is not None:
        overrides["profile"] = config
    if port is not None:
        overrides["port"] = port
    if database_url is not None:
        overrides["database_url"] = database_url
    return Settings(**overrides)  # type: ignore[arg-type]


@app.command()
def serve(
    port: Annotated[int | None, typer.Option(help="TCP port (default 8080)")] = None,
    config: Annotated[Path | None, typer.Option(help="Seller profile YAML (default: built-in demo)")] = None,
    database_url: Annotated[str | None, typer.Option(help="SQLAlchemy URL (default: embedded SQLite)")] = None,
    host: Annotated[str, typer.Option(help="interface to bind")] = "127.0.0.1",
    time_scale: Annotated[float | None, typer.Option(
        help="run the Seller's clock this many times faster than real time (demo default 43200: a day "
             "lasts 2 s; 1 = real time)")] = None,
    variables: Annotated[list[str] | None, typer.Option(
        "--set", metavar="NAME=VALUE",
        help="fill ${NAME} in the profile (repeatable), e.g. --set B_URL=http://127.0.0.1:8082")] = None,
) -> None:
    """Run a Seller: every Sonata and Cantata API of its profile, with its workers."""
    import uvicorn

    from counterpoint.api.app import create_app
    from counterpoint.api.mounts import base_path
    from counterpoint.bootstrap import build
    from counterpoint.profiles.loader import ProfileError, load_profile

    settings = _settings(config, port, database_url)
    scale = time_scale if time_scale is not None else (43200.0 if settings.mode == "demo" else 1.0)
    settings = settings.model_copy(update={"host": host, "time_scale": scale})
    try:
        container = build(settings, profile=load_profile(settings.profile, _assignments(variables or [])))
    except ProfileError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    profile = container.profile
    table = Table(title=f"counterpoint {__version__}: {profile.name} ({profile.seller_id})")
    table.add_column("interface")
    table.add_column("function")
    table.add_column("base URL", overflow="fold")
    from counterpoint.api.app import CHANNELS, MOUNTS

    for channel in CHANNELS:
        for function in MOUNTS:
            table.add_row(channel, function, settings.base_url + base_path(function, channel))
    console.print(table)
    console.print(f"database: {settings.database_url}    clock: x{settings.time_scale:g} real time")
    console.print("buyers: " + ", ".join(b.id for b in profile.buyers) + "  (send 'Authorization: Bearer <key>')")
    logging.basicConfig(level=settings.log_level)
    uvicorn.run(create_app(container), host=host, port=settings.port, log_level="warning")


def _assignments(pairs: list[str]) -> dict[str, str]:
    """`NAME=VALUE` options as a dict; a malformed one stops the command with exit status 2."""
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip().isidentifier():
            console.print(f"[red]--set expects NAME=VALUE, got {pair!r}[/red]")
            raise typer.Exit(2)
        out[name.strip()] = value
    return out


@app.command()
def migrate(database_url: Annotated[str | None, typer.Option()] = None) -> None:
    """Bring the database schema to the newest revision."""
    from counterpoint.storage.db import create_engine
    from counterpoint.storage.db import migrate as run_migrations

    settings = _settings(None, None, database_url)

    async def _go() -> None:
        engine = create_engine(settings.database_url)
        try:
            await run_migrations(engine)
        finally:
            await engine.dispose()

    asyncio.run(_go())
    console.print(f"[green]schema up to date[/green] on {settings.database_url}")


@app.command("check-profile")
def check_profile(path: Path) -> None:
    """Validate a Seller profile and summarise it."""
    from counterpoint.profiles.loader import ProfileError, load_profile

    try:
        profile = load_profile(path)
    except ProfileError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    console.print(f"[green]ok[/green] {profile.seller_id}: {len(profile.buyers)} buyers, "
                  f"{len(profile.addresses)} addresses, {len(profile.sites)} sites, "
                  f"{len(profile.offerings)} offerings, {len(profile.scenarios)} scenario rules")


def _with_uow(database_url: str | None, work):  # type: ignore[no-untyped-def]
    from counterpoint.storage.db import create_engine
    from counterpoint.storage.uow import SqlUnitOfWork

    settings = _settings(None, None, database_url)

    async def _go():  # type: ignore[no-untyped-def]
        engine = create_engine(settings.database_url)
        try:
            async with SqlUnitOfWork(engine) as uow:
                return await work(uow)
        finally:
            await engine.dispose()

    return asyncio.run(_go())


@app.command()
def orders(database_url: Annotated[str | None, typer.Option()] = None,
           limit: Annotated[int, typer.Option(help="how many, newest first")] = 50) -> None:
    """List the product orders this Seller holds, with their items' states."""
    from counterpoint.cli.views import orders_table

    console.print(_with_uow(database_url, lambda uow: orders_table(uow, limit=limit)))


@app.command()
def order(order_id: str, database_url: Annotated[str | None, typer.Option()] = None) -> None:
    """Show one order's lifecycle: states, items, milestones, charges and every notification sent."""
    from counterpoint.cli.views import order_view

    try:
        console.print(_with_uow(database_url, lambda uow: order_view(uow, order_id)))
    except LookupError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc


@app.command()
def quotes(database_url: Annotated[str | None, typer.Option()] = None,
           limit: Annotated[int, typer.Option(help="how many, newest first")] = 50) -> None:
    """List the quotes this Seller holds, with their items' states."""
    from counterpoint.cli.views import quotes_table

    console.print(_with_uow(database_url, lambda uow: quotes_table(uow, limit=limit)))


@app.command()
def quote(quote_id: str, database_url: Annotated[str | None, typer.Option()] = None) -> None:
    """Show one quote's lifecycle: states, items with prices and terms, and every notification sent."""
    from counterpoint.cli.views import quote_view

    try:
        console.print(_with_uow(database_url, lambda uow: quote_view(uow, quote_id)))
    except LookupError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc


@app.command()
def demo(
    time_scale: Annotated[float, typer.Option(help="profile seconds per real second (86400: a day lasts 1 s)")]
    = 86400.0,
    timeout: Annotated[float, typer.Option(help="give up after this many real seconds")] = 60.0,
    workdir: Annotated[Path | None, typer.Option(help="keep the three databases here (default: a temp dir)")]
    = None,
    live: Annotated[bool, typer.Option(help="show the live view (off: only the final report)")] = True,
) -> None:
    """Run providers A, B and C on loopback and take the enterprise's Jakarta-Singapore order to active.

    Exits 0 when every provider's end state agrees with the others, 1 otherwise.
    """
    from counterpoint.demo.run import run_demo

    code = asyncio.run(run_demo(console, time_scale=time_scale, timeout_s=timeout, workdir=workdir, live=live))
    raise typer.Exit(code)


@app.command()
def version() -> None:
    """Print the version."""
    console.print(__version__)
