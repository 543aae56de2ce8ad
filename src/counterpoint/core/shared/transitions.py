"""State machines as data: a mapping of allowed moves, checked in one place."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TypeVar

from counterpoint.core.shared.errors import TransitionNotAllowed

S = TypeVar("S", bound=StrEnum)


def check_transition(allowed: Mapping[S, frozenset[S]], what: str, current: S, target: S) -> None:
    if target not in allowed.get(current, frozenset()):
        raise TransitionNotAllowed(f"{what}: {current.value} -> {target.value} is not allowed")


def terminal_states(allowed: Mapping[S, frozenset[S]], states: type[S]) -> frozenset[S]:
    return frozenset(s for s in states if not allowed.get(s))
