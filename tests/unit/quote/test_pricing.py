"""Terms, durations and prices of quote items (pure)."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from counterpoint.core.quote.pricing import months_of, offered_term, prices
from counterpoint.core.seller.model import Offering, PriceTier
from counterpoint.profiles.loader import load_profile
from counterpoint.settings import DEMO_PROFILE

PROFILE = load_profile(DEMO_PROFILE)


@pytest.mark.parametrize(("duration", "months"), [
    ({"amount": 2, "units": "calendarYears"}, 24.0),
    ({"amount": 12, "units": "calendarMonths"}, 12.0),
    ({"amount": 365, "units": "calendarDays"}, 12.0),
    ({"amount": 1, "units": "fortnights"}, None),
    ({"amount": "12", "units": "calendarMonths"}, None),
    (None, None),
])
def test_months_of(duration: dict | None, months: float | None) -> None:
    got = months_of(duration)
    assert got == months if months is None else round(got or 0, 1) == months


@pytest.mark.parametrize(("asked", "offered"), [(None, 12), (1, 12), (12, 12), (18, 24), (20, 24), (30, 36),
                                                (100, 36)])
def test_offered_term_is_the_closest_longer_on_ties(asked: int | None, offered: int) -> None:
    requested = None if asked is None else {"duration": {"amount": asked, "units": "calendarMonths"},
                                             "endOfTermAction": "autoDisconnect", "name": "x"}
    term = offered_term(PROFILE, requested)
    assert term["duration"] == {"amount": offered, "units": "calendarMonths"}
    assert term["endOfTermAction"] == ("autoRenew" if asked is None else "autoDisconnect")
    assert "rollInterval" not in term


def test_a_profile_with_one_term_offers_it_whatever_is_asked() -> None:
    one = dataclasses.replace(PROFILE, quote_terms_months=(36,))
    assert offered_term(one, {"duration": {"amount": 1, "units": "calendarMonths"}})["duration"]["amount"] == 36


def test_prices_per_action() -> None:
    offering = Offering(id="o", name="Fibre", spec_urn="urn:x", areas=(), max_bandwidth_mbps=1000,
                        installation_days=5)
    tier = PriceTier(offering_id="o", up_to_mbps=100, nrc=Decimal("99.50"), mrc=Decimal("10"), currency="EUR")
    add = prices(offering, tier, "add")
    assert add[0] == {"name": "Fibre installation", "priceType": "nonRecurring",
                      "price": {"dutyFreeAmount": {"unit": "EUR", "value": 99.5}}}
    assert add[1]["recurringChargePeriod"] == "month" and add[1]["price"]["dutyFreeAmount"]["value"] == 10
    assert [p["priceType"] for p in prices(offering, tier, "modify")] == ["recurring"]
