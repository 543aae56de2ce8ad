"""The fulfilment engine: moves orders along the timeline the Seller's profile gave them (timeline.py),
decides cancellation and delivery-date requests, and times charges out.

Each `advance_*` function handles one resource in one transaction and is idempotent over what is stored:
a step is removed from the plan in the same commit that applies it, so a crash never applies it twice.
"""

from __future__ import annotations

from collections.abc import Callable

from counterpoint.core.ordering.charges import settle_charge
from counterpoint.core.ordering.model import (
    ChargeState,
    ItemState,
    OrderState,
    OrderTask,
    TaskState,
    parse_time,
)
from counterpoint.core.ordering.services import withdraw_charges_of_ended_items
from counterpoint.core.ordering.timeline import apply_step, scenario_context
from counterpoint.core.ports import NO_SUPPLY, SupplyChain, UnitOfWork
from counterpoint.core.seller.model import SellerProfile
from counterpoint.core.shared.clock import Clock
from counterpoint.core.shared.times import iso


async def advance_order(uow: UnitOfWork, clock: Clock, profile: SellerProfile, order_id: str,
                        href_base: Callable[[str], str], *, supply_chain: SupplyChain = NO_SUPPLY) -> int:
    """Apply every step of one order that is due now; returns how many were applied."""
    now = clock.now()
    applied = 0
    async with uow:
        order = await uow.product_orders.get_unscoped(order_id)
        api_base = href_base(order.channel)
        while (step := order.next_due_step(now)) is not None:
            await apply_step(uow, profile, order, step, now, api_base, supply_chain)
            order.plan.sort(key=lambda s: s.at)
            applied += 1
        if applied:
            await uow.product_orders.save(order)
            await uow.commit()
    return applied


async def assess_task(uow: UnitOfWork, clock: Clock, profile: SellerProfile, kind: str, task_id: str, *,
                      supply_chain: SupplyChain = NO_SUPPLY) -> None:
    """Decide a cancellation or delivery-date request and apply the outcome to its order."""
    now = clock.now()
    async with uow:
        repo = uow.cancel_requests if kind == "cancel" else uow.delivery_date_requests
        task: OrderTask = await repo.get_unscoped(task_id)
        if task.state is not TaskState.ACKNOWLEDGED:
            return
        order = await uow.product_orders.get_unscoped(task.order_id)
        resume = order.resume_state or OrderState.IN_PROGRESS
        if kind == "cancel":
            refusal = next((r.cancellation_rejected for item in order.items for r in profile.scenarios_for(
                scenario_context(profile, order.buyer_id, order.doc, item)) if r.cancellation_rejected), None)
            # --- items built from segments: every provider is asked before the customer has an answer ---
            supply = None
            if not refusal:
                supply = await supply_chain.assess_cancellation(uow, profile, order, task, now=now)
                if supply is not None and supply.pending:
                    task.due_at = None  # the orchestrator wakes the task when the providers have answered
                    await repo.save(task)
                    await uow.product_orders.save(order)
                    await uow.commit()
                    return
                refusal = supply.reason if supply is not None and supply.refused else None
            # ---
            if refusal:
                task.doc["cancellationDeniedReason"] = refusal[:255]
                task.move_to(TaskState.REJECTED, at=now)
                order.move_to(resume, at=now, reason=f"cancellation refused: {refusal}")
                for item in order.items:  # Table 9: work resumes where the assessment had stopped it
                    if ItemState(item["state"]) is ItemState.PENDING:
                        order.move_item(item["id"], ItemState.IN_PROGRESS, at=now, reason="cancellation refused")
                order.settle_if_done(at=now)  # its items may have ended while it was assessed
            else:
                task.move_to(TaskState.DONE, at=now)
                order.move_to(OrderState.PENDING_CANCELLATION, at=now, reason="cancellation accepted")
                order.doc["cancellationReason"] = task.doc.get("cancellationReason") or \
                    task.doc.get("cancellationReasonType") or "cancelled at the Buyer's request"
                for item in order.items:
                    if ItemState(item["state"]) in (ItemState.IN_PROGRESS, ItemState.HELD, ItemState.PENDING):
                        if ItemState(item["state"]) is ItemState.HELD:
                            order.move_item(item["id"], ItemState.IN_PROGRESS, at=now)
                        if ItemState(item["state"]) is not ItemState.PENDING:  # pending: assessed with providers
                            order.move_item(item["id"], ItemState.PENDING, at=now, reason="cancelling")
                        order.move_item(item["id"], ItemState.CANCELLED, at=now)
                order.plan.clear()
                if supply is None:  # else the order is cancelled once every provider has cancelled
                    order.settle_if_done(at=now)
            if supply is not None:
                await supply.decided(uow, profile, order, accepted=not refusal, now=now)
        else:
            ref = task.doc["productOrderItem"]
            iid = ref["productOrderItemId"]
            work = [s.at for s in order.plan if s.item_id == iid and s.kind != "complete"]
            earliest = max(work, default=now)
            # expedite without a date: deliver as soon as the remaining work allows
            wanted = parse_time(task.doc.get("requestedCompletionDate")) or earliest
            if order.item_state(iid) is ItemState.PENDING:  # Table 9: the item goes on, whatever the answer
                order.move_item(iid, ItemState.IN_PROGRESS, at=now, reason="delivery date change assessed")
            if order.item_state(iid) is not ItemState.IN_PROGRESS:  # it ended while the request was assessed
                task.move_to(TaskState.REJECTED, at=now)
                order.move_to(resume, at=now, reason=f"delivery date change refused: the item is "
                              f"{order.item_state(iid).value}")
                order.settle_if_done(at=now)
            elif wanted < earliest:
                task.move_to(TaskState.REJECTED, at=now)
                order.move_to(resume, at=now, reason="delivery date change refused: too early")
            else:
                task.move_to(TaskState.DONE, at=now)
                if task.doc.get("requestedCompletionDate"):
                    order.item(iid)["requestedCompletionDate"] = iso(wanted)
                if task.doc.get("expediteIndicator"):
                    order.item(iid)["expediteAcceptedIndicator"] = True
                for step in order.plan:
                    if step.item_id == iid and step.kind == "complete":
                        step.at = wanted
                order.plan.sort(key=lambda s: s.at)
                order.move_to(resume, at=now, reason="delivery date changed")
                order.set_expected_completion(iid, wanted, at=now,
                                              reason=f"as the Buyer asked in request {task.id}")
        order.resume_state = None
        await repo.save(task)
        await uow.product_orders.save(order)
        await uow.commit()


async def expire_charge(uow: UnitOfWork, clock: Clock, charge_id: str) -> None:
    """The buyer did not answer a charge in time: it times out and the held item fails."""
    now = clock.now()
    async with uow:
        charge = await uow.charges.get_unscoped(charge_id)
        if charge.state is not ChargeState.AWAITING_RESPONSE or charge.due_at is None or charge.due_at > now:
            return
        for item in charge.doc["chargeItem"]:
            if item.get("state") == "awaitingResponse":
                item["state"] = "declinedByBuyer"
        charge.move_to(ChargeState.TIMEOUT, at=now, event="chargeTimeoutEvent")
        order = await uow.product_orders.get_unscoped(charge.order_id)
        settle_charge(order, charge, accepted=False, at=now, timed_out=True)
        await withdraw_charges_of_ended_items(uow, order, at=now, besides=charge.id)
        await uow.charges.save(charge)
        await uow.product_orders.save(order)
        await uow.commit()
