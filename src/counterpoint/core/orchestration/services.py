"""Use cases of the orchestrator: decompose a customer item, send commands, weigh evidence, test, deliver.

Transactions are short and never span a call to a provider: a command is claimed (IN_FLIGHT) and committed,
the call is made, and its outcome settled in a new transaction. A process that dies between the two leaves
an IN_FLIGHT command past its due time, which recovery treats exactly as an unknown outcome: it asks the
provider for our reference before anything is sent again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from counterpoint.core.inventory.services import apply_order_item
from counterpoint.core.orchestration import evidence
from counterpoint.core.orchestration.codec import ref_from, ref_json, request_from, request_json
from counterpoint.core.orchestration.model import (
    COMPOSITE_TERMINAL,
    CommandState,
    CompositeOrder,
    CompositeState,
    OutboundCommand,
    Segment,
    idempotency_key,
)
from counterpoint.core.orchestration.plan import CompositeOffering, Place, decompose, promised_completion
from counterpoint.core.orchestration.selection import NoSupplier
from counterpoint.core.orchestration.supply import (
    TERMINAL,
    CancellationAnswer,
    CancellationOutcome,
    Observation,
    OutcomeUnknown,
    SegmentRequest,
    SegmentState,
    Source,
    SupplierAdapter,
    SupplierError,
    SupplierNotFound,
    SupplierRejected,
    SupplierUnavailable,
)
from counterpoint.core.ordering.model import ItemState, OrderState, ProductOrder
from counterpoint.core.quote.pricing import months_of
from counterpoint.core.seller.model import SellerProfile
from counterpoint.core.shared.clock import Clock
from counterpoint.core.shared.errors import NotFound, StaleVersion
from counterpoint.core.shared.ids import ExternalRef, new_id
from counterpoint.core.shared.times import iso, parse_aware

if TYPE_CHECKING:
    from counterpoint.core.ports import UnitOfWork

PLACE_ORDER = "placeOrder"
CANCEL_ORDER = "cancelOrder"


class Suppliers(Protocol):
    """The gateway: the one place adapters are found."""

    def adapter(self, provider_id: str) -> SupplierAdapter: ...


class ActivationTester(Protocol):
    """Runs the end-to-end activation test of a service built from delivered segments."""

    async def test(self, composite: CompositeOrder) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class Timing:
    """The orchestrator's own clocks (real seconds, not profile days)."""

    in_flight_grace_s: float = 30.0  # a command still IN_FLIGHT this long after sending is read as UNKNOWN
    recovery_grace_s: float = 5.0  # how long a supplier may take to show a request we sent before we resend
    retry_backoff_s: float = 2.0  # first wait after a supplier was unavailable; doubles per attempt
    max_retry_backoff_s: float = 120.0
    test_retry_s: float = 60.0


UowFactory = Callable[[], "UnitOfWork"]


# ---- decomposition ------------------------------------------------------------------------------------------


def is_composite(profile: SellerProfile, offering_id: str | None) -> CompositeOffering | None:
    orch = profile.orchestration
    return orch.offering(offering_id) if orch is not None and offering_id else None


def _places(profile: SellerProfile, item: dict[str, Any]) -> list[Place]:
    out: list[Place] = []
    for place in (item.get("product") or {}).get("place") or []:
        kind, pid = place.get("@type"), place.get("id")
        address = None
        if kind == "GeographicSiteRef" and pid and (site := profile.site(pid)):
            address = profile.address(site.address_id)
        elif kind == "GeographicAddressRef" and pid:
            address = profile.address(pid)
        if address is not None:
            fields = {"@type": "FieldedAddress", **address.fields}
            out.append(Place(address.fields.get("country"), address.fields.get("city"), fields))
        elif kind == "FieldedAddress":
            fields = {k: v for k, v in place.items() if k not in ("role", "id", "href")}
            out.append(Place(place.get("country"), place.get("city"), fields))
    return out


def start_composite(profile: SellerProfile, offering: CompositeOffering, *, order: ProductOrder,
                    item: dict[str, Any], correlation_id: str, now: datetime,
                    bandwidth_mbps: int | None) -> tuple[CompositeOrder, list[OutboundCommand]]:
    """Decompose one customer item into segments and the commands that order them (nothing is sent here).

    Raises NoSupplier when some segment has no provider: the caller fails the customer's item with it.
    """
    orch = profile.orchestration
    assert orch is not None
    product = item.get("product") or {}
    plans = decompose(orch, offering, places=_places(profile, item),
                      configuration=product.get("productConfiguration") or {}, bandwidth_mbps=bandwidth_mbps)
    composite = CompositeOrder(
        id=new_id(), buyer_id=order.buyer_id, seller_id=order.seller_id, channel=order.channel, created_at=now,
        updated_at=now, order_id=order.id, item_id=item["id"], action=item.get("action", "add"),
        correlation_id=correlation_id, bandwidth_mbps=bandwidth_mbps, due_at=now, offering_id=offering.offering_id)
    commands: list[OutboundCommand] = []
    requested = parse_aware(item.get("requestedCompletionDate"))
    term = (item.get("requestedItemTerm") or {}).get("duration") or {}
    term_months = round(months_of(term) or 0) or 12
    for plan in plans:
        seg_id = new_id()
        key = idempotency_key(plan.choice.provider_id, composite.id, seg_id, "add", 1)
        request = SegmentRequest(
            our_ref=key, correlation_id=correlation_id, action="add", offering_id=plan.choice.capability.offering_id,
            spec_urn=plan.spec_urn, configuration=plan.configuration, places=plan.places,
            bandwidth_mbps=bandwidth_mbps, requested_completion=requested, term_months=term_months,
            note=f"segment {plan.name} of order {order.id}")
        segment = Segment(id=seg_id, name=plan.name, provider_id=plan.choice.provider_id, own=plan.own,
                          request=request_json(request), state=SegmentState.REQUESTED, our_ref=key,
                          expected_completion=now + plan.lead_time, selection=plan.choice.to_json(),
                          cost={"nrc": str(plan.choice.capability.nrc), "mrc": str(plan.choice.capability.mrc),
                                "currency": plan.choice.capability.currency, "basis": "list price"})
        composite.segments.append(segment)
        composite.note(now, "segment planned", segment=plan.name, provider=plan.choice.provider_id,
                       why="; ".join(plan.choice.reasons))
        commands.append(_command(composite, segment, PLACE_ORDER, key, {"request": segment.request}, now))
    composite.expected_completion = promised_completion(now, [s.expected_completion for s in composite.segments],
                                                        offering.test_hours)
    return composite, commands


def _command(composite: CompositeOrder, segment: Segment, action: str, key: str, payload: dict[str, Any],
             now: datetime) -> OutboundCommand:
    return OutboundCommand(
        id=new_id(), buyer_id=composite.buyer_id, seller_id=composite.seller_id, channel=composite.channel,
        created_at=now, updated_at=now, provider_id=segment.provider_id, composite_id=composite.id,
        segment_id=segment.id, action=action, idempotency_key=key, payload=payload,
        correlation_id=composite.correlation_id, due_at=now)


# ---- commands --------------------------------------------------------------------------------------------


async def run_command(uow_factory: UowFactory, clock: Clock, profile: SellerProfile, suppliers: Suppliers,
                      command_id: str, *, timing: Timing = Timing(),
                      after_claim: Callable[[OutboundCommand], None] | None = None) -> int:
    """Advance one due command: send it, or recover it if its outcome is unknown. Returns 1 if it moved.

    `after_claim` is called once the IN_FLIGHT claim is committed and before the call goes out: the window a
    crash must not lose anything in (the chaos tests make the process die there).
    """
    now = clock.now()
    async with uow_factory() as uow:
        cmd = await uow.commands.get_unscoped(command_id)
        if cmd.state in (CommandState.SUCCEEDED, CommandState.REJECTED) or (cmd.due_at and cmd.due_at > now):
            return 0
        if cmd.state is CommandState.IN_FLIGHT:  # the process that sent it died, or it is very late
            cmd.move_to(CommandState.UNKNOWN, at=now, note="found in flight past its grace time")
        recovering = cmd.state is CommandState.UNKNOWN
        if not recovering:
            cmd.attempts += 1
            cmd.sent_at = now
            cmd.move_to(CommandState.IN_FLIGHT, at=now, note=f"attempt {cmd.attempts}")
        cmd.due_at = now + timedelta(seconds=timing.in_flight_grace_s)
        await uow.commands.save(cmd)
        await uow.commit()
    if after_claim is not None and not recovering:
        after_claim(cmd)
    adapter = suppliers.adapter(cmd.provider_id)
    outcome: Observation | SupplierError | None
    if recovering:
        outcome = await _recover(adapter, cmd)
    else:
        outcome = await _send(adapter, cmd)
    # the outcome is known now: settle it even if a callback or a poll wrote the composite meanwhile
    for attempt in range(5):
        try:
            async with uow_factory() as uow:
                await _settle(uow, clock, profile, cmd.id, outcome, recovering=recovering, timing=timing)
                await uow.commit()
            break
        except StaleVersion:
            if attempt == 4:
                raise  # left IN_FLIGHT: after its grace time recovery settles it from the supplier's record
    return 1


async def _send(adapter: SupplierAdapter, cmd: OutboundCommand) -> Observation | SupplierError:
    try:
        if cmd.action == PLACE_ORDER:
            return await adapter.place_order(request_from(cmd.payload["request"]))
        if cmd.action == CANCEL_ORDER:
            ref = _order_ref(cmd)
            answer = await adapter.cancel_order(ref, our_ref=cmd.idempotency_key, reason=cmd.payload["reason"])
            return _cancel_observation(cmd, answer)
        raise ValueError(f"unknown command action {cmd.action}")
    except SupplierError as exc:
        return exc


async def _recover(adapter: SupplierAdapter, cmd: OutboundCommand) -> Observation | SupplierError | None:
    """Look the supplier's record up by our reference; None when it has none."""
    try:
        if cmd.action == PLACE_ORDER:
            return await adapter.find_order(cmd.idempotency_key)
        if cmd.action == CANCEL_ORDER:
            obs = await adapter.get_order(_order_ref(cmd))
            return obs if obs.state in (SegmentState.CANCELLING, SegmentState.CANCELLED) else None
    except SupplierError as exc:
        return exc
    return None


def _order_ref(cmd: OutboundCommand) -> ExternalRef:
    """The supplier's order a cancel command is about (stored in its payload)."""
    ref = ref_from(cmd.payload["orderRef"])
    assert ref is not None, f"command {cmd.id} names no order"
    return ref


def _cancel_observation(cmd: OutboundCommand, answer: CancellationAnswer) -> Observation:
    """A cancellation answer as evidence: accepted or pending means the segment is cancelling; a refusal
    changes no state and is recognised by `detail["cancellation"]`."""
    refused = answer.outcome is CancellationOutcome.REFUSED
    return Observation(state=SegmentState.UNRECOGNISED if refused else SegmentState.CANCELLING,
                       raw_state=f"cancellation {answer.raw_state}", ref=answer.ref, source=Source.COMMAND,
                       observed_at=answer.observed_at, reason=answer.reason,
                       detail={"cancellation": answer.outcome.value})


async def _settle(uow: UnitOfWork, clock: Clock, profile: SellerProfile, command_id: str,
                  outcome: Observation | SupplierError | None, *, recovering: bool, timing: Timing) -> None:
    now = clock.now()
    cmd = await uow.commands.get_unscoped(command_id)
    if cmd.state in (CommandState.SUCCEEDED, CommandState.REJECTED):
        return  # settled by someone else meanwhile: the first settlement stands
    composite = await uow.composites.get_unscoped(cmd.composite_id)
    segment = composite.segment(cmd.segment_id)
    if isinstance(outcome, Observation):
        cmd.result = {"externalRef": ref_json(outcome.ref), "rawState": outcome.raw_state,
                      "source": outcome.source.value}
        cmd.move_to(CommandState.SUCCEEDED, at=now, note=f"{outcome.source.value}: {outcome.raw_state}")
        cmd.due_at = None
        if cmd.action == PLACE_ORDER:
            segment.external_ref = outcome.ref
            await uow.composites.remember_ref(outcome.ref, composite.id, segment.id)
            composite.note(now, "supplier order placed" if not segment.own else "service order created",
                           segment=segment.name, provider=segment.provider_id, ref=outcome.ref.value,
                           via=outcome.source.value)
            await _observe(uow, profile, composite, segment, outcome, now=now)
            if composite.state in (CompositeState.FAILED, CompositeState.CANCELLED) or (
                    composite.state is CompositeState.CANCELLING and composite.cancellation is None):
                # the order went out while the service was being abandoned: take it back (a customer's
                # cancellation under assessment asks each segment in its own turn: changes.py)
                await _cancel_segment(uow, composite, segment, f"service {composite.state.value}", now=now)
        elif outcome.detail.get("cancellation") == "refused":
            composite.note(now, "cancellation refused", segment=segment.name, provider=segment.provider_id,
                           reason=outcome.reason)
            await _cancellation_refused(uow, composite, segment, outcome.reason, now=now)
        else:
            await _observe(uow, profile, composite, segment, outcome, now=now)
    elif isinstance(outcome, OutcomeUnknown):
        cmd.move_to(CommandState.UNKNOWN, at=now, note=outcome.reason)
        cmd.due_at = now + timedelta(seconds=timing.recovery_grace_s)
        segment.state = SegmentState.UNKNOWN if segment.state is SegmentState.REQUESTED else segment.state
        composite.note(now, "outcome unknown", segment=segment.name, provider=segment.provider_id,
                       reason=outcome.reason)
    elif isinstance(outcome, SupplierRejected) and not isinstance(outcome, SupplierNotFound):
        cmd.result = {"code": outcome.code, "reason": outcome.reason, "problems": outcome.problems}
        cmd.move_to(CommandState.REJECTED, at=now, note=outcome.reason)
        cmd.due_at = None
        if cmd.action == PLACE_ORDER:
            segment.state = SegmentState.REJECTED
            segment.reason = outcome.reason
            composite.note(now, "supplier refused the order", segment=segment.name, provider=segment.provider_id,
                           reason=outcome.reason)
        else:
            composite.note(now, "cancellation refused", segment=segment.name, reason=outcome.reason)
            await _cancellation_refused(uow, composite, segment, outcome.reason, now=now)
    elif isinstance(outcome, SupplierError):  # unavailable, or a lookup that failed: try again later
        backoff = min(timing.max_retry_backoff_s, timing.retry_backoff_s * 2 ** max(0, cmd.attempts - 1))
        target = CommandState.UNKNOWN if recovering else CommandState.PENDING
        cmd.move_to(target, at=now, note=outcome.reason)
        cmd.due_at = now + timedelta(seconds=backoff)
        composite.note(now, "supplier unavailable", segment=segment.name, provider=segment.provider_id,
                       reason=outcome.reason, retryIn=f"{backoff:.1f}s")
    else:  # recovery found nothing under our reference
        waited = (now - cmd.sent_at).total_seconds() if cmd.sent_at else timing.recovery_grace_s
        if waited >= timing.recovery_grace_s:
            cmd.move_to(CommandState.PENDING, at=now, note="the supplier has no record of it: sending again")
            cmd.due_at = now
            composite.note(now, "not found at the supplier: resending", segment=segment.name,
                           provider=segment.provider_id)
        else:
            cmd.move_to(CommandState.UNKNOWN, at=now, note="not visible yet")
            cmd.due_at = now + timedelta(seconds=timing.recovery_grace_s - waited)
    await uow.commands.save(cmd)
    if cmd.action == CANCEL_ORDER and composite.cancellation is not None:  # a customer's cancellation
        from counterpoint.core.orchestration import changes

        changes.cancel_answered(composite, segment, outcome, now=now)
    await _reconcile(uow, profile, composite, now=now)
    await uow.composites.save(composite)


# ---- evidence ---------------------------------------------------------------------------------------------


def _provider_window(profile: SellerProfile, provider_id: str, attr: str, default_s: float) -> timedelta:
    """A provider's poll interval or staleness window (profile seconds), or a default for one we do not know."""
    orch = profile.orchestration
    try:
        return timedelta(seconds=getattr(orch.provider(provider_id), attr) if orch else default_s)
    except KeyError:
        return timedelta(seconds=default_s)


def _staleness(profile: SellerProfile, provider_id: str) -> timedelta:
    return _provider_window(profile, provider_id, "staleness_s", 300.0)


def evidence_key(obs: Observation) -> str | None:
    """What makes two observations the same evidence: the carrier (event id, resource) and what it said.

    A replayed notification repeats all three; a new read of the same resource that says something else
    is new evidence, even though an adapter may name both after the resource.
    """
    if obs.evidence is None:
        return None
    return f"{obs.evidence}|{obs.raw_state}|{iso(obs.as_of) if obs.as_of else '-'}"


async def _observe(uow: UnitOfWork, profile: SellerProfile, composite: CompositeOrder, segment: Segment,
                   obs: Observation, *, now: datetime) -> bool:
    obs = dataclasses.replace(obs, evidence=evidence_key(obs))
    seen = await uow.composites.seen(segment.id, obs.evidence)
    verdict = evidence.judge(segment, obs, now=now, staleness=_staleness(profile, segment.provider_id), seen=seen)
    if not seen:
        await uow.composites.log_evidence(composite.id, segment.id, obs, applied=verdict.applied, why=verdict.why)
    if not verdict.applied:
        return False
    changes = evidence.apply(segment, obs)
    if changes:
        composite.note(now, "evidence", segment=segment.name, provider=segment.provider_id,
                       source=obs.source.value, change="; ".join(changes), raw=obs.raw_state)
    return True


async def record_observation(uow_factory: UowFactory, clock: Clock, profile: SellerProfile, obs: Observation
                             ) -> bool:
    """Evidence from a poll or a callback about a supplier's resource; False if it is not ours."""
    for attempt in range(5):  # a concurrent writer of the same composite wins; we re-read and judge again
        try:
            async with uow_factory() as uow:
                now = clock.now()
                owner = await uow.composites.owner_of(obs.ref)
                if owner is None:
                    return False
                composite = await uow.composites.get_unscoped(owner[0])
                await _observe(uow, profile, composite, composite.segment(owner[1]), obs, now=now)
                await _reconcile(uow, profile, composite, now=now)
                await uow.composites.save(composite)
                await uow.commit()
            return True
        except StaleVersion:
            if attempt == 4:
                raise
    return True


# ---- the composite's own lifecycle --------------------------------------------------------------------------


async def _customer_order(uow: UnitOfWork, composite: CompositeOrder) -> ProductOrder:
    return await uow.product_orders.get_unscoped(composite.order_id)


async def _reconcile(uow: UnitOfWork, profile: SellerProfile, composite: CompositeOrder, *, now: datetime) -> None:
    """Derive the composite's state from its segments and keep the customer's item in step."""
    if composite.state in COMPOSITE_TERMINAL:
        return
    order = await _customer_order(uow, composite)
    await _derive(uow, profile, composite, order, now=now)
    await uow.product_orders.save(order)


async def _derive(uow: UnitOfWork, profile: SellerProfile, composite: CompositeOrder, order: ProductOrder, *,
                  now: datetime) -> None:
    item_state = order.item_state(composite.item_id)
    segs = composite.segments
    if composite.state is CompositeState.CANCELLING:
        if composite.cancellation is not None:  # a customer's cancellation, assessed with every provider
            from counterpoint.core.orchestration import changes

            await changes.follow_cancellation(uow, profile, composite, order, now=now)
            return
        if all(s.state is SegmentState.CANCELLED or s.state in TERMINAL or s.state is SegmentState.PLANNED
               for s in segs):
            composite.move_to(CompositeState.CANCELLED, at=now, reason="every segment cancelled")
            composite.due_at = None
        return
    broken = next((s for s in segs if s.state in (SegmentState.REJECTED, SegmentState.FAILED)), None)
    if broken is not None:
        reason = f"segment {broken.name} ({broken.provider_id}) {broken.state.value}: {broken.reason or 'no reason'}"
        composite.move_to(CompositeState.FAILED, at=now, reason=reason)
        composite.due_at = None
        await _fail_item(uow, order, composite, reason, now=now)
        await _cancel_others(uow, composite, broken, now=now)
        return
    waiting = next((s for s in segs if s.state is SegmentState.AWAITING_BUYER), None)
    if waiting is not None:
        if composite.state is not CompositeState.PENDING_BUYER_ACTION:
            composite.pending_action = {"segment": waiting.name, "provider": waiting.provider_id,
                                        "action": waiting.required_action or "unspecified", "since": iso(now),
                                        "slaImpact": "the supplier's delivery clock may stop until we act"}
            composite.move_to(CompositeState.PENDING_BUYER_ACTION, at=now, reason=waiting.required_action)
    elif composite.all_delivered:
        if composite.state is not CompositeState.TESTING:
            composite.pending_action = None
            composite.move_to(CompositeState.TESTING, at=now, reason="every segment delivered")
            composite.due_at = now
            if item_state is ItemState.IN_PROGRESS:
                order.reach_milestone(composite.item_id, "allSegmentsDelivered", at=now)
    elif composite.state in (CompositeState.ORDERING, CompositeState.PENDING_BUYER_ACTION) and all(
            s.external_ref is not None for s in segs):
        composite.pending_action = None
        composite.move_to(CompositeState.IN_DELIVERY, at=now)
    # what we promise the customer follows the segments' dates
    orch = profile.orchestration
    comp_offering = orch.offering(_offering_of(order, composite)) if orch else None
    test_hours = comp_offering.test_hours if comp_offering else 0.0
    promise = promised_completion(now, [s.expected_completion for s in segs], test_hours)
    if composite.expected_completion is None or abs((promise - composite.expected_completion).total_seconds()) >= 1:
        composite.note(now, "promise to the customer moved",
                       **{"from": iso(composite.expected_completion) if composite.expected_completion else None,
                          "to": iso(promise)})
        composite.expected_completion = promise
        if item_state in (ItemState.IN_PROGRESS, ItemState.ACKNOWLEDGED, ItemState.HELD):
            order.set_expected_completion(composite.item_id, promise, at=now)


def _offering_of(order: ProductOrder, composite: CompositeOrder) -> str | None:
    product = order.item(composite.item_id).get("product") or {}
    return composite.offering_id or (product.get("productOffering") or {}).get("id")


async def _fail_item(uow: UnitOfWork, order: ProductOrder, composite: CompositeOrder, reason: str, *,
                     now: datetime) -> None:
    iid = composite.item_id
    if order.item_state(iid) is ItemState.IN_PROGRESS:
        order.move_item(iid, ItemState.FAILED, at=now, reason=reason)
        order.item(iid)["terminationError"] = [{"code": "otherIssue", "value": reason[:255]}]
        order.settle_if_done(at=now)


async def _cancel_others(uow: UnitOfWork, composite: CompositeOrder, broken: Segment, *, now: datetime) -> None:
    """A failed service is not left half-built: segments already ordered elsewhere are cancelled."""
    for seg in composite.segments:
        if seg is not broken:
            await _cancel_segment(uow, composite, seg, f"segment {broken.name} failed", now=now)


async def _cancel_segment(uow: UnitOfWork, composite: CompositeOrder, seg: Segment, reason: str, *,
                          now: datetime) -> None:
    """Queue the cancellation of one ordered segment (once: the key is deterministic)."""
    if seg.state in TERMINAL or seg.external_ref is None:
        return
    key = idempotency_key(seg.provider_id, composite.id, seg.id, "cancel", seg.version)
    if await uow.commands.by_key(key) is not None:
        return
    seg.state = SegmentState.CANCELLING
    composite.note(now, "cancelling segment", segment=seg.name, provider=seg.provider_id, reason=reason)
    await uow.commands.add(_command(composite, seg, CANCEL_ORDER, key,
                                    {"orderRef": ref_json(seg.external_ref), "reason": reason}, now))


async def _cancellation_refused(uow: UnitOfWork, composite: CompositeOrder, segment: Segment, reason: str | None,
                                *, now: datetime) -> None:
    """A refused cancellation is acted on: the segment is back in delivery and the customer is told."""
    if segment.state is SegmentState.CANCELLING:
        segment.state = SegmentState.IN_DELIVERY if segment.external_ref else SegmentState.REQUESTED
    segment.reason = reason
    composite.pending_action = {"segment": segment.name, "provider": segment.provider_id,
                                "action": "cancellationRefused", "reason": reason, "since": iso(now),
                                "slaImpact": "we keep paying for the segment until it can be terminated"}


# ---- polling, testing, completion ------------------------------------------------------------------------


def _poll_interval(profile: SellerProfile, provider_id: str) -> timedelta:
    return _provider_window(profile, provider_id, "poll_interval_s", 30.0)


async def tick_composite(uow_factory: UowFactory, clock: Clock, profile: SellerProfile, suppliers: Suppliers,
                         tester: ActivationTester, composite_id: str, *, timing: Timing = Timing()) -> int:
    """Poll what is due, run the activation test when everything is delivered, and schedule the next look."""
    now = clock.now()
    async with uow_factory() as uow:
        composite = await uow.composites.get_unscoped(composite_id)
    if composite.state in (CompositeState.FAILED, CompositeState.CANCELLED):
        return 0
    observations: list[tuple[str, Observation]] = []
    for seg in composite.segments:
        if seg.external_ref is None or seg.state in TERMINAL or seg.state is SegmentState.ACTIVE:
            continue
        stale = seg.observed_at is None or now - seg.observed_at >= _poll_interval(profile, seg.provider_id)
        if composite.state is CompositeState.TESTING:  # the test only runs on fresh evidence
            stale = not evidence.fresh(seg, now=now, staleness=_staleness(profile, seg.provider_id))
        if not stale:
            continue
        try:
            obs = await suppliers.adapter(seg.provider_id).get_order(seg.external_ref)
        except SupplierError:
            continue  # unreachable now; the next round asks again, and nothing is decided on old evidence
        observations.append((seg.id, dataclasses.replace(obs, observed_at=clock.now())))
    report: dict[str, Any] | None = None
    if composite.state is CompositeState.TESTING and all(
            evidence.fresh(s, now=now, staleness=_staleness(profile, s.provider_id))
            or any(sid == s.id for sid, _ in observations) for s in composite.segments
            if s.state not in (SegmentState.CANCELLED, SegmentState.ACTIVE)):  # ACTIVE: carried over by a modify
        report = await tester.test(composite)
    moved = 0
    state_before = composite.state
    async with uow_factory() as uow:
        composite = await uow.composites.get_unscoped(composite_id)
        now = clock.now()
        for seg_id, obs in observations:
            moved += await _observe(uow, profile, composite, composite.segment(seg_id), obs, now=now)
        await _reconcile(uow, profile, composite, now=now)
        if report is not None and composite.state is CompositeState.TESTING:
            await _test_done(uow, profile, composite, report, now=now, timing=timing)
            moved += 1
        # segments whose orders are still going out count too: looked at before any was placed, the item must
        # come back at its providers' pace, not at the 30 s fallback
        intervals = [_poll_interval(profile, s.provider_id) for s in composite.segments if s.state not in TERMINAL]
        next_poll = now + min(intervals, default=timedelta(seconds=30))
        if composite.state is CompositeState.TESTING:
            if report is None:  # just got there: test at once if the evidence is fresh, else after a poll
                composite.due_at = now if observations or state_before is not CompositeState.TESTING else next_poll
            # otherwise _test_done scheduled the retry
        elif composite.state in COMPOSITE_TERMINAL:
            composite.due_at = None
        else:
            composite.due_at = next_poll
        await uow.composites.save(composite)
        await uow.commit()
    return moved


async def _test_done(uow: UnitOfWork, profile: SellerProfile, composite: CompositeOrder, report: dict[str, Any],
                     *, now: datetime, timing: Timing) -> None:
    order = await _customer_order(uow, composite)
    if order.state in (OrderState.ASSESSING_CANCELLATION, OrderState.PENDING_ASSESSING_MODIFICATION):
        # the customer's request is being assessed: the service is not handed over meanwhile (changes.py)
        composite.note(now, "end-to-end test result held back: a customer request is being assessed")
        composite.due_at = now + timedelta(seconds=timing.test_retry_s)
        return
    attempts = (composite.test or {}).get("attempts", 0) + 1
    composite.test = {**report, "attempts": attempts}
    if report.get("passed"):
        composite.note(now, "end-to-end activation test passed", summary=report.get("summary"))
        for seg in composite.segments:
            if seg.state is SegmentState.DELIVERED:
                seg.state = SegmentState.ACTIVE
        composite.move_to(CompositeState.ACTIVE, at=now, reason="end-to-end test passed")
        composite.due_at = None
        await _complete_item(uow, order, composite, now=now)
        await uow.product_orders.save(order)
        return
    orch = profile.orchestration
    limit = orch.max_test_attempts if orch else 3
    composite.note(now, "end-to-end activation test failed", attempt=attempts, summary=report.get("summary"))
    if attempts >= limit:
        reason = f"end-to-end activation test failed {attempts} times: {report.get('summary', '')}"
        composite.move_to(CompositeState.FAILED, at=now, reason=reason)
        await _fail_item(uow, order, composite, reason, now=now)
        await uow.product_orders.save(order)
        composite.due_at = None
    else:
        composite.due_at = now + timedelta(seconds=timing.test_retry_s)


async def _complete_item(uow: UnitOfWork, order: ProductOrder, composite: CompositeOrder, *, now: datetime) -> None:
    iid = composite.item_id
    if order.item_state(iid) is not ItemState.IN_PROGRESS:
        return
    item = order.item(iid)
    product = item.setdefault("product", {})
    order.reach_milestone(iid, "serviceActivated", at=now)
    pid = await apply_order_item(uow, buyer_id=order.buyer_id, seller_id=order.seller_id, channel=order.channel,
                                 order_id=order.id, order_item=item, action=item["action"],
                                 product_id=product.get("id"), at=now, external_id=order.doc.get("externalId"))
    product["id"] = pid
    composite.product_id = pid
    order.move_item(iid, ItemState.COMPLETED, at=now)
    order.settle_if_done(at=now)


async def get_composites(uow: UnitOfWork, order_id: str) -> list[CompositeOrder]:
    async with uow:
        found = await uow.composites.for_order(order_id)
    if not found:
        raise NotFound(f"no orchestration for order {order_id}")
    return found


__all__ = ["OrderState", "run_command", "start_composite", "tick_composite", "record_observation", "NoSupplier",
           "SupplierUnavailable"]
