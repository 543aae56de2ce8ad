"""How the Seller prices one quote item: locate and judge it as a POQ would, then read the price book.

Pure: the profile, the request and the Buyer's relevant inventory products come in; priced items go out.

- Location, offering and bandwidth come from `serviceability.qualification.Qualifier` (same rules as a POQ:
  the item's place, else the product it changes, else a related item or product).
- Not serviceable (outside coverage, more bandwidth than the offering carries, a scenario's refusal), or no
  price tier carries the bandwidth: the item cannot be quoted (`unableToProvide`, with the reason).
- An item the Seller cannot resolve (unknown offering, product or place) carries a MEF termination error.
- Prices: `add` pays the tier's installation (non-recurring) and its monthly charge; `modify` pays the new
  tier's monthly charge; `delete` has no price. The tier is the cheapest one of the offering that carries the
  requested bandwidth (the smallest tier when no bandwidth can be read).
- Term: the offered term (profile `quoteTermsMonths`) closest to the Buyer's requested term, the longer one
  on a tie; the Buyer's end-of-term action is kept (`roll` gets a monthly roll interval).
- `approved.orderableAlternate` instead of `approved.orderable` when the offered term is shorter than asked
  or the installation interval longer than asked.
- Firm quotes at an address the Seller does not know are firm subject to a feasibility check.
- Scenario rules: `quoteSiteSurvey` makes a firm item wait for a survey (a draft price meanwhile);
  `quoteNotInstant` prices by hand (no immediate answer); `quoteDeclined` refuses to quote with its reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from counterpoint.core.quote.model import ITEMS
from counterpoint.core.seller.model import Offering, PriceTier, SellerProfile
from counterpoint.core.serviceability import bandwidth
from counterpoint.core.serviceability.qualification import RED, Qualifier, Termination

_DAYS_PER = {"calendarDays": 1, "businessDays": 7 / 5, "calendarHours": 1 / 24, "businessHours": 7 / 40,
             "calendarMinutes": 1 / 1440, "calendarWeeks": 7, "calendarMonths": 30.44, "calendarYears": 365.25}


def months_of(duration: dict[str, Any] | None) -> float | None:
    if not isinstance(duration, dict) or not isinstance(duration.get("amount"), int):
        return None
    per = _DAYS_PER.get(str(duration.get("units")))
    return None if per is None else duration["amount"] * per / 30.44


def days_of(duration: dict[str, Any] | None) -> float | None:
    months = months_of(duration)
    return None if months is None else months * 30.44


def offered_term(profile: SellerProfile, requested: dict[str, Any] | None) -> dict[str, Any]:
    """The MEF quoteItemTerm the Seller offers for the Buyer's requested one (MEF 115 R37, R38, R40)."""
    terms = profile.quote_terms_months
    wanted = months_of((requested or {}).get("duration"))
    months = terms[0] if wanted is None else min(terms, key=lambda t: (abs(t - wanted), -t))
    action = str((requested or {}).get("endOfTermAction") or "autoRenew")
    term: dict[str, Any] = {"name": f"{months} months", "duration": {"amount": months, "units": "calendarMonths"},
                            "endOfTermAction": action}
    if action == "roll":
        term["rollInterval"] = {"amount": 1, "units": "calendarMonths"}
    return term


def _money(amount: Decimal, currency: str) -> dict[str, Any]:
    value = float(amount) if amount != amount.to_integral_value() else int(amount)
    return {"unit": currency, "value": value}


def prices(offering: Offering, tier: PriceTier, action: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if action == "add" and tier.nrc:
        out.append({"name": f"{offering.name} installation", "priceType": "nonRecurring",
                    "price": {"dutyFreeAmount": _money(tier.nrc, tier.currency)}})
    out.append({"name": f"{offering.name} up to {tier.up_to_mbps} Mbps", "priceType": "recurring",
                "recurringChargePeriod": "month", "price": {"dutyFreeAmount": _money(tier.mrc, tier.currency)}})
    return out


@dataclass(slots=True)
class PricedItem:
    """The Seller's answer for one item."""

    item_id: str
    quotable: bool  # False: unableToProvide (or rejected, when deferred and `termination`)
    answer: dict[str, Any] = field(default_factory=dict)  # MEF fields: price, term, interval, errors
    reason: str | None = None
    termination: bool = False  # the item names something the Seller cannot resolve
    alternate: bool = False  # orderable only as an alternate (term or interval differ from the request)
    feasibility_check: bool = False  # firm subject to a feasibility check (address unknown to the Seller)
    site_survey: bool = False  # a firm price waits for a site survey
    manual: bool = False  # priced by hand: no immediate answer


class QuotePricer(Qualifier):
    ITEMS = ITEMS
    RELATIONSHIP = "quoteItemRelationship"

    def price_item(self, index: int, *, firm: bool) -> PricedItem:
        item = self.items[index]
        try:
            return self._price(index, firm=firm)
        except Termination as t:
            return PricedItem(item["id"], False, {"terminationError": [t.as_mef()]}, reason=t.value,
                              termination=True)

    def _price(self, index: int, *, firm: bool) -> PricedItem:
        item = self.items[index]
        product = item.get("product") or {}
        base = f"/{ITEMS}/{index}/product"
        term = offered_term(self.profile, item.get("requestedQuoteItemTerm"))
        if item["action"] in ("modify", "delete") and str(product.get("id")) not in self.holdings:
            raise Termination("referenceNotFound",
                              f"product {product.get('id')} is not in the Buyer's inventory with this Seller",
                              f"{base}/id")
        offerings, _named = self.offerings_for(index)
        if item["action"] == "delete":
            return PricedItem(item["id"], True, {"quoteItemPrice": [], "quoteItemTerm": [term]})
        place = self.place_of(index)
        if place is None:
            raise Termination("missingProperty",
                              "no install location: give product.place or relate the item to one that has it",
                              f"{base}/place")
        config = product.get("productConfiguration") or {}
        mbps = bandwidth.requested_mbps(config)
        assessed = sorted((self.assess(o, place, mbps) for o in offerings),
                          key=lambda a: (a.colour == RED, a.colour != "green", a.days))
        best = assessed[0]
        scenarios = self.profile.scenarios_for(self.context(best.offering, place, mbps))
        declined = next((s.quote_declined for s in scenarios if s.quote_declined), None)
        if declined or not best.serviceable:
            reason = declined or best.reason
            return PricedItem(item["id"], False, {"quoteItemTerm": [term], "terminationError": [
                {"code": "otherIssue", "value": reason[:255], "propertyPath": f"{base}"}]}, reason=reason)
        tier = self.profile.price(best.offering.id, math.ceil(mbps or 0))
        if tier is None:
            reason = f"the price book has no tier of offering {best.offering.id} for {mbps:g} Mbps"
            return PricedItem(item["id"], False, {"quoteItemTerm": [term], "terminationError": [
                {"code": "otherIssue", "value": reason, "propertyPath": f"{base}/productConfiguration"}]},
                reason=reason)
        interval = {"amount": best.days, "units": "calendarDays"}
        answer: dict[str, Any] = {"quoteItemPrice": prices(best.offering, tier, item["action"]),
                                  "quoteItemTerm": [term], "quoteItemInstallationInterval": interval}
        wanted_term = months_of((item.get("requestedQuoteItemTerm") or {}).get("duration"))
        wanted_days = days_of(item.get("requestedQuoteItemInstallationInterval"))
        alternate = ((wanted_term is not None and term["duration"]["amount"] < wanted_term - 1e-9)
                     or (wanted_days is not None and best.days > wanted_days + 1e-9))
        feasibility = firm and best.colour != "green"
        if firm:
            answer["subjectToFeasibilityCheck"] = feasibility
        why = None if best.colour == "green" else best.reason
        return PricedItem(item["id"], True, answer, reason=why, alternate=alternate,
                          feasibility_check=feasibility,
                          site_survey=firm and any(s.quote_site_survey for s in scenarios),
                          manual=any(s.quote_not_instant for s in scenarios))

    def price(self, *, firm: bool) -> list[PricedItem]:
        return [self.price_item(i, firm=firm) for i in range(len(self.items))]
