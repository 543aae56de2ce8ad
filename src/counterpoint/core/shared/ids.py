"""Identifiers. Ours are ours; a partner's id is an ExternalRef and never replaces one of ours."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import NewType

PartyId = NewType("PartyId", str)


def new_id() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True, slots=True)
class ExternalRef:
    provider: str
    value: str
