"""The `counterpoint` command."""

from __future__ import annotations

import asyncio
import logging
import os
from datetime import datetime
from pathlib import Path
from typing import Annotated, NoReturn

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
        help="run the Seller's clock this many times faster than real time, e.g. 43200: a profile day lasts "
             "2 s (default: COUNTERPOINT_TIME_SCALE, else 1 = real time)")] = None,
    variables: Annotated[list[str] | None, typer.Option(
        "--set", metavar="NAME=VALUE",
        help="fill ${NAME} in the profile (repeatable), e.g. --set B_URL=http://127.0.0.1:8082")] = None,
    access_log: Annotated[bool, typer.Option(help="log every request (method, path, status)")] = False,
) -> None:
    """Run a Seller: every Sonata and Cantata API of its profile, with its workers."""
    import uvicorn

    from counterpoint.api.app import create_app
    from counterpoint.bootstrap import build
    from counterpoint.cli.database import DatabaseInUse, describe, serving_lock
    from counterpoint.core.shared.apis import base_path
    from counterpoint.profiles.loader import ProfileError, load_profile

    settings = _settings(config, port, database_url)
    updates: dict[str, object] = {"host": host}
    if time_scale is not None:  # a fast clock only when asked: a buyer's "now + 20 days" must stay future
        updates["time_scale"] = time_scale
    settings = settings.model_copy(update=updates)
    try:
        profile = load_profile(settings.profile, _assignments(variables or []))
    except ProfileError as exc:
        console.print(str(exc), style="red", markup=False, highlight=False)
        raise typer.Exit(2) from exc
    try:
        lock = serving_lock(settings.database_url)
    except DatabaseInUse as exc:
        console.print(str(exc), style="red", markup=False, highlight=False)
        raise typer.Exit(1) from exc
    with lock:
        container = build(settings, profile=profile)
        table = Table(title=f"counterpoint {__version__}: {profile.name} ({profile.seller_id})")
        table.add_column("interface")
        table.add_column("function")
        table.add_column("base URL", overflow="fold")
        from counterpoint.api.app import CHANNELS, MOUNTS

        for channel in CHANNELS:
            for function in MOUNTS:
                table.add_row(channel, function, settings.base_url + base_path(function, channel))
        console.print(table)
        clock = "real time" if settings.time_scale == 1 else f"x{settings.time_scale:g} real time (fast)"
        console.print(f"database: {describe(settings.database_url)}    clock: {clock}")
        console.print("buyers: " + ", ".join(b.id for b in profile.buyers)
                      + "  (send 'Authorization: Bearer <key>')")
        if profile.inventory:
            console.print(f"inventory: {len(profile.inventory)} existing products from the profile")
        logging.basicConfig(level=settings.log_level)
        uvicorn.run(create_app(container), host=host, port=settings.port,
                    log_level="info" if access_log else "warning", access_log=access_log)


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
        _fail(str(exc))
    console.print(f"[green]ok[/green] {profile.seller_id}: {len(profile.buyers)} buyers, "
                  f"{len(profile.addresses)} addresses, {len(profile.sites)} sites, "
                  f"{len(profile.offerings)} offerings, {len(profile.scenarios)} scenario rules, "
                  f"{len(profile.inventory)} existing products, {len(profile.commitments.customer)} customer SLAs, "
                  f"{len(profile.commitments.suppliers)} supplier OLAs, "
                  f"{len(profile.maintenance)} planned maintenance windows")


def _with_uow(database_url: str | None, work):  # type: ignore[no-untyped-def]
    """Run `work(uow)` on the Seller's database; a missing or unreadable database stops with exit status 1."""
    from counterpoint.cli.database import READ_ERRORS, NoDatabase, require_existing, unreadable
    from counterpoint.storage.db import create_engine
    from counterpoint.storage.uow import SqlUnitOfWork

    settings = _settings(None, None, database_url)
    url = settings.database_url
    try:
        require_existing(url, default=database_url is None and "COUNTERPOINT_DATABASE_URL" not in os.environ)
    except NoDatabase as exc:
        _fail(str(exc))

    async def _go():  # type: ignore[no-untyped-def]
        engine = create_engine(url)
        try:
            async with SqlUnitOfWork(engine) as uow:
                return await work(uow)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(_go())
    except READ_ERRORS as exc:
        _fail(str(unreadable(url, exc)))


def _fail(message: str) -> NoReturn:
    console.print(message, style="red", markup=False, highlight=False)
    raise typer.Exit(1)


DatabaseUrl = Annotated[str | None, typer.Option(
    help="the Seller's database (default: COUNTERPOINT_DATABASE_URL, else sqlite+aiosqlite:///counterpoint.db)")]
Full = Annotated[bool, typer.Option(help="show whole ids (always when the output is not a terminal)")]


def _short_ids(full: bool) -> bool:
    return not full and console.is_terminal


@app.command()
def orders(database_url: DatabaseUrl = None,
           limit: Annotated[int, typer.Option(help="how many, newest first")] = 50, full: Full = False) -> None:
    """List the product orders this Seller holds, with their items' states."""
    from counterpoint.cli.views import orders_table

    short = _short_ids(full)
    console.print(_with_uow(database_url, lambda uow: orders_table(uow, limit=limit, short_ids=short)))


@app.command()
def order(order_id: Annotated[str, typer.Argument(help="the order's id, or enough of its start to be unique")],
          database_url: DatabaseUrl = None) -> None:
    """Show one order's lifecycle: states, items, milestones, charges and every notification sent."""
    from counterpoint.cli.views import order_view

    try:
        console.print(_with_uow(database_url, lambda uow: order_view(uow, order_id)))
    except LookupError as exc:
        _fail(str(exc.args[0]))


@app.command()
def quotes(database_url: DatabaseUrl = None,
           limit: Annotated[int, typer.Option(help="how many, newest first")] = 50, full: Full = False) -> None:
    """List the quotes this Seller holds, with their items' states."""
    from counterpoint.cli.views import quotes_table

    short = _short_ids(full)
    console.print(_with_uow(database_url, lambda uow: quotes_table(uow, limit=limit, short_ids=short)))


@app.command()
def quote(quote_id: Annotated[str, typer.Argument(help="the quote's id, or enough of its start to be unique")],
          database_url: DatabaseUrl = None) -> None:
    """Show one quote's lifecycle: states, items with prices and terms, and every notification sent."""
    from counterpoint.cli.views import quote_view

    try:
        console.print(_with_uow(database_url, lambda uow: quote_view(uow, quote_id)))
    except LookupError as exc:
        _fail(str(exc.args[0]))


sla_app = typer.Typer(name="sla", help="SLA and OLA attribution: a month's figures with their evidence.",
                      no_args_is_help=True)
app.add_typer(sla_app)


@sla_app.command("report")
def sla_report(
    month: Annotated[str, typer.Option(help="the calendar month, YYYY-MM (e.g. 2026-11)")],
    service: Annotated[str | None, typer.Option(help="only this customer service (and its suppliers)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON (schema in README)")] = False,
    evidence: Annotated[bool, typer.Option(help="print each figure's chain: outages, evidence, rules")] = False,
    database_url: DatabaseUrl = None,
    config: Annotated[Path | None, typer.Option(
        help="the Seller profile whose commitments apply (default: COUNTERPOINT_PROFILE, else the demo's)")] = None,
    variables: Annotated[list[str] | None, typer.Option(
        "--set", metavar="NAME=VALUE", help="fill ${NAME} in the profile (repeatable)")] = None,
    as_of: Annotated[str | None, typer.Option(
        help="the report's instant, ISO 8601 (default: now); open outages run to it")] = None,
    full: Full = False,
) -> None:
    """Availability, SLA credits and suppliers' OLA compliance for a month, each figure with its evidence."""
    import json
    from datetime import UTC, datetime

    from counterpoint.bootstrap import SystemClock
    from counterpoint.cli.sla import report_view
    from counterpoint.core.shared.clock import ManualClock
    from counterpoint.core.sla.model import Month
    from counterpoint.core.sla.services import report as sla_month
    from counterpoint.profiles.loader import ProfileError, load_profile

    try:
        which = Month.parse(month)
    except ValueError as exc:
        console.print(str(exc), style="red", markup=False, highlight=False)
        raise typer.Exit(2) from exc
    clock: ManualClock | SystemClock = SystemClock()
    if as_of is not None:
        try:
            at = datetime.fromisoformat(as_of.replace("Z", "+00:00"))
        except ValueError as exc:
            console.print(f"not an ISO 8601 instant: {as_of!r}", style="red", markup=False, highlight=False)
            raise typer.Exit(2) from exc
        clock = ManualClock(at if at.tzinfo else at.replace(tzinfo=UTC))
    settings = _settings(config, None, database_url)
    try:
        profile = load_profile(settings.profile, _assignments(variables) if variables else None)
    except ProfileError as exc:
        _fail(str(exc))
    result = _with_uow(database_url, lambda uow: sla_month(uow, clock, profile.commitments, which,
                                                           service_id=service))
    if as_json:
        typer.echo(json.dumps(result.to_json(evidence=evidence), indent=2))
    else:
        console.print(report_view(result, evidence=evidence, short_ids=_short_ids(full)))


incident_app = typer.Typer(name="incident", no_args_is_help=True, add_completion=False,
                           help="Announce planned maintenance or an impairment to the buyers it touches (MEF 124 "
                                "incidents), revise or close one.")
app.add_typer(incident_app)
Config = Annotated[Path | None, typer.Option(help="the Seller's profile YAML (default: COUNTERPOINT_PROFILE, else "
                                                  "the built-in demo)")]
IncidentRef = Annotated[str, typer.Argument(help="an incident's id or its announcement's (notice) id, or enough of "
                                                 "its start to be unique")]


def _instant_option(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    from counterpoint.core.shared.times import parse_aware

    at = parse_aware(value.replace("Z", "+00:00"))
    if at is None:
        _fail(f"--{name} must be an ISO 8601 date-time with a zone, e.g. 2027-01-10T18:00:00Z (got {value!r})")
    return at


def _core(database_url: str | None, config: Path | None, work):  # type: ignore[no-untyped-def]
    """Run a core use case `work(uow_factory, clock, profile)` against the Seller's database, with the Seller's
    clock; a core refusal or a missing database stops with exit status 1."""
    from counterpoint.bootstrap import ScaledClock, SystemClock
    from counterpoint.cli.database import READ_ERRORS, NoDatabase, require_existing, unreadable
    from counterpoint.core.shared.errors import CoreError
    from counterpoint.profiles.loader import ProfileError, load_profile
    from counterpoint.storage.db import create_engine
    from counterpoint.storage.uow import SqlUnitOfWork

    settings = _settings(config, None, database_url)
    url = settings.database_url
    try:
        require_existing(url, default=database_url is None and "COUNTERPOINT_DATABASE_URL" not in os.environ)
        profile = load_profile(settings.profile)
    except (NoDatabase, ProfileError) as exc:
        _fail(str(exc))
    clock = (ScaledClock(settings.time_scale, anchor=settings.clock_anchor) if settings.time_scale != 1
             else SystemClock())

    async def _go():  # type: ignore[no-untyped-def]
        engine = create_engine(url)
        try:
            return await work(lambda: SqlUnitOfWork(engine), clock, profile)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(_go())
    except CoreError as exc:
        details = "; ".join(p.reason for p in exc.problems) if exc.problems else ""
        _fail(f"{exc.reason}{': ' + details if details else ''}")
    except READ_ERRORS as exc:
        _fail(str(unreadable(url, exc)))


def _print_incidents(found, verb: str) -> None:  # type: ignore[no-untyped-def]
    table = Table(title=f"incidents {verb}")
    for col in ("id", "notice", "buyer", "interface", "status", "start", "expected end", "products"):
        table.add_column(col)
    for inc in found:
        d = inc.doc
        table.add_row(inc.id, inc.notice_id, inc.buyer_id, inc.channel, d["status"], d["situationStartDate"],
                      d.get("expectedClosedDate", "-"), " ".join(inc.product_ids))
    console.print(table)


@incident_app.command("announce")
def incident_announce(
    kind: Annotated[str, typer.Argument(help="maintenance (planned work in a window: closes itself at its end) or "
                                             "impairment (a fault now: open until `incident close`)")],
    description: Annotated[str, typer.Option(help="what the buyers are told")],
    product: Annotated[list[str] | None, typer.Option(help="an affected product id (repeatable)")] = None,
    offering: Annotated[list[str] | None, typer.Option(
        help="every live product of this offering (repeatable)")] = None,
    area: Annotated[list[str] | None, typer.Option(
        help="every live product installed in this coverage area (repeatable)")] = None,
    start: Annotated[str | None, typer.Option(help="when it begins, ISO 8601 with a zone (default: now)")] = None,
    end: Annotated[str | None, typer.Option(
        help="when it ends (required for maintenance; an impairment's expected end, default 4 h after start)")]
    = None,
    impact: Annotated[str, typer.Option(help="down, degraded or intermittent")] = "down",
    incident_type: Annotated[str | None, typer.Option(
        "--type", help="MEF incidentType (default: maintenance for maintenance, repair for an impairment)")] = None,
    priority: Annotated[str | None, typer.Option(help="low, medium, high or critical (default from impact)")]
    = None,
    severity: Annotated[str | None, typer.Option(
        help="minor, moderate, significant or extensive (default from impact)")] = None,
    notice_id: Annotated[str | None, typer.Option("--id", help="the announcement's id (default: a new one); "
                                                               "announcing the same id again does nothing")] = None,
    database_url: DatabaseUrl = None,
    config: Config = None,
) -> None:
    """Tell every buyer whose live products are affected, one incident per buyer and interface (events through
    the outbox: a running Seller delivers them to the buyers' troubleTicket listeners)."""
    from counterpoint.core.incident import services
    from counterpoint.core.incident.model import Impact, IncidentType, Notice
    from counterpoint.core.shared.ids import new_id

    if kind not in ("maintenance", "impairment"):
        _fail(f"announce maintenance or impairment, not {kind!r}")
    try:
        chosen_type = IncidentType(incident_type or ("maintenance" if kind == "maintenance" else "repair"))
        chosen_impact = Impact(impact)
    except ValueError as exc:
        _fail(str(exc))
    if priority is not None and priority not in ("low", "medium", "high", "critical"):
        _fail(f"--priority must be low, medium, high or critical, not {priority!r}")
    if severity is not None and severity not in ("minor", "moderate", "significant", "extensive"):
        _fail(f"--severity must be minor, moderate, significant or extensive, not {severity!r}")
    begins, ends = _instant_option(start, "start"), _instant_option(end, "end")

    async def work(uow, clock, profile):  # type: ignore[no-untyped-def]
        notice = Notice(notice_id=notice_id or new_id(), incident_type=chosen_type, impact=chosen_impact,
                        start=begins or clock.now(), end=ends, description=description,
                        closes_at_end=kind == "maintenance", priority=priority, severity=severity)
        targets = services.Targets(tuple(product or ()), tuple(offering or ()), tuple(area or ()))
        return await services.announce(uow(), clock, profile, notice, targets)

    out = _core(database_url, config, work)
    if out.already:
        console.print(f"[yellow]announcement {out.notice_id} was made before; nothing new sent[/yellow]")
    _print_incidents(out.incidents, f"of announcement {out.notice_id}")


@incident_app.command("show")
def incident_show(ref: IncidentRef, database_url: DatabaseUrl = None) -> None:
    """Show an announcement's incidents (or one incident): what each buyer was told, its status history and every
    notification sent."""
    from counterpoint.cli.views import incident_view

    try:
        console.print(_with_uow(database_url, lambda uow: incident_view(uow, ref)))
    except LookupError as exc:
        _fail(str(exc.args[0]))


@incident_app.command("close")
def incident_close(ref: IncidentRef, reason: Annotated[str, typer.Option(help="why, as the buyers see it")]
                   = "normal operation restored", database_url: DatabaseUrl = None, config: Config = None) -> None:
    """Close an incident (or every incident of an announcement); the buyers are told."""
    from counterpoint.cli.views import resolve_incident
    from counterpoint.core.incident import services

    async def work(uow, clock, profile):  # type: ignore[no-untyped-def]
        async with uow() as reader:
            found = await resolve_incident(reader, ref)
        return await services.close(uow(), clock, found, reason=reason)

    try:
        _print_incidents(_core(database_url, config, work), "closed")
    except LookupError as exc:
        _fail(str(exc.args[0]))


@incident_app.command("update")
def incident_update(
    ref: IncidentRef,
    end: Annotated[str | None, typer.Option(help="a new expected end, ISO 8601 with a zone")] = None,
    description: Annotated[str | None, typer.Option(help="a new description")] = None,
    impact: Annotated[str | None, typer.Option(help="down, degraded or intermittent")] = None,
    note: Annotated[str | None, typer.Option(help="a note added for the buyers")] = None,
    database_url: DatabaseUrl = None, config: Config = None,
) -> None:
    """Revise an open incident (or an announcement's); the buyers get an attribute change event."""
    from counterpoint.cli.views import resolve_incident
    from counterpoint.core.incident import services
    from counterpoint.core.incident.model import Impact

    try:
        new_impact = Impact(impact) if impact is not None else None
    except ValueError as exc:
        _fail(str(exc))
    ends = _instant_option(end, "end")

    async def work(uow, clock, profile):  # type: ignore[no-untyped-def]
        async with uow() as reader:
            found = await resolve_incident(reader, ref)
        return await services.revise(uow(), clock, found, end=ends, description=description, impact=new_impact,
                                     note=note)

    try:
        _print_incidents(_core(database_url, config, work), "revised")
    except LookupError as exc:
        _fail(str(exc.args[0]))


@app.command()
def incidents(database_url: DatabaseUrl = None,
              limit: Annotated[int, typer.Option(help="how many, newest first")] = 50, full: Full = False) -> None:
    """List the incidents this Seller announced (maintenance and impairments), one per affected buyer."""
    from counterpoint.cli.views import incidents_table

    short = _short_ids(full)
    console.print(_with_uow(database_url, lambda uow: incidents_table(uow, limit=limit, short_ids=short)))


@app.command()
def reconcile(
    database_url: DatabaseUrl = None,
    json_out: Annotated[str | None, typer.Option(
        "--json", metavar="FILE|-", help="also write the JSON report (schema in README) to FILE, or stdout with -")]
    = None,
    repair: Annotated[bool, typer.Option(help="apply the safe repairs (re-asking suppliers); --no-repair only "
                                              "reports")] = True,
    only: Annotated[str | None, typer.Option(help="comma-separated checks: orders,services,tickets (default all)")]
    = None,
    config: Annotated[Path | None, typer.Option(help="Seller profile YAML (its suppliers and reconciliation "
                                                     "policy; default: COUNTERPOINT_PROFILE, else the demo)")] = None,
    variables: Annotated[list[str] | None, typer.Option(
        "--set", metavar="NAME=VALUE", help="fill ${NAME} in the profile (repeatable)")] = None,
) -> None:
    """Compare what we recorded with what suppliers and our network said, and report the drift.

    Exits 0 when nothing needs a person, 3 when this run raised findings to a person, 4 when nothing new was
    raised but findings raised by earlier runs are still there, 1 when the database cannot be read, 2 on bad
    options.
    """
    import json as jsonlib

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from counterpoint.bootstrap import build
    from counterpoint.cli.database import READ_ERRORS, NoDatabase, require_existing, unreadable
    from counterpoint.cli.views import reconcile_table
    from counterpoint.core.reconcile.model import Check
    from counterpoint.core.reconcile.report import exit_code, report_json
    from counterpoint.core.reconcile.services import run_reconciliation
    from counterpoint.profiles.loader import ProfileError, load_profile

    try:
        checks = [Check(c.strip()) for c in only.split(",") if c.strip()] if only else list(Check)
    except ValueError as exc:
        console.print(f"[red]--only takes {', '.join(c.value for c in Check)}: {exc}[/red]")
        raise typer.Exit(2) from exc
    settings = _settings(config, None, database_url)
    try:
        profile = load_profile(settings.profile, _assignments(variables or []))
    except ProfileError as exc:
        console.print(str(exc), style="red", markup=False, highlight=False)
        raise typer.Exit(2) from exc
    try:
        require_existing(settings.database_url,
                         default=database_url is None and "COUNTERPOINT_DATABASE_URL" not in os.environ)
    except NoDatabase as exc:
        _fail(str(exc))
    out = Console(stderr=True) if json_out == "-" else console  # stdout carries the JSON then

    async def _go():  # type: ignore[no-untyped-def]
        container = build(settings.model_copy(update={"run_workers": False}), profile=profile)
        try:
            with Progress(TextColumn("{task.description:<9}"), BarColumn(), MofNCompleteColumn(),
                          TimeElapsedColumn(), console=out, transient=not out.is_terminal) as bars:
                tasks: dict[Check, int] = {}

                def progress(check: Check, done: int, total: int) -> None:
                    if check not in tasks:
                        tasks[check] = bars.add_task(check.value, total=total or 1)
                    bars.update(tasks[check], completed=done if total else 1, total=total or 1)

                return await run_reconciliation(container.uow, container.clock, profile,
                                                suppliers=container.suppliers if repair else None,
                                                timing=container.timing, checks=checks, repair=repair,
                                                progress=progress)
        finally:
            await container.close()

    try:
        report = asyncio.run(_go())
    except READ_ERRORS as exc:
        _fail(str(unreadable(settings.database_url, exc)))
    out.print(reconcile_table(report))
    if json_out is not None:
        text = jsonlib.dumps(report_json(report), indent=2)
        if json_out == "-":
            print(text)
        else:
            Path(json_out).write_text(text + "\n", encoding="utf-8")
    raise typer.Exit(exit_code(report))


@app.command()
def demo(
    time_scale: Annotated[float, typer.Option(help="profile seconds per real second (86400: a day lasts 1 s)")]
    = 86400.0,
    timeout: Annotated[float, typer.Option(help="give up after this many real seconds")] = 240.0,
    workdir: Annotated[Path | None, typer.Option(
        help="keep the three databases here (default: a temp dir); a previous run's are moved to "
             "DIR/previous-<time>/, and a second demo in the same DIR is refused")] = None,
    live: Annotated[bool, typer.Option(help="show the live view on a terminal (off: only the final report)")]
    = True,
    verbose: Annotated[bool, typer.Option(help="whole ids, exact times and idempotency keys in the timeline")]
    = False,
    drift: Annotated[bool, typer.Option(help="instead of the upgrade and the fault: seed drift into A's and B's "
                                             "records once the service is active, and show reconciliation find it")]
    = False,
) -> None:
    """Run providers A, B and C on loopback: the enterprise's Jakarta-Singapore order to active, its upgrade, a fault
    on C's last mile ticketed from the enterprise down to C and repaired, the month's SLA, reconciliation.

    Exits 0 when every provider's end state agrees with the others (with --drift: when reconciliation found each
    seeded drift), 1 otherwise, 2 when the workdir is in use.
    """
    from counterpoint.demo.run import run_demo

    code = asyncio.run(run_demo(console, time_scale=time_scale, timeout_s=timeout, workdir=workdir, live=live,
                                verbose=verbose, drift=drift))
    raise typer.Exit(code)


@app.command()
def version() -> None:
    """Print the version."""
    console.print(__version__)
