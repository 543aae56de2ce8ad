"""A throwaway PostgreSQL server for a test session, when none is configured and the server binaries exist.

pytest-postgresql's executor runs `pg_ctl initdb` and `pg_ctl start` on a free port with a data directory
of its own; everything is removed when the session ends. PostgreSQL refuses to run as root, so as root
pg_ctl runs as the `postgres` account (through runuser or su) in a directory that account owns. Every way
this can be impossible comes back as a reason, which the PostgreSQL tests skip with.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SERVER_ACCOUNT = "postgres"


def find_pg_ctl() -> str | None:
    """pg_ctl on PATH, from pg_config, or under the Debian/Ubuntu layout (newest version)."""
    found = shutil.which("pg_ctl")
    if found:
        return found
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            bindir = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=True,
                                    timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            bindir = ""
        if bindir and os.access(Path(bindir) / "pg_ctl", os.X_OK):
            return str(Path(bindir) / "pg_ctl")
    candidates = glob.glob("/usr/lib/postgresql/*/bin/pg_ctl") + glob.glob("/usr/pgsql-*/bin/pg_ctl")

    def version(path: str) -> tuple[int, ...]:
        digits = "".join(c if c.isdigit() else " " for c in path).split()
        return tuple(int(d) for d in digits)

    candidates = [c for c in candidates if os.access(c, os.X_OK)]
    return max(candidates, key=version) if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_server_account(pg_ctl: str, base: Path) -> tuple[str | None, str]:
    """As root: a wrapper that runs pg_ctl as the `postgres` account, and `base` handed to it."""
    import pwd

    try:
        account = pwd.getpwnam(SERVER_ACCOUNT)
    except KeyError:
        return None, f"running as root and there is no '{SERVER_ACCOUNT}' account to run PostgreSQL as"
    runuser, su = shutil.which("runuser"), shutil.which("su")
    if runuser:
        line = f'exec {runuser} -u {SERVER_ACCOUNT} -- {pg_ctl} "$@"'
    elif su:
        line = f'exec {su} -s /bin/sh {SERVER_ACCOUNT} -c \'exec {pg_ctl} "$@"\' -- sh "$@"'
    else:
        return None, "running as root and neither runuser nor su is there to run PostgreSQL unprivileged"
    os.chown(base, account.pw_uid, account.pw_gid)
    base.chmod(0o755)
    wrapper = base / "pg_ctl"
    wrapper.write_text(f"#!/bin/sh\ncd {base}\n{line}\n")
    wrapper.chmod(0o755)
    return str(wrapper), ""


@contextmanager
def throwaway_postgres() -> Iterator[tuple[str | None, str]]:
    """Yields (admin URL, "") for a server started here, or (None, why it could not be)."""
    pg_ctl = find_pg_ctl()
    if pg_ctl is None:
        yield None, ("no PostgreSQL server binaries (pg_ctl) found and COUNTERPOINT_TEST_POSTGRES_URL is unset: "
                     "install PostgreSQL or point the variable at a server")
        return
    try:
        from pytest_postgresql.executors import PostgreSQLExecutor
    except ImportError:
        yield None, "pytest-postgresql is not installed (pip install -e '.[test]')"
        return
    base = Path(tempfile.mkdtemp(prefix="cp-pg-"))
    executable = pg_ctl
    try:
        if os.geteuid() == 0:
            wrapped, why = _as_server_account(pg_ctl, base)
            if wrapped is None:
                yield None, why
                return
            executable = wrapped
        port = _free_port()
        executor = PostgreSQLExecutor(
            executable=executable, host="127.0.0.1", port=port, datadir=str(base / "data"),
            unixsocketdir=str(base), logfile=str(base / "server.log"), startparams="-w", dbname="cp_test",
            postgres_options="-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
        try:
            executor.start()
        except Exception as exc:  # noqa: BLE001 - any failure to start is a reason to skip, with its text
            log = (base / "server.log").read_text(errors="replace")[-600:] if (base / "server.log").exists() else ""
            yield None, f"could not start a throwaway PostgreSQL with {pg_ctl}: {exc} {log}".strip()
            return
        try:
            yield f"postgresql+asyncpg://postgres@127.0.0.1:{port}/postgres", ""
        finally:
            executor.stop()
    finally:
        shutil.rmtree(base, ignore_errors=True)
