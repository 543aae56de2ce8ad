"""Slot arithmetic of the technician calendar, with hypothesis: what is offered is bookable, and however bookings
come and go no slot ever holds more visits than there are technicians."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from counterpoint.core.seller.model import Workforce
from counterpoint.core.workforce import slots

NOW = datetime(2026, 1, 5, 9, tzinfo=UTC)  # a Monday
CAL = Workforce(technicians=2, day_start=time(8), day_end=time(17), slot=timedelta(hours=2),
                lead=timedelta(hours=24), visit=timedelta(minutes=90))


def test_a_day_of_slots() -> None:
    day = slots.day_slots(CAL, NOW)
    assert [(s.start.hour, s.end.hour) for s in day] == [(8, 10), (10, 12), (12, 14), (14, 16)]  # 16-18 does not fit
    assert slots.day_slots(CAL, NOW + timedelta(days=5)) == []  # Saturday
    assert slots.is_slot(CAL, day[1].start, day[1].end)
    assert not slots.is_slot(CAL, day[1].start + timedelta(minutes=1), day[1].end + timedelta(minutes=1))


def test_bookable_says_why_not() -> None:
    tue = NOW.replace(hour=8) + timedelta(days=1)
    wed = tue + timedelta(days=1)
    two = timedelta(hours=2)
    assert slots.bookable(CAL, now=NOW, start=wed, end=wed + two, booked={}) is None
    assert slots.bookable(CAL, now=NOW, start=tue, end=tue + two, booked={}) is not None
    assert slots.bookable(CAL, now=NOW, start=wed, end=wed + two, booked={wed: 2}) == \
        "no Seller technician is free in that slot"
    assert slots.bookable(CAL, now=NOW, start=wed, end=wed, booked={}) == "validFor ends before it starts"


calendars = st.builds(
    lambda tech, start, hours, slot_min, lead_h, days: Workforce(
        technicians=tech, day_start=time(start), day_end=time(min(23, start + hours)),
        slot=timedelta(minutes=slot_min), lead=timedelta(hours=lead_h), working_days=frozenset(days)),
    st.integers(1, 3), st.integers(0, 12), st.integers(1, 11), st.sampled_from([30, 45, 60, 90, 120, 180]),
    st.integers(0, 72), st.sets(st.integers(0, 6), min_size=1))
periods = st.lists(st.tuples(st.integers(0, 14 * 24 * 4), st.integers(1, 3 * 24 * 4)), min_size=1, max_size=4)


def _periods(raw: list[tuple[int, int]]) -> list[tuple[datetime, datetime]]:
    return [(NOW + timedelta(minutes=15 * a), NOW + timedelta(minutes=15 * (a + b))) for a, b in raw]


@settings(max_examples=150, deadline=None)
@given(calendars, periods)
def test_what_is_offered_lies_on_the_grid_inside_a_requested_period(cal: Workforce,
                                                                    raw: list[tuple[int, int]]) -> None:
    wanted = _periods(raw)
    offered = slots.available(cal, now=NOW, periods=wanted, booked={})
    assert offered == sorted(set(offered))
    for slot in offered:
        assert slots.bookable(cal, now=NOW, start=slot.start, end=slot.end, booked={}) is None
        assert any(s <= slot.start and slot.end <= e for s, e in wanted)
        assert slot.start.weekday() in cal.working_days


class FakeSlots:
    """The storage's rule in memory: one booking per (slot start, technician)."""

    def __init__(self) -> None:
        self.rows: dict[tuple[datetime, int], str] = {}

    def booked(self) -> Counter[datetime]:
        return Counter(start for start, _ in self.rows)

    def book(self, start: datetime, technicians: int, appt: str) -> int | None:
        for index in range(technicians):
            if (start, index) not in self.rows:
                self.rows[(start, index)] = appt
                return index
        return None

    def release(self, appt: str) -> None:
        self.rows = {k: v for k, v in self.rows.items() if v != appt}


@settings(max_examples=150, deadline=None)
@given(calendars, st.lists(st.tuples(st.booleans(), st.integers(0, 40), st.integers(0, 200)), max_size=60))
def test_no_instant_ever_holds_more_visits_than_technicians(cal: Workforce,
                                                            moves: list[tuple[bool, int, int]]) -> None:
    store, held = FakeSlots(), {}  # appointment -> its slot
    grid = list(slots.grid(cal, NOW, NOW + timedelta(days=14)))
    assert all(a.end <= b.start for a, b in zip(grid, grid[1:], strict=False))  # slots of the grid never overlap
    for n, (cancel, pick, which) in enumerate(moves):
        if cancel and held:
            appt = sorted(held)[which % len(held)]
            store.release(appt)
            del held[appt]
            continue
        if not grid:
            break
        slot = grid[pick % len(grid)]
        if slots.bookable(cal, now=NOW, start=slot.start, end=slot.end, booked=store.booked()) is not None:
            continue
        if store.book(slot.start, cal.technicians, f"a{n}") is not None:
            held[f"a{n}"] = slot
    # sweep every instant at which a visit starts: the visits overlapping it never outnumber the technicians
    for instant in {s.start for s in held.values()}:
        overlapping = [s for s in held.values() if s.overlaps(instant, instant + timedelta(microseconds=1))]
        assert len(overlapping) <= cal.technicians
    offered = slots.available(cal, now=NOW, periods=[(NOW, NOW + timedelta(days=14))], booked=store.booked())
    assert all(store.booked()[s.start] < cal.technicians for s in offered)
    full = {start for start, count in store.booked().items() if count >= cal.technicians}
    assert not full & {s.start for s in offered}
