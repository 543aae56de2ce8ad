"""How the Seller answers one POQ item: find the place, the offering and the bandwidth, then judge.

Pure: the profile, the request and the Buyer's relevant inventory products come in; answers go out.

- Place: the item's own `product.place` (the INSTALL_LOCATION one first), else the inventory product it
  modifies or deletes, else a POQ item it relates to (`qualificationItemRelationship`, e.g. the UNI of an
  Access E-Line), else an inventory product it relates to (`productRelationship`). Known address and site
  references must exist (and a site must be visible to this Buyer); a fielded or formatted address becomes
  the known address it confidently matches, or else is judged as written, by coverage area only.
  Geographic points and labels cannot be located (the profile knows no coordinates or labels).
- Offering: `productOffering.id`, else every offering implementing `productSpecification.id` or the
  configuration's `@type` (all proposed when serviceable, as the only place a Seller can name them).
- Judgement: scenario `poq_unserviceable` -> red with its reason; outside coverage -> red (naming the
  nearest known address the offering serves, if any); more bandwidth than the offering carries -> red;
  otherwise green at a known address, yellow at an address the Seller does not know. Installation interval
  = offering installation days + scenario delivery slips. Alternates (when the Buyer asks for them, on red
  or yellow): the same offering cut down to its maximum bandwidth, and other offerings of the same
  specification that can serve.
- An item the Seller cannot resolve (unknown reference, no place, unknown offering) is terminatedWithError
  with a MEF 422-style termination error.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from counterpoint.core.seller.model import KnownAddress, Offering, SellerProfile
from counterpoint.core.serviceability import bandwidth, geography, matching
from counterpoint.core.serviceability.model import PoqItemState
from counterpoint.core.shared.times import iso

GREEN, YELLOW, RED = "green", "yellow", "red"
_RANK = {GREEN: 0, YELLOW: 1, RED: 2}


@dataclass(frozen=True, slots=True)
class Holding:
    """What a POQ needs to know of one of the Buyer's products in the Seller's inventory."""

    id: str
    offering_id: str | None
    places: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class Place:
    address: KnownAddress  # id "" when the Buyer's address is not one the Seller knows
    known: bool


class Termination(Exception):
    """The item cannot be qualified with what the Buyer gave (a MEF TerminationError)."""

    def __init__(self, code: str, value: str, path: str) -> None:
        super().__init__(value)
        self.code, self.value, self.path = code, value, path

    def as_mef(self) -> dict[str, str]:
        return {"code": self.code, "value": self.value[:255], "propertyPath": self.path}


@dataclass(slots=True)
class ItemAnswer:
    item_id: str
    state: PoqItemState  # DONE_READY or TERMINATED_WITH_ERROR
    fields: dict[str, Any] = field(default_factory=dict)  # MEF answer fields of the item
    manual: bool = False  # a scenario wants this item checked by hand (no immediate answer possible)
    reason: str | None = None  # for the state change log


@dataclass(frozen=True, slots=True)
class Assessment:
    offering: Offering
    colour: str
    reason: str
    days: int
    manual: bool
    covered: bool
    fits: bool
    blocked: bool

    @property
    def serviceable(self) -> bool:
        return self.colour != RED


def _transient(address: Mapping[str, Any]) -> KnownAddress:
    """A Buyer's address the Seller does not know, kept as written (country as an ISO code when named)."""
    keys = (
        "streetNr",
        "streetNrSuffix",
        "streetName",
        "streetType",
        "locality",
        "city",
        "stateOrProvince",
        "postcode",
        "country",
    )
    fields = {k: str(address[k]) for k in keys if address.get(k)}
    if address.get("addrLine1") and "streetName" not in fields:
        fields["streetName"] = str(address["addrLine1"])
    code = matching.normalise_country(fields.get("country"))
    if len(code) == 2:
        fields["country"] = code.upper()
    return KnownAddress(id="", fields=fields)


class Qualifier:
    """Answers the items of one POQ request for one Buyer.

    A quote (MEF 115) locates and judges its items the same way: `quote.pricing` subclasses this with its
    own item and relationship field names.
    """

    ITEMS = "productOfferingQualificationItem"
    RELATIONSHIP = "qualificationItemRelationship"

    def __init__(
        self,
        profile: SellerProfile,
        *,
        buyer_id: str,
        request: dict[str, Any],
        holdings: Mapping[str, Holding],
        at: datetime,
    ) -> None:
        self.profile = profile
        self.buyer_id = buyer_id
        self.request = request
        self.items: list[dict[str, Any]] = request[self.ITEMS]
        self.index = {item["id"]: i for i, item in enumerate(self.items)}
        self.holdings = holdings
        self.at = at
        self.provide_alternative = bool(request.get("provideAlternative"))

    # --- places -------------------------------------------------------------------------------------------
    def resolve(self, place: Mapping[str, Any], path: str) -> Place:
        kind = place.get("@type")
        if kind == "GeographicAddressRef":
            known = self.profile.address(str(place.get("id")))
            if known is None:
                raise Termination(
                    "referenceNotFound",
                    f"geographic address {place.get('id')} is not known to the Seller",
                    f"{path}/id",
                )
            return Place(known, True)
        if kind == "GeographicSiteRef":
            site = geography.visible_site(self.profile, self.buyer_id, str(place.get("id")))
            known = self.profile.address(site.address_id) if site is not None else None
            if known is None:
                raise Termination(
                    "referenceNotFound",
                    f"geographic site {place.get('id')} is not known to the Seller",
                    f"{path}/id",
                )
            return Place(known, True)
        if kind in ("FieldedAddress", "FormattedAddress"):
            known = matching.resolve(place, self.profile.addresses)
            return Place(known, True) if known is not None else Place(_transient(place), False)
        if kind == "GeographicAddressLabel":
            raise Termination(
                "referenceNotFound",
                "the Seller knows no address by this label; give an address or a site",
                path,
            )
        raise Termination(
            "otherIssue", f"the Seller cannot locate a place given as {kind}; give an address or a site", path
        )

    @staticmethod
    def _pick(places: Any) -> list[tuple[int, dict[str, Any]]]:
        """Places in the order to try them: install locations first."""
        listed = [(j, p) for j, p in enumerate(places or []) if isinstance(p, dict)]
        return sorted(
            listed, key=lambda jp: (str(jp[1].get("role", "")).upper() != "INSTALL_LOCATION", jp[0])
        )

    def place_of(self, index: int, seen: frozenset[int] = frozenset()) -> Place | None:
        item = self.items[index]
        product = item.get("product") or {}
        base = f"/{self.ITEMS}/{index}/product"
        own = self._pick(product.get("place"))
        if own:
            j, place = own[0]
            return self.resolve(place, f"{base}/place/{j}")
        holding = self.holdings.get(str(product.get("id"))) if product.get("id") else None
        if holding is not None:
            found = self._holding_place(holding)
            if found is not None:
                return found
        for rel in item.get(self.RELATIONSHIP) or []:
            other = self.index.get(rel.get("id"))
            if other is not None and other not in seen and other != index:
                try:
                    found = self.place_of(other, seen | {index})
                except Termination:
                    found = None  # the related item answers for its own place
                if found is not None:
                    return found
        for rel in product.get("productRelationship") or []:
            related = self.holdings.get(str(rel.get("id")))
            found = self._holding_place(related) if related is not None else None
            if found is not None:
                return found
        return None

    def _holding_place(self, holding: Holding) -> Place | None:
        for _, place in self._pick(holding.places):
            try:
                return self.resolve(place, "")
            except Termination:
                continue
        return None

    # --- judgement ----------------------------------------------------------------------------------------
    def context(self, offering: Offering, place: Place, mbps: float | None) -> dict[str, Any]:
        """What the profile's scenario rules match on, for one offering at one place."""
        fields = place.address.fields
        return {
            "offering": offering.id,
            "address_id": place.address.id or None,
            "city": fields.get("city"),
            "country": fields.get("country"),
            "buyer": self.buyer_id,
            "external_id": self.request.get("externalId"),
            "bandwidth_mbps": mbps,
        }

    def assess(self, offering: Offering, place: Place, mbps: float | None) -> Assessment:
        scenarios = self.profile.scenarios_for(self.context(offering, place, mbps))
        blocked = next((s.poq_unserviceable for s in scenarios if s.poq_unserviceable), None)
        slip = max((s.order_delivery_slip_days for s in scenarios), default=0.0)
        days = offering.installation_days + math.ceil(slip)
        covered = self.profile.covers(offering, place.address)
        fits = mbps is None or mbps <= offering.max_bandwidth_mbps
        if blocked:
            colour, reason = RED, blocked
        elif not covered:
            colour, reason = RED, f"the location is outside the coverage of offering {offering.id}"
            hint = self.nearest_served(offering, place.address)
            if hint:
                reason += f"; nearest served address known to the Seller: {hint}"
        elif not fits:
            colour = RED
            reason = (
                f"{mbps:g} Mbps exceeds the {offering.max_bandwidth_mbps} Mbps offering {offering.id} "
                "carries at this location"
            )
        elif place.known:
            colour, reason = GREEN, f"offering {offering.id} is available at address {place.address.id}"
        else:
            colour, reason = (
                YELLOW,
                (
                    "the address is not one the Seller knows (validate it first); its area "
                    f"is covered by offering {offering.id}"
                ),
            )
        return Assessment(
            offering=offering,
            colour=colour,
            reason=reason,
            days=days,
            manual=any(s.poq_deferred for s in scenarios),
            covered=covered,
            fits=fits,
            blocked=bool(blocked),
        )

    def nearest_served(self, offering: Offering, address: KnownAddress) -> str | None:
        for other in matching.nearest(address, self.profile.addresses):
            if self.profile.covers(offering, other):
                return f"{other.id} ({geography.street_line(other.fields)}, {other.fields.get('city', '')})"
        return None

    def proposal(self, n: int, a: Assessment, config: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": f"alternate-{n}",
            "installationInterval": {"amount": a.days, "units": "calendarDays"},
            "alternateProduct": {
                "productOffering": {"id": a.offering.id},
                "productSpecification": {"id": a.offering.spec_urn},
                "productConfiguration": config,
            },
        }

    def alternates(
        self, chosen: list[Assessment], others: list[Assessment], config: dict[str, Any], start: int = 1
    ) -> list[dict[str, Any]]:
        """Smaller versions of what cannot carry the bandwidth, then other offerings that can serve."""
        out: list[dict[str, Any]] = []
        for a in [*chosen, *others]:
            if a.covered and not a.fits and not a.blocked:
                smaller = bandwidth.limited_to(config, a.offering.max_bandwidth_mbps)
                if smaller is not None:
                    out.append(self.proposal(start + len(out), a, smaller))
        out.extend(self.proposal(start + len(out), a, config) for a in others if a.serviceable)
        return out

    def answer(
        self, colour: str, reason: str, days: int | None, alternates: list[dict[str, Any]]
    ) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "serviceabilityConfidence": colour,
            "serviceabilityConfidenceReason": reason[:255],
        }
        if colour != RED and days is not None:
            fields["installationInterval"] = {"amount": days, "units": "calendarDays"}
            fields["guaranteedUntilDate"] = iso(self.at + timedelta(days=self.profile.quote_validity_days))
        if alternates:
            fields["alternateProductOfferingProposal"] = alternates
        return fields

    # --- one item -----------------------------------------------------------------------------------------
    def offerings_for(self, index: int) -> tuple[list[Offering], bool]:
        """The candidate offerings and whether the Buyer named one."""
        base = f"/{self.ITEMS}/{index}/product"
        product = self.items[index].get("product") or {}
        config = product.get("productConfiguration") or {}
        urn = config.get("@type")
        offering_id = (product.get("productOffering") or {}).get("id")
        holding = self.holdings.get(str(product.get("id"))) if product.get("id") else None
        if offering_id is None and holding is not None:
            offering_id = holding.offering_id
        if offering_id is not None:
            offering = self.profile.offering(str(offering_id))
            if offering is None:
                raise Termination(
                    "referenceNotFound",
                    f"product offering {offering_id} is not offered by the Seller",
                    f"{base}/productOffering/id",
                )
            if urn and urn != offering.spec_urn:
                raise Termination(
                    "invalidValue",
                    f"offering {offering.id} is a {offering.spec_urn} product, not {urn}",
                    f"{base}/productConfiguration/@type",
                )
            return [offering], True
        spec = (product.get("productSpecification") or {}).get("id") or urn
        if spec is None:
            raise Termination(
                "missingProperty",
                "name a product offering or a product specification",
                f"{base}/productOffering",
            )
        path = (
            f"{base}/productSpecification/id"
            if product.get("productSpecification")
            else f"{base}/productConfiguration/@type"
        )
        if urn and urn != spec:
            raise Termination(
                "invalidValue",
                f"the configuration is a {urn} product, not {spec}",
                f"{base}/productConfiguration/@type",
            )
        candidates = self.profile.offerings_for_spec(str(spec))
        if not candidates:
            raise Termination("referenceNotFound", f"the Seller offers no {spec} product", path)
        return candidates, False

    def qualify_item(self, index: int) -> ItemAnswer:
        item = self.items[index]
        try:
            return self._qualify(index)
        except Termination as t:
            return ItemAnswer(
                item["id"],
                PoqItemState.TERMINATED_WITH_ERROR,
                {"terminationError": [t.as_mef()]},
                reason=t.value,
            )

    def _qualify(self, index: int) -> ItemAnswer:
        item = self.items[index]
        product = item.get("product") or {}
        base = f"/{self.ITEMS}/{index}/product"
        if item["action"] in ("modify", "delete") and str(product.get("id")) not in self.holdings:
            raise Termination(
                "referenceNotFound",
                f"product {product.get('id')} is not in the Buyer's inventory with this Seller",
                f"{base}/id",
            )
        offerings, named = self.offerings_for(index)
        if item["action"] == "delete":
            days = offerings[0].installation_days
            return ItemAnswer(
                item["id"],
                PoqItemState.DONE_READY,
                self.answer(GREEN, f"product {product['id']} can be disconnected", days, []),
            )
        place = self.place_of(index)
        if place is None:
            raise Termination(
                "missingProperty",
                "no install location: give product.place or relate the item to one that has it",
                f"{base}/place",
            )
        config = product.get("productConfiguration") or {}
        mbps = bandwidth.requested_mbps(config)
        assessed = [self.assess(o, place, mbps) for o in offerings]
        manual = any(a.manual for a in assessed)
        if named:
            (a,) = assessed
            others = [
                self.assess(o, place, mbps)
                for o in self.profile.offerings_for_spec(a.offering.spec_urn)
                if o.id != a.offering.id
            ]
            alts = (
                self.alternates([a], others, config) if self.provide_alternative and a.colour != GREEN else []
            )
            return ItemAnswer(
                item["id"],
                PoqItemState.DONE_READY,
                self.answer(a.colour, a.reason, a.days, alts),
                manual=manual,
            )
        serviceable = sorted((a for a in assessed if a.serviceable), key=lambda a: (_RANK[a.colour], a.days))
        if serviceable:
            best = serviceable[0]
            direct = [self.proposal(n, a, config) for n, a in enumerate(serviceable, start=1)]
            names = ", ".join(a.offering.id for a in serviceable)
            return ItemAnswer(
                item["id"],
                PoqItemState.DONE_READY,
                self.answer(
                    best.colour, f"can be served as offering(s) {names}; see the proposals", best.days, direct
                ),
                manual=manual,
            )
        reason = "; ".join(a.reason for a in assessed)
        alts = self.alternates(assessed, [], config) if self.provide_alternative else []
        return ItemAnswer(
            item["id"], PoqItemState.DONE_READY, self.answer(RED, reason, None, alts), manual=manual
        )

    def qualify(self) -> list[ItemAnswer]:
        """Answers of every item; when one item is terminated, the others are abandoned (MEF 87)."""
        answers = [self.qualify_item(i) for i in range(len(self.items))]
        if any(a.state is PoqItemState.TERMINATED_WITH_ERROR for a in answers):
            for a in answers:
                if a.state is PoqItemState.DONE_READY:
                    a.state, a.fields = PoqItemState.DONE_ABANDONED, {}
                    a.reason = "another item of this POQ could not be qualified"
        return answers


def holding_of(product_id: str, doc: Mapping[str, Any], places: Any = ()) -> Holding:
    """What a POQ reads of an inventory product: its MEF 116 document and the places it was installed at."""
    places = [p for p in [*(places or []), *(doc.get("place") or [])] if isinstance(p, dict)]
    places += [
        {"@type": "GeographicSiteRef", "id": s["id"], "role": s.get("role", "")}
        for s in doc.get("relatedSite") or []
        if isinstance(s, dict) and s.get("id")
    ]
    return Holding(
        id=product_id, offering_id=(doc.get("productOffering") or {}).get("id"), places=tuple(places)
    )
