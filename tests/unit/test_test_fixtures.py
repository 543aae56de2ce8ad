"""The test machinery itself: the throwaway PostgreSQL's reasons to skip, the migrated SQLite template."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from counterpoint.storage.db import alembic_config
from counterpoint.storage.tables import metadata
from tests import throwaway_postgres as tp


def test_without_server_binaries_the_reason_says_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tp, "find_pg_ctl", lambda: None)
    with tp.throwaway_postgres() as (url, why):
        assert url is None
        assert "no PostgreSQL server binaries (pg_ctl) found" in why
        assert "COUNTERPOINT_TEST_POSTGRES_URL" in why


def test_as_root_without_a_server_account_the_reason_says_so(monkeypatch: pytest.MonkeyPatch,
                                                              tmp_path: Path) -> None:
    monkeypatch.setattr(tp, "SERVER_ACCOUNT", "no-such-account-here")
    wrapper, why = tp._as_server_account("/usr/bin/pg_ctl", tmp_path)
    assert wrapper is None
    assert "no 'no-such-account-here' account" in why


def test_debian_layout_is_found_when_pg_ctl_is_not_on_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for version in ("9.6", "15", "13"):
        binary = tmp_path / "usr/lib/postgresql" / version / "bin" / "pg_ctl"
        binary.parent.mkdir(parents=True)
        binary.write_text("#!/bin/sh\n")
        binary.chmod(0o755)
    monkeypatch.setattr(tp.shutil, "which", lambda name: None)
    real_glob = tp.glob.glob
    monkeypatch.setattr(tp.glob, "glob", lambda pattern: real_glob(str(tmp_path) + pattern)
                        if pattern.startswith("/usr/lib/postgresql") else [])
    assert tp.find_pg_ctl() == str(tmp_path / "usr/lib/postgresql/15/bin/pg_ctl")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_each_sqlite_test_starts_from_a_copy_of_the_fully_migrated_schema(database_url: str) -> None:
    path = database_url.split("///", 1)[1]
    with sqlite3.connect(path) as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        (version,) = db.execute("SELECT version_num FROM alembic_version").fetchone()
        rows = sum(db.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in metadata.tables)
    assert set(metadata.tables) <= tables
    assert version == ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()
    assert rows == 0


@pytest.mark.parametrize("database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
async def test_the_postgresql_reset_leaves_every_table_empty(database_url: str, client, container) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import func, select

    from tests.conftest import _reset_postgres
    from tests.helpers import BUYER_A

    hub = await client.post("/mefApi/sonata/productOrderingManagement/v10/hub", headers=BUYER_A,
                            json={"callback": "http://buyer.test/listener"})
    assert hub.status_code == 201, hub.text

    async def counts() -> dict[str, int]:
        async with container.engine.connect() as conn:
            return {t.name: (await conn.execute(select(func.count()).select_from(t))).scalar_one()
                    for t in metadata.sorted_tables}

    assert sum((await counts()).values()) > 0
    await _reset_postgres(container)
    assert set((await counts()).values()) == {0}
