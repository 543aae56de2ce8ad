"""The quote and quote item state machines of MEF 115, as data and on the aggregate."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from counterpoint.core.quote.model import (
    COMPLETED,
    ITEM_FINAL,
    OPEN_ANSWERS,
    QUOTE_ALLOWED,
    QUOTE_FINAL,
    QUOTE_INITIAL,
    Quote,
    QuoteItemState,
    QuoteState,
)
from counterpoint.core.shared.errors import TransitionNotAllowed

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
Q, QI = QuoteState, QuoteItemState


def a_quote(state: QuoteState = Q.ACKNOWLEDGED, item_state: QuoteItemState = QI.ACKNOWLEDGED) -> Quote:
    doc = {"buyerRequestedQuoteLevel": "firm", "instantSyncQuote": state is not Q.ACKNOWLEDGED,
           "quoteItem": [{"id": "1", "action": "add", "product": {}}, {"id": "2", "action": "add", "product": {}}]}
    return Quote.create(id="q-1", buyer_id="buyer-a", seller_id="seller", channel="sonata", at=T0, doc=doc,
                        state=state, item_states={"1": item_state, "2": item_state}, instant=True,
                        valid_until=T0 + timedelta(days=30))


def test_terminal_states_are_those_of_the_guide() -> None:
    assert QUOTE_FINAL == {Q.ACCEPTED, Q.DECLINED, Q.EXPIRED, Q.CANCELLED, Q.REJECTED, Q.UNABLE_TO_PROVIDE}
    assert ITEM_FINAL == {QI.APPROVED_ORDERABLE, QI.APPROVED_ORDERABLE_ALTERNATE, QI.ANSWERED, QI.UNABLE_TO_PROVIDE,
                          QI.REJECTED, QI.ABANDONED}
    # cancel only while in progress; decline and accept only an orderable answer; a budgetary answer only expires
    assert {s for s, to in QUOTE_ALLOWED.items() if Q.CANCELLED in to} == {Q.IN_PROGRESS, Q.IN_PROGRESS_DRAFT}
    assert {s for s, to in QUOTE_ALLOWED.items() if Q.DECLINED in to} == {Q.APPROVED_ORDERABLE,
                                                                         Q.APPROVED_ORDERABLE_ALTERNATE}
    assert {s for s, to in QUOTE_ALLOWED.items() if Q.ACCEPTED in to} == {Q.APPROVED_ORDERABLE,
                                                                         Q.APPROVED_ORDERABLE_ALTERNATE}
    assert QUOTE_ALLOWED[Q.ANSWERED] == {Q.EXPIRED}


def test_every_state_is_reachable_from_a_start() -> None:
    seen = set(QUOTE_INITIAL)
    frontier = list(QUOTE_INITIAL)
    while frontier:
        for nxt in QUOTE_ALLOWED.get(frontier.pop(), frozenset()):
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    assert seen == set(QuoteState)


def test_an_immediate_answer_starts_complete_with_validity() -> None:
    quote = a_quote(Q.APPROVED_ORDERABLE, QI.APPROVED_ORDERABLE)
    assert quote.doc["effectiveQuoteCompletionDate"] == quote.doc["quoteDate"] == "2026-01-05T09:00:00Z"
    assert quote.doc["validFor"]["endDateTime"] == "2026-02-04T09:00:00Z"
    assert quote.due_at == T0 + timedelta(days=30)  # when the worker expires it
    assert quote.events == []  # the create response is the first notice
    with pytest.raises(TransitionNotAllowed):
        a_quote(Q.IN_PROGRESS, QI.IN_PROGRESS)


def test_a_refused_move_changes_nothing() -> None:
    quote = a_quote()
    before = copy.deepcopy(quote.doc)
    with pytest.raises(TransitionNotAllowed):
        quote.move_to(Q.CANCELLED, at=T0)
    with pytest.raises(TransitionNotAllowed):
        quote.move_item("1", QI.APPROVED_ORDERABLE, at=T0)
    assert quote.doc == before and quote.events == [] and quote.state is Q.ACKNOWLEDGED


def test_abandoning_an_item_drops_its_prices() -> None:
    quote = a_quote()
    quote.move_item("1", QI.IN_PROGRESS, at=T0)
    quote.move_item("1", QI.IN_PROGRESS_DRAFT, at=T0, answer={"quoteItemPrice": [{"name": "x"}],
                                                              "subjectToFeasibilityCheck": True})
    assert quote.item("1")["quoteItemPrice"]
    quote.move_item("1", QI.ABANDONED, at=T0)
    assert "quoteItemPrice" not in quote.item("1") and "subjectToFeasibilityCheck" not in quote.item("1")
    assert [(e.event_type, e.item_id) for e in quote.events] == [("quoteItemStateChangeEvent", "1")] * 3


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(list(QuoteState)), max_size=12))
def test_random_walks_keep_the_log_and_dates_consistent(targets: list[QuoteState]) -> None:
    quote = a_quote()
    at, moves = T0, 0
    for target in targets:
        at += timedelta(hours=1)
        allowed = target in QUOTE_ALLOWED.get(quote.state, frozenset())
        before = quote.state
        try:
            quote.move_to(target, at=at)
        except TransitionNotAllowed:
            assert not allowed and quote.state is before
            continue
        assert allowed
        moves += 1
    log = [c["state"] for c in quote.doc["stateChange"]]
    assert len(log) == moves + 1 and log[-1] == quote.state.value and log[0] == "acknowledged"
    assert len(quote.events) == moves
    reached = {QuoteState(s) for s in log}
    assert ("effectiveQuoteCompletionDate" in quote.doc) == bool(reached & (COMPLETED | {Q.CANCELLED}))
    if quote.state in QUOTE_FINAL:
        assert quote.due_at is None
    if quote.state in OPEN_ANSWERS:
        assert quote.due_at == quote.valid_until == T0 + timedelta(days=30)
