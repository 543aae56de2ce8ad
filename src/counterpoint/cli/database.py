"""Which database a command uses, whether it is there, and whether another Seller is already serving it."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from filelock import FileLock, Timeout
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from counterpoint.core.shared.errors import Unavailable

ENV = "COUNTERPOINT_DATABASE_URL"
HOW = (f"Point at the database your Seller serves with --database-url URL or {ENV}=URL, "
       "e.g. --database-url sqlite+aiosqlite:////path/to/counterpoint.db (`counterpoint serve` creates one).")


# what reading a database that is missing, empty or unreachable raises
READ_ERRORS: tuple[type[BaseException], ...] = (SQLAlchemyError, OSError, Unavailable)


class NoDatabase(LookupError):
    """The command reads a database that is not there (or cannot be read)."""


class DatabaseInUse(RuntimeError):
    """Another process already serves this database file."""


def describe(url: str) -> str:
    """The URL without its password; an SQLite file with its absolute path."""
    parsed = make_url(url)
    path = sqlite_file(url)
    if path is not None:
        return f"{parsed.drivername}:///{path}"
    return parsed.render_as_string(hide_password=True)


def sqlite_file(url: str) -> Path | None:
    """The file of an SQLite URL (absolute), None for other databases and in-memory SQLite."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    if parsed.database.startswith("file:"):  # URI form: the path is before any query string
        return Path(parsed.database[5:].split("?")[0]).resolve()
    return Path(parsed.database).resolve()


def require_existing(url: str, *, default: bool) -> None:
    """Stop before opening a missing SQLite file (opening it would create an empty database)."""
    path = sqlite_file(url)
    if path is None or path.exists():
        return
    where = " (the default, relative to this directory)" if default else ""
    raise NoDatabase(f"No counterpoint database at {path}{where}. {HOW}")


def unreadable(url: str, exc: BaseException) -> NoDatabase:
    """A database error while reading, as a message naming the database and the way to point elsewhere."""
    while isinstance(exc, Unavailable) and exc.__cause__ is not None:  # the storage's wrapper: read its cause
        exc = exc.__cause__
    first = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    reason = first[0] if first else type(exc).__name__
    if "no such table" in reason or "does not exist" in reason:
        return NoDatabase(f"{describe(url)} holds no counterpoint tables ({reason}). {HOW}")
    return NoDatabase(f"Cannot read the database {describe(url)}: {reason}. {HOW}")


def serving_lock(url: str) -> contextlib.AbstractContextManager[object]:
    """Hold, for as long as the server runs, a lock beside the SQLite file; refuse if another process holds it.

    Two Sellers writing one SQLite file would each run workers over the other's orders. PostgreSQL is made
    for several processes and is not locked.
    """
    path = sqlite_file(url)
    if path is None:
        return contextlib.nullcontext()
    path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = path.with_name(path.name + ".serve.lock")
    lock = FileLock(str(lock_path), timeout=0)
    try:
        lock.acquire()
    except Timeout as exc:
        holder = _holder(lock_path)
        raise DatabaseInUse(
            f"Another process{holder} already serves {path} (lock {lock_path}). Stop it, or give this one its "
            "own database with --database-url.") from exc
    _note_holder(lock_path)
    return _Release(lock)


def _pid_file(lock_path: Path) -> Path:
    return lock_path.with_name(lock_path.name + ".pid")


def _note_holder(lock_path: Path) -> None:
    with contextlib.suppress(OSError):
        _pid_file(lock_path).write_text(str(os.getpid()))


def _holder(lock_path: Path) -> str:
    try:
        pid = _pid_file(lock_path).read_text().strip()
    except OSError:
        return ""
    return f" (pid {pid})" if pid.isdigit() else ""


class _Release(contextlib.AbstractContextManager[object]):
    def __init__(self, lock: object) -> None:
        self.lock = lock

    def __exit__(self, *exc: object) -> None:
        self.lock.release()  # type: ignore[attr-defined]
