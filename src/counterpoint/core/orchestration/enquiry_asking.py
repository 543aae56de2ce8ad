"""The worker's step of a supply enquiry: claim what is due and commit, call the suppliers outside any
transaction, settle their answers in a new one, and wake our POQ or quote once every segment answered."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from counterpoint.core.orchestration.codec import ref_from
from counterpoint.core.orchestration.enquiry import (
    MAX_ROUNDS,
    AskState,
    Call,
    EnquiryState,
    Purpose,
    SupplyAsk,
    SupplyEnquiry,
    price_json,
)
from counterpoint.core.orchestration.enquiry_combining import finish
from counterpoint.core.orchestration.enquiry_confirmation import release_or_fail
from counterpoint.core.orchestration.model import (
    CompositeState,
    idempotency_key,
)
from counterpoint.core.orchestration.ports import Suppliers, Timing, UowFactory
from counterpoint.core.orchestration.supply import (
    OutcomeUnknown,
    QualificationAnswer,
    QualificationRequest,
    QualificationState,
    QuoteAnswer,
    QuoteRequest,
    QuoteState,
    SupplierAdapter,
    SupplierError,
    SupplierNotFound,
    SupplierRejected,
)
from counterpoint.core.ports import Resources, UnitOfWork
from counterpoint.core.seller.model import SellerProfile
from counterpoint.core.shared.clock import Clock
from counterpoint.core.shared.errors import NotFound, StaleVersion
from counterpoint.core.shared.times import iso


def _due(ask: SupplyAsk, now: datetime) -> bool:
    return not ask.own and not ask.final and ask.due_at is not None and ask.due_at <= now


async def _parent_gone(uow: UnitOfWork, enq: SupplyEnquiry) -> str | None:
    """Why nobody waits for this enquiry any more, or None."""
    try:
        if enq.purpose is Purpose.QUOTE:
            quote = await uow.quotes.get_unscoped(enq.resource_id)
            return f"our quote is {quote.state.value}" if quote.is_final else None
        if enq.purpose is Purpose.QUALIFY:
            poq = await uow.poqs.get_unscoped(enq.resource_id)
            return f"our POQ is {poq.state.value}" if poq.is_final else None
        composite = await uow.composites.get_unscoped(enq.resource_id)
    except NotFound:
        return "our resource is gone"
    return None if composite.state is CompositeState.ORDERING else f"the composite order is {composite.state.value}"


async def advance_enquiry(uow_factory: UowFactory, clock: Clock, profile: SellerProfile, suppliers: Suppliers,
                          enquiry_id: str, *, timing: Timing) -> int:
    """Ask what is due of one enquiry; settle the answers; combine them when every segment has answered."""
    now = clock.now()
    async with uow_factory() as uow:
        enq: SupplyEnquiry = await uow.enquiries.get_unscoped(enquiry_id)
        if enq.state is not EnquiryState.OPEN or enq.due_at is None or enq.due_at > now:
            return 0
        gone = await _parent_gone(uow, enq)
        if gone is not None:
            enq.abandon(gone, at=now)
            await uow.enquiries.save(enq)
            await uow.commit()
            return 1
        due = [a for a in enq.asks if _due(a, now)]
        for ask in due:  # claimed and stored before anything is sent
            if ask.state is AskState.TO_SEND:
                enq.note(now, "asking", segment=ask.segment, provider=ask.provider_id,
                         call=ask.call.value if ask.call else None, key=ask.key)
            ask.state, ask.attempts, ask.sent_at = AskState.IN_FLIGHT, ask.attempts + 1, now
            ask.due_at = now + timedelta(seconds=timing.in_flight_grace_s)
        enq.due_at = enq.next_due()
        await uow.enquiries.save(enq)
        await uow.commit()
    if not due:
        return 0
    outcomes: list[tuple[str, QualificationAnswer | QuoteAnswer | SupplierError]] = []
    for ask in due:
        outcomes.append((ask.segment, await _call(suppliers.adapter(ask.provider_id), enq, ask)))
    for attempt in range(3):  # the answers are in hand: a lost race (the composite moved meanwhile) is retried
        try:
            enq, finished = await _settle_all(uow_factory, clock, profile, enquiry_id, outcomes, timing=timing)
            break
        except StaleVersion:
            if attempt == 2:
                raise  # the claimed asks are asked again after their grace time
    if finished and enq.purpose is not Purpose.CONFIRM:
        await _wake(uow_factory, clock, enq)
    return 1


async def _settle_all(uow_factory: UowFactory, clock: Clock, profile: SellerProfile, enquiry_id: str,
                      outcomes: list[tuple[str, QualificationAnswer | QuoteAnswer | SupplierError]], *,
                      timing: Timing) -> tuple[SupplyEnquiry, bool]:
    async with uow_factory() as uow:
        enq: SupplyEnquiry = await uow.enquiries.get_unscoped(enquiry_id)
        now = clock.now()
        for segment, outcome in outcomes:
            _settle(profile, enq, enq.ask(segment), outcome, now=now, timing=timing)
        finished = enq.state is EnquiryState.OPEN and enq.complete
        if finished:
            finish(profile, enq, now=now)
            if enq.purpose is Purpose.CONFIRM:
                await release_or_fail(uow, enq, now=now)
        enq.due_at = enq.next_due()
        await uow.enquiries.save(enq)
        await uow.commit()
    return enq, finished


async def _call(adapter: SupplierAdapter, enq: SupplyEnquiry, ask: SupplyAsk
                ) -> QualificationAnswer | QuoteAnswer | SupplierError:
    correlation = enq.correlation_id or enq.id
    try:
        if ask.call is Call.QUALIFY:
            if ask.ref is not None:
                return await adapter.get_qualification(ask.ref)
            return await adapter.qualify(QualificationRequest(
                our_ref=ask.key, correlation_id=correlation, offering_id=ask.offering_id, spec_urn=ask.spec_urn,
                configuration=ask.configuration, places=ask.places, bandwidth_mbps=enq.bandwidth_mbps))
        if ask.call is Call.CHECK:
            quoted = ref_from(ask.quoted.get("ref"))
            assert quoted is not None
            return await adapter.get_quote(quoted)
        if ask.ref is not None:
            return await adapter.get_quote(ask.ref)
        return await adapter.request_quote(QuoteRequest(
            our_ref=ask.key, correlation_id=correlation, offering_id=ask.offering_id, spec_urn=ask.spec_urn,
            configuration=ask.configuration, places=ask.places, term_months=enq.term_months or 12,
            bandwidth_mbps=enq.bandwidth_mbps, poq_ref=ask.poq_ref, poq_item_id=ask.poq_item_id))
    except SupplierError as exc:
        return exc


def _poll(profile: SellerProfile, provider_id: str) -> timedelta:
    orch = profile.orchestration
    try:
        return timedelta(seconds=orch.provider(provider_id).poll_interval_s) if orch else timedelta(seconds=30)
    except KeyError:
        return timedelta(seconds=30)


def _quote_json(a: QuoteAnswer) -> dict[str, Any]:
    return {"state": a.state.value, "raw": a.raw_state, "price": price_json(a.price), "termMonths": a.term_months,
            "leadTimeDays": a.lead_time_days, "validUntil": iso(a.valid_until) if a.valid_until else None,
            "reason": a.reason, "observedAt": iso(a.observed_at)}


def _renew(enq: SupplyEnquiry, ask: SupplyAsk, reason: str, *, now: datetime) -> None:
    """Ask the question anew (a new supplier resource under a new key), or give up after MAX_ROUNDS."""
    if ask.round >= MAX_ROUNDS:
        ask.state, ask.reason, ask.due_at = AskState.FAILED, f"{reason}; asked {ask.round} times", None
        enq.note(now, "gave up asking", segment=ask.segment, provider=ask.provider_id, reason=ask.reason)
        return
    ask.call = Call.QUALIFY if enq.purpose is Purpose.QUALIFY else Call.QUOTE
    ask.round += 1
    ask.key = idempotency_key(ask.provider_id, enq.id, ask.segment, ask.call.value, ask.round)
    ask.ref, ask.item_id, ask.state, ask.due_at, ask.reason = None, None, AskState.TO_SEND, now, reason
    enq.note(now, "asking again", segment=ask.segment, provider=ask.provider_id, reason=reason, round=ask.round)


def _settle(profile: SellerProfile, enq: SupplyEnquiry, ask: SupplyAsk,
            outcome: QualificationAnswer | QuoteAnswer | SupplierError, *, now: datetime, timing: Timing) -> None:
    if ask.state is not AskState.IN_FLIGHT:
        return  # settled meanwhile
    reading = ask.ref is not None or ask.call is Call.CHECK
    if isinstance(outcome, OutcomeUnknown):  # asked again, same key, after a grace time
        ask.state, ask.due_at, ask.reason = AskState.UNKNOWN, now + timedelta(seconds=timing.recovery_grace_s), \
            outcome.reason
        enq.note(now, "outcome unknown", segment=ask.segment, provider=ask.provider_id, reason=outcome.reason)
    elif isinstance(outcome, SupplierNotFound) and reading:
        _renew(enq, ask, f"the supplier no longer knows {ask.ref.value if ask.ref else 'the quote'}", now=now)
    elif isinstance(outcome, SupplierRejected):
        ask.state, ask.reason, ask.due_at = AskState.FAILED, outcome.reason, None
        enq.note(now, "supplier refused", segment=ask.segment, provider=ask.provider_id, reason=outcome.reason)
    elif isinstance(outcome, SupplierError):  # unavailable: the same call later, with a growing wait
        wait = min(timing.max_retry_backoff_s, timing.retry_backoff_s * 2 ** max(0, ask.attempts - 1))
        ask.state = AskState.WAITING if ask.ref is not None else AskState.TO_SEND
        ask.due_at, ask.reason = now + timedelta(seconds=wait), outcome.reason
        enq.note(now, "supplier unavailable", segment=ask.segment, provider=ask.provider_id, reason=outcome.reason)
    elif isinstance(outcome, QualificationAnswer):
        ask.ref, ask.item_id, ask.reason = outcome.ref, outcome.item_id or ask.item_id, None
        ask.see(outcome.raw_state)
        ask.answer = {"state": outcome.state.value, "raw": outcome.raw_state,
                      "installationDays": outcome.installation_days, "reason": outcome.reason,
                      "observedAt": iso(outcome.observed_at)}
        if outcome.state is QualificationState.PENDING:
            ask.state, ask.due_at = AskState.WAITING, now + _poll(profile, ask.provider_id)
        else:
            ask.state, ask.due_at = AskState.ANSWERED, None
            enq.note(now, "supplier qualified", segment=ask.segment, provider=ask.provider_id,
                     answer=outcome.state.value, ref=outcome.ref.value)
    elif ask.call is Call.CHECK:
        stands = outcome.state is QuoteState.FIRM and (outcome.valid_until is None or outcome.valid_until > now)
        ask.see(outcome.raw_state)
        if stands:
            ask.state, ask.due_at = AskState.ANSWERED, None
            ask.ref, ask.item_id = ref_from(ask.quoted["ref"]), ask.quoted.get("itemId")
            ask.answer = {**_quote_json(outcome), "price": ask.quoted.get("price"), "stands": True}
            enq.note(now, "supplier quote still stands", segment=ask.segment, provider=ask.provider_id,
                     ref=outcome.ref.value)
        else:
            until = iso(outcome.valid_until) if outcome.valid_until else "-"
            _renew(enq, ask, f"the supplier quote {outcome.ref.value} is {outcome.raw_state} (valid until {until})",
                   now=now)
    else:
        ask.ref, ask.item_id, ask.reason = outcome.ref, outcome.item_id or ask.item_id, None
        ask.see(outcome.raw_state)
        ask.answer = _quote_json(outcome)
        if outcome.state is QuoteState.PENDING:
            ask.state, ask.due_at = AskState.WAITING, now + _poll(profile, ask.provider_id)
        elif outcome.state in (QuoteState.EXPIRED, QuoteState.CANCELLED) or (
                outcome.state is QuoteState.FIRM and outcome.valid_until is not None and outcome.valid_until <= now):
            _renew(enq, ask, f"the supplier quote {outcome.ref.value} ended ({outcome.raw_state}) before we used it",
                   now=now)
        else:
            ask.state, ask.due_at = AskState.ANSWERED, None
            enq.note(now, "supplier quoted", segment=ask.segment, provider=ask.provider_id,
                     answer=outcome.state.value, ref=outcome.ref.value,
                     price=f"{outcome.price.currency} {outcome.price.nrc} + {outcome.price.mrc}/month"
                     if outcome.price else None)


async def _wake(uow_factory: UowFactory, clock: Clock, enq: SupplyEnquiry) -> None:
    """Our POQ or quote answers on its worker's next round (a lost race is retried; its deadline is the floor)."""
    for _ in range(3):
        try:
            async with uow_factory() as uow:
                repo: Resources[Any] = uow.quotes if enq.purpose is Purpose.QUOTE else uow.poqs
                parent = await repo.get_unscoped(enq.resource_id)
                now = clock.now()
                if parent.is_final:
                    return
                at = max(now, parent.answer_at) if parent.answer_at is not None else now
                if parent.due_at is not None and parent.due_at <= at:
                    return
                parent.due_at = at
                await repo.save(parent)
                await uow.commit()
                return
        except StaleVersion:
            continue
