"""Seller profiles: YAML, validated with Pydantic, turned into core objects."""

from __future__ import annotations

import difflib
import hashlib
import re
import string
import typing
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from counterpoint.core.orchestration import plan as o
from counterpoint.core.orchestration import registry as r
from counterpoint.core.orchestration.selection import Weights
from counterpoint.core.reconcile.policy import ReconcilePolicy
from counterpoint.core.seller import model as m
from counterpoint.core.serviceability.countries import country_code, suggestions
from counterpoint.core.sla import model as sla


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class BuyerIn(_Strict):
    id: str
    name: str | None = None
    api_key: str | None = Field(default=None, alias="apiKey")
    api_key_sha256: str | None = Field(default=None, alias="apiKeySha256")

    @model_validator(mode="after")
    def _one_key(self) -> BuyerIn:
        if bool(self.api_key) == bool(self.api_key_sha256):
            raise ValueError(f"buyer {self.id}: give exactly one of apiKey or apiKeySha256")
        return self


def _country(value: str) -> str:
    code = country_code(value)
    if code is None:
        close = suggestions(value)
        hint = f" (did you mean {' or '.join(close)}?)" if close else ""
        raise ValueError(f"unknown country {value!r}{hint}: give an ISO 3166 code (HU, HUN) or name (Hungary)")
    return code


Country = Annotated[str, AfterValidator(_country)]


class AddressIn(_Strict):
    """A known address in MEF FieldedAddress terms; its country by ISO 3166 code or name, kept as alpha-2."""

    id: str
    area: str | None = None
    streetNr: str | None = None
    streetNrSuffix: str | None = None
    streetNrLast: str | None = None
    streetNrLastSuffix: str | None = None
    streetName: str | None = None
    streetType: str | None = None
    streetSuffix: str | None = None
    locality: str | None = None
    city: str
    stateOrProvince: str | None = None
    postcode: str | None = None
    postcodeExtension: str | None = None
    country: Country


class SiteIn(_Strict):
    id: str
    address: str
    name: str
    type: Literal["public", "private"] = "public"
    company: str | None = None
    description: str | None = None
    buyers: list[str] = []


class AreaIn(_Strict):
    id: str
    countries: list[Country] = []
    cities: list[str] = []
    postcodePrefixes: list[str] = []


class OfferingIn(_Strict):
    id: str
    name: str
    spec: str
    areas: list[str]
    maxBandwidthMbps: int = Field(gt=0)
    installationDays: int = Field(ge=0)


class PriceIn(_Strict):
    offering: str
    upToMbps: int = Field(gt=0)
    nrc: Decimal
    mrc: Decimal
    currency: str = "USD"
    termMonths: int = 12


class LeadTimesIn(_Strict):
    poqDeferredDays: float = 1.0
    quoteDays: float = 2.0
    siteSurveyDays: float = 5.0
    orderAckDays: float = 0.0
    chargeResponseDays: float = 3.0


class MatchIn(_Strict):
    offering: str | None = None
    address: str | None = None
    city: str | None = None
    country: Country | None = None
    buyer: str | None = None
    externalIdPrefix: str | None = None
    minBandwidthMbps: int | None = None


class ChargeIn(_Strict):
    description: str
    amount: Decimal
    currency: str = "USD"
    priceType: Literal["nonRecurring", "recurring", "usageBased"] = "nonRecurring"


class ScenarioIn(_Strict):
    name: str
    when: MatchIn = MatchIn()
    poqDeferred: bool = False
    poqUnserviceable: str | None = None
    quoteSiteSurvey: bool = False
    quoteNotInstant: bool = False
    quoteDeclined: str | None = None
    deliverySlipDays: float = 0.0
    rejectItem: str | None = None
    failItem: str | None = None
    holdForCharge: ChargeIn | None = None
    rejectCancellation: str | None = None
    visitOutcome: Literal["done", "rescheduledBySeller", "noShow", "noAccess", "incomplete"] | None = None
    installationVisit: bool = False


_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CLOCK = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")


def _time_of_day(value: str) -> str:
    if not _CLOCK.match(value):
        raise ValueError(f"{value!r} is not a time of day as HH:MM (24 h, UTC)")
    return value


TimeOfDay = Annotated[str, AfterValidator(_time_of_day)]


def _minutes_of(text: str) -> int:
    return int(text[:2]) * 60 + int(text[3:])


class WorkforceIn(_Strict):
    """Field technicians (MEF 137): their days and hours (UTC), the slots a visit is booked in, and timings."""

    technicians: int = Field(default=2, ge=1, le=1000)
    workingDays: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = Field(
        default=["mon", "tue", "wed", "thu", "fri"], min_length=1)
    dayStart: TimeOfDay = "08:00"
    dayEnd: TimeOfDay = "17:00"
    slotMinutes: int = Field(default=120, ge=5, le=24 * 60)
    leadHours: float = Field(default=24.0, ge=0)
    visitMinutes: int = Field(default=90, ge=1)
    unattendedStartHours: float = Field(default=4.0, ge=0)
    sellerRescheduleNoticeHours: float = Field(default=12.0, ge=0)
    searchHorizonDays: int = Field(default=62, ge=1, le=366)
    maxOfferedSlots: int = Field(default=100, ge=1, le=1000)

    # checked on the field itself, so a mistake is reported at that field's line (the fields it depends on come
    # earlier in the class, so they are validated already)
    @field_validator("slotMinutes")
    @classmethod
    def _slot_fits_the_day(cls, value: int, info: ValidationInfo) -> int:
        start, end = info.data.get("dayStart"), info.data.get("dayEnd")
        if start and end and _minutes_of(end) - _minutes_of(start) < value:
            raise ValueError(f"no {value}-minute slot fits between dayStart {start} and dayEnd {end}")
        return value

    @field_validator("visitMinutes")
    @classmethod
    def _visit_fits_a_slot(cls, value: int, info: ValidationInfo) -> int:
        slot = info.data.get("slotMinutes")
        if slot is not None and value > slot:
            raise ValueError(f"visitMinutes ({value}) must fit in a slot ({slot} minutes): a technician's visit "
                             "ends within the slot booked for it")
        return value

    def to_core(self) -> m.Workforce:
        def at(text: str) -> time:
            return time(int(text[:2]), int(text[3:]))

        return m.Workforce(
            technicians=self.technicians, working_days=frozenset(_DAYS.index(d) for d in self.workingDays),
            day_start=at(self.dayStart), day_end=at(self.dayEnd), slot=timedelta(minutes=self.slotMinutes),
            lead=timedelta(hours=self.leadHours), visit=timedelta(minutes=self.visitMinutes),
            unattended_start=timedelta(hours=self.unattendedStartHours),
            seller_reschedule_notice=timedelta(hours=self.sellerRescheduleNoticeHours),
            search_horizon=timedelta(days=self.searchHorizonDays), max_offered=self.maxOfferedSlots)


class CapabilityIn(_Strict):
    offering: str
    spec: str
    countries: list[Country] = []
    cities: list[str] = []
    maxBandwidthMbps: int = Field(default=10_000, gt=0)
    leadTimeDays: int = Field(default=20, ge=0)
    availabilityPct: Decimal = Decimal("99.9")
    nrc: Decimal = Decimal(0)
    mrc: Decimal = Decimal(0)
    currency: str = "USD"


class RetryIn(_Strict):
    attempts: int = Field(default=3, ge=1)
    backoffS: float = Field(default=0.2, ge=0)
    maxBackoffS: float = Field(default=2.0, ge=0)


class TimeoutIn(_Strict):
    connectS: float = Field(default=2.0, gt=0)
    readS: float = Field(default=5.0, gt=0)


class ProviderIn(_Strict):
    id: str
    name: str | None = None
    adapter: Literal["mef-sonata", "partner-json", "own-network"]
    baseUrl: str = ""
    apiKey: str | None = None
    buyerId: str | None = None
    sellerId: str | None = None
    callbackSecret: str | None = None
    apiVersions: dict[str, str] = {}
    retry: RetryIn = RetryIn()
    timeout: TimeoutIn = TimeoutIn()
    pollIntervalS: float = Field(default=30.0, gt=0)
    stalenessS: float = Field(default=300.0, gt=0)
    preference: int = 0
    capabilities: list[CapabilityIn] = []
    options: dict[str, Any] = {}

    def to_core(self) -> r.ProviderConfig:
        return r.ProviderConfig(
            id=self.id, name=self.name or self.id, adapter=self.adapter, base_url=self.baseUrl,
            api_key=self.apiKey, buyer_id=self.buyerId, seller_id=self.sellerId,
            callback_secret=self.callbackSecret, api_versions=dict(self.apiVersions),
            retry=r.RetryPolicy(self.retry.attempts, self.retry.backoffS, self.retry.maxBackoffS),
            timeout=r.TimeoutPolicy(self.timeout.connectS, self.timeout.readS),
            poll_interval_s=self.pollIntervalS, staleness_s=self.stalenessS, preference=self.preference,
            capabilities=tuple(r.Capability(
                offering_id=c.offering, spec_urn=c.spec, countries=tuple(c.countries), cities=tuple(c.cities),
                max_bandwidth_mbps=c.maxBandwidthMbps, lead_time_days=c.leadTimeDays,
                availability_pct=c.availabilityPct, nrc=c.nrc, mrc=c.mrc, currency=c.currency)
                for c in self.capabilities),
            options=dict(self.options))


class SegmentIn(_Strict):
    name: str
    spec: str
    place: int | None = Field(default=None, ge=0)
    own: bool | None = None
    configuration: dict[str, Any] | None = None


class CompositeOfferingIn(_Strict):
    offering: str
    segments: list[SegmentIn] = Field(min_length=1)
    testHours: float = Field(default=2.0, ge=0)
    marginPct: Decimal = Decimal(25)


class WeightsIn(_Strict):
    price: float = 0.5
    leadTime: float = 0.3
    sla: float = 0.1
    preference: float = 0.1


class ReconciliationIn(_Strict):
    intervalS: float = Field(default=3600.0, gt=0)
    repair: bool = True
    graceS: float = Field(default=600.0, ge=0)
    serviceStalenessS: float = Field(default=30 * 86400.0, gt=0)
    pageSize: int = Field(default=500, ge=1, le=10_000)

    def to_core(self) -> ReconcilePolicy:
        return ReconcilePolicy(interval_s=self.intervalS, repair=self.repair, grace_s=self.graceS,
                               service_staleness_s=self.serviceStalenessS, page_size=self.pageSize)


class OrchestrationIn(_Strict):
    weights: WeightsIn = WeightsIn()
    maxTestAttempts: int = Field(default=3, ge=1)
    offerings: list[CompositeOfferingIn] = []
    reconciliation: ReconciliationIn = ReconciliationIn()


class PlaceIn(_Strict):
    """Where an existing product is installed: a known address or site of the profile, or a MEF place as is."""

    address: str | None = None
    site: str | None = None
    role: str = "INSTALL_LOCATION"
    value: dict[str, Any] | None = None  # a RelatedPlaceRefOrValue written out (e.g. a FieldedAddress)

    @model_validator(mode="after")
    def _one(self) -> PlaceIn:
        if sum(x is not None for x in (self.address, self.site, self.value)) != 1:
            raise ValueError("a place gives exactly one of address, site or value")
        return self

    def to_mef(self) -> dict[str, Any]:
        if self.address is not None:
            return {"@type": "GeographicAddressRef", "id": self.address, "role": self.role}
        if self.site is not None:
            return {"@type": "GeographicSiteRef", "id": self.site, "role": self.role}
        return {"role": self.role, **(self.value or {})}


class ExistingProductIn(_Strict):
    """A product a Buyer already has (MEF 116), seeded into the inventory when the Seller starts."""

    id: str = Field(min_length=1, max_length=128)
    buyer: str
    offering: str
    spec: str | None = None  # default: the offering's
    configuration: dict[str, Any] = {}
    places: list[PlaceIn] = []
    status: Literal["active", "suspended", "pendingActive", "active.pendingChange", "pendingTerminate",
                    "suspendedPendingTerminate", "terminated", "cancelled"] = "active"
    startDate: datetime | date | None = None
    interface: Literal["sonata", "cantata"] = "sonata"
    externalId: str | None = None
    billingAccount: str | None = None

    def start(self) -> datetime | None:
        when = self.startDate
        if when is None:
            return None
        if not isinstance(when, datetime):
            when = datetime(when.year, when.month, when.day, tzinfo=UTC)
        return when if when.tzinfo else when.replace(tzinfo=UTC)


class TierIn(_Strict):
    belowPct: Decimal = Field(gt=0, le=100)
    pct: Decimal = Field(ge=0, le=100)


class CustomerSlaIn(_Strict):
    """The SLA of one of our offerings (no offering: every offering without its own)."""

    offering: str | None = None
    availabilityPct: Decimal = Field(default=Decimal("99.9"), gt=0, le=100)
    credits: list[TierIn] = []  # creditPct of the service's monthly charge below each availability
    excludeMaintenance: bool = True
    countDegraded: bool = False


class SupplierOlaIn(_Strict):
    provider: str
    repairHours: Decimal = Field(default=Decimal(4), gt=0)
    availabilityPct: Decimal = Field(default=Decimal("99.9"), gt=0, le=100)
    penalties: list[TierIn] = []  # penalty percent of the segment's monthly charge below each availability
    missedRepairPenalty: Decimal = Field(default=Decimal(0), ge=0)
    excludeMaintenance: bool = True
    countDegraded: bool = False


class CommitmentsIn(_Strict):
    maxClockSkewMinutes: float = Field(default=10.0, ge=0)
    customer: list[CustomerSlaIn] = []
    suppliers: list[SupplierOlaIn] = []

    def to_core(self) -> sla.Commitments:
        def tiers(items: list[TierIn]) -> tuple[sla.Tier, ...]:
            return tuple(sla.Tier(below_pct=t.belowPct, pct=t.pct) for t in items)

        return sla.Commitments(
            customer=tuple(sla.CustomerSla(offering_id=c.offering, availability_pct=c.availabilityPct,
                                           credits=tiers(c.credits), exclude_maintenance=c.excludeMaintenance,
                                           count_degraded=c.countDegraded) for c in self.customer),
            suppliers=tuple(sla.SupplierOla(supplier=o.provider, repair_hours=o.repairHours,
                                            availability_pct=o.availabilityPct, penalties=tiers(o.penalties),
                                            missed_repair_penalty=o.missedRepairPenalty,
                                            exclude_maintenance=o.excludeMaintenance,
                                            count_degraded=o.countDegraded) for o in self.suppliers),
            max_clock_skew=timedelta(minutes=self.maxClockSkewMinutes))

    def problems(self, offerings: set[str], providers: set[str]) -> list[str]:
        out = [f"commitments: SLA for unknown offering {c.offering}" for c in self.customer
               if c.offering is not None and c.offering not in offerings]
        out += [f"commitments: OLA for unknown provider {o.provider}" for o in self.suppliers
                if o.provider not in providers]
        return out

    @model_validator(mode="after")
    def _once_each(self) -> CommitmentsIn:
        named = [c.offering for c in self.customer]
        twice = [f"two SLAs for {f'offering {o}' if o else 'every offering (no offering named)'}"
                 for o in sorted(set(named), key=lambda x: x or "") if named.count(o) > 1]
        ids = [o.provider for o in self.suppliers]
        twice += [f"two OLAs for provider {i}" for i in sorted(set(ids)) if ids.count(i) > 1]
        if twice:
            raise ValueError("; ".join(twice))
        return self


def _instant(when: datetime | date) -> datetime:
    if not isinstance(when, datetime):
        return datetime(when.year, when.month, when.day, tzinfo=UTC)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


class MaintenanceIn(_Strict):
    """A planned maintenance window, announced as MEF 124 incidents to the buyers of the products it touches."""

    id: str = Field(min_length=1, max_length=128)
    start: datetime | date
    end: datetime | date
    description: str = Field(min_length=1, max_length=2000)
    products: list[str] = []
    offerings: list[str] = []
    areas: list[str] = []
    impact: Literal["down", "degraded", "intermittent"] = "down"
    type: Literal["maintenance", "repair", "installation"] = "maintenance"
    priority: Literal["low", "medium", "high", "critical"] | None = None
    severity: Literal["minor", "moderate", "significant", "extensive"] | None = None

    def to_core(self) -> m.PlannedMaintenance:
        return m.PlannedMaintenance(
            id=self.id, start=_instant(self.start), end=_instant(self.end), description=self.description,
            product_ids=tuple(self.products), offering_ids=tuple(self.offerings), area_ids=tuple(self.areas),
            impact=self.impact, incident_type=self.type, priority=self.priority, severity=self.severity)


Priority = Literal["low", "medium", "high", "critical"]  # MEF 124 TroubleTicketPriorityType
Severity = Literal["minor", "moderate", "significant", "extensive"]  # TroubleTicketSeverityType


class RepairTimeIn(_Strict):
    """Time to resolve the tickets it matches (first match wins); no field matches every ticket."""

    offering: str | None = None
    priority: Priority | None = None
    severity: Severity | None = None
    hours: float = Field(gt=0)


class TicketMatchIn(_Strict):
    offering: str | None = None
    buyer: str | None = None
    externalIdPrefix: str | None = None
    descriptionKeyword: str | None = Field(default=None, min_length=1)
    priority: Priority | None = None
    severity: Severity | None = None


class TicketScenarioIn(_Strict):
    name: str
    when: TicketMatchIn = TicketMatchIn()
    needsInformation: str | None = Field(default=None, min_length=1)  # what the Seller asks the Buyer
    customerEquipment: str | None = Field(default=None, min_length=1)  # the resolution note's words
    lateHours: float = Field(default=0.0, ge=0)  # resolved this long after the committed date
    needsVisit: str | None = Field(default=None, min_length=1)  # what the technician is to do on site

    def does_something(self) -> bool:
        return bool(self.needsInformation or self.customerEquipment or self.lateHours or self.needsVisit)


class AssuranceIn(_Strict):
    """Trouble tickets (MEF 124): how long this Seller takes, and how some repairs go."""

    acknowledgeHours: float = Field(default=0.25, ge=0)  # acknowledged (or reopened) -> inProgress
    repairHours: float = Field(default=24.0, gt=0)  # when no repairTimes rule matches
    repairTimes: list[RepairTimeIn] = []
    confirmationHours: float = Field(default=72.0, gt=0)  # resolved -> closed without the Buyer's answer
    cancellationHours: float = Field(default=1.0, ge=0)  # assessingCancellation -> cancelled
    scenarios: list[TicketScenarioIn] = []

    def problems(self, offerings: set[str], buyers: set[str]) -> list[str]:
        out = [f"assurance repair time: unknown offering {r.offering}" for r in self.repairTimes
               if r.offering is not None and r.offering not in offerings]
        out += [f"assurance scenario {s.name}: unknown offering {s.when.offering}" for s in self.scenarios
                if s.when.offering is not None and s.when.offering not in offerings]
        out += [f"assurance scenario {s.name}: unknown buyer {s.when.buyer}" for s in self.scenarios
                if s.when.buyer is not None and s.when.buyer not in buyers]
        out += [f"assurance: no needsInformation, customerEquipment, lateHours or needsVisit in scenario {s.name}"
                for s in self.scenarios if not s.does_something()]
        return out

    def to_core(self) -> m.Assurance:
        return m.Assurance(
            acknowledge_hours=self.acknowledgeHours, default_repair_hours=self.repairHours,
            repair_times=tuple(m.RepairTime(hours=r.hours, offering=r.offering, priority=r.priority,
                                            severity=r.severity) for r in self.repairTimes),
            confirmation_hours=self.confirmationHours, cancellation_hours=self.cancellationHours,
            scenarios=tuple(m.TicketScenario(
                name=s.name, match=m.Match(offering=s.when.offering, buyer=s.when.buyer,
                                           external_id_prefix=s.when.externalIdPrefix,
                                           description_keyword=s.when.descriptionKeyword,
                                           priority=s.when.priority, severity=s.when.severity),
                needs_information=s.needsInformation, customer_equipment=s.customerEquipment,
                late_hours=s.lateHours, needs_visit=s.needsVisit) for s in self.scenarios))


class ProfileIn(_Strict):
    seller: dict[str, str]
    validation: Literal["strict", "lenient"] = "strict"
    quoteValidityDays: int = 30
    quoteTermsMonths: list[int] = [12, 24, 36]  # the contract terms the Seller quotes
    buyers: list[BuyerIn]
    areas: list[AreaIn] = []
    addresses: list[AddressIn] = []
    sites: list[SiteIn] = []
    offerings: list[OfferingIn] = []
    priceBook: list[PriceIn] = []
    leadTimes: LeadTimesIn = LeadTimesIn()
    scenarios: list[ScenarioIn] = []
    providers: list[ProviderIn] = []
    orchestration: OrchestrationIn | None = None
    inventory: list[ExistingProductIn] = []
    commitments: CommitmentsIn = CommitmentsIn()  # customer SLAs and suppliers' OLAs (core/sla)
    workforce: WorkforceIn = WorkforceIn()
    maintenance: list[MaintenanceIn] = []
    assurance: AssuranceIn = AssuranceIn()  # trouble tickets (core/trouble_ticket)

    @model_validator(mode="after")
    def _references(self) -> ProfileIn:
        if "id" not in self.seller:
            raise ValueError("seller.id is required")
        areas = {a.id for a in self.areas}
        addresses = {a.id for a in self.addresses}
        offerings = {o.id for o in self.offerings}
        buyers = {b.id for b in self.buyers}
        problems = [f"address {a.id}: unknown area {a.area}" for a in self.addresses
                    if a.area and a.area not in areas]
        problems += [f"site {s.id}: unknown address {s.address}" for s in self.sites if s.address not in addresses]
        problems += [f"site {s.id}: unknown buyer {b}" for s in self.sites for b in s.buyers if b not in buyers]
        problems += [f"offering {o.id}: unknown area {a}" for o in self.offerings for a in o.areas
                     if a not in areas]
        problems += [f"price for unknown offering {p.offering}" for p in self.priceBook
                     if p.offering not in offerings]
        problems += [f"scenario {s.name}: unknown offering {s.when.offering}" for s in self.scenarios
                     if s.when.offering and s.when.offering not in offerings]
        if self.orchestration is not None:
            problems += [f"orchestration: unknown offering {c.offering}" for c in self.orchestration.offerings
                         if c.offering not in offerings]
            specs = {cap.spec for p in self.providers for cap in p.capabilities}
            problems += [f"orchestration {c.offering}: no provider offers {s.spec} (segment {s.name})"
                         for c in self.orchestration.offerings for s in c.segments if s.spec not in specs]
        ids = [p.id for p in self.providers]
        problems += [f"provider {i} is listed twice" for i in sorted(set(ids)) if ids.count(i) > 1]
        problems += self._inventory_problems(buyers, addresses)
        problems += self.commitments.problems(offerings, set(ids))
        problems += self._maintenance_problems(areas, offerings)
        problems += self.assurance.problems(offerings, buyers)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _inventory_problems(self, buyers: set[str], addresses: set[str]) -> list[str]:
        by_id = {o.id: o for o in self.offerings}
        sites = {s.id for s in self.sites}
        problems: list[str] = []
        ids = [p.id for p in self.inventory]
        problems += [f"inventory: product {i} is listed twice" for i in sorted(set(ids)) if ids.count(i) > 1]
        for p in self.inventory:
            if p.buyer not in buyers:
                problems.append(f"inventory product {p.id}: unknown buyer {p.buyer}")
            offering = by_id.get(p.offering)
            if offering is None:
                problems.append(f"inventory product {p.id}: unknown offering {p.offering}")
            elif p.spec and p.spec != offering.spec:
                problems.append(f"inventory product {p.id}: spec {p.spec} is not offering {p.offering}'s "
                                f"({offering.spec})")
            at = p.configuration.get("@type")
            if at and offering is not None and at != (p.spec or offering.spec):
                problems.append(f"inventory product {p.id}: configuration @type {at} is not the product's spec")
            problems += [f"inventory product {p.id}: unknown address {pl.address}" for pl in p.places
                         if pl.address is not None and pl.address not in addresses]
            problems += [f"inventory product {p.id}: unknown site {pl.site}" for pl in p.places
                         if pl.site is not None and pl.site not in sites]
        return problems

    def _maintenance_problems(self, areas: set[str], offerings: set[str]) -> list[str]:
        ids = [w.id for w in self.maintenance]
        problems = [f"maintenance window {i} is listed twice" for i in sorted(set(ids)) if ids.count(i) > 1]
        for w in self.maintenance:
            if _instant(w.end) <= _instant(w.start):
                problems.append(f"maintenance: the end is not after the start in window {w.id}")
            if not (w.products or w.offerings or w.areas):
                problems.append(f"maintenance: no products, offerings or areas named in window {w.id}")
            problems += [f"maintenance window {w.id}: unknown offering {o}" for o in w.offerings
                         if o not in offerings]
            problems += [f"maintenance window {w.id}: unknown area {a}" for a in w.areas if a not in areas]
        return problems

    def _inventory(self) -> tuple[m.ExistingProduct, ...]:
        specs = {o.id: o.spec for o in self.offerings}
        out = []
        for p in self.inventory:
            spec = p.spec or specs[p.offering]
            out.append(m.ExistingProduct(
                id=p.id, buyer_id=p.buyer, offering_id=p.offering, spec_urn=spec,
                configuration={"@type": spec, **p.configuration}, places=tuple(pl.to_mef() for pl in p.places),
                start_date=p.start(), status=p.status, channel=p.interface, external_id=p.externalId,
                billing_account_id=p.billingAccount))
        return tuple(out)

    def _orchestration(self) -> o.Orchestration | None:
        if self.orchestration is None and not self.providers:
            return None
        cfg = self.orchestration or OrchestrationIn()
        w = cfg.weights
        return o.Orchestration(
            providers=tuple(p.to_core() for p in self.providers),
            offerings=tuple(o.CompositeOffering(
                offering_id=c.offering, test_hours=c.testHours, margin_pct=c.marginPct,
                segments=tuple(o.SegmentTemplate(name=s.name, spec_urn=s.spec, place_index=s.place, own=s.own,
                                                 configuration=s.configuration) for s in c.segments))
                for c in cfg.offerings),
            weights=Weights(price=w.price, lead_time=w.leadTime, sla=w.sla, preference=w.preference),
            max_test_attempts=cfg.maxTestAttempts, reconciliation=cfg.reconciliation.to_core())

    def to_core(self) -> m.SellerProfile:
        return m.SellerProfile(
            seller_id=self.seller["id"],
            name=self.seller.get("name", self.seller["id"]),
            validation=m.ValidationPolicy(self.validation),
            quote_validity_days=self.quoteValidityDays,
            quote_terms_months=tuple(sorted(set(self.quoteTermsMonths))) or (12,),
            buyers=tuple(m.Buyer(id=b.id, name=b.name or b.id, api_key_sha256=(
                b.api_key_sha256 or hashlib.sha256((b.api_key or "").encode()).hexdigest()))
                for b in self.buyers),
            areas=tuple(m.CoverageArea(id=a.id, countries=tuple(a.countries), cities=tuple(a.cities),
                                       postcode_prefixes=tuple(a.postcodePrefixes)) for a in self.areas),
            addresses=tuple(m.KnownAddress(
                id=a.id, area=a.area,
                fields={k: v for k, v in a.model_dump(exclude={"id", "area"}).items() if v is not None})
                for a in self.addresses),
            sites=tuple(m.Site(id=s.id, address_id=s.address, name=s.name, site_type=s.type, company=s.company,
                               description=s.description, buyer_ids=tuple(s.buyers)) for s in self.sites),
            offerings=tuple(m.Offering(id=o.id, name=o.name, spec_urn=o.spec, areas=tuple(o.areas),
                                       max_bandwidth_mbps=o.maxBandwidthMbps,
                                       installation_days=o.installationDays) for o in self.offerings),
            price_book=tuple(m.PriceTier(offering_id=p.offering, up_to_mbps=p.upToMbps, nrc=p.nrc, mrc=p.mrc,
                                         currency=p.currency, term_months=p.termMonths)
                             for p in self.priceBook),
            lead_times=m.LeadTimes(
                poq_deferred_days=self.leadTimes.poqDeferredDays, quote_days=self.leadTimes.quoteDays,
                site_survey_days=self.leadTimes.siteSurveyDays, order_ack_days=self.leadTimes.orderAckDays,
                charge_response_days=self.leadTimes.chargeResponseDays),
            scenarios=tuple(m.Scenario(
                name=s.name,
                match=m.Match(offering=s.when.offering, address_id=s.when.address, city=s.when.city,
                              country=s.when.country, buyer=s.when.buyer,
                              external_id_prefix=s.when.externalIdPrefix,
                              min_bandwidth_mbps=s.when.minBandwidthMbps),
                poq_deferred=s.poqDeferred, poq_unserviceable=s.poqUnserviceable,
                quote_site_survey=s.quoteSiteSurvey, quote_not_instant=s.quoteNotInstant,
                quote_declined=s.quoteDeclined, order_delivery_slip_days=s.deliverySlipDays,
                order_reject_item=s.rejectItem, order_fail_item=s.failItem,
                order_hold_for_charge=(m.Charge(description=s.holdForCharge.description,
                                                amount=s.holdForCharge.amount,
                                                currency=s.holdForCharge.currency,
                                                kind=s.holdForCharge.priceType)
                                       if s.holdForCharge else None),
                cancellation_rejected=s.rejectCancellation,
                visit_outcome=m.VisitOutcome(s.visitOutcome) if s.visitOutcome else None,
                order_installation_visit=s.installationVisit)
                for s in self.scenarios),
            orchestration=self._orchestration(),
            inventory=self._inventory(),
            commitments=self.commitments.to_core(),
            workforce=self.workforce.to_core(),
            maintenance=tuple(w.to_core() for w in self.maintenance),
            assurance=self.assurance.to_core(),
        )


class ProfileError(ValueError):
    pass


_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def load_profile(path: Path, variables: dict[str, str] | None = None) -> m.SellerProfile:
    """Read a profile; `${NAME}` in its text is replaced from `variables` (e.g. partners' URLs in a demo).

    With `variables` given (even empty), a placeholder left unfilled is an error naming it; without, the text
    is read as it is. Every problem is reported as `file:line: what`, list positions counted from 1.
    """
    try:
        text = Path(path).read_text()
        if variables is not None:
            text = string.Template(text).safe_substitute(variables)
            if missing := sorted(set(_PLACEHOLDER.findall(text))):
                raise ProfileError(f"profile {path} needs a value for {', '.join(missing)} "
                                   f"(e.g. --set {missing[0]}=...)")
        raw = yaml.safe_load(text)
    except OSError as exc:
        raise ProfileError(f"cannot read profile {path}: {exc}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        what = getattr(exc, "problem", None) or str(exc)
        raise ProfileError(f"profile {path} is not valid YAML:\n  {where}: {what}") from exc
    try:
        return ProfileIn.model_validate(raw).to_core()
    except ValidationError as exc:
        lines = _explain(exc, path, text)
        raise ProfileError(f"profile {path} is invalid:\n  " + "\n  ".join(lines)) from exc
    except ValueError as exc:
        raise ProfileError(f"profile {path} is invalid: {exc}") from exc


def _explain(exc: ValidationError, path: Path, text: str) -> list[str]:
    """Each validation error as `file:line: where: what`, in words rather than pydantic's."""
    try:
        root: yaml.Node | None = yaml.compose(text)
    except yaml.YAMLError:
        root = None
    out: list[tuple[int, str]] = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        line, found = _locate(root, loc)
        kind = err["type"]
        if kind == "extra_forbidden":
            key = str(loc[-1])
            allowed = _keys_at(loc[:-1])
            close = difflib.get_close_matches(key, sorted(allowed), n=1, cutoff=0.6)
            what = f"unknown key {key}" + (f" (did you mean {close[0]}?)" if close else "")
            where = found[:-1]
        elif kind == "missing":
            what = f"{loc[-1]} is required"
            where = found
        elif not loc and kind == "value_error":  # the cross-references: one line each, at the name they miss
            for problem in str(err["msg"]).removeprefix("Value error, ").split("; "):
                at = _line_of(text, problem)
                out.append((at or 0, f"{path}{f':{at}' if at else ''}: {problem}"))
            continue
        else:
            what = str(err["msg"]).removeprefix("Value error, ")
            where = found
        label = _path_text(where)
        message = f"{path}{f':{line}' if line else ''}: {label + ': ' if label else ''}{what}"
        if (line or 0, message) not in out:
            out.append((line or 0, message))
    return [message for _, message in sorted(out, key=lambda x: x[0])]


def _line_of(text: str, problem: str) -> int | None:
    """The first line naming the unknown thing a cross-reference problem ends with (else its owner's id)."""
    words = problem.replace(":", " ").replace("(", " ").replace(")", " ").split()
    for word in (words[-1], *(words[1:2] if len(words) > 1 else [])):
        pattern = re.compile(rf"(?<![\w.-]){re.escape(word)}(?![\w.-])")
        for number, line in enumerate(text.splitlines(), 1):
            if pattern.search(line.split("#", 1)[0]):
                return number
    return None


def _path_text(loc: tuple[str | int, ...]) -> str:
    """`buyers #2 / apiKey`: list positions counted from 1, as a person counts them."""
    return " / ".join(f"#{p + 1}" if isinstance(p, int) else p for p in loc).replace(" / #", " #")


def _locate(root: yaml.Node | None, loc: tuple[str | int, ...]) -> tuple[int | None, tuple[str | int, ...]]:
    """The line (from 1) of the deepest node of `loc` in the YAML, and the part of `loc` found there."""
    node, line = root, (root.start_mark.line + 1 if root is not None else None)
    found: list[str | int] = []
    for part in loc:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            pair = next(((k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == part),
                        None)
            if pair is None:
                break
            line, node = pair[0].start_mark.line + 1, pair[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
        found.append(part)
    return line, tuple(found)


def _keys_at(loc: tuple[str | int, ...]) -> set[str]:
    """The keys the profile allows at `loc` (the fields of the model found there), for "did you mean"."""
    model: Any = ProfileIn
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return set()
        field = next((f for n, f in model.model_fields.items() if (f.alias or n) == part or n == part), None)
        if field is None:
            return set()
        model = _inner_model(field.annotation)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return {f.alias or n for n, f in model.model_fields.items()}
    return set()


def _inner_model(annotation: Any) -> Any:
    """The model inside `list[X]`, `X | None`, `dict[str, X]` (else the annotation)."""
    for _ in range(4):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if isinstance(annotation, type) and issubclass(annotation, BaseModel) or not args:
            return annotation
        annotation = next((a for a in args if isinstance(a, type) and issubclass(a, BaseModel)), args[-1])
    return annotation
