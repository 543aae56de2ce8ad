"""How one of our offerings is built from segments, and the decomposition of a customer item into them.

An offering we sell that needs more than one provider is a `CompositeOffering`: a list of segment
templates. An access template takes one of the customer's places; whether we deliver it ourselves or buy
it is decided by the selection policy from the providers' capabilities (our own network is a provider too,
with adapter "own-network"). A core template (no place) is always ours.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from counterpoint.core.orchestration.registry import ProviderConfig
from counterpoint.core.orchestration.selection import Choice, Need, NoSupplier, Weights, select
from counterpoint.core.reconcile.policy import ReconcilePolicy


@dataclass(frozen=True, slots=True)
class SegmentTemplate:
    name: str
    spec_urn: str  # the product specification asked of the segment's provider
    place_index: int | None = None  # which of the customer item's places it serves; None: between places
    own: bool | None = None  # True: only ours; False: only a supplier; None: ours if we cover it, else buy
    configuration: dict[str, Any] | None = None  # payload to send; None: the customer's own configuration


@dataclass(frozen=True, slots=True)
class CompositeOffering:
    offering_id: str  # our productOffering the customer orders
    segments: tuple[SegmentTemplate, ...]
    test_hours: float = 2.0  # time the end-to-end activation test takes on the profile's clock
    margin_pct: Decimal = Decimal(25)  # on top of the cost basis, for quotes


@dataclass(frozen=True, slots=True)
class Orchestration:
    providers: tuple[ProviderConfig, ...]
    offerings: tuple[CompositeOffering, ...]
    weights: Weights = field(default_factory=Weights)
    max_test_attempts: int = 3
    reconciliation: ReconcilePolicy = field(default_factory=ReconcilePolicy)

    def offering(self, offering_id: str | None) -> CompositeOffering | None:
        return next((o for o in self.offerings if o.offering_id == offering_id), None)

    def provider(self, provider_id: str) -> ProviderConfig:
        for p in self.providers:
            if p.id == provider_id:
                return p
        raise KeyError(provider_id)


@dataclass(frozen=True, slots=True)
class Place:
    """A customer place resolved to what selection and suppliers need."""

    country: str | None
    city: str | None
    fielded: dict[str, Any]  # a MEF FieldedAddress any supplier can read


@dataclass(frozen=True, slots=True)
class SegmentPlan:
    name: str
    choice: Choice
    own: bool
    spec_urn: str
    configuration: dict[str, Any]
    places: list[dict[str, Any]]
    lead_time: timedelta


def decompose(orch: Orchestration, offering: CompositeOffering, *, places: list[Place],
              configuration: dict[str, Any], bandwidth_mbps: int | None) -> list[SegmentPlan]:
    """One plan per template; raises NoSupplier when a segment has no provider at all."""
    plans: list[SegmentPlan] = []
    for tmpl in offering.segments:
        place = places[tmpl.place_index] if tmpl.place_index is not None and tmpl.place_index < len(places) \
            else None
        if tmpl.place_index is not None and place is None:
            raise NoSupplier(Need(tmpl.spec_urn, None, None, bandwidth_mbps),
                             {"order": f"the item has no place #{tmpl.place_index} for segment {tmpl.name}"})
        country, city = (place.country, place.city) if place else (None, None)
        choice = _choose(orch, tmpl, country, city, bandwidth_mbps)
        own = orch.provider(choice.provider_id).adapter == "own-network"
        config = copy.deepcopy(tmpl.configuration if tmpl.configuration is not None else configuration)
        plans.append(SegmentPlan(
            name=tmpl.name, choice=choice, own=own, spec_urn=tmpl.spec_urn, configuration=config,
            places=[{**place.fielded, "role": "INSTALL_LOCATION"}] if place else [],
            lead_time=timedelta(days=choice.capability.lead_time_days)))
    return plans


def _choose(orch: Orchestration, tmpl: SegmentTemplate, country: str | None, city: str | None,
            bandwidth_mbps: int | None) -> Choice:
    providers = list(orch.providers)
    order = [True, False] if tmpl.own is None else [tmpl.own]
    excluded: dict[str, str] = {}
    for own in order:
        try:
            return select(providers, Need(tmpl.spec_urn, country, city, bandwidth_mbps, own_network=own),
                          orch.weights)
        except NoSupplier as exc:
            excluded.update(exc.excluded)
    raise NoSupplier(Need(tmpl.spec_urn, country, city, bandwidth_mbps), excluded)


def promised_completion(now: datetime, segment_dates: list[datetime | None], test_hours: float) -> datetime:
    """What we tell the customer: the last segment's date plus the end-to-end test."""
    known = [d for d in segment_dates if d is not None]
    return max(known, default=now) + timedelta(hours=test_hours)
