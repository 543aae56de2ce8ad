"""Fixtures shared by every test: databases (SQLite and PostgreSQL), a Seller app, a listener recorder."""

from __future__ import annotations

import copy
import functools
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from counterpoint.api.app import create_app
from counterpoint.bootstrap import Container, build
from counterpoint.core.shared.clock import ManualClock
from counterpoint.notifications.relay import OutboxRelay
from counterpoint.profiles.loader import load_profile
from counterpoint.settings import DEMO_PROFILE, Settings
from counterpoint.storage.tables import metadata
from tests.helpers import ListenerRecorder

pytest_plugins = ["tests.skip_summary"]  # the run ends with every skip and its reason


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[tuple[str | None, str]]:
    """(URL of a server the tests may create databases on, "") or (None, why there is none).

    COUNTERPOINT_TEST_POSTGRES_URL when set; otherwise a throwaway server started for this session when the
    PostgreSQL binaries are installed (tests/throwaway_postgres.py)."""
    configured = os.environ.get("COUNTERPOINT_TEST_POSTGRES_URL")
    if configured:
        yield configured, ""
        return
    from tests.throwaway_postgres import throwaway_postgres

    with throwaway_postgres() as found:
        yield found


@pytest.fixture(scope="session")
def postgres_database(postgres_admin: tuple[str | None, str]) -> Iterator[str | None]:
    """A fresh PostgreSQL database for this test session, migrated once (dropped at the end); None if there
    is no server."""
    admin, _ = postgres_admin
    if not admin:
        yield None
        return
    import asyncio

    from counterpoint.storage.db import create_engine, migrate

    name = f"cp_test_{uuid.uuid4().hex[:10]}"

    async def _admin(sql: str) -> None:
        engine = create_async_engine(admin, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as conn:
                await conn.execute(text(sql))
        finally:
            await engine.dispose()

    async def _migrate(url: str) -> None:
        engine = create_engine(url)
        try:
            await migrate(engine)
        finally:
            await engine.dispose()

    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    url = make_url(admin).set(database=name).render_as_string(hide_password=False)
    try:
        asyncio.run(_migrate(url))
        yield url
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite database migrated by Alembic per session; each test gets a copy of the file (the same schema
    a migration gives, at a file copy's cost)."""
    import asyncio

    from counterpoint.storage.db import create_engine, migrate

    path = tmp_path_factory.mktemp("template") / "migrated.db"

    async def _migrate() -> None:
        engine = create_engine(f"sqlite+aiosqlite:///{path}")
        try:
            await migrate(engine)
        finally:
            await engine.dispose()  # the last connection closing checkpoints the WAL into the file

    asyncio.run(_migrate())
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        import shutil

        target = tmp_path / "cp.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), target)
        return f"sqlite+aiosqlite:///{target}"
    postgres_database: str | None = request.getfixturevalue("postgres_database")  # only PostgreSQL tests start it
    if postgres_database:
        return postgres_database
    _, why = request.getfixturevalue("postgres_admin")
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the PostgreSQL tests: {why}")
    pytest.skip(why)


@functools.cache
def _demo_profile():  # type: ignore[no-untyped-def]
    return load_profile(DEMO_PROFILE)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def profile():  # type: ignore[no-untyped-def]
    """The demo profile, parsed once per session; each test gets its own deep copy."""
    return copy.deepcopy(_demo_profile())


@pytest.fixture
def recorder() -> ListenerRecorder:
    return ListenerRecorder()


@pytest.fixture
async def container(database_url: str, clock: ManualClock, profile, recorder: ListenerRecorder
                    ) -> AsyncIterator[Container]:  # type: ignore[no-untyped-def]
    settings = Settings(database_url=database_url, run_workers=False, public_base_url="http://seller.test")
    c = build(settings, clock=clock, profile=profile,
              http_factory=lambda: httpx.AsyncClient(transport=recorder.transport()))
    if database_url.startswith("postgresql"):
        await _reset_postgres(c)
    await c.start()
    try:
        yield c
    finally:
        await c.close()


async def _reset_postgres(c: Container) -> None:
    """Tests share one PostgreSQL database per session: empty every table (the schema stays migrated).

    DELETE, children first, not TRUNCATE: a test leaves a few rows, and TRUNCATE gives each table new files
    (about 1.3 s for the 19 tables on a server with fsync, against 20 ms). The outbox's sequence keeps
    counting, which only orders events; rows land wherever the heap has room, so no query may rely on
    insertion order without an ORDER BY that says so."""
    async with c.engine.begin() as conn:
        exists = (await conn.execute(text("SELECT to_regclass('public.alembic_version')"))).scalar()
        if exists is None:
            return
        for table in reversed(metadata.sorted_tables):
            await conn.execute(table.delete())


@pytest.fixture
def app(container: Container):  # type: ignore[no-untyped-def]
    return create_app(container, manage_lifecycle=False)


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://seller.test") as c:
        yield c


@pytest.fixture
def relay(container: Container) -> OutboxRelay:
    return container.relay(max_attempts=3, backoff_s=1.0)
