"""SLA and OLA figures against months computed by hand.

Every case is November 2026 unless said otherwise: 30 days = 43 200 min, and 99.9% allows 43.2 min of
unavailability. The service svc-1 pays 1 000 USD a month; C's segment seg-c costs us 500, B's seg-b 800. The SLA's
credits: 10% below 99.9%, 25% below 99.5%, 50% below 99.0%. C's OLA: repair within 4 h, 99.9% per segment,
10% penalty below it, 50 per missed repair. B's OLA: 4 h, 99.95%, 20% below it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from counterpoint.core.sla.attribution import MonthReport, month_report
from counterpoint.core.sla.model import (
    OURS,
    Commitments,
    Fact,
    Impact,
    Month,
    Outage,
    Responsible,
)
from tests.unit.sla.builders import (
    B_ID,
    C_ID,
    COMMITMENTS,
    CUSTOMER,
    MINUTE,
    SERVICE,
    SLA,
    B,
    C,
    ev,
    nov,
    outage,
    window,
)

NOV = Month(2026, 11)
AFTER = datetime(2026, 12, 2, tzinfo=UTC)  # the report is made once the month is over


def run(outages: list[Outage], windows=(), *, month: Month = NOV, as_of: datetime = AFTER,
        commitments: Commitments = COMMITMENTS) -> MonthReport:
    return month_report(month, as_of, outages, list(windows), [SERVICE], commitments)


def minutes(seconds: int) -> float:
    return seconds / 60


def supplier(report: MonthReport, name: str):  # type: ignore[no-untyped-def]
    return next(s for s in report.suppliers if s.supplier == name)


def test_a_single_outage() -> None:
    """C's segment down 08:00-08:50 = 50 min > 43.2: 43 150 / 43 200 = 99.884259...% -> 99.8843, below 99.9:
    credit 10% x 1 000 = 100.00. C repaired in 50 min <= 4 h (met); its segment 99.8843% < 99.9%: penalty
    10% x 500 = 50.00; B had nothing: 100%, no penalty."""
    report = run([outage("a", nov(10, 8), nov(10, 8, 50))])
    (svc,) = report.services
    assert minutes(svc.unavailable_seconds) == 50
    assert svc.by_domain == {f"supplier:{C_ID}": 3000}
    assert (str(svc.availability_pct), svc.met, svc.credit_eligible, svc.credit_pct, svc.credit) == (
        "99.8843", False, True, Decimal(10), Decimal("100.00"))
    c = supplier(report, C_ID)
    assert [(r.status, minutes(r.repair_seconds)) for r in c.repairs] == [("met", 50)]
    assert [(s.segment_id, minutes(s.down_seconds), s.met, s.penalty) for s in c.segments] == [
        ("seg-c", 50, False, Decimal("50.00"))]
    assert (c.penalty_eligible, c.penalty) == (True, Decimal("50.00"))
    assert report.summary() == [
        f"svc-1 2026-11: 99.8843% (target 99.9%, missed), credit 100.00 USD; charged to supplier:{C_ID} 50 min",
        f"{B_ID} 2026-11: repairs 0 met, 0 missed; no penalty",
        f"{C_ID} 2026-11: repairs 1 met, 0 missed; penalty 50.00 USD"]
    b = supplier(report, B_ID)
    assert (b.repairs, b.penalty_eligible, b.penalty, b.segments[0].met) == ((), False, Decimal("0.00"), True)


def test_an_outage_within_the_allowance_meets_the_sla() -> None:
    """40 min: 43 160 / 43 200 = 99.9074% >= 99.9%: met, no credit (0% of 1 000 = 0.00)."""
    (svc,) = run([outage("a", nov(10, 8), nov(10, 8, 40))]).services
    assert (str(svc.availability_pct), svc.met, svc.credit_eligible, svc.credit) == (
        "99.9074", True, False, Decimal("0.00"))


def test_overlapping_outages_on_two_segments_are_counted_once_and_charged_to_the_first() -> None:
    """C's seg-c down 10:00-10:50 (50 min), B's seg-b down 10:30-11:00 (30 min), overlapping 20 min.
    Union: 10:00-11:00 = 60 min, not 80. Rule `earliest`: 10:00-10:50 charged to C (50), 10:50-11:00 to B (10).
    43 140 / 43 200 = 99.8611%: credit 10% = 100.00. Each supplier's own segment: C 50 min (99.8843%: penalty
    10% x 500 = 50.00), B 30 min (43 170 / 43 200 = 99.9306% < 99.95%: penalty 20% x 800 = 160.00)."""
    report = run([outage("c", nov(10, 10), nov(10, 10, 50)),
                  outage("b", nov(10, 10, 30), nov(10, 11), responsible=B, segment="seg-b")])
    (svc,) = report.services
    assert minutes(svc.unavailable_seconds) == 60
    assert {k: minutes(v) for k, v in svc.by_domain.items()} == {f"supplier:{C_ID}": 50, f"supplier:{B_ID}": 10}
    assert (str(svc.availability_pct), svc.credit) == ("99.8611", Decimal("100.00"))
    assert [(s.outage_id, minutes(s.seconds), s.also_down) for s in svc.slices] == [
        ("out-c", 50, ("out-b",)), ("out-b", 10, ())]
    assert [(s.segment_id, minutes(s.down_seconds), s.penalty) for s in supplier(report, C_ID).segments] == [
        ("seg-c", 50, Decimal("50.00"))]
    assert [(s.segment_id, minutes(s.down_seconds), s.penalty) for s in supplier(report, B_ID).segments] == [
        ("seg-b", 30, Decimal("160.00"))]


def test_the_earlier_fault_takes_the_overlap_whichever_segment_it_is_on() -> None:
    """B down 09:50-10:20 (30), C down 10:00-10:50 (50): union 09:50-10:50 = 60; B (first) 09:50-10:20 = 30,
    C 10:20-10:50 = 30."""
    (svc,) = run([outage("c", nov(10, 10), nov(10, 10, 50)),
                  outage("b", nov(10, 9, 50), nov(10, 10, 20), responsible=B, segment="seg-b")]).services
    assert {k: minutes(v) for k, v in svc.by_domain.items()} == {f"supplier:{B_ID}": 30, f"supplier:{C_ID}": 30}


def test_an_outage_inside_an_announced_window_is_not_counted() -> None:
    """C announced seg-c maintenance 02:00-04:00; seg-c down 02:30-03:30 (60 min), all inside: 0 counted,
    60 excluded; 100%, no credit. C's segment: 60 down, 60 excluded by its own window: 100%, no penalty."""
    report = run([outage("m", nov(12, 2, 30), nov(12, 3, 30))], [window("N-1", nov(12, 2), nov(12, 4))])
    (svc,) = report.services
    assert (svc.unavailable_seconds, minutes(svc.excluded_maintenance_seconds), svc.met, svc.credit) == (
        0, 60, True, Decimal("0.00"))
    assert svc.slices[0].excluded_by == "maintenance:mw-N-1"
    seg = supplier(report, C_ID).segments[0]
    assert (seg.down_seconds, minutes(seg.excluded_maintenance_seconds), seg.penalty) == (0, 60, Decimal("0.00"))


def test_an_outage_straddling_a_window_counts_only_outside_it() -> None:
    """Window 02:00-04:00; seg-c down 03:00-04:30 (90 min): 03:00-04:00 excluded (60), 04:00-04:30 counted (30).
    43 170 / 43 200 = 99.9306%: met. With an SLA that does not exclude maintenance: 90 min, 99.7917%: 10%."""
    outages = [outage("m", nov(12, 3), nov(12, 4, 30))]
    windows = [window("N-1", nov(12, 2), nov(12, 4))]
    (svc,) = run(outages, windows).services
    assert (minutes(svc.unavailable_seconds), minutes(svc.excluded_maintenance_seconds)) == (30, 60)
    assert (str(svc.availability_pct), svc.met) == ("99.9306", True)
    strict = replace(COMMITMENTS, customer=(replace(SLA, exclude_maintenance=False),))
    (svc,) = run(outages, windows, commitments=strict).services
    assert (minutes(svc.unavailable_seconds), str(svc.availability_pct), svc.credit) == (
        90, "99.7917", Decimal("100.00"))


def test_a_window_on_another_segment_does_not_excuse_an_outage() -> None:
    """B's window on seg-b 02:00-04:00 does not cover C's seg-c outage 02:30-03:30: 60 min counted."""
    (svc,) = run([outage("m", nov(12, 2, 30), nov(12, 3, 30))],
                 [window("N-2", nov(12, 2), nov(12, 4), provider=B_ID, segments=("seg-b",))]).services
    assert minutes(svc.unavailable_seconds) == 60


def test_a_fault_in_the_customers_equipment_is_not_counted() -> None:
    """Opened as unknown at 09:00, found at 09:40 to be the customer's router, fixed 11:00 (120 min): the latest
    DOMAIN evidence (rule `domain`) makes it the customer's: 0 counted, 120 excluded, 100%."""
    o = outage("cpe", nov(5, 9), nov(5, 11), responsible=Responsible.parse("unknown"), segment=None)
    o.evidence.append(replace(ev(Fact.DOMAIN, nov(5, 9, 40), reference="triage-1", responsible=CUSTOMER),
                              outage_id=o.id))
    report = run([o])
    (svc,) = report.services
    assert (svc.unavailable_seconds, minutes(svc.excluded_customer_seconds), svc.met) == (0, 120, True)
    assert svc.outages[0].responsible == CUSTOMER
    assert svc.outages[0].domain_evidence == o.evidence[-1].id
    assert all(not s.repairs for s in report.suppliers)


def test_an_outage_across_the_month_boundary_is_split_and_judged_for_repair_where_it_started() -> None:
    """Down 31 Oct 23:30 - 1 Nov 00:40 (70 min). October (31 days = 44 640 min) counts 30 min:
    44 610 / 44 640 = 99.9328%; November counts 40 min: 43 160 / 43 200 = 99.9074%. C's repair (70 min, met)
    is judged in October only; November's segment availability still counts its 40 min."""
    o = outage("x", datetime(2026, 10, 31, 23, 30, tzinfo=UTC), nov(1, 0, 40))
    october = run([o], month=Month(2026, 10))
    november = run([o])
    assert (minutes(october.services[0].unavailable_seconds), str(october.services[0].availability_pct)) == (
        30, "99.9328")
    assert (minutes(november.services[0].unavailable_seconds), str(november.services[0].availability_pct)) == (
        40, "99.9074")
    assert [(r.status, minutes(r.repair_seconds)) for r in supplier(october, C_ID).repairs] == [("met", 70)]
    assert supplier(november, C_ID).repairs == ()
    assert minutes(supplier(november, C_ID).segments[0].down_seconds) == 40


def test_an_open_outage_runs_to_the_month_end_or_to_now() -> None:
    """Down from 30 Nov 23:00, no end. After the month: 60 min counted (to 1 Dec 00:00), and C's repair, open
    25 h at the report (2 Dec 00:00) > 4 h: missed (50 penalty, plus 60 min on seg-c: 99.8611% < 99.9%:
    10% x 500 = 50, total 100.00). Made at 30 Nov 23:20: 20 min counted, repair pending (20 min < 4 h)."""
    o = outage("open", nov(30, 23), None)
    late = run([o])
    assert minutes(late.services[0].unavailable_seconds) == 60
    c = supplier(late, C_ID)
    assert [(r.status, r.repair_end) for r in c.repairs] == [("missed", None)]
    assert c.penalty == Decimal("100.00")
    now = run([o], as_of=nov(30, 23, 20))
    assert minutes(now.services[0].unavailable_seconds) == 20
    assert [r.status for r in supplier(now, C_ID).repairs] == ["pending"]


def _skewed(c_ahead: timedelta) -> Outage:
    """We open C's ticket C-77 at 10:00 (our clock); C stamps the same ticket's creation at 10:00 + skew (its
    clock): a pair. C says it repaired at 10:50 real time, stamped 10:50 + skew. We ran no test."""
    return outage("skew", nov(10, 10), None, evidence=[
        ev(Fact.START, nov(10, 10), reference="C-77"),
        ev(Fact.START, nov(10, 10) + c_ahead, source=C_ID, reference="C-77"),
        ev(Fact.DOMAIN, nov(10, 10), reference="C-77", responsible=C),
        ev(Fact.END, nov(10, 10, 50) + c_ahead, source=C_ID, reference="C-77-resolved")])


def test_clock_skew_is_estimated_from_pairs_and_corrected() -> None:
    """C's clock runs 3 min ahead: the pair gives +3 min; its repair claim 10:53 reads 10:50: 50 min, not 53."""
    report = run([_skewed(3 * MINUTE)])
    assert report.offsets[C_ID].offset == 3 * MINUTE
    (svc,) = report.services
    assert minutes(svc.unavailable_seconds) == 50
    assert svc.outages[0].end == nov(10, 10, 50)


def test_a_difference_past_the_skew_bound_is_not_skew() -> None:
    """A 20 min difference (bound 10 min) is a real delay, not a clock: offset 0, the claim read as stamped:
    10:00 to 11:10 = 70 min."""
    report = run([_skewed(20 * MINUTE)])
    assert report.offsets[C_ID].offset == timedelta(0) and report.offsets[C_ID].ignored
    assert minutes(report.services[0].unavailable_seconds) == 70


def test_an_end_never_precedes_its_start() -> None:
    """C's clock is 10 min ahead with no pair to show it: it says the fault began 10:10 (really 10:00); our
    test passed at 10:05. The end is read as the start: 0 min, and a note says so."""
    o = outage("order", nov(10, 10, 10), None, evidence=[
        ev(Fact.START, nov(10, 10, 10), source=C_ID, reference="C-9"),
        ev(Fact.DOMAIN, nov(10, 10, 10), source=C_ID, reference="C-9", responsible=C),
        ev(Fact.END, nov(10, 10, 5), reference="e2e-1")])
    (svc,) = run([o]).services
    r = svc.outages[0]
    assert (r.start, r.end, svc.unavailable_seconds) == (nov(10, 10, 10), nov(10, 10, 10), 0)
    assert any("before start" in n for n in r.notes)


def test_a_late_repair_report_decides_the_ola_and_our_test_the_customers_outage() -> None:
    """Down from 10:00 (our ticket). C says "repaired at 13:50", a report that reaches us at 18:00; our test
    passed at 14:30. Customer: ends at our test (rule `end`): 270 min, 43 200 - 270 = 42 930: 99.3750% < 99.5%:
    25% = 250.00. C's OLA: repaired at its claim (rule `repair`), 230 min <= 240: met."""
    o = outage("late", nov(10, 10), None, evidence=[
        ev(Fact.START, nov(10, 10), reference="TT-5"),
        ev(Fact.DOMAIN, nov(10, 10), reference="TT-5", responsible=C),
        ev(Fact.END, nov(10, 14, 30), reference="e2e-5", received_at=nov(10, 14, 30)),
        ev(Fact.END, nov(10, 13, 50), source=C_ID, reference="C-5-resolved", received_at=nov(10, 18))])
    report = run([o])
    (svc,) = report.services
    assert (minutes(svc.unavailable_seconds), str(svc.availability_pct), svc.credit) == (
        270, "99.3750", Decimal("250.00"))
    assert [(r.status, minutes(r.repair_seconds)) for r in supplier(report, C_ID).repairs] == [("met", 230)]
    assert any("reached us 4 h 10 min after" in n for n in svc.outages[0].notes)


def test_a_repair_claim_after_our_recovery_is_capped_and_one_contradicted_is_void() -> None:
    """Claim 15:00 after our test passed 14:00: the repair ends 14:00 (240 min: met). Claim 11:00, then our
    failed test at 11:15 (DOWN), then our pass at 12:00: the claim is void, repair and end 12:00 (120 min)."""
    capped = outage("cap", nov(10, 10), None, evidence=[
        ev(Fact.START, nov(10, 10), reference="T1"), ev(Fact.DOMAIN, nov(10, 10), reference="T1", responsible=C),
        ev(Fact.END, nov(10, 14), reference="e2e"), ev(Fact.END, nov(10, 15), source=C_ID, reference="r")])
    void = outage("void", nov(20, 10), None, evidence=[
        ev(Fact.START, nov(20, 10), reference="T2"), ev(Fact.DOMAIN, nov(20, 10), reference="T2", responsible=C),
        ev(Fact.END, nov(20, 11), source=C_ID, reference="r2"), ev(Fact.DOWN, nov(20, 11, 15), reference="e2e-f"),
        ev(Fact.END, nov(20, 12), reference="e2e-p")])
    report = run([capped, void])
    assert [(r.outage_id, r.status, minutes(r.repair_seconds)) for r in supplier(report, C_ID).repairs] == [
        ("out-cap", "met", 240), ("out-void", "met", 120)]
    assert minutes(report.services[0].unavailable_seconds) == 240 + 120


def test_a_supplier_claim_ends_the_outage_when_we_have_no_test() -> None:
    """Only C's word: down 10:00, C says repaired 10:45: 45 min."""
    o = outage("word", nov(10, 10), None, evidence=[
        ev(Fact.START, nov(10, 10), reference="T"), ev(Fact.DOMAIN, nov(10, 10), reference="T", responsible=C),
        ev(Fact.END, nov(10, 10, 45), source=C_ID, reference="r")])
    assert minutes(run([o]).services[0].unavailable_seconds) == 45


def test_duplicated_evidence_changes_nothing() -> None:
    """The same "resolved" delivered twice (and a ticket reported twice) gives the figures of once: 50 min."""
    once = outage("d", nov(10, 8), nov(10, 8, 50))
    twice = outage("d", nov(10, 8), nov(10, 8, 50))
    twice.evidence.extend(replace(e, id=e.id + "-again") for e in list(twice.evidence))
    a, b = run([once]).services[0], run([twice]).services[0]
    assert (a.unavailable_seconds, a.by_domain, a.credit) == (b.unavailable_seconds, b.by_domain, b.credit)
    assert a.unavailable_seconds == 3000


def test_degraded_service_counts_only_where_the_sla_says() -> None:
    """Degraded 60 min: not unavailable under the default SLA or OLA; 60 min where they `count_degraded`."""
    o = outage("slow", nov(3, 1), nov(3, 2), impact=Impact.DEGRADED)
    plain = run([o])
    assert plain.services[0].unavailable_seconds == 0
    assert supplier(plain, C_ID).segments[0].down_seconds == 0
    assert [r.status for r in supplier(plain, C_ID).repairs] == ["met"]  # repairs are judged either way
    counting = replace(COMMITMENTS, customer=(replace(SLA, count_degraded=True),),
                       suppliers=(replace(COMMITMENTS.suppliers[0], count_degraded=True), COMMITMENTS.suppliers[1]))
    both = run([o], commitments=counting)
    assert minutes(both.services[0].unavailable_seconds) == 60
    assert minutes(supplier(both, C_ID).segments[0].down_seconds) == 60


def test_every_figure_carries_its_chain() -> None:
    """The JSON names the outage of each slice, the evidence behind its start and end, and the rules used."""
    report = run([outage("a", nov(10, 8), nov(10, 8, 50))]).to_json()
    chain = report["services"][0]["chain"]
    assert chain["slices"] == [{"start": "2026-11-10T08:00:00Z", "end": "2026-11-10T08:50:00Z", "minutes": 50.0,
                                "outage": "out-a", "responsible": f"supplier:{C_ID}", "counted": True,
                                "excludedBy": None, "alsoDown": []}]
    (o,) = chain["outages"]
    ids = {e["id"]: e for e in o["evidence"]}
    assert ids[o["because"]["start"]]["reference"] == "ticket-a"
    assert ids[o["because"]["end"]]["reference"] == "test-a" and ids[o["because"]["end"]]["source"] == OURS
    assert {"union", "earliest", "availability", "credit"} <= set(chain["rules"])
    assert set(chain["rules"]) <= set(report["rules"])
    (c,) = [s for s in report["suppliers"] if s["supplier"] == C_ID]
    assert c["repairs"][0]["because"] == {"repairStart": o["because"]["start"],
                                          "repairEnd": o["because"]["repairEnd"]}


def test_the_repair_clock_starts_when_the_supplier_knew() -> None:
    """The customer reports at 10:00; we escalate to C at 10:40 (REPORTED to C: our ticket C-3 opened there);
    C repairs at 14:30 (its claim, our test agrees at 14:30). C's repair: 10:40-14:30 = 230 min <= 240: met (from
    the outage's start it would be 270: missed). The customer's outage is still 270 min; C's segment was down
    270 min too (its availability counts from the fault, not from the report)."""
    o = outage("knew", nov(10, 10), None, evidence=[
        ev(Fact.START, nov(10, 10), reference="TT-3"), ev(Fact.DOMAIN, nov(10, 10, 30), reference="TT-3",
                                                            responsible=C),
        ev(Fact.REPORTED, nov(10, 10, 40), reference="C-3", responsible=C),
        ev(Fact.REPORTED, nov(10, 10, 5), reference="B-1", responsible=B),  # told to B first: not C's clock
        ev(Fact.END, nov(10, 14, 30), source=C_ID, reference="C-3-resolved"),
        ev(Fact.END, nov(10, 14, 30), reference="e2e-3")])
    report = run([o])
    assert minutes(report.services[0].unavailable_seconds) == 270
    c = supplier(report, C_ID)
    assert [(r.start, minutes(r.repair_seconds), r.status) for r in c.repairs] == [(nov(10, 10, 40), 230, "met")]
    assert minutes(c.segments[0].down_seconds) == 270


def test_one_services_report_uses_the_offsets_of_the_whole_month() -> None:
    """svc-2's outage carries the only skew pair (C 3 min ahead); svc-1's has only C's claim, 10:53 on C's clock:
    read as 10:50 (50 min) in the month's report and in svc-1's own."""
    claim_only = outage("claim", nov(10, 10), None, evidence=[
        ev(Fact.START, nov(10, 10), reference="T"), ev(Fact.DOMAIN, nov(10, 10), reference="T", responsible=C),
        ev(Fact.END, nov(10, 10, 53), source=C_ID, reference="r")])
    paired = replace(_skewed(3 * MINUTE), service_id="svc-2")
    whole = month_report(NOV, AFTER, [claim_only, paired], [], [SERVICE], COMMITMENTS)
    alone = month_report(NOV, AFTER, [claim_only, paired], [], [SERVICE], COMMITMENTS, service_id="svc-1")
    assert [s.service_id for s in alone.services] == ["svc-1"]
    assert alone.services[0].unavailable_seconds == whole.services[0].unavailable_seconds == 50 * 60


def test_a_fault_seen_before_it_was_reported_started_when_seen() -> None:
    """Our monitoring's failed test at 09:40 (DOWN) comes before the customer's ticket at 10:00 (START); our test
    passes at 10:30: the outage runs 09:40-10:30, 50 min."""
    o = outage("seen", nov(10, 10), None, evidence=[
        ev(Fact.START, nov(10, 10), reference="TT-8"), ev(Fact.DOMAIN, nov(10, 10), reference="TT-8", responsible=C),
        ev(Fact.DOWN, nov(10, 9, 40), reference="probe-1"), ev(Fact.END, nov(10, 10, 30), reference="e2e-8")])
    (svc,) = run([o]).services
    assert (svc.outages[0].start, minutes(svc.unavailable_seconds)) == (nov(10, 9, 40), 50)


def test_a_whole_month() -> None:
    """November, everything at once:
    1. C down on seg-c 31 Oct 23:20 - 1 Nov 00:30: November counts 30 min (its repair is October's).
    2. C's window on seg-c 5 Nov 02:00-04:00; seg-c down 03:00-05:00: 60 excluded, 60 counted.
    3. seg-c down 12 Nov 10:00-10:50 (C), seg-b 10:30-11:30 (B): union 90, C 50 (first), B 40.
    4. the customer's router 20 Nov 08:00-09:00: 60 excluded.
    5. our own seg-own 25 Nov 14:00-14:45: 45, ours.
    6. B's seg-b down from 30 Nov 23:30, open: 30 to the month's end.
    Counted 30 + 60 + 90 + 45 + 30 = 255 (C 30 + 60 + 50 = 140, B 40 + 30 = 70, ours 45);
    42 945 / 43 200 = 99.4097%, below 99.5%: credit 25% x 1 000 = 250.00.
    C: repairs 120 and 50 min, both met; seg-c down 30 + 60 + 50 = 140: 43 060 / 43 200 = 99.6759% < 99.9%:
    10% x 500 = 50.00. B: repair 60 met, the open one 24.5 h at the report: missed; seg-b down 60 + 30 = 90:
    43 110 / 43 200 = 99.7917% < 99.95%: 20% x 800 = 160.00 (no missed-repair penalty in B's OLA)."""
    outages = [
        outage("1", datetime(2026, 10, 31, 23, 20, tzinfo=UTC), nov(1, 0, 30)),
        outage("2", nov(5, 3), nov(5, 5)),
        outage("3c", nov(12, 10), nov(12, 10, 50)),
        outage("3b", nov(12, 10, 30), nov(12, 11, 30), responsible=B, segment="seg-b"),
        outage("4", nov(20, 8), nov(20, 9), responsible=CUSTOMER, segment=None),
        outage("5", nov(25, 14), nov(25, 14, 45), responsible=Responsible.parse("ours"), segment="seg-own"),
        outage("6", nov(30, 23, 30), None, responsible=B, segment="seg-b"),
    ]
    report = run(outages, [window("N-5", nov(5, 2), nov(5, 4))])
    (svc,) = report.services
    assert minutes(svc.unavailable_seconds) == 255
    assert {k: minutes(v) for k, v in svc.by_domain.items()} == {
        f"supplier:{C_ID}": 140, f"supplier:{B_ID}": 70, "ours": 45}
    assert (minutes(svc.excluded_maintenance_seconds), minutes(svc.excluded_customer_seconds)) == (60, 60)
    assert (str(svc.availability_pct), svc.met, svc.credit_pct, svc.credit) == (
        "99.4097", False, Decimal(25), Decimal("250.00"))
    c, b = supplier(report, C_ID), supplier(report, B_ID)
    assert [(r.outage_id, minutes(r.repair_seconds), r.status) for r in c.repairs] == [
        ("out-2", 120, "met"), ("out-3c", 50, "met")]
    assert [(s.segment_id, minutes(s.down_seconds), str(_pct(s)), s.penalty) for s in c.segments] == [
        ("seg-c", 140, "99.6759", Decimal("50.00"))]
    assert c.penalty == Decimal("50.00")
    assert [(r.outage_id, r.status) for r in b.repairs] == [("out-3b", "met"), ("out-6", "missed")]
    assert [(s.segment_id, minutes(s.down_seconds), str(_pct(s)), s.penalty) for s in b.segments] == [
        ("seg-b", 90, "99.7917", Decimal("160.00"))]
    assert b.penalty == Decimal("160.00")


def _pct(segment) -> Decimal:  # type: ignore[no-untyped-def]
    return (Decimal(segment.availability.numerator) / Decimal(segment.availability.denominator)).quantize(
        Decimal("0.0001"))


def test_an_ended_outage_counts_whole_whenever_the_report_is_made() -> None:
    """A report's instant bounds only open outages: 50 min ended on 10 Nov count 50 min in a report made on
    1 Nov (a fast demo clock read by a real one); an open outage from 10 Nov counts nothing before it began."""
    early = nov(1)
    assert minutes(run([outage("a", nov(10, 8), nov(10, 8, 50))], as_of=early).services[0].unavailable_seconds) \
        == 50
    assert run([outage("o", nov(10, 8), None)], as_of=early).services[0].unavailable_seconds == 0
