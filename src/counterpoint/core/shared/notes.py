"""Notes a buyer sends (MEF `Note`): the caller is always their author and their source.

MEF lets both parties write notes on an order or a quote, and every note says who wrote it (`author`) and
which party (`source`). A buyer's request cannot speak for the Seller: whatever `author`, `source` or `date`
it gives, a note it sends is stored as written by that buyer, now.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from counterpoint.core.shared.ids import new_id
from counterpoint.core.shared.times import iso

MAX_NOTE_TEXT = 2000


def buyer_note(note: dict[str, Any], *, buyer_id: str, at: datetime) -> dict[str, Any]:
    return {"id": str(note.get("id") or new_id()), "author": buyer_id, "date": iso(at), "source": "buyer",
            "text": str(note.get("text", ""))[:MAX_NOTE_TEXT]}


def own_notes(notes: Iterable[dict[str, Any]] | None, *, buyer_id: str, at: datetime,
              known: Iterable[dict[str, Any]] = ()) -> list[dict[str, Any]]:
    """The buyer's new notes (ids not among `known`), each authored by the buyer."""
    seen = {n.get("id") for n in known}
    out = []
    for note in notes or []:
        if note.get("id") not in seen:
            out.append(buyer_note(note, buyer_id=buyer_id, at=at))
            seen.add(out[-1]["id"])
    return out


def own_request_notes(doc: dict[str, Any], items_key: str, *, buyer_id: str, at: datetime) -> None:
    """On a create request: the notes of the resource and of each of its items become the buyer's."""
    for holder in (doc, *(doc.get(items_key) or [])):
        if isinstance(holder, dict) and holder.get("note"):
            holder["note"] = own_notes(holder["note"], buyer_id=buyer_id, at=at)
