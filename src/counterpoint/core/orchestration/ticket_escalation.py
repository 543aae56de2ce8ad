"""Ticket federation at work: diagnosis, escalation commands, supplier evidence, validation, the customer told.

The same rules as ordering hold. Nothing calls a supplier (or runs a test) inside a transaction: a decision
stores an `OutboundCommand` (openTicket, addTicketNote, closeTicket, reopenTicket, cancelTicket, bookAppointment)
under a deterministic key (our reference, the ticket's externalId), and the command worker sends it. An unknown
outcome is recovered by finding the supplier's record by our reference. A supplier's ticket state is evidence,
judged (ticket_model.judge_ticket), logged and stamped with the time we saw it; its "resolved" starts our own
end-to-end test, and only a passing test closes the supplier's ticket and resolves our customer's.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from counterpoint.core.orchestration.codec import ref_from, ref_json
from counterpoint.core.orchestration.model import (
    CommandState,
    CompositeOrder,
    OutboundCommand,
    Segment,
    idempotency_key,
)
from counterpoint.core.orchestration.observations import poll_interval, staleness
from counterpoint.core.orchestration.ports import ActivationTester, CustomerTickets, Suppliers, Timing, UowFactory
from counterpoint.core.orchestration.supply import (
    OutcomeUnknown,
    SegmentState,
    Source,
    SupplierAdapter,
    SupplierError,
    SupplierNotFound,
    SupplierRejected,
)
from counterpoint.core.orchestration.ticket_model import (
    ADD_TICKET_NOTE,
    BOOK_APPOINTMENT,
    CANCEL_TICKET,
    CLOSE_TICKET,
    FINISH_CANCELLATION,
    OPEN_TICKET,
    REOPEN_TICKET,
    REQUEST_INFORMATION,
    RESOLVE,
    SELLER_NOTE,
    START_WORK,
    Escalation,
    FederatedTicket,
    apply_ticket,
    judge_ticket,
    root_cause_of,
    ticket_evidence_key,
)
from counterpoint.core.orchestration.ticket_supply import (
    TICKET_RANK,
    TICKET_TERMINAL,
    AppointmentAnswer,
    Slot,
    TicketObservation,
    TicketRequest,
    TicketState,
    WorkOrderView,
)
from counterpoint.core.ports import UnitOfWork
from counterpoint.core.seller.model import SellerProfile
from counterpoint.core.shared.clock import Clock, ManualClock
from counterpoint.core.shared.errors import CoreError, NotFound, StaleVersion
from counterpoint.core.shared.ids import ExternalRef, new_id
from counterpoint.core.shared.times import iso, parse_aware
from counterpoint.core.sla import services as sla
from counterpoint.core.sla.model import (
    OURS,
    Domain,
    EvidenceKind,
    Fact,
    Impact,
    Responsible,
)

# the words an information request uses when what it wants is someone to let the engineer in
_SITE_WORDS = ("contact", "access", "site", "visit", "engineer", "technician", "appointment")
_CONTACT_ROLES = ("siteContact", "buyerImplementationContact", "buyerTechnicalContact",
                  "buyerProductOrderItemContact", "productOrderContact", "reporterContact")
SLOT_SEARCH_DAYS = 7


# ---- commands ------------------------------------------------------------------------------------------------


def ticket_command(ft: FederatedTicket, esc: Escalation, action: str, key: str, payload: dict[str, Any],
                   now: datetime) -> OutboundCommand:
    """A command about a supplier ticket; it rides in the command store with the federated ticket as its owner."""
    return OutboundCommand(
        id=new_id(), buyer_id=ft.buyer_id, seller_id=ft.seller_id, channel=ft.channel, created_at=now,
        updated_at=now, provider_id=esc.provider_id, composite_id=ft.id, segment_id=esc.id, action=action,
        idempotency_key=key, payload=payload, correlation_id=ft.correlation_id, due_at=now)


async def store_command(uow: UnitOfWork, ft: FederatedTicket, esc: Escalation, action: str, what: str,
                        payload: dict[str, Any], now: datetime) -> OutboundCommand | None:
    """Store a command once: the same decision (same `what`) always has the same key and is not stored twice."""
    key = idempotency_key(esc.provider_id, ft.id, esc.id, f"{action}:{what}", 1)
    if await uow.commands.by_key(key) is not None:
        return None
    cmd = ticket_command(ft, esc, action, key, payload, now)
    await uow.commands.add(cmd)
    ft.note(now, f"{action} stored", provider=esc.provider_id, segment=esc.segment_name)
    return cmd


def ticket_request_json(req: TicketRequest) -> dict[str, Any]:
    return {"ourRef": req.our_ref, "correlationId": req.correlation_id, "productRef": ref_json(req.product_ref),
            "description": req.description, "severity": req.severity, "priority": req.priority,
            "observedImpact": req.observed_impact, "ticketType": req.ticket_type,
            "issueStart": iso(req.issue_start) if req.issue_start else None, "notes": list(req.notes)}


def ticket_request_from(raw: dict[str, Any]) -> TicketRequest:
    return TicketRequest(our_ref=raw["ourRef"], correlation_id=raw["correlationId"],
                         product_ref=ref_from(raw.get("productRef")), description=raw["description"],
                         severity=raw.get("severity") or "significant", priority=raw.get("priority") or "high",
                         observed_impact=raw.get("observedImpact") or "down",
                         ticket_type=raw.get("ticketType") or "assistance",
                         issue_start=parse_aware(raw.get("issueStart")), notes=tuple(raw.get("notes") or ()))


async def escalate(uow: UnitOfWork, ft: FederatedTicket, composite: CompositeOrder, segment: Segment, *,
                   description: str, doc: dict[str, Any], now: datetime) -> Escalation:
    """Open a ticket with the supplier of `segment`: an escalation and its openTicket command, stored now."""
    esc_id = new_id()
    round_no = sum(1 for e in ft.escalations if e.segment_id == segment.id) + 1
    key = idempotency_key(segment.provider_id, ft.id, segment.id, OPEN_TICKET, round_no)
    esc = Escalation(id=esc_id, provider_id=segment.provider_id, segment_id=segment.id, segment_name=segment.name,
                     our_ref=key)
    ft.escalations.append(esc)
    product = segment.product_ref or segment.external_ref
    req = TicketRequest(
        our_ref=key, correlation_id=ft.correlation_id or composite.correlation_id or ft.id, product_ref=product,
        description=description[:1000], severity=_word(doc.get("severity"), "significant"),
        priority=_word(doc.get("priority"), "high"), observed_impact=_word(doc.get("observedImpact"), "down"),
        ticket_type=_word(doc.get("ticketType"), "assistance"), issue_start=ft.fault_started_at)
    await uow.commands.add(ticket_command(ft, esc, OPEN_TICKET, key, {"request": ticket_request_json(req)}, now))
    ft.note(now, "escalated", segment=segment.name, provider=segment.provider_id, ref=key)
    return esc


def _word(value: Any, default: str) -> str:
    return value if isinstance(value, str) and value else default


# ---- evidence ------------------------------------------------------------------------------------------------


async def observe_ticket(uow: UnitOfWork, profile: SellerProfile, ft: FederatedTicket, esc: Escalation,
                         obs: TicketObservation, *, now: datetime) -> bool:
    """Judge, log and (if allowed) apply one piece of evidence about a supplier ticket, then act on it."""
    obs = dataclasses.replace(obs, evidence=ticket_evidence_key(obs))
    seen = await uow.federated_tickets.seen(esc.id, obs.evidence)
    verdict = judge_ticket(esc, obs, now=now, staleness=staleness(profile, esc.provider_id), seen=seen)
    if not seen:
        await uow.federated_tickets.log_evidence(ft.id, esc.id, obs, applied=verdict.applied, why=verdict.why)
    if not verdict.applied:
        if not seen:
            ft.note(now, "evidence not applied", provider=esc.provider_id, raw=obs.raw_state, why=verdict.why)
        return False
    changes = apply_ticket(esc, obs)
    if changes:
        ft.note(now, "evidence", provider=esc.provider_id, segment=esc.segment_name, source=obs.source.value,
                change="; ".join(changes), raw=obs.raw_state)
    for wo in obs.work_orders:
        await uow.federated_tickets.remember_ref(dataclasses.replace(wo, kind="workOrder"), ft.id, esc.id)
    await root_cause_evidence(uow, ft, esc, now=now)
    await react(uow, profile, ft, esc, obs, now=now)
    return True


async def root_cause_evidence(uow: UnitOfWork, ft: FederatedTicket, esc: Escalation, *, now: datetime) -> None:
    """A supplier's resolution naming a root cause further down its chain is evidence on the outage: who it
    names, that provider's ticket, at the supplier's resolution (its clock). The supplier stays the charged
    domain (its OLA is with us); the report shows the chain."""
    res = esc.resolution or {}
    cause, ticket, at = res.get("rootCause"), res.get("supplierTicket"), parse_aware(res.get("at"))
    if not cause or not ticket or at is None or cause == esc.provider_id:
        return
    ours = esc.external_ref.value if esc.external_ref else esc.our_ref
    await _sla_evidence(uow, ManualClock(now), ft, fact=Fact.ROOT_CAUSE, at=at, source=esc.provider_id,
                        kind=EvidenceKind.SUPPLIER_NOTICE, reference=str(ticket),
                        responsible=Responsible(Domain.SUPPLIER, str(cause)),
                        note=f"{esc.provider_id} ticket {ours} resolved: rootCause={cause}; supplierTicket={ticket}")


async def react(uow: UnitOfWork, profile: SellerProfile, ft: FederatedTicket, esc: Escalation,
                obs: TicketObservation, *, now: datetime) -> None:
    """What the federation does once a supplier ticket moved: answer or pass on questions, book visits, start
    our validation of a resolution, finish a cancellation, and keep our own ticket's state in step."""
    for n in obs.notes:
        if n.source == "seller" and n.id not in esc.notes_seen:
            esc.notes_seen.append(n.id)
    # waiting for us with a work order to book: the booking is the answer (MEF 124 R15), not a question
    if esc.state is TicketState.WAITING_FOR_BUYER and esc.information_required and not esc.work_orders \
            and all(q["text"] != esc.information_required for q in esc.questions):
        await _question(uow, ft, esc, esc.information_required, now=now)
    for wo in esc.work_orders:
        if "booking" not in wo:
            cmd = await store_command(uow, ft, esc, BOOK_APPOINTMENT, wo["id"], {
                "workOrder": {"provider": wo.get("provider", esc.provider_id), "kind": "workOrder", "id": wo["id"]},
                "window": _access_window(ft), "siteContact": await site_contact(uow, ft)}, now)
            wo["booking"] = cmd.idempotency_key if cmd else "stored"
    if esc.expected_resolution and ft.state not in TICKET_TERMINAL \
            and not any(m["kind"] == "expectedResolution" and m.get("date") == iso(esc.expected_resolution)
                        for m in ft.customer_moves + [t for t in ft.timeline if t.get("what") == "customer told"]):
        ft.tell_customer("expectedResolution", now, date=iso(esc.expected_resolution))
    await settle_state(ft, now=now)


async def settle_state(ft: FederatedTicket, *, now: datetime) -> None:
    """Our ticket's state from its escalations (evidence) and what we wait for."""
    if ft.state in TICKET_TERMINAL:
        return
    if ft.state is TicketState.CANCELLING:
        if all(e.done for e in ft.escalations):
            ft.move_to(TicketState.CANCELLED, at=now, reason="every supplier ticket closed or cancelled")
            ft.tell_customer(FINISH_CANCELLATION, now)
            ft.due_at = now
        return
    resolved = [e for e in ft.escalations if e.state is TicketState.RESOLVED
                or (e.state is TicketState.CLOSED and not e.closing)]
    if resolved and not _unresolved(ft) and ft.state is not TicketState.RESOLVED \
            and ft.validated_at is None:
        ft.move_to(TicketState.RESOLVED, at=now, reason=f"{resolved[0].provider_id} says it is repaired: we test")
        ft.due_at = now  # our validation runs at once
        return
    if ft.state is TicketState.RESOLVED:
        return
    target = TicketState.WAITING_FOR_BUYER if ft.pending_question else (
        TicketState.INVESTIGATING if ft.escalations or ft.suspect else TicketState.OPEN)
    if target is not ft.state:
        ft.move_to(target, at=now)


async def _question(uow: UnitOfWork, ft: FederatedTicket, esc: Escalation, question: str, *, now: datetime) -> None:
    """A supplier's information request: answered from what we know, or passed to our customer."""
    answer = await known_answer(uow, ft, question)
    if answer is not None:
        note_id = f"{esc.our_ref[:24]}-a{len(esc.questions) + 1}"
        esc.questions.append({"text": question, "at": iso(now), "answeredBy": "us", "noteId": note_id})
        await store_command(uow, ft, esc, ADD_TICKET_NOTE, note_id, {"noteId": note_id, "text": answer}, now)
        ft.note(now, "information request answered from our records", provider=esc.provider_id)
        return
    esc.questions.append({"text": question, "at": iso(now), "answeredBy": "customer"})
    ft.pending_question = {"escalation": esc.id, "text": question, "since": iso(now)}
    ft.tell_customer(REQUEST_INFORMATION, now, text=f"To go on with the repair we need: {question}")
    ft.note(now, "information request passed to the customer", provider=esc.provider_id)


async def known_answer(uow: UnitOfWork, ft: FederatedTicket, question: str) -> str | None:
    """An answer from our own records (the site contact of the customer's order), when the question asks for one."""
    if not any(w in question.lower() for w in _SITE_WORDS):
        return None
    contact = await site_contact(uow, ft)
    if contact is None:
        return None
    parts = [contact.get("name"), contact.get("number"), contact.get("emailAddress")]
    return "Site contact for the visit: " + ", ".join(str(p) for p in parts if p)


async def site_contact(uow: UnitOfWork, ft: FederatedTicket) -> dict[str, Any] | None:
    """The best contact on site the customer's order names (its item's contacts first, then the order's)."""
    try:
        composite = await uow.composites.get_unscoped(ft.composite_id)
        order = await uow.product_orders.get_unscoped(composite.order_id)
    except NotFound:
        return None
    contacts: list[dict[str, Any]] = []
    for item in order.items:
        if item.get("id") == composite.item_id:
            contacts += [c for c in item.get("relatedContactInformation") or [] if isinstance(c, dict)]
    contacts += [c for c in order.doc.get("relatedContactInformation") or [] if isinstance(c, dict)]
    for role in _CONTACT_ROLES:
        for c in contacts:
            if c.get("role") == role and (c.get("number") or c.get("emailAddress")):
                return c
    return None


def _access_window(ft: FederatedTicket) -> dict[str, Any] | None:
    """The customer's site access hours, when its ticket gives them (e.g. {"from": "09:00", "to": "17:00"})."""
    hours = ft.reported.get("siteAccessHours")
    return hours if isinstance(hours, dict) else None


def _unresolved(ft: FederatedTicket) -> bool:
    return any(not e.done and e.state is not TicketState.RESOLVED for e in ft.escalations)


# ---- polling, diagnosis and validation (the worker's tick) -----------------------------------------------------


async def tick_ticket(uow_factory: UowFactory, clock: Clock, profile: SellerProfile, suppliers: Suppliers,
                      tester: ActivationTester, customers: CustomerTickets, ticket_id: str, *,
                      timing: Timing = Timing()) -> int:
    """Poll what is due, diagnose a new ticket, validate a resolution, then tell the customer's ticket."""
    now = clock.now()
    async with uow_factory() as uow:
        ft = await uow.federated_tickets.get_unscoped(ticket_id)
        composite = await uow.composites.get_unscoped(ft.composite_id)
    diagnose = ft.state in (TicketState.OPEN, TicketState.INVESTIGATING) and ft.suspect is None
    validate = ft.state is TicketState.RESOLVED and ft.validated_at is None
    polls: list[tuple[str, TicketObservation]] = []
    for esc in ft.escalations:
        if esc.external_ref is None or esc.done:
            continue
        if esc.observed_at is not None and now - esc.observed_at < poll_interval(profile, esc.provider_id):
            continue
        try:
            obs = await suppliers.adapter(esc.provider_id).get_ticket(esc.external_ref)
        except SupplierError:
            continue  # asked again next round; nothing is decided on what we could not read
        polls.append((esc.id, dataclasses.replace(obs, observed_at=clock.now())))
    report = await tester.test(composite) if diagnose or validate else None
    moved = 0
    async with uow_factory() as uow:
        ft = await uow.federated_tickets.get_unscoped(ticket_id)
        composite = await uow.composites.get_unscoped(ft.composite_id)
        now = clock.now()
        for esc_id, obs in polls:
            moved += await observe_ticket(uow, profile, ft, ft.escalation(esc_id), obs, now=now)
        if diagnose and report is not None and ft.suspect is None \
                and ft.state in (TicketState.OPEN, TicketState.INVESTIGATING):
            await diagnose_and_escalate(uow, clock, profile, ft, composite, report, now=now)
            moved += 1
        if validate and report is not None and ft.state is TicketState.RESOLVED and ft.validated_at is None:
            await validation_done(uow, clock, ft, report, now=now)
            moved += 1
        ft.due_at = next_look(ft, profile, now=now, timing=timing)
        await uow.federated_tickets.save(ft)
        await uow.commit()
    moved += await tell_customer(uow_factory, clock, profile, customers, ticket_id)
    return moved


def next_look(ft: FederatedTicket, profile: SellerProfile, *, now: datetime, timing: Timing) -> datetime | None:
    """When the worker should look at a federated ticket again."""
    if ft.state in TICKET_TERMINAL and not ft.customer_moves:
        return None
    if ft.state is TicketState.RESOLVED and ft.validated_at is None:
        return now  # a resolution to validate
    intervals = [poll_interval(profile, e.provider_id) for e in ft.open_escalations if e.external_ref]
    candidates = [now + min(intervals)] if intervals else []
    if ft.customer_moves:
        candidates.append(now + timedelta(seconds=timing.retry_backoff_s))
    if not candidates and ft.state is not TicketState.RESOLVED and ft.state not in TICKET_TERMINAL:
        candidates.append(now + timedelta(seconds=timing.test_retry_s))
    return min(candidates, default=None)


async def diagnose_and_escalate(uow: UnitOfWork, clock: Clock, profile: SellerProfile, ft: FederatedTicket,
                                composite: CompositeOrder, report: dict[str, Any], *, now: datetime) -> None:
    """Correlate what we know, pick the suspected segment and escalate to its supplier (our own: our NOC)."""
    others = await uow.federated_tickets.open_suspects(exclude=ft.id)
    choice = suspect(composite, report, others)
    ft.suspect = choice
    ft.validations.append({"at": iso(now), "passed": bool(report.get("passed")), "purpose": "diagnosis",
                           "summary": report.get("summary")})
    if not report.get("passed") and ft.fault_started_at is None:
        ft.fault_started_at = now
    ft.note(now, "suspected segment", segment=choice["segmentName"], provider=choice["provider"],
            why="; ".join(choice["why"]))
    segment = composite.segment(choice["segmentId"])
    await outage_started(uow, clock, profile, ft, composite, report, now=now)
    if segment.own:
        ft.move_to(TicketState.INVESTIGATING, at=now, reason="our own segment: our network operations investigate")
        ft.tell_customer(START_WORK, now, text="We are investigating the fault on our network.")
        return
    doc = ft.reported
    description = (f"Fault reported on a service using your product. {doc.get('description') or ''} "
                   f"Our diagnosis: {'; '.join(choice['why'])}").strip()
    await escalate(uow, ft, composite, segment, description=description, doc=doc, now=now)
    ft.move_to(TicketState.INVESTIGATING, at=now, reason=f"escalated to {segment.provider_id}")
    ft.tell_customer(START_WORK, now, text="We are investigating the fault with the provider of the affected part "
                                           "of your service.")


def suspect(composite: CompositeOrder, report: dict[str, Any], others: dict[str, int]) -> dict[str, Any]:
    """The segment the evidence points at, and why: failing checks of the end-to-end test on it (strongest), its
    latest evidence other than active, other open tickets that suspect it. With nothing pointing anywhere, the
    bought segment that reaches the customer's site (a last mile fails most)."""
    live = [s for s in composite.segments if s.state is not SegmentState.CANCELLED]
    scores: dict[str, tuple[int, list[str]]] = {s.id: (0, []) for s in live}
    for check in report.get("checks") or []:
        scope = check.get("scope")
        if scope in scores and not check.get("passed"):
            score, why = scores[scope]
            text = f"end-to-end test: {check.get('name')} failed ({check.get('detail') or ''})".replace(" ()", "")
            if text not in why:
                scores[scope] = (score + 3, [*why, text])
    for s in live:
        score, why = scores[s.id]
        if s.state not in (SegmentState.ACTIVE, SegmentState.DELIVERED):
            scores[s.id] = (score + 2, [*why, f"latest evidence: {s.state.value} ({s.raw_state or '-'})"])
        if others.get(s.id):
            score, why = scores[s.id]
            scores[s.id] = (score + 1, [*why, f"{others[s.id]} other open ticket(s) suspect it"])
    best = max(live, key=lambda s: (scores[s.id][0], not s.own, bool(s.request.get("places"))))
    score, why = scores[best.id]
    if score == 0:
        bought = [s for s in live if not s.own]
        best = next((s for s in bought if s.request.get("places")), bought[-1] if bought else live[-1])
        why = ["no evidence singles out a segment: the bought segment that reaches the customer's site"]
    return {"segmentId": best.id, "segmentName": best.name, "provider": best.provider_id, "own": best.own,
            "why": why, "scores": {k: v[0] for k, v in scores.items()}}


async def validation_done(uow: UnitOfWork, clock: Clock, ft: FederatedTicket, report: dict[str, Any], *,
                          now: datetime) -> None:
    """Our end-to-end test after a supplier's resolution: pass closes theirs and resolves our customer's; fail
    reopens theirs with a note and keeps ours open."""
    passed = bool(report.get("passed"))
    summary = str(report.get("summary") or ("passed" if passed else "failed"))
    ft.validations.append({"at": iso(now), "passed": passed, "purpose": "validation", "summary": summary})
    resolved = [e for e in ft.escalations if e.state is TicketState.RESOLVED
                or (e.state is TicketState.CLOSED and not e.closing)]
    if passed:
        ft.validated_at = now
        ft.note(now, "validation passed", summary=summary)
        for esc in resolved:
            if esc.state is TicketState.RESOLVED:
                esc.closing = True
                await store_command(uow, ft, esc, CLOSE_TICKET, f"round{esc.reopen_count}", {}, now)
        # a provider buying from us (Sonata) learns where the fault was, for its own OLAs; an end customer
        # (Cantata) never sees our suppliers' names
        cause = root_cause_of(resolved[0]) if resolved and ft.channel == "sonata" else None
        ft.tell_customer(RESOLVE, now, text=f"Repaired and verified by our end-to-end test ({summary}).",
                         **({"rootCause": cause[0], "supplierTicket": cause[1]} if cause else {}))
        await record_outage(uow, clock, ft, resolved, now=now)
        ft.due_at = now
        return
    ft.note(now, "validation failed", summary=summary)
    await _sla_evidence(uow, clock, ft, fact=Fact.DOWN, at=now, source=OURS, kind=EvidenceKind.TEST,
                        reference=f"test:{ft.id}:{len(ft.validations)}", note=f"validation failed: {summary}")
    for esc in resolved:
        if esc.state is TicketState.RESOLVED:
            esc.reopening = True
            esc.reopen_count += 1
            await store_command(uow, ft, esc, REOPEN_TICKET, f"round{esc.reopen_count}", {
                "reason": f"The fault persists: our end-to-end test after your repair failed ({summary})."}, now)
        else:  # closed by the supplier on its own: the fault is still there, so a new ticket
            await store_command(uow, ft, esc, REOPEN_TICKET, f"round{esc.reopen_count + 1}", {
                "reason": f"The fault persists: our end-to-end test failed ({summary})."}, now)
            esc.reopening = True
            esc.reopen_count += 1
    ft.move_to(TicketState.INVESTIGATING, at=now, reason="our validation failed")
    ft.tell_customer(SELLER_NOTE, now, text="The repair reported did not clear the fault in our test; work goes on.")


def outage_key(ft: FederatedTicket) -> str:
    """The SLA outage's natural key: one outage per customer ticket."""
    return f"ticket:{ft.ticket_id}"


async def outage_started(uow: UnitOfWork, clock: Clock, profile: SellerProfile, ft: FederatedTicket,
                         composite: CompositeOrder,
                         report: dict[str, Any], *, now: datetime) -> None:
    """The outage for SLA attribution (core/sla): the service's terms, the start (the first evidence of the
    fault: the customer's report or our failing test) and the diagnosis test as evidence of the fault."""
    if not await uow.sla.services([ft.product_id]):  # the service's terms, if its delivery did not give them
        await sla.register_composite(uow, profile, composite)
    impact = Impact.DEGRADED if ft.reported.get("observedImpact") == "degraded" else Impact.DOWN
    await sla.record_outage_start(uow, clock, service_id=ft.product_id, key=outage_key(ft),
                                  at=ft.fault_started_at or now, reference=ft.ticket_id, kind=EvidenceKind.TICKET,
                                  segment_id=(ft.suspect or {}).get("segmentId"), impact=impact,
                                  note="the customer's ticket")
    if not report.get("passed"):
        await _sla_evidence(uow, clock, ft, fact=Fact.DOWN, at=now, source=OURS, kind=EvidenceKind.TEST,
                            reference=f"test:{ft.id}:diagnosis", note=str(report.get("summary") or "")[:500])


async def _sla_evidence(uow: UnitOfWork, clock: Clock, ft: FederatedTicket, *, fact: Fact, at: datetime,
                        source: str, kind: EvidenceKind, reference: str, responsible: Responsible | None = None,
                        note: str | None = None) -> None:
    """One item of evidence on the ticket's outage (nothing when no outage was recorded for it)."""
    try:
        await sla.add_evidence(uow, clock, service_id=ft.product_id, key=outage_key(ft), fact=fact, at=at,
                               source=source, reference=reference, kind=kind, responsible=responsible, note=note)
    except NotFound:
        return


async def record_outage(uow: UnitOfWork, clock: Clock, ft: FederatedTicket, repaired: list[Escalation], *,
                        now: datetime) -> None:
    """The outage ends with our passing test; the supplier whose segment was repaired is the responsible domain,
    with its ticket and resolution as evidence (core/sla attributes; we only record)."""
    esc = repaired[0] if repaired else None
    responsible = Responsible(Domain.SUPPLIER, esc.provider_id) if esc else Responsible(Domain.OURS)
    test_ref = f"test:{ft.id}:{len(ft.validations)}"
    await _sla_evidence(uow, clock, ft, fact=Fact.END, at=now, source=OURS, kind=EvidenceKind.TEST,
                        reference=test_ref, note="our end-to-end test passed")
    for e in repaired:
        ref = e.external_ref.value if e.external_ref else e.our_ref
        if e.resolved_at is not None:
            await _sla_evidence(uow, clock, ft, fact=Fact.END, at=e.resolved_at, source=e.provider_id,
                                kind=EvidenceKind.SUPPLIER_NOTICE, reference=ref,
                                note="the supplier says it repaired")
    await _sla_evidence(uow, clock, ft, fact=Fact.DOMAIN, at=now, source=OURS, kind=EvidenceKind.TICKET,
                        reference=esc.external_ref.value if esc and esc.external_ref else ft.ticket_id,
                        responsible=responsible,
                        note=f"segment {esc.segment_name} repaired by its supplier" if esc else "our own segment")
    ft.outage = {
        "key": outage_key(ft), "service": ft.product_id,
        "start": iso(ft.fault_started_at or ft.created_at), "end": iso(now),
        "segmentId": esc.segment_id if esc else (ft.suspect or {}).get("segmentId"),
        "responsibleDomain": esc.provider_id if esc else "ours",
        "evidence": {
            "customerTicket": ft.ticket_id,
            "supplierTickets": [{"provider": e.provider_id, "id": e.external_ref.value if e.external_ref else None,
                                 "ourRef": e.our_ref, "resolvedAt": iso(e.resolved_at) if e.resolved_at else None,
                                 "resolution": e.resolution}
                                for e in repaired],
            "tests": list(ft.validations),
        },
    }
    ft.note(now, "outage recorded", responsible=str(responsible), start=ft.outage["start"], end=ft.outage["end"])


async def tell_customer(uow_factory: UowFactory, clock: Clock, profile: SellerProfile, customers: CustomerTickets,
                        ticket_id: str) -> int:
    """Carry out the queued moves of the customer's ticket, each in the Seller's own transaction, in order."""
    async with uow_factory() as uow:
        moves = list((await uow.federated_tickets.get_unscoped(ticket_id)).customer_moves)
    done = 0
    for move in moves:
        async with uow_factory() as uow:
            ft = await uow.federated_tickets.get_unscoped(ticket_id)
        outcome = "done"
        try:
            await customers.apply(uow_factory(), profile, buyer_id=ft.buyer_id, ticket_id=ft.ticket_id, move=move,
                                  now=clock.now())
        except CoreError as exc:  # the ticket moved on meanwhile (closed by the customer...): recorded, dropped
            outcome = f"not applied: {exc}"
        for attempt in range(5):
            try:
                async with uow_factory() as uow:
                    ft = await uow.federated_tickets.get_unscoped(ticket_id)
                    ft.customer_moves = [m for m in ft.customer_moves if m.get("seq") != move.get("seq")]
                    ft.note(clock.now(), "customer told", kind=move["kind"], outcome=outcome)
                    await uow.federated_tickets.save(ft)
                    await uow.commit()
                break
            except StaleVersion:
                if attempt == 4:
                    raise
        done += 1
    return done


# ---- supplier callbacks ------------------------------------------------------------------------------------


async def record_ticket_observation(uow_factory: UowFactory, clock: Clock, profile: SellerProfile,
                                    obs: TicketObservation) -> bool:
    """Evidence from a poll or a callback about a supplier's ticket; False if it is not one of ours."""
    for attempt in range(5):
        try:
            async with uow_factory() as uow:
                owner = await uow.federated_tickets.owner_of(obs.ref)
                if owner is None:
                    return False
                ft = await uow.federated_tickets.get_unscoped(owner[0])
                await observe_ticket(uow, profile, ft, ft.escalation(owner[1]), obs, now=clock.now())
                if ft.customer_moves and (ft.due_at is None or ft.due_at > clock.now()):
                    ft.due_at = clock.now()
                await uow.federated_tickets.save(ft)
                await uow.commit()
            return True
        except StaleVersion:
            if attempt == 4:
                raise
    return True


async def work_order_needs_visit(uow_factory: UowFactory, clock: Clock, ref: ExternalRef) -> bool:
    """A supplier says one of its work orders needs an appointment: store the booking (once); False if not ours."""
    async with uow_factory() as uow:
        owner = await uow.federated_tickets.owner_of(dataclasses.replace(ref, kind="workOrder"))
        if owner is None:
            return False
        ft = await uow.federated_tickets.get_unscoped(owner[0])
        esc = ft.escalation(owner[1])
        now = clock.now()
        wo = next((w for w in esc.work_orders if w["id"] == ref.value), None)
        if wo is None:
            wo = {"id": ref.value, "provider": ref.provider}
            esc.work_orders.append(wo)
        if "booking" not in wo:
            cmd = await store_command(uow, ft, esc, BOOK_APPOINTMENT, ref.value, {
                "workOrder": ref_json(dataclasses.replace(ref, kind="workOrder")), "window": _access_window(ft),
                "siteContact": await site_contact(uow, ft)}, now)
            wo["booking"] = cmd.idempotency_key if cmd else "stored"
        await uow.federated_tickets.save(ft)
        await uow.commit()
    return True


# ---- the command worker's ticket commands ------------------------------------------------------------------------

Outcome = TicketObservation | AppointmentAnswer | WorkOrderView | SupplierError | None


async def run_ticket_command(uow_factory: UowFactory, clock: Clock, profile: SellerProfile, suppliers: Suppliers,
                             command_id: str, *, timing: Timing = Timing(),
                             after_claim: Callable[[OutboundCommand], None] | None = None) -> int:
    """Claim -> call -> settle, as commands.run_command does for orders (it hands ticket actions here)."""
    now = clock.now()
    async with uow_factory() as uow:
        cmd = await uow.commands.get_unscoped(command_id)
        if cmd.state in (CommandState.SUCCEEDED, CommandState.REJECTED) or (cmd.due_at and cmd.due_at > now):
            return 0
        if cmd.state is CommandState.IN_FLIGHT:
            cmd.move_to(CommandState.UNKNOWN, at=now, note="found in flight past its grace time")
        recovering = cmd.state is CommandState.UNKNOWN
        if not recovering:
            cmd.attempts += 1
            cmd.sent_at = now
            cmd.move_to(CommandState.IN_FLIGHT, at=now, note=f"attempt {cmd.attempts}")
        cmd.due_at = now + timedelta(seconds=timing.in_flight_grace_s)
        await uow.commands.save(cmd)
        ft = await uow.federated_tickets.get_unscoped(cmd.composite_id)
        await uow.commit()
    if after_claim is not None and not recovering:
        after_claim(cmd)
    adapter = suppliers.adapter(cmd.provider_id)
    esc = ft.escalation(cmd.segment_id)
    outcome = await (_recover(adapter, cmd, esc) if recovering else _send(adapter, cmd, esc, clock))
    for attempt in range(5):
        try:
            async with uow_factory() as uow:
                await _settle(uow, clock, profile, cmd.id, outcome, recovering=recovering, timing=timing)
                await uow.commit()
            break
        except StaleVersion:
            if attempt == 4:
                raise
    return 1


def _ref(esc: Escalation) -> ExternalRef:
    assert esc.external_ref is not None, f"escalation {esc.id} has no supplier ticket yet"
    return esc.external_ref


async def _send(adapter: SupplierAdapter, cmd: OutboundCommand, esc: Escalation, clock: Clock) -> Outcome:
    try:
        if cmd.action == OPEN_TICKET:
            return await adapter.open_ticket(ticket_request_from(cmd.payload["request"]))
        if esc.external_ref is None:  # the ticket is not open yet: this command waits its turn
            return SupplierError(esc.provider_id, "the supplier ticket is not open yet")
        if cmd.action == ADD_TICKET_NOTE:
            return await adapter.add_ticket_note(_ref(esc), note_id=cmd.payload["noteId"], text=cmd.payload["text"])
        if cmd.action == CLOSE_TICKET:
            return await adapter.close_ticket(_ref(esc))
        if cmd.action == REOPEN_TICKET:
            return await adapter.reopen_ticket(_ref(esc), reason=cmd.payload["reason"])
        if cmd.action == CANCEL_TICKET:
            return await adapter.cancel_ticket(_ref(esc))
        if cmd.action == BOOK_APPOINTMENT:
            return await _book(adapter, cmd, clock)
        raise ValueError(f"unknown ticket command action {cmd.action}")
    except SupplierError as exc:
        return exc


async def _book(adapter: SupplierAdapter, cmd: OutboundCommand, clock: Clock) -> Outcome:
    """A visit for a work order that needs one: the earliest slot inside the site's access hours, if known."""
    ref = ref_from(cmd.payload["workOrder"])
    assert ref is not None
    wo = await adapter.get_work_order(ref)
    if not wo.appointment_required:
        return wo
    if wo.appointments:
        return await adapter.find_appointment(ref) or wo
    now = clock.now()
    wanted = [Slot(now, now + timedelta(days=SLOT_SEARCH_DAYS))]
    slots = sorted(await adapter.search_time_slots(ref, wanted), key=lambda s: s.start)
    window = cmd.payload.get("window")
    fitting = [s for s in slots if _inside(s, window)] if window else slots
    if not fitting:
        return SupplierRejected(adapter.provider_id, "no time slot inside the site's access hours", code="noSlot")
    return await adapter.book_appointment(ref, fitting[0], note=f"Booked by the buyer (ref {cmd.idempotency_key}).",
                                          site_contact=cmd.payload.get("siteContact"))


def _inside(slot: Slot, window: dict[str, Any]) -> bool:
    """Whether a slot lies inside daily access hours {"from": "HH:MM", "to": "HH:MM"} (UTC)."""
    try:
        start = tuple(int(x) for x in str(window["from"]).split(":"))
        end = tuple(int(x) for x in str(window["to"]).split(":"))
    except (KeyError, ValueError):
        return True
    return slot.start.date() == slot.end.date() and (slot.start.hour, slot.start.minute) >= start \
        and (slot.end.hour, slot.end.minute) <= end


async def _recover(adapter: SupplierAdapter, cmd: OutboundCommand, esc: Escalation) -> Outcome:
    """Look the supplier's record up by our reference before anything is sent again; None when it has none."""
    try:
        if cmd.action == OPEN_TICKET:
            return await adapter.find_ticket(cmd.idempotency_key)
        if cmd.action == BOOK_APPOINTMENT:
            ref = ref_from(cmd.payload["workOrder"])
            assert ref is not None
            return await adapter.find_appointment(ref)
        obs = await adapter.get_ticket(_ref(esc))
        if cmd.action == ADD_TICKET_NOTE:
            return obs if any(n.id == cmd.payload["noteId"] for n in obs.notes) else None
        if cmd.action == CLOSE_TICKET:
            return obs if obs.state is TicketState.CLOSED else None
        if cmd.action == CANCEL_TICKET:
            return obs if obs.state in (TicketState.CANCELLING, TicketState.CANCELLED) else None
        if cmd.action == REOPEN_TICKET:
            return obs if TICKET_RANK.get(obs.state, 0) < TICKET_RANK[TicketState.RESOLVED] or obs.reopened else None
    except SupplierError as exc:
        return exc
    return None


async def _settle(uow: UnitOfWork, clock: Clock, profile: SellerProfile, command_id: str, outcome: Outcome, *,
                  recovering: bool, timing: Timing) -> None:
    now = clock.now()
    cmd = await uow.commands.get_unscoped(command_id)
    if cmd.state in (CommandState.SUCCEEDED, CommandState.REJECTED):
        return
    ft = await uow.federated_tickets.get_unscoped(cmd.composite_id)
    esc = ft.escalation(cmd.segment_id)
    if isinstance(outcome, TicketObservation):
        cmd.result = {"externalRef": ref_json(outcome.ref), "rawState": outcome.raw_state,
                      "source": outcome.source.value}
        cmd.move_to(CommandState.SUCCEEDED, at=now, note=f"{outcome.source.value}: {outcome.raw_state}")
        cmd.due_at = None
        if cmd.action == OPEN_TICKET:
            esc.external_ref = outcome.ref
            await uow.federated_tickets.remember_ref(outcome.ref, ft.id, esc.id)
            ft.note(now, "supplier ticket opened", provider=esc.provider_id, ref=outcome.ref.value,
                    via=outcome.source.value)
            # the supplier's OLA repair clock starts when it was told (or when its own record says it knew)
            await _sla_evidence(uow, clock, ft, fact=Fact.REPORTED, at=cmd.sent_at or now, source=OURS,
                                kind=EvidenceKind.TICKET, reference=outcome.ref.value,
                                responsible=Responsible(Domain.SUPPLIER, esc.provider_id),
                                note="our ticket opened with the supplier")
        elif cmd.action == ADD_TICKET_NOTE:
            ft.note(now, "note sent to the supplier", provider=esc.provider_id)
        await observe_ticket(uow, profile, ft, esc, dataclasses.replace(outcome, source=Source.COMMAND)
                             if outcome.source is not Source.RECOVERY else outcome, now=now)
    elif isinstance(outcome, AppointmentAnswer | WorkOrderView):
        cmd.move_to(CommandState.SUCCEEDED, at=now, note="appointment" if isinstance(outcome, AppointmentAnswer)
                    else "no appointment needed")
        cmd.due_at = None
        wo = next((w for w in esc.work_orders if ref_from(cmd.payload["workOrder"]) is not None
                   and w["id"] == cmd.payload["workOrder"]["id"]), None)
        if isinstance(outcome, AppointmentAnswer):
            cmd.result = {"appointment": outcome.ref.value, "start": iso(outcome.slot.start),
                          "end": iso(outcome.slot.end)}
            if wo is not None:
                wo["appointment"] = {"id": outcome.ref.value, "start": iso(outcome.slot.start),
                                     "end": iso(outcome.slot.end), "state": outcome.raw_state}
            ft.note(now, "appointment booked", provider=esc.provider_id, start=iso(outcome.slot.start))
            ft.tell_customer(SELLER_NOTE, now, text="A technician visit is booked for "
                             f"{iso(outcome.slot.start)} to {iso(outcome.slot.end)}.")
            ft.due_at = now
        elif wo is not None:
            wo["appointment"] = None
    elif isinstance(outcome, OutcomeUnknown):
        cmd.move_to(CommandState.UNKNOWN, at=now, note=outcome.reason)
        cmd.due_at = now + timedelta(seconds=timing.recovery_grace_s)
        ft.note(now, "outcome unknown", provider=esc.provider_id, action=cmd.action, reason=outcome.reason)
    elif isinstance(outcome, SupplierRejected) and not isinstance(outcome, SupplierNotFound):
        cmd.result = {"code": outcome.code, "reason": outcome.reason, "problems": outcome.problems}
        cmd.move_to(CommandState.REJECTED, at=now, note=outcome.reason)
        cmd.due_at = None
        ft.note(now, f"supplier refused {cmd.action}", provider=esc.provider_id, reason=outcome.reason)
        if cmd.action == OPEN_TICKET:
            esc.state = TicketState.CANCELLED  # nothing was opened: a person takes it from here
            esc.raw_state = f"refused: {outcome.reason}"[:64]
    elif isinstance(outcome, SupplierError):
        backoff = min(timing.max_retry_backoff_s, timing.retry_backoff_s * 2 ** max(0, cmd.attempts - 1))
        cmd.move_to(CommandState.UNKNOWN if recovering else CommandState.PENDING, at=now, note=outcome.reason)
        cmd.due_at = now + timedelta(seconds=backoff)
    else:
        waited = (now - cmd.sent_at).total_seconds() if cmd.sent_at else timing.recovery_grace_s
        if waited >= timing.recovery_grace_s:
            cmd.move_to(CommandState.PENDING, at=now, note="the supplier has no record of it: sending again")
            cmd.due_at = now
        else:
            cmd.move_to(CommandState.UNKNOWN, at=now, note="not visible yet")
            cmd.due_at = now + timedelta(seconds=timing.recovery_grace_s - waited)
    await uow.commands.save(cmd)
    if ft.customer_moves and (ft.due_at is None or ft.due_at > now):
        ft.due_at = now
    await uow.federated_tickets.save(ft)
