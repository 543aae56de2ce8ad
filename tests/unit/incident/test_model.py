"""The MEF 124 incident lifecycle without HTTP or a database: the status machine as data, the dates that drive
it, and the document it keeps (valid against the envelope's Incident at every step)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from counterpoint.core.incident.model import (
    DEFAULT_ESTIMATE,
    INCIDENT_ALLOWED,
    Impact,
    Incident,
    IncidentStatus,
    IncidentType,
    Notice,
    new_incident,
)
from counterpoint.core.shared.errors import TransitionNotAllowed
from counterpoint.core.shared.transitions import terminal_states
from tests.helpers import validate_against

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
S = IncidentStatus
CONTACT = {"role": "incidentContact", "name": "NOC", "emailAddress": "noc@x.invalid", "number": "1"}


def incident(*, start: timedelta = timedelta(hours=2), length: timedelta | None = timedelta(hours=3),
             closes_at_end: bool = True, kind: IncidentType = IncidentType.MAINTENANCE) -> Incident:
    notice = Notice(notice_id="n1", incident_type=kind, impact=Impact.DOWN, start=T0 + start,
                    end=T0 + start + length if length is not None else None, description="work",
                    closes_at_end=closes_at_end)
    return new_incident(notice, buyer_id="b", seller_id="s", channel="sonata", product_ids=["p2", "p1"],
                        contact=CONTACT, at=T0)


def mef_valid(inc: Incident) -> None:
    validate_against("troubleTicket", "sonata", {"$ref": "#/components/schemas/Incident"}, inc.doc)
    find = {k: v for k, v in inc.doc.items() if k not in ("relatedContactInformation", "statusChange", "note")}
    validate_against("troubleTicket", "sonata", {"$ref": "#/components/schemas/Incident_Find"}, find)


def test_the_status_machine_is_mef_124s() -> None:
    assert INCIDENT_ALLOWED[S.CREATED] == {S.IN_PROGRESS, S.CLOSED}
    assert INCIDENT_ALLOWED[S.IN_PROGRESS] == {S.CLOSED}
    assert terminal_states(INCIDENT_ALLOWED, IncidentStatus) == {S.CLOSED}
    inc = incident()
    inc.move_to(S.CLOSED, at=T0)
    with pytest.raises(TransitionNotAllowed):
        inc.move_to(S.IN_PROGRESS, at=T0)
    with pytest.raises(TransitionNotAllowed):
        inc.move_to(S.CLOSED, at=T0)


def test_a_new_incident_is_a_create_event_with_the_required_fields() -> None:
    inc = incident()
    assert [e.event_type for e in inc.events] == ["incidentCreateEvent"]
    assert all(e.api == "troubleTicket" for e in inc.events)
    assert inc.product_ids == ["p2", "p1"] and inc.scope_ids == ["p1", "p2"]
    assert inc.due_at == T0 + timedelta(hours=2)
    assert (inc.doc["priority"], inc.doc["severity"]) == ("high", "significant")
    mef_valid(inc)


def test_dates_drive_it_and_a_window_missed_entirely_closes_at_once() -> None:
    inc = incident()
    assert not inc.advance(T0 + timedelta(hours=1))
    assert inc.advance(T0 + timedelta(hours=2)) and inc.status is S.IN_PROGRESS
    assert inc.due_at == T0 + timedelta(hours=5)
    assert inc.advance(T0 + timedelta(hours=5)) and inc.status is S.CLOSED and inc.due_at is None
    late = incident()
    assert late.advance(T0 + timedelta(days=1))
    assert late.status is S.CLOSED and [c["status"] for c in late.doc["statusChange"]] == ["created", "closed"]


def test_an_impairment_gets_an_expected_end_when_it_starts_and_waits_to_be_closed() -> None:
    inc = incident(start=timedelta(0), length=None, closes_at_end=False, kind=IncidentType.REPAIR)
    assert "expectedClosedDate" not in inc.doc
    inc.advance(T0)
    assert inc.status is S.IN_PROGRESS and inc.end == T0 + DEFAULT_ESTIMATE  # MEF 124 R70
    assert inc.due_at is None
    assert not inc.advance(T0 + timedelta(days=30))
    mef_valid(inc)


def test_revisions_record_an_attribute_change_only_when_something_changed() -> None:
    inc = incident()
    inc.events.clear()
    assert not inc.revise(at=T0, description="work")
    assert inc.revise(at=T0, end=T0 + timedelta(hours=9), note="longer", impact=Impact.DEGRADED)
    assert [e.event_type for e in inc.events] == ["incidentAttributeValueChangeEvent"]
    assert inc.doc["impact"] == "degraded" and inc.doc["note"][0]["source"] == "seller"
    inc.move_to(S.CLOSED, at=T0)
    assert not inc.revise(at=T0, note="after")


ops = st.lists(st.one_of(
    st.tuples(st.just("wait"), st.integers(min_value=0, max_value=8 * 60)),
    st.tuples(st.just("close"), st.just(0)),
    st.tuples(st.just("extend"), st.integers(min_value=1, max_value=6 * 60)),
), max_size=12)


@settings(max_examples=150, deadline=None)
@given(ops=ops, closes_at_end=st.booleans(), has_end=st.booleans())
def test_any_history_keeps_mef_s_rules(ops: list[tuple[str, int]], closes_at_end: bool, has_end: bool) -> None:
    inc = incident(length=timedelta(hours=3) if has_end or closes_at_end else None, closes_at_end=closes_at_end)
    now = T0
    for op, minutes in ops:
        if op == "wait":
            now += timedelta(minutes=minutes)
            inc.advance(now)
        elif op == "close" and inc.status is not S.CLOSED:
            inc.move_to(S.CLOSED, at=now)
        elif op == "extend":
            inc.revise(at=now, end=max(now, inc.start) + timedelta(minutes=minutes))
            inc.advance(now)
        # invariants after every step
        history = [c["status"] for c in inc.doc["statusChange"]]
        for before, after in zip(history, history[1:], strict=False):
            assert S(after) in INCIDENT_ALLOWED[S(before)]
        assert history[-1] == inc.status.value == inc.doc["status"]
        status_events = [e for e in inc.events if e.event_type == "incidentStatusChangeEvent"]
        assert len(status_events) == len(history) - 1  # one event per status change (R69)
        assert ("closedDate" in inc.doc) == (inc.status is S.CLOSED)  # R53
        if inc.status is S.IN_PROGRESS:
            assert "expectedClosedDate" in inc.doc  # R70
        if inc.status is S.CREATED:
            assert now < inc.start and inc.due_at == inc.start
        if closes_at_end and inc.end is not None and now >= inc.end:
            assert inc.status is S.CLOSED
        mef_valid(inc)
