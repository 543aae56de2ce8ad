"""Slot arithmetic of the Seller's technician calendar (MEF 137 searchTimeSlot), without storage.

A slot is an arrival window on the calendar's grid: on a working day, from `day_start + k * slot` for as long as
a whole slot fits before `day_end`. Each slot can hold `technicians` visits; a booking takes one technician of one
slot (storage keeps one row per (slot start, technician) under a unique key, so two bookings can never share a
technician, whatever the interleaving of concurrent requests).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from counterpoint.core.seller.model import Workforce


@dataclass(frozen=True, slots=True, order=True)
class Slot:
    start: datetime
    end: datetime

    def overlaps(self, start: datetime, end: datetime) -> bool:
        return self.start < end and start < self.end


def day_slots(cal: Workforce, day: datetime) -> list[Slot]:
    """The slots of one calendar day (UTC), empty on a day off."""
    midnight = day.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if midnight.weekday() not in cal.working_days or cal.slot <= timedelta(0):
        return []
    start = midnight + timedelta(hours=cal.day_start.hour, minutes=cal.day_start.minute)
    close = midnight + timedelta(hours=cal.day_end.hour, minutes=cal.day_end.minute)
    out: list[Slot] = []
    while start + cal.slot <= close:
        out.append(Slot(start, start + cal.slot))
        start += cal.slot
    return out


def grid(cal: Workforce, start: datetime, end: datetime) -> Iterator[Slot]:
    """Every slot lying wholly within [start, end), in time order."""
    day = start.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    while day < end:
        for slot in day_slots(cal, day):
            if slot.start >= start and slot.end <= end:
                yield slot
        day += timedelta(days=1)


def is_slot(cal: Workforce, start: datetime, end: datetime) -> bool:
    """Whether [start, end) is exactly one slot of the calendar."""
    return Slot(start.astimezone(UTC), end.astimezone(UTC)) in day_slots(cal, start)


def earliest_start(cal: Workforce, now: datetime) -> datetime:
    """No slot starting before this can be booked: the Seller needs its lead time."""
    return now + cal.lead


def available(cal: Workforce, *, now: datetime, periods: Iterable[tuple[datetime, datetime]],
              booked: Mapping[datetime, int]) -> list[Slot]:
    """The free slots within any of the requested periods: on the grid, not sooner than the lead time, no later
    than the search horizon, with fewer bookings than technicians; time order, no duplicates, at most
    `max_offered`."""
    first, last = earliest_start(cal, now), now + cal.search_horizon
    found: set[Slot] = set()
    for start, end in periods:
        lo, hi = max(start, first), min(end, last)
        if lo >= hi:
            continue
        for slot in grid(cal, lo, hi):
            if booked.get(slot.start, 0) < cal.technicians:
                found.add(slot)
                if len(found) >= cal.max_offered * 4:  # enough to choose the earliest from
                    break
    return sorted(found)[:cal.max_offered]


def bookable(cal: Workforce, *, now: datetime, start: datetime, end: datetime,
             booked: Mapping[datetime, int]) -> str | None:
    """Why [start, end) cannot be booked now (None when it can)."""
    if end <= start:
        return "validFor ends before it starts"
    if not is_slot(cal, start, end):
        return "validFor is not one of the Seller's time slots (search them with searchTimeSlot)"
    if start < earliest_start(cal, now):
        return f"the earliest bookable slot starts {cal.lead} from now"
    if start > now + cal.search_horizon:
        return "validFor lies beyond the Seller's booking horizon"
    if booked.get(start.astimezone(UTC), 0) >= cal.technicians:
        return "no Seller technician is free in that slot"
    return None
