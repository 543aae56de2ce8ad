"""The rules of composite POQs and quotes: cost basis, margin, validity, lead time, serviceability, renewal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from counterpoint.core.orchestration import costing
from counterpoint.core.orchestration.costing import SegmentCost, SegmentQualification
from counterpoint.core.orchestration.enquiry import AskState, Call, SupplyAsk, price_from, price_json
from counterpoint.core.orchestration.supply import Price
from counterpoint.core.shared.ids import ExternalRef

NOW = datetime(2026, 1, 5, 9, tzinfo=UTC)


def usd(nrc: str | int, mrc: str | int) -> Price:
    return Price(Decimal(nrc), Decimal(mrc), "USD")


def test_price_is_the_cost_basis_plus_margin_with_the_earliest_validity_and_the_longest_lead_time() -> None:
    costs = [SegmentCost("jakarta-access", True, usd(400, 900), 5),
             SegmentCost("backbone", True, usd(0, 1500), 3),
             SegmentCost("singapore-access", False, usd(1000, 1500), 24, NOW + timedelta(days=12), "supplier quote")]
    got = costing.compose_price(costs, margin_pct=Decimal(25), test_hours=4, now=NOW, validity=timedelta(days=30))
    assert got.cost == usd(1400, 3900)
    assert got.price == Price(Decimal("1750.00"), Decimal("4875.00"), "USD")
    assert got.lead_time_days == 25  # 24 days, then a 4-hour test: one more day
    assert (got.valid_until, got.limited_by) == (NOW + timedelta(days=12), "singapore-access")


def test_our_own_validity_holds_when_every_supplier_quote_outlives_it() -> None:
    costs = [SegmentCost("a", False, usd(1, 1), 1, NOW + timedelta(days=60))]
    got = costing.compose_price(costs, margin_pct=Decimal(0), test_hours=0, now=NOW, validity=timedelta(days=30))
    assert (got.valid_until, got.limited_by, got.lead_time_days, got.price) == (
        NOW + timedelta(days=30), None, 1, Price(Decimal("1.00"), Decimal("1.00"), "USD"))


@pytest.mark.parametrize(("amount", "margin", "expected"), [
    ("333.33", "25", "416.66"),  # 416.6625
    ("0.02", "25", "0.03"),  # 0.025 rounds half up
    ("1900", "25", "2375.00"),
    ("100", "0", "100.00"),
    ("99.99", "12.5", "112.49"),  # 112.48875
])
def test_margin_rounds_half_up_to_the_cent(amount: str, margin: str, expected: str) -> None:
    assert costing.with_margin(Decimal(amount), Decimal(margin)) == Decimal(expected)


@pytest.mark.parametrize(("hours", "days"), [(0, 0), (2, 1), (24, 1), (25, 2), (48, 2)])
def test_the_end_to_end_test_adds_whole_days(hours: float, days: int) -> None:
    assert costing.lead_time_days([10, 7], hours) == 10 + days


def test_segments_in_different_currencies_cannot_be_summed() -> None:
    with pytest.raises(costing.CurrencyMismatch, match="EUR, USD"):
        costing.cost_basis([usd(1, 1), Price(Decimal(1), Decimal(1), "EUR")])


def test_serviceable_only_when_every_segment_is() -> None:
    ok = costing.combine_qualification([SegmentQualification("core", True, True, 5),
                                        SegmentQualification("last-mile", False, True, 20)], test_hours=2)
    assert (ok.serviceable, ok.installation_days) == (True, 21)
    assert ok.reason == "every segment can be delivered; the longest (last-mile) takes 20 days, then the " \
                        "end-to-end test"
    red = costing.combine_qualification([SegmentQualification("core", True, True, 5),
                                         SegmentQualification("last-mile", False, False, 0),
                                         SegmentQualification("other", False, None, 0)], test_hours=2)
    assert (red.serviceable, red.installation_days) == (False, None)
    assert red.reason == "segment last-mile of the service cannot be delivered at this location"
    unknown = costing.combine_qualification([SegmentQualification("other", False, None, 0)], test_hours=2)
    assert unknown.reason == "segment other of the service could not be qualified"


def test_a_renewed_cost_is_taken_while_it_stays_within_the_committed_price() -> None:
    committed = Price(Decimal("375.00"), Decimal("2375.00"), "USD")
    assert costing.judge_renewal(committed, usd(375, 2375)).accepted  # the whole margin may go
    within = costing.judge_renewal(committed, usd(300, 2000))
    assert within.accepted and within.cost == usd(300, 2000)
    over = costing.judge_renewal(committed, usd(300, 2500))
    assert not over.accepted
    assert over.reason == ("the renewed monthly cost (USD 300 + 2500/month) exceeds the price we committed to "
                           "(375.00 + 2375.00/month)")
    both = costing.judge_renewal(committed, usd(400, 2500))
    assert "one-off and monthly" in both.reason and not both.accepted
    assert not costing.judge_renewal(committed, Price(Decimal(1), Decimal(1), "EUR")).accepted


money = st.decimals(min_value=0, max_value=100_000, places=2)


@given(nrc=money, mrc=money, margin=st.decimals(min_value=0, max_value=200, places=1), rise=money)
def test_our_price_never_falls_below_cost_and_renewal_accepts_exactly_what_fits(
        nrc: Decimal, mrc: Decimal, margin: Decimal, rise: Decimal) -> None:
    got = costing.compose_price([SegmentCost("s", False, usd(nrc, mrc), 1)], margin_pct=margin, test_hours=0, now=NOW,
                                validity=timedelta(days=1))
    assert got.price.nrc >= got.cost.nrc and got.price.mrc >= got.cost.mrc
    renewed = usd(nrc, mrc + rise)
    verdict = costing.judge_renewal(got.price, renewed)
    assert verdict.accepted == (mrc + rise <= got.price.mrc)


def test_an_ask_survives_its_json_round_trip() -> None:
    ask = SupplyAsk(segment="last-mile", provider_id="sup-b", own=False, offering_id="lm", spec_urn="urn:x",
                    configuration={"@type": "urn:x"}, places=[{"@type": "FieldedAddress", "city": "Singapore"}],
                    listed={"price": price_json(usd(1, 2)), "leadTimeDays": 3}, call=Call.QUOTE, round=2,
                    state=AskState.WAITING, key="cp-1", ref=ExternalRef("sup-b", "Q-1", "quote"), item_id="1",
                    poq_ref=ExternalRef("sup-b", "P-1", "poq"), poq_item_id="1", answer={"state": "pending"},
                    seen=["inProgress"], attempts=2, due_at=NOW, sent_at=NOW - timedelta(seconds=1), reason="x")
    assert SupplyAsk.from_json(ask.to_json()) == ask
    assert price_from(price_json(usd("1.50", 2))) == usd("1.50", 2)
