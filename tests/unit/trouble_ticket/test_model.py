"""The MEF 124 trouble ticket state machine without HTTP or a database."""

from __future__ import annotations

import copy
import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from counterpoint.core.shared.errors import TransitionNotAllowed
from counterpoint.core.shared.times import iso
from counterpoint.core.trouble_ticket.model import (
    TICKET_ALLOWED,
    TICKET_TERMINAL,
    ResolutionCode,
    TicketStatus,
    TroubleTicket,
    resolution_code_of,
)
from tests.helpers import require_mef

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
S = TicketStatus
PUML = "sonata/documentation/productApi/troubleTicket/media/src/troubleTicketStates.puml"


def ticket() -> TroubleTicket:
    doc = {"id": "t1", "status": "acknowledged", "creationDate": iso(T0),
           "statusChange": [{"changeDate": iso(T0), "status": "acknowledged"}]}
    return TroubleTicket(id="t1", buyer_id="b", seller_id="s", channel="sonata", created_at=T0, updated_at=T0,
                         status=S.ACKNOWLEDGED, doc=doc)


def figure_9() -> set[tuple[str, str]]:
    """The arrows of the guide's state diagram, its `Buyer confirms?` choice folded into `resolved`."""
    text = (require_mef() / PUML).read_text()
    edges: set[tuple[str, str]] = set()
    for line in text.splitlines():
        if "[hidden]" in line:
            continue
        if m := re.match(r"^\s*(\w+)\s+-\w*->\s+(\w+)", line):
            edges.add((m.group(1), m.group(2)))
        elif m := re.match(r"^\s*(\w+)\s+<-\w*-\s+(\w+)", line):
            edges.add((m.group(2), m.group(1)))
    choice = {b for a, b in edges if a == "acceptable_to_buyer"}
    edges = {(a, b) for a, b in edges if "acceptable_to_buyer" not in (a, b)}
    return edges | {("resolved", b) for b in choice}


def test_the_transition_table_is_figure_9_arrow_for_arrow() -> None:
    ours = {(a.value, b.value) for a, targets in TICKET_ALLOWED.items() for b in targets}
    assert ours == figure_9()
    assert TICKET_TERMINAL == {S.CLOSED, S.CANCELLED}


def test_each_move_records_its_history_and_events() -> None:
    t = ticket()
    t.start_work(at=T0)
    t.request_information("the CPE serial number", at=T0 + timedelta(hours=1))
    assert t.status is S.PENDING and t.doc["note"][-1]["source"] == "seller"
    assert "CPE serial" in t.doc["note"][-1]["text"]
    t.start_work(at=T0 + timedelta(hours=2))
    t.resolve("replaced the line card", at=T0 + timedelta(hours=3), code=ResolutionCode.CUSTOMER_EQUIPMENT)
    assert t.doc["resolutionDate"] == iso(T0 + timedelta(hours=3))
    assert resolution_code_of(t.doc) is ResolutionCode.CUSTOMER_EQUIPMENT
    assert [e.event_type for e in t.events] == [
        "troubleTicketStatusChangeEvent", "troubleTicketStatusChangeEvent", "troubleTicketInformationRequiredEvent",
        "troubleTicketStatusChangeEvent", "troubleTicketStatusChangeEvent", "troubleTicketResolvedEvent"]
    assert [c["status"] for c in t.doc["statusChange"]] == [
        "acknowledged", "inProgress", "pending", "inProgress", "resolved"]
    t.reopen("still dropping packets", at=T0 + timedelta(hours=4))
    assert t.doc["note"][-1] == {**t.doc["note"][-1], "author": "closureRejection", "source": "buyer",
                                 "text": "still dropping packets"}
    assert "resolutionDate" not in t.doc and resolution_code_of(t.doc) is ResolutionCode.CUSTOMER_EQUIPMENT


def test_an_expected_date_change_comes_with_a_note_r22() -> None:
    t = ticket()
    t.set_expected_resolution(T0 + timedelta(hours=4), "first commitment", at=T0)
    assert "note" not in t.doc  # the first date is a commitment, not a change
    t.set_expected_resolution(T0 + timedelta(hours=9), "spare part on its way", at=T0)
    assert "spare part" in t.doc["note"][-1]["text"] and t.doc["note"][-1]["source"] == "seller"
    t.set_expected_resolution(T0 + timedelta(hours=9), "same again", at=T0)
    assert len(t.doc["note"]) == 1


MOVES = {
    "start": lambda t, at: t.start_work(at=at),
    "info": lambda t, at: t.request_information("logs", at=at),
    "visit": lambda t, at: t.wait_for_appointment(at=at, reason="visit"),
    "resolve": lambda t, at: t.resolve("fixed", at=at),
    "close": lambda t, at: t.close(at=at, reason="ok"),
    "reopen": lambda t, at: t.reopen("not ok", at=at),
    "cancel": lambda t, at: t.request_cancellation(at=at),
    "cancelled": lambda t, at: t.finish_cancellation(at=at),
}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(sorted(MOVES)), max_size=25))
def test_no_sequence_of_moves_leaves_figure_9(moves: list[str]) -> None:
    t = ticket()
    for n, name in enumerate(moves):
        before = (t.status, copy.deepcopy(t.doc), len(t.events))
        try:
            MOVES[name](t, T0 + timedelta(minutes=n))
        except TransitionNotAllowed:
            assert (t.status, t.doc, len(t.events)) == before  # a refused move changes nothing
            continue
        assert t.status in TICKET_ALLOWED[before[0]]
        assert t.doc["status"] == t.status.value
    history = [c["status"] for c in t.doc["statusChange"]]
    assert all(S(b) in TICKET_ALLOWED[S(a)] for a, b in zip(history, history[1:], strict=False))
    if t.status in TICKET_TERMINAL:
        assert t.due_at is None and not t.plan


@pytest.mark.parametrize("status", list(TICKET_TERMINAL))
def test_terminal_statuses_have_no_way_out(status: TicketStatus) -> None:
    assert not TICKET_ALLOWED.get(status)
