"""The rules a supplier's ticket evidence must pass (ticket_model.judge_ticket), and a property over any
sequence of evidence: an applied observation never moves a ticket back unless the supplier says it reopened
or we asked it to, and a closed or cancelled ticket stays so."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from counterpoint.core.orchestration.supply import Source
from counterpoint.core.orchestration.ticket_model import Escalation, apply_ticket, judge_ticket
from counterpoint.core.orchestration.ticket_supply import TICKET_RANK, TICKET_TERMINAL, TicketObservation, TicketState
from counterpoint.core.shared.ids import ExternalRef

T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)
STALE = timedelta(minutes=5)
REF = ExternalRef("sup", "TT-1", "troubleTicket")


def esc(state: TicketState = TicketState.INVESTIGATING, as_of: datetime | None = T0) -> Escalation:
    return Escalation(id="e", provider_id="sup", segment_id="s", segment_name="last-mile", our_ref="cp-1",
                      state=state, state_as_of=as_of, external_ref=REF)


def obs(state: TicketState, *, at: datetime = T0, as_of: datetime | None = None, reopened: bool = False,
        raw: str | None = None) -> TicketObservation:
    return TicketObservation(state=state, raw_state=raw or state.value, ref=REF, source=Source.POLL,
                             observed_at=at, as_of=as_of, reopened=reopened)


def test_the_rules_in_order() -> None:
    now = T0 + timedelta(minutes=1)
    resolved = obs(TicketState.RESOLVED, as_of=T0 + timedelta(seconds=30))
    assert judge_ticket(esc(), resolved, now=now, staleness=STALE, seen=True).why.startswith("duplicate")
    assert judge_ticket(esc(), obs(TicketState.RESOLVED, at=T0 - STALE * 2), now=now,
                        staleness=STALE).why.startswith("stale")
    assert judge_ticket(esc(), obs(TicketState.UNRECOGNISED, raw="onFire"), now=now,
                        staleness=STALE).why.startswith("unrecognised")
    older = obs(TicketState.RESOLVED, as_of=T0 - timedelta(minutes=1))
    assert judge_ticket(esc(), older, now=now, staleness=STALE).why.startswith("out of order")
    assert judge_ticket(esc(TicketState.CLOSED), resolved, now=now, staleness=STALE).why == "ticket already closed"
    back = obs(TicketState.INVESTIGATING, as_of=T0 + timedelta(minutes=1))
    assert not judge_ticket(esc(TicketState.RESOLVED), back, now=now, staleness=STALE).applied
    assert judge_ticket(esc(TicketState.RESOLVED), obs(TicketState.INVESTIGATING, reopened=True), now=now,
                        staleness=STALE).why == "reopened"
    asked = esc(TicketState.RESOLVED)
    asked.reopening = True
    assert judge_ticket(asked, back, now=now, staleness=STALE).applied
    assert judge_ticket(esc(), resolved, now=now, staleness=STALE).why == "moves the ticket on"


def test_applying_a_step_back_ends_the_reopening_and_the_resolution() -> None:
    e = esc(TicketState.RESOLVED)
    e.reopening, e.resolved_at = True, T0
    changes = apply_ticket(e, obs(TicketState.INVESTIGATING, as_of=T0 + timedelta(minutes=1), raw="reopened"))
    assert changes[0] == "resolvedPendingValidation -> investigating"
    assert (e.reopening, e.resolved_at, e.state_as_of) == (False, None, T0 + timedelta(minutes=1))


STATES = [s for s in TicketState if s is not TicketState.UNRECOGNISED]


@given(st.lists(st.tuples(st.sampled_from(STATES), st.integers(-3, 3), st.booleans()), max_size=25))
def test_evidence_never_moves_a_ticket_back_unless_reopened(steps: list[tuple[TicketState, int, bool]]) -> None:
    e = esc(TicketState.OPEN, as_of=None)
    now = T0
    for state, minutes, reopened in steps:
        now += timedelta(minutes=1)
        o = obs(state, at=now, as_of=now + timedelta(minutes=minutes), reopened=reopened)
        before = e.state
        verdict = judge_ticket(e, o, now=now, staleness=STALE)
        if not verdict.applied:
            continue
        apply_ticket(e, o)
        if before in TICKET_TERMINAL:
            assert e.state is before
        if TICKET_RANK[e.state] < TICKET_RANK[before]:
            assert reopened or before is TicketState.CANCELLING
