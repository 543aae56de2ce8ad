"""One background loop of a Seller process: a round (`run_once`, returns how much it moved) and its pause."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass
class Loop:
    name: str
    run_once: Callable[[], Awaitable[int]]
    interval_s: float
