"""The providers we may buy from: how to reach them and what they can supply, as data from the profile."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from counterpoint.core.serviceability.countries import country_code


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 3  # tries of one call before the adapter gives up (SupplierUnavailable)
    backoff_s: float = 0.2  # first wait; doubles each time, with full jitter
    max_backoff_s: float = 2.0


@dataclass(frozen=True, slots=True)
class TimeoutPolicy:
    connect_s: float = 2.0
    read_s: float = 5.0  # a read that takes longer leaves the outcome UNKNOWN


@dataclass(frozen=True, slots=True)
class Capability:
    """One thing a provider can supply: an offering of theirs, where, how big, how fast, at what cost."""

    offering_id: str  # the supplier's productOffering id we order
    spec_urn: str  # product specification (the MEF product schema @type)
    countries: tuple[str, ...] = ()
    cities: tuple[str, ...] = ()
    max_bandwidth_mbps: int = 10_000
    lead_time_days: int = 20
    availability_pct: Decimal = Decimal("99.9")  # SLA the supplier commits to
    nrc: Decimal = Decimal(0)  # list prices, used to rank before any quote is in
    mrc: Decimal = Decimal(0)
    currency: str = "USD"

    def covers(self, *, country: str | None, city: str | None, bandwidth_mbps: int | None) -> bool:
        # a segment with no place (a core link between places) is not bound to any country or city
        if country is not None and self.countries and (country_code(country) or country.upper()) not in {
                country_code(c) or c.upper() for c in self.countries}:
            return False
        if city is not None and self.cities and city.casefold() not in {c.casefold() for c in self.cities}:
            return False
        return bandwidth_mbps is None or bandwidth_mbps <= self.max_bandwidth_mbps


@dataclass(frozen=True, slots=True)
class ProviderConfig:
    """A partner as our profile describes it. `adapter` picks the package in `suppliers/` that speaks to it."""

    id: str
    name: str
    adapter: str  # "mef-sonata" | "partner-json" | "own-network"
    base_url: str = ""
    api_key: str | None = None  # the credential they gave us (sent as a bearer token)
    buyer_id: str | None = None  # who we are to them (MEF buyerId query parameter), if they want it
    seller_id: str | None = None  # who they are (MEF sellerId), if they want it
    callback_secret: str | None = None  # shared secret signing their callbacks, for adapters that sign
    api_versions: dict[str, str] = field(default_factory=dict)  # function -> major version {"productOrder": "v10"}
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    timeout: TimeoutPolicy = field(default_factory=TimeoutPolicy)
    poll_interval_s: float = 30.0  # how often we read their orders when callbacks are quiet
    staleness_s: float = 300.0  # evidence older than this may be shown but does not drive decisions
    preference: int = 0  # higher wins ties in selection
    capabilities: tuple[Capability, ...] = ()
    options: dict[str, Any] = field(default_factory=dict)  # adapter-specific settings (e.g. own network SIPs)
