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
    """A partner's identifier of one of its resources: which provider, which kind of resource, its id."""

    provider: str
    value: str
    kind: str = "productOrder"  # productOrder | quote | poq | product | serviceOrder | cancelProductOrder ...
