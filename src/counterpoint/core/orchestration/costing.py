"""How suppliers' answers become ours, as rules on plain values (no I/O): cost basis, margin, validity, lead
time and serviceability of a composite item, and whether a renewed supplier price still fits our commitment.

- Cost basis: the sum, per charge type (one-off, monthly), of every segment's cost: a supplier segment costs
  what its supplier quoted, one of ours its list price in the own-network capability. One currency only: we
  do not convert, so a mix makes the item unquotable.
- Our price: the cost basis plus the offering's margin, per charge type, rounded half up to the cent.
- Validity: ours (the profile's quote validity) but never beyond the earliest supplier quote's end.
- Lead time (and a POQ's installation interval): the longest segment, then the end-to-end activation test
  (whole days, rounded up).
- Serviceable only when every segment is.
- Renewal (a supplier quote expired before the order that accepted ours started): a firm quote commits the
  Seller to its prices (MEF 115), so our customer's price never changes. The renewed supplier price is taken
  when the cost basis recomputed with it stays, per charge type, at or below the price we committed to: our
  margin absorbs a rise up to that point. Beyond it we would sell at a loss, so the order item fails and the
  customer is asked for a new quote.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from counterpoint.core.orchestration.supply import Price

CENT = Decimal("0.01")


class CurrencyMismatch(ValueError):
    """Segments priced in different currencies: we do not convert."""


@dataclass(frozen=True, slots=True)
class SegmentCost:
    segment: str
    own: bool
    price: Price
    lead_time_days: int
    valid_until: datetime | None = None  # a supplier quote's end of validity
    source: str = "list price"  # or "supplier quote"


@dataclass(frozen=True, slots=True)
class CompositePrice:
    cost: Price  # the basis
    price: Price  # what our Buyer pays
    margin_pct: Decimal
    lead_time_days: int
    valid_until: datetime
    limited_by: str | None = None  # the segment whose supplier quote ends our validity early


def with_margin(amount: Decimal, margin_pct: Decimal) -> Decimal:
    return (amount * (Decimal(100) + margin_pct) / Decimal(100)).quantize(CENT, rounding=ROUND_HALF_UP)


def activation_test_days(test_hours: float) -> int:
    return math.ceil(test_hours / 24 - 1e-9) if test_hours > 0 else 0


def lead_time_days(segment_days: Iterable[int], test_hours: float) -> int:
    return max(segment_days, default=0) + activation_test_days(test_hours)


def cost_basis(prices: Iterable[Price]) -> Price:
    prices = list(prices)
    currencies = {p.currency for p in prices}
    if len(currencies) > 1:
        raise CurrencyMismatch(f"segments are priced in {', '.join(sorted(currencies))}")
    return Price(nrc=sum((p.nrc for p in prices), Decimal(0)), mrc=sum((p.mrc for p in prices), Decimal(0)),
                 currency=currencies.pop() if currencies else "")


def compose_price(costs: list[SegmentCost], *, margin_pct: Decimal, test_hours: float, now: datetime,
                  validity: timedelta) -> CompositePrice:
    cost = cost_basis(c.price for c in costs)
    price = Price(nrc=with_margin(cost.nrc, margin_pct), mrc=with_margin(cost.mrc, margin_pct), currency=cost.currency)
    valid_until, limited_by = now + validity, None
    for c in costs:
        if c.valid_until is not None and c.valid_until < valid_until:
            valid_until, limited_by = c.valid_until, c.segment
    return CompositePrice(cost=cost, price=price, margin_pct=margin_pct,
                          lead_time_days=lead_time_days((c.lead_time_days for c in costs), test_hours),
                          valid_until=valid_until, limited_by=limited_by)


@dataclass(frozen=True, slots=True)
class SegmentQualification:
    segment: str
    own: bool
    serviceable: bool | None  # None: no answer could be had
    installation_days: int


@dataclass(frozen=True, slots=True)
class CompositeQualification:
    serviceable: bool
    installation_days: int | None
    reason: str  # in our words, naming segments, never providers


def combine_qualification(segments: list[SegmentQualification], *, test_hours: float) -> CompositeQualification:
    refused = [s.segment for s in segments if s.serviceable is False]
    unknown = [s.segment for s in segments if s.serviceable is None]
    if refused:
        return CompositeQualification(False, None, f"segment {', '.join(refused)} of the service cannot be "
                                                   "delivered at this location")
    if unknown:
        return CompositeQualification(False, None, f"segment {', '.join(unknown)} of the service could not be "
                                                   "qualified")
    days = lead_time_days((s.installation_days for s in segments), test_hours)
    longest = max(segments, key=lambda s: s.installation_days) if segments else None
    what = f"the longest ({longest.segment}) takes {longest.installation_days} days" if longest else "nothing to build"
    return CompositeQualification(True, days, f"every segment can be delivered; {what}, then the end-to-end test")


@dataclass(frozen=True, slots=True)
class Renewal:
    accepted: bool
    cost: Price  # the basis with the renewed supplier prices
    reason: str


def judge_renewal(committed: Price, renewed_basis: Price) -> Renewal:
    """A renewed cost basis against the price we committed to our customer (see the module's rule)."""
    if renewed_basis.currency != committed.currency:
        return Renewal(False, renewed_basis, f"a renewed price is in {renewed_basis.currency}, our quote in "
                                             f"{committed.currency}")
    over = [name for name, cost, ours in (("one-off", renewed_basis.nrc, committed.nrc),
                                          ("monthly", renewed_basis.mrc, committed.mrc)) if cost > ours]
    if over:
        return Renewal(False, renewed_basis, f"the renewed {' and '.join(over)} cost ({renewed_basis.currency} "
                                             f"{renewed_basis.nrc} + {renewed_basis.mrc}/month) exceeds the price "
                                             f"we committed to ({committed.nrc} + {committed.mrc}/month)")
    return Renewal(True, renewed_basis, f"the renewed cost ({renewed_basis.currency} {renewed_basis.nrc} + "
                                        f"{renewed_basis.mrc}/month) stays within the price we committed to "
                                        f"({committed.nrc} + {committed.mrc}/month)")
