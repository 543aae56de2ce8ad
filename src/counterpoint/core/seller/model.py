"""A Seller's behaviour as data: footprint, offerings, prices, lead times and scenario rules.

Loaded from YAML by `profiles/loader.py`; every capability reads the same `SellerProfile`.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from counterpoint.core.orchestration.plan import Orchestration
from counterpoint.core.sla.model import Commitments

ACCESS_ELINE = "urn:mef:lso:spec:sonata:access-eline-ovc:v5.0.0:all"
OPERATOR_UNI = "urn:mef:lso:spec:sonata:carrier-ethernet-operator-uni:v5.0.0:all"
INTERNET_ACCESS = "urn:mef:lso:spec:cantata-sonata:basic-internet-access:v1.0.0:all"


class ValidationPolicy(StrEnum):
    STRICT = "strict"  # an invalid product payload is refused with a 422
    LENIENT = "lenient"  # accepted; each violation kept as a warning on the resource


@dataclass(frozen=True, slots=True)
class Buyer:
    id: str
    name: str
    api_key_sha256: str  # hex digest; the plain key never needs to be stored

    def accepts(self, api_key: str) -> bool:
        digest = hashlib.sha256(api_key.encode()).hexdigest()
        return hmac.compare_digest(digest, self.api_key_sha256)


@dataclass(frozen=True, slots=True)
class KnownAddress:
    """An address the Seller knows. `fields` uses MEF FieldedAddress names (streetNr, city, ...)."""

    id: str
    fields: dict[str, str]
    area: str | None = None  # coverage area id


@dataclass(frozen=True, slots=True)
class Site:
    id: str
    address_id: str
    name: str
    site_type: str = "public"  # MEF: public | private
    company: str | None = None
    description: str | None = None
    buyer_ids: tuple[str, ...] = ()  # empty: a public site anyone may see


@dataclass(frozen=True, slots=True)
class CoverageArea:
    id: str
    countries: tuple[str, ...] = ()
    cities: tuple[str, ...] = ()
    postcode_prefixes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Offering:
    id: str  # productOffering.id
    name: str
    spec_urn: str  # productConfiguration @type
    areas: tuple[str, ...]  # coverage area ids where it can be delivered
    max_bandwidth_mbps: int  # per site
    installation_days: int  # standard installation interval


@dataclass(frozen=True, slots=True)
class PriceTier:
    offering_id: str
    up_to_mbps: int
    nrc: Decimal  # one-off installation charge
    mrc: Decimal  # monthly recurring charge
    currency: str = "USD"
    term_months: int = 12


@dataclass(frozen=True, slots=True)
class LeadTimes:
    """Days on the profile's clock for each step a real partner takes."""

    poq_deferred_days: float = 1.0
    quote_days: float = 2.0  # a non-instant quote's answer
    site_survey_days: float = 5.0
    order_ack_days: float = 0.0  # acknowledged -> inProgress
    charge_response_days: float = 3.0  # time a buyer has to answer a charge before it times out


@dataclass(frozen=True, slots=True)
class Match:
    """When a scenario rule applies. An empty field matches anything."""

    offering: str | None = None
    address_id: str | None = None
    city: str | None = None
    country: str | None = None
    buyer: str | None = None
    external_id_prefix: str | None = None
    min_bandwidth_mbps: int | None = None
    # trouble tickets only (see Assurance): a word of the ticket's description, its priority and severity
    description_keyword: str | None = None
    priority: str | None = None
    severity: str | None = None

    def applies(self, ctx: dict[str, Any]) -> bool:
        def eq(want: str | None, have: Any) -> bool:
            return want is None or (have is not None and str(have).lower() == want.lower())

        if not (eq(self.offering, ctx.get("offering")) and eq(self.address_id, ctx.get("address_id"))
                and eq(self.city, ctx.get("city")) and eq(self.country, ctx.get("country"))
                and eq(self.buyer, ctx.get("buyer"))):
            return False
        if self.external_id_prefix and not str(ctx.get("external_id") or "").startswith(
                self.external_id_prefix):
            return False
        if self.min_bandwidth_mbps is not None and (ctx.get("bandwidth_mbps") or 0) < self.min_bandwidth_mbps:
            return False
        if not (eq(self.priority, ctx.get("priority")) and eq(self.severity, ctx.get("severity"))):
            return False
        if self.description_keyword and self.description_keyword.lower() not in str(
                ctx.get("description") or "").lower():
            return False
        return True


@dataclass(frozen=True, slots=True)
class Charge:
    description: str
    amount: Decimal
    currency: str = "USD"
    kind: str = "nonRecurring"  # MEF priceType


class VisitOutcome(StrEnum):
    """What the profile can make of a technician's visit (MEF 137 appointment and work order end states)."""

    DONE = "done"  # the technician arrives and finishes: appointment and work order completed
    RESCHEDULED_BY_SELLER = "rescheduledBySeller"  # the Seller calls the visit off beforehand (R27)
    NO_SHOW = "noShow"  # no technician comes (Seller issue): missed, the work order needs a new appointment
    NO_ACCESS = "noAccess"  # the technician cannot get in (Buyer issue): failed, unable to complete
    INCOMPLETE = "incomplete"  # the visit happens but the tasks cannot all be done: unable to complete


@dataclass(frozen=True, slots=True)
class Scenario:
    """One behaviour a real partner shows; several may apply to the same item."""

    name: str
    match: Match
    poq_deferred: bool = False
    poq_unserviceable: str | None = None  # reason
    quote_site_survey: bool = False  # quote waits for a survey before it is firm
    quote_not_instant: bool = False
    quote_declined: str | None = None
    order_delivery_slip_days: float = 0.0
    order_reject_item: str | None = None  # reason
    order_fail_item: str | None = None
    order_hold_for_charge: Charge | None = None
    cancellation_rejected: str | None = None
    visit_outcome: VisitOutcome | None = None  # how a technician's first visit for a matching work order goes
    order_installation_visit: bool = False  # an added product is installed by a technician the Buyer books


@dataclass(frozen=True, slots=True)
class Workforce:
    """The Seller's field technicians: when they work, how visits are booked (MEF 137 time slots) and how long
    a visit takes. Times of day are UTC; every slot starts on the day's grid (day_start + k * slot)."""

    technicians: int = 2  # visits that can share one slot
    working_days: frozenset[int] = frozenset({0, 1, 2, 3, 4})  # Monday = 0
    day_start: time = time(8, 0)
    day_end: time = time(17, 0)
    slot: timedelta = timedelta(hours=2)  # the arrival window a Buyer books
    lead: timedelta = timedelta(hours=24)  # no slot starts sooner than this after the search or booking
    visit: timedelta = timedelta(minutes=90)  # from the technician's arrival to the work's end (<= slot)
    unattended_start: timedelta = timedelta(hours=4)  # a work order needing no visit starts this long after
    seller_reschedule_notice: timedelta = timedelta(hours=12)  # how early the Seller calls a visit off
    search_horizon: timedelta = timedelta(days=62)  # how far ahead of now a search looks
    max_offered: int = 100  # available slots returned by one search at most


@dataclass(frozen=True, slots=True)
class RepairTime:
    """How long the Seller takes to resolve a ticket (its committed expectedResolutionDate), for the tickets this
    rule matches; an empty field matches anything. The first matching rule of the profile wins."""

    hours: float
    offering: str | None = None
    priority: str | None = None  # the Buyer's priority of the ticket
    severity: str | None = None

    def applies(self, ctx: dict[str, Any]) -> bool:
        return all(want is None or want == ctx.get(key) for key, want in
                   (("offering", self.offering), ("priority", self.priority), ("severity", self.severity)))


@dataclass(frozen=True, slots=True)
class TicketScenario:
    """One way a repair goes, for the tickets `match` selects; several may apply to the same ticket.

    - needs_information: the Seller asks the Buyer this (ticket pending, a note saying it, the information
      required event) once work starts; the Buyer's patch with a note answers it and work goes on.
    - customer_equipment: the fault is found in the customer's equipment: the ticket is resolved with this text
      in a resolution note coded `customerEquipment` (core.trouble_ticket.model.ResolutionCode).
    - late_hours: the repair misses its committed date by this much: at the committed date the Seller moves
      expectedResolutionDate (with the note R22 asks for) and resolves at the new date.
    - needs_visit: a technician must go on site (the text says what for): a work order is opened and linked,
      and the ticket is pending until its appointment is booked (R15).
    """

    name: str
    match: Match
    needs_information: str | None = None
    customer_equipment: str | None = None
    late_hours: float = 0.0
    needs_visit: str | None = None


@dataclass(frozen=True, slots=True)
class Assurance:
    """The Seller's trouble ticket behaviour (MEF 124), all durations in hours on the profile's clock."""

    acknowledge_hours: float = 0.25  # acknowledged (or reopened) -> inProgress
    default_repair_hours: float = 24.0  # when no repair_times rule matches
    repair_times: tuple[RepairTime, ...] = ()
    confirmation_hours: float = 72.0  # resolved -> closed when the Buyer neither closes nor reopens
    cancellation_hours: float = 1.0  # assessingCancellation -> cancelled
    scenarios: tuple[TicketScenario, ...] = ()

    def repair_time(self, ctx: dict[str, Any]) -> timedelta:
        rule = next((r for r in self.repair_times if r.applies(ctx)), None)
        return timedelta(hours=rule.hours if rule is not None else self.default_repair_hours)

    def scenarios_for(self, ctx: dict[str, Any]) -> list[TicketScenario]:
        return [s for s in self.scenarios if s.match.applies(ctx)]


@dataclass(frozen=True, slots=True)
class ExistingProduct:
    """A product the Buyer already has when the Seller starts (the profile's `inventory`), so modify and
    delete orders and change quotes and POQs can be tried against known products."""

    id: str
    buyer_id: str
    offering_id: str
    spec_urn: str
    configuration: dict[str, Any]  # MEF productConfiguration; its @type is spec_urn
    places: tuple[dict[str, Any], ...]  # as an order item would give them (GeographicAddressRef, ...)
    start_date: datetime | None = None  # None: when it is first seeded
    status: str = "active"  # MEF 116 product status
    channel: str = "sonata"  # the interface it is visible on
    external_id: str | None = None
    billing_account_id: str | None = None


@dataclass(frozen=True, slots=True)
class PlannedMaintenance:
    """A maintenance window the Seller plans (the profile's `maintenance`), announced to the buyers whose live
    products it touches as MEF 124 incidents when the Seller starts (see core/incident)."""

    id: str  # the announcement's id: a window is announced once
    start: datetime
    end: datetime
    description: str
    product_ids: tuple[str, ...] = ()
    offering_ids: tuple[str, ...] = ()
    area_ids: tuple[str, ...] = ()
    impact: str = "down"  # MEF observed impact: down | degraded | intermittent
    incident_type: str = "maintenance"  # MEF incidentType
    priority: str | None = None  # MEF priority; default from the impact
    severity: str | None = None


@dataclass(frozen=True, slots=True)
class SellerProfile:
    seller_id: str
    name: str
    buyers: tuple[Buyer, ...]
    addresses: tuple[KnownAddress, ...]
    sites: tuple[Site, ...]
    areas: tuple[CoverageArea, ...]
    offerings: tuple[Offering, ...]
    price_book: tuple[PriceTier, ...]
    lead_times: LeadTimes = field(default_factory=LeadTimes)
    scenarios: tuple[Scenario, ...] = ()
    validation: ValidationPolicy = ValidationPolicy.STRICT
    quote_validity_days: int = 30
    quote_terms_months: tuple[int, ...] = (12, 24, 36)  # contract terms offered, ascending
    orchestration: Orchestration | None = None  # what we buy from whom, when we are also a Buyer
    inventory: tuple[ExistingProduct, ...] = ()  # products the Buyers already have, seeded on start
    commitments: Commitments = field(default_factory=Commitments)  # customer SLAs, suppliers' OLAs (core/sla)
    assurance: Assurance = field(default_factory=Assurance)  # trouble tickets (MEF 124)
    workforce: Workforce = field(default_factory=Workforce)  # field technicians (MEF 137)
    maintenance: tuple[PlannedMaintenance, ...] = ()  # planned work, announced as incidents on start

    def buyer_for_key(self, api_key: str) -> Buyer | None:
        return next((b for b in self.buyers if b.accepts(api_key)), None)

    def address(self, address_id: str) -> KnownAddress | None:
        return next((a for a in self.addresses if a.id == address_id), None)

    def site(self, site_id: str) -> Site | None:
        return next((s for s in self.sites if s.id == site_id), None)

    def area(self, area_id: str) -> CoverageArea | None:
        return next((a for a in self.areas if a.id == area_id), None)

    def offering(self, offering_id: str) -> Offering | None:
        return next((o for o in self.offerings if o.id == offering_id), None)

    def desk_contact(self, role: str, desk: str, mailbox: str) -> dict[str, Any]:
        """A contact the Seller's answers carry, in the given role. The profile has no contact details yet, so
        a desk named after the Seller is given, with a reserved (.invalid) e-mail domain rather than an
        invented real one."""
        return {"role": role, "name": f"{self.name} {desk} desk", "organization": self.name,
                "emailAddress": f"{mailbox}@{self.seller_id}.invalid", "number": "unlisted"}

    def offerings_for_spec(self, urn: str) -> list[Offering]:
        return [o for o in self.offerings if o.spec_urn == urn]

    def covers(self, offering: Offering, address: KnownAddress) -> bool:
        """True when the address lies in one of the offering's coverage areas."""
        for area_id in offering.areas:
            if address.area == area_id:
                return True
            area = self.area(area_id)
            if area is None:
                continue
            country = address.fields.get("country", "")
            city = address.fields.get("city", "")
            postcode = address.fields.get("postcode", "")
            if ((not area.countries or country.upper() in {c.upper() for c in area.countries})
                    and (not area.cities or city.lower() in {c.lower() for c in area.cities})
                    and (not area.postcode_prefixes
                         or any(postcode.startswith(p) for p in area.postcode_prefixes))
                    and (area.countries or area.cities or area.postcode_prefixes)):
                return True
        return False

    def price(self, offering_id: str, bandwidth_mbps: int) -> PriceTier | None:
        """The cheapest tier of that offering that carries the bandwidth."""
        tiers = sorted((t for t in self.price_book if t.offering_id == offering_id and
                        t.up_to_mbps >= bandwidth_mbps), key=lambda t: t.up_to_mbps)
        return tiers[0] if tiers else None

    def scenarios_for(self, ctx: dict[str, Any]) -> list[Scenario]:
        return [s for s in self.scenarios if s.match.applies(ctx)]
