"""How the MEF documents write instants, and the state change entries they log."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def iso(at: datetime) -> str:
    """An aware datetime as MEF writes it: ISO 8601, UTC as `Z`."""
    return at.isoformat().replace("+00:00", "Z")


def parse_aware(text: Any) -> datetime | None:
    """A date-time with a zone, or None when the text is not one (naive times are not instants)."""
    try:
        at = datetime.fromisoformat(str(text))
    except ValueError:
        return None
    return at if at.tzinfo is not None else None


def state_change(state: str, at: datetime, reason: str | None = None) -> dict[str, Any]:
    """One entry of a MEF `stateChange` log (the reason cut to the 255 characters MEF allows)."""
    entry: dict[str, Any] = {"changeDate": iso(at), "state": state}
    if reason:
        entry["changeReason"] = reason[:255]
    return entry
