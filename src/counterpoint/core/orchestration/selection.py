"""Which provider supplies a segment, and why: coverage first, then a weighted score.

The policy is data (weights from the profile). The choice keeps every candidate with its score and the
reasons others were excluded, so "why did we buy this from B?" has an answer in the record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from counterpoint.core.orchestration.registry import Capability, ProviderConfig


@dataclass(frozen=True, slots=True)
class Need:
    """What a segment needs: a product spec, at a place, at a bandwidth, with an SLA."""

    spec_urn: str
    country: str | None
    city: str | None
    bandwidth_mbps: int | None
    min_availability_pct: Decimal | None = None
    own_network: bool = False  # True: only our own network may supply it


@dataclass(frozen=True, slots=True)
class Weights:
    """How much each criterion counts; each criterion scores 0..1 against the best candidate."""

    price: float = 0.5
    lead_time: float = 0.3
    sla: float = 0.1
    preference: float = 0.1


@dataclass(frozen=True, slots=True)
class Candidate:
    provider_id: str
    capability: Capability
    score: float


@dataclass(frozen=True, slots=True)
class Choice:
    provider_id: str
    capability: Capability
    reasons: tuple[str, ...]
    candidates: tuple[Candidate, ...] = ()
    excluded: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"provider": self.provider_id, "offering": self.capability.offering_id,
                "reasons": list(self.reasons),
                "candidates": [{"provider": c.provider_id, "offering": c.capability.offering_id,
                                "score": round(c.score, 4)} for c in self.candidates],
                "excluded": dict(self.excluded)}


class NoSupplier(Exception):
    def __init__(self, need: Need, excluded: dict[str, str]) -> None:
        where = ", ".join(x for x in (need.city, need.country) if x) or "anywhere"
        super().__init__(f"no provider can supply {need.spec_urn} at {where}"
                         + (f" ({need.bandwidth_mbps} Mb/s)" if need.bandwidth_mbps else ""))
        self.need = need
        self.excluded = excluded


def _ratio(values: list[float], value: float, *, low_is_good: bool) -> float:
    """How close to the best candidate, as a ratio (1.0 is the best): 10 % dearer scores about 0.91."""
    best = min(values) if low_is_good else max(values)
    if low_is_good:
        return 1.0 if value <= 0 else max(best, 0.0) / value
    return 1.0 if best <= 0 else value / best


def _spread(values: list[float], value: float) -> float:
    lo, hi = min(values), max(values)
    return 1.0 if hi == lo else (value - lo) / (hi - lo)


def select(providers: list[ProviderConfig], need: Need, weights: Weights = Weights()) -> Choice:
    """The best provider for `need`, or NoSupplier naming why each was excluded."""
    excluded: dict[str, str] = {}
    pool: list[tuple[ProviderConfig, Capability]] = []
    for provider in providers:
        if need.own_network != (provider.adapter == "own-network"):
            excluded[provider.id] = "our own network" if provider.adapter == "own-network" else "a supplier"
            continue
        fits = [c for c in provider.capabilities if c.spec_urn == need.spec_urn]
        if not fits:
            excluded[provider.id] = f"does not offer {need.spec_urn}"
            continue
        covering = [c for c in fits if c.covers(country=need.country, city=need.city,
                                                bandwidth_mbps=need.bandwidth_mbps)]
        if not covering:
            excluded[provider.id] = "does not cover the place or the bandwidth"
            continue
        if need.min_availability_pct is not None:
            covering = [c for c in covering if c.availability_pct >= need.min_availability_pct]
            if not covering:
                excluded[provider.id] = f"SLA below {need.min_availability_pct}%"
                continue
        pool.extend((provider, c) for c in covering)
    if not pool:
        raise NoSupplier(need, excluded)
    # 12 months of charges as the price criterion: installation counts, but the monthly fee dominates
    prices = [float(c.nrc + 12 * c.mrc) for _, c in pool]
    leads = [float(c.lead_time_days) for _, c in pool]
    slas = [float(c.availability_pct) for _, c in pool]
    prefs = [float(p.preference) for p, _ in pool]
    scored: list[Candidate] = []
    for (provider, cap), price, lead, sla, pref in zip(pool, prices, leads, slas, prefs, strict=True):
        score = (weights.price * _ratio(prices, price, low_is_good=True)
                 + weights.lead_time * _ratio(leads, lead, low_is_good=True)
                 + weights.sla * _ratio(slas, sla, low_is_good=False)
                 + weights.preference * _spread(prefs, pref))
        scored.append(Candidate(provider.id, cap, score))
    # ties: the higher preference, then the provider id, so the choice is deterministic
    by_id = {p.id: p for p, _ in pool}
    scored.sort(key=lambda c: (-c.score, -by_id[c.provider_id].preference, c.provider_id))
    best = scored[0]
    reasons = [f"covers {need.city or need.country or 'the place'}",
               f"{best.capability.lead_time_days} days lead time",
               f"{best.capability.currency} {best.capability.nrc} + {best.capability.mrc}/month list price",
               f"SLA {best.capability.availability_pct}%"]
    if len(scored) > 1:
        reasons.append(f"best score {best.score:.3f} of {len(scored)} candidates")
    return Choice(best.provider_id, best.capability, tuple(reasons), tuple(scored), excluded)
