"""Properties of the attribution over random months: attributed minutes never exceed the month, the union never
exceeds the sum of the outages, every counted minute is charged to exactly one domain, and the order in which
outages and evidence were recorded does not change the report."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from counterpoint.core.sla.attribution import month_report
from counterpoint.core.sla.model import Fact, Impact, MaintenanceWindow, Month, Outage, Responsible
from tests.unit.sla.builders import C_ID, COMMITMENTS, CUSTOMER, OURS_D, SERVICE, B, C, ev, outage

NOV = Month(2026, 11)
BASE = datetime(2026, 10, 30, tzinfo=UTC)  # outages drawn from two days before the month to two days after
SPAN = int((datetime(2026, 12, 3, tzinfo=UTC) - BASE).total_seconds() // 60)
DOMAINS: list[tuple[Responsible, str | None]] = [(C, "seg-c"), (B, "seg-b"), (OURS_D, "seg-own"), (CUSTOMER, None)]


@st.composite
def outages(draw: st.DrawFn) -> list[Outage]:
    out = []
    for n in range(draw(st.integers(0, 6))):
        start = BASE + timedelta(minutes=draw(st.integers(0, SPAN)))
        length = draw(st.one_of(st.none(), st.integers(0, 3000)))
        end = start + timedelta(minutes=length) if length is not None else None
        responsible, segment = draw(st.sampled_from(DOMAINS))
        o = outage(f"o{n}", start, end, responsible=responsible, segment=segment,
                   impact=draw(st.sampled_from([Impact.DOWN, Impact.DOWN, Impact.DEGRADED])))
        if end is not None and draw(st.booleans()):  # the supplier's own claim, possibly skewed or late
            at = end + timedelta(minutes=draw(st.integers(-120, 120)))
            o.evidence.append(replace(ev(Fact.END, at, source=C_ID, reference=f"claim-{n}",
                                         received_at=at + timedelta(hours=draw(st.integers(0, 10)))),
                                      outage_id=o.id))
        if draw(st.booleans()):  # the same ticket at C, stamped by C's clock: a skew pair
            o.evidence.append(replace(ev(Fact.START, start + timedelta(minutes=draw(st.integers(-15, 15))),
                                         source=C_ID, reference=f"ticket-o{n}"), outage_id=o.id))
        out.append(o)
    return out


@st.composite
def windows(draw: st.DrawFn) -> list[MaintenanceWindow]:
    out = []
    for n in range(draw(st.integers(0, 2))):
        start = BASE + timedelta(minutes=draw(st.integers(0, SPAN)))
        out.append(MaintenanceWindow(f"mw-{n}", draw(st.sampled_from([C_ID, "lion-city-metro"])), f"N-{n}", start,
                                     start + timedelta(minutes=draw(st.integers(1, 600))),
                                     segments=(draw(st.sampled_from(["seg-c", "seg-b"])),)))
    return out


AS_OF = datetime(2026, 12, 5, tzinfo=UTC)


@settings(max_examples=200, deadline=None)
@given(outages(), windows(), st.randoms(use_true_random=False))
def test_attribution_is_bounded_and_does_not_depend_on_recording_order(
        found: list[Outage], planned: list[MaintenanceWindow], rnd: random.Random) -> None:
    report = month_report(NOV, AS_OF, found, planned, [SERVICE], COMMITMENTS)
    (svc,) = report.services
    month = NOV.seconds
    counted = svc.unavailable_seconds
    assert 0 <= counted <= month
    assert counted + svc.excluded_maintenance_seconds + svc.excluded_customer_seconds <= month
    assert sum(svc.by_domain.values()) == counted
    # the union never exceeds the sum of the (clipped, counting) outages it is made of
    total = 0
    for o in svc.outages:
        if o.outage.impact is Impact.DOWN:
            start, end = max(o.start, NOV.start), min(o.end or NOV.end, NOV.end)
            total += max(0, int((end - start).total_seconds()))
    assert sum(s.seconds for s in svc.slices) <= total
    # slices do not overlap and lie in the month
    for a, b in zip(svc.slices, svc.slices[1:], strict=False):
        assert a.end <= b.start
    assert all(NOV.start <= s.start < s.end <= NOV.end for s in svc.slices)
    for o in svc.outages:
        assert o.end is None or o.end >= o.start
        assert o.repair_end is None or o.repair_end >= o.start
    for sup in report.suppliers:
        for seg in sup.segments:
            assert 0 <= seg.down_seconds <= month
    # the same records in another order: the same report
    shuffled = [replace(o, evidence=rnd.sample(o.evidence, len(o.evidence))) for o in rnd.sample(found, len(found))]
    again = month_report(NOV, AS_OF, shuffled, rnd.sample(planned, len(planned)), [SERVICE], COMMITMENTS)
    assert again.to_json() == report.to_json()
