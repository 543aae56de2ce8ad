"""Fixtures shared by every test: databases (SQLite and PostgreSQL), a Seller app, a listener recorder."""

from __future__ import annotations

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


def _postgres_admin_url() -> str | None:
    return os.environ.get("COUNTERPOINT_TEST_POSTGRES_URL")


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str | None]:
    """A fresh PostgreSQL database for this test session (dropped at the end); None if not configured."""
    admin = _postgres_admin_url()
    if not admin:
        yield None
        return
    import asyncio

    name = f"cp_test_{uuid.uuid4().hex[:10]}"

    async def _admin(sql: str) -> None:
        engine = create_async_engine(admin, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as conn:
                await conn.execute(text(sql))
        finally:
            await engine.dispose()

    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, postgres_database: str | None) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'cp.db'}"
    if postgres_database:
        return postgres_database
    if os.environ.get("CI"):
        pytest.fail("CI must run the PostgreSQL tests: set COUNTERPOINT_TEST_POSTGRES_URL")
    pytest.skip("set COUNTERPOINT_TEST_POSTGRES_URL to run the PostgreSQL tests")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def profile():  # type: ignore[no-untyped-def]
    return load_profile(DEMO_PROFILE)


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
    """Tests share one PostgreSQL database per session: empty every table (the schema stays migrated)."""
    async with c.engine.begin() as conn:
        exists = (await conn.execute(text("SELECT to_regclass('public.alembic_version')"))).scalar()
        if exists is None:
            return
        names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
        if names:
            await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


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
