"""The checks: pure functions from one record to the drift it shows. No I/O, no clock but the context's `now`.

Orders (one pass over every composite order, with its commands, supplier references and latest evidence):
- a place-order command that went out and left no supplier record (repair: ask the supplier by our reference);
- the supplier's last word is "completed" while we still wait (repair: read it again, let the normal flow act);
- the supplier's last word is "cancelled" while we hold the segment live (raised: a person decides);
- two supplier orders recorded for one segment of one composite (raised: one of them is to be cancelled).

Services (one pass over every composite order, with the customer's product):
- the customer's service is active while one of its segments is not (our record, or the supplier's last word);
- the customer's service is active and has no billing record. Billing is a later issue; until then a billing
  record is what we hold today: a recurring `productPrice` on the inventory record, or else the monthly cost
  basis (`cost.mrc`, with its currency) on every live segment, from which costing.py derives what we charge;
- an active segment without the supplier's service id (its product reference), so no ticket can name it;
- evidence too old to trust: a segment still in delivery whose last observation is older than its provider's
  staleness window (polling stopped), or an active segment older than the reconciliation policy's
  `service_staleness_s` (repair: ask the supplier again).

Tickets (one pass over the customers' tickets followed across providers, core/orchestration/ticket_model.py, with
their escalations and the SLA evidence of their outage):
- a supplier resolved its ticket and we neither validated (our end-to-end test) nor ended ours;
- a major incident (reported `extensive`, or `critical` priority) suspected in a supplier's segment, with no
  ticket opened with that supplier;
- a supplier's clock and ours disagree on the outage's start or end by more than the commitments' maximum clock
  skew (SLA evidence, core/sla: each party's earliest START and latest END as it stamped them).
None of these is repaired automatically: they are raised.

A mismatch younger than the policy's grace is work in progress (a callback on its way), not drift.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from counterpoint.core.orchestration.model import (
    COMPOSITE_TERMINAL,
    PLACE_ORDER,
    CommandState,
    CompositeState,
    Segment,
)
from counterpoint.core.orchestration.supply import RANK, TERMINAL, SegmentState
from counterpoint.core.reconcile.model import Check, Drift, Evidence, Kind, Repair, RepairAction, Severity, Subject
from counterpoint.core.reconcile.policy import ReconcilePolicy
from counterpoint.core.reconcile.records import CompositeRecord, EvidenceView, TicketRecord
from counterpoint.core.shared.ids import ExternalRef
from counterpoint.core.shared.times import iso


@dataclass(frozen=True, slots=True)
class Context:
    now: datetime
    policy: ReconcilePolicy
    staleness: Callable[[str], timedelta]  # a provider's staleness window (profile)
    clock_skew: timedelta = timedelta(minutes=10)  # how far partners' clocks are trusted (profile commitments)

    @property
    def grace(self) -> timedelta:
        return timedelta(seconds=self.policy.grace_s)

    def old(self, at: datetime | None) -> bool:
        """Older than the grace: no longer work in progress."""
        return at is None or self.now - at > self.grace


CompositeCheck = Callable[[CompositeRecord, Context], Iterable[Drift]]
TicketCheck = Callable[[TicketRecord, Context], Iterable[Drift]]

_LIVE_CANCELLED_OK = frozenset({SegmentState.CANCELLING, SegmentState.CANCELLED, SegmentState.REJECTED,
                                SegmentState.FAILED})
_DONE = frozenset({SegmentState.DELIVERED, SegmentState.ACTIVE})


def ref_text(ref: ExternalRef) -> str:
    return f"{ref.provider}/{ref.kind}/{ref.value}"


def _subject(rec: CompositeRecord, seg: Segment | None = None, *, command_id: str | None = None,
             refs: tuple[ExternalRef, ...] = ()) -> Subject:
    found = refs or tuple(r for r in ((seg.external_ref, seg.product_ref) if seg else ()) if r is not None)
    return Subject(buyer_id=rec.buyer_id, composite_id=rec.id, segment_id=seg.id if seg else None,
                   order_id=rec.order_id, item_id=rec.item_id, product_id=rec.product_id, command_id=command_id,
                   provider_id=seg.provider_id if seg else None, supplier_refs=tuple(ref_text(r) for r in found))


def _segment_evidence(seg: Segment) -> Evidence:
    return Evidence(f"we hold segment {seg.name} ({seg.provider_id}) as {seg.state.value}", "segment",
                    seg.observed_at, {"state": seg.state.value, "rawState": seg.raw_state,
                                      "externalRef": ref_text(seg.external_ref) if seg.external_ref else None})


def _logged(ev: EvidenceView) -> Evidence:
    return Evidence(f"supplier {ev.provider_id} said {ev.raw_state!r} ({ev.state.value}) by {ev.source}"
                    f"{'' if ev.applied else ', not applied: ' + ev.why}", "evidenceLog", ev.observed_at,
                    {"state": ev.state.value, "rawState": ev.raw_state, "applied": ev.applied, "why": ev.why,
                     "asOf": iso(ev.as_of) if ev.as_of else None})


# ---- orders -------------------------------------------------------------------------------------------------


def command_without_supplier_record(rec: CompositeRecord, ctx: Context) -> Iterator[Drift]:
    indexed = {r.segment_id for r in rec.refs}
    for cmd in rec.commands:
        if cmd.action != PLACE_ORDER or cmd.sent_at is None or cmd.state in (CommandState.PENDING,
                                                                              CommandState.REJECTED):
            continue
        seg = next((s for s in rec.segments if s.id == cmd.segment_id), None)
        if seg is None or seg.external_ref is not None and seg.id in indexed:
            continue
        if not ctx.old(max(cmd.sent_at, cmd.updated_at)):
            continue
        ev = [Evidence(f"command {cmd.action} to {seg.provider_id} sent, {cmd.state.value}", "command", cmd.sent_at,
                       {"commandId": cmd.id, "ourRef": cmd.key, "state": cmd.state.value,
                        "resultRef": ref_text(cmd.result_ref) if cmd.result_ref else None}),
              _segment_evidence(seg)]
        settled = cmd.state is CommandState.SUCCEEDED
        yield Drift(
            Kind.COMMAND_WITHOUT_SUPPLIER_RECORD, _subject(rec, seg, command_id=cmd.id),
            f"order to {seg.provider_id} for segment {seg.name} went out ({cmd.state.value}) and we hold no "
            f"supplier record of it", Severity.MAJOR, tuple(ev), (rec.id, seg.id, cmd.key),
            # a settled command is not re-run: its answer named an order we failed to keep, a person looks
            None if settled else Repair(RepairAction.REQUERY, seg.provider_id, rec.id, seg.id, command_id=cmd.id))


def supplier_completed_while_waiting(rec: CompositeRecord, ctx: Context) -> Iterator[Drift]:
    if rec.state in COMPOSITE_TERMINAL:
        return
    for seg in rec.segments:
        ev = rec.latest.get(seg.id)
        if ev is None or ev.state not in _DONE or seg.state in TERMINAL or seg.state is SegmentState.CANCELLING:
            continue
        if RANK.get(seg.state, 0) >= RANK[SegmentState.DELIVERED] or not ctx.old(ev.observed_at):
            continue
        yield Drift(
            Kind.SUPPLIER_COMPLETED_WHILE_WAITING, _subject(rec, seg),
            f"{seg.provider_id} completed segment {seg.name}; we still wait ({seg.state.value})", Severity.MINOR,
            (_logged(ev), _segment_evidence(seg)), (rec.id, seg.id),
            Repair(RepairAction.ADOPT, seg.provider_id, rec.id, seg.id,
                   ref=seg.external_ref.value if seg.external_ref else None))


def supplier_cancelled_believed_active(rec: CompositeRecord, ctx: Context) -> Iterator[Drift]:
    if rec.state in (CompositeState.CANCELLING, CompositeState.CANCELLED, CompositeState.FAILED):
        return
    for seg in rec.segments:
        ev = rec.latest.get(seg.id)
        if ev is None or ev.state is not SegmentState.CANCELLED or seg.state in _LIVE_CANCELLED_OK:
            continue
        if not ctx.old(ev.observed_at):
            continue
        yield Drift(
            Kind.SUPPLIER_CANCELLED_BELIEVED_ACTIVE, _subject(rec, seg),
            f"{seg.provider_id} cancelled segment {seg.name}; we hold it {seg.state.value} "
            f"(service {rec.state.value})", Severity.CRITICAL, (_logged(ev), _segment_evidence(seg)),
            (rec.id, seg.id))


def duplicate_supplier_orders(rec: CompositeRecord, ctx: Context) -> Iterator[Drift]:
    by_segment: dict[tuple[str, str], set[ExternalRef]] = {}
    for r in rec.refs:
        by_segment.setdefault((r.segment_id, r.ref.kind), set()).add(r.ref)
    for (segment_id, kind), refs in sorted(by_segment.items()):
        if len(refs) < 2:
            continue
        seg = next((s for s in rec.segments if s.id == segment_id), None)
        ordered = tuple(sorted(refs, key=ref_text))
        ev = tuple(Evidence(f"supplier reference {ref_text(r)} recorded for segment {segment_id}", "supplierRef",
                            None, {"ref": ref_text(r), "current": seg is not None and seg.external_ref == r})
                   for r in ordered)
        yield Drift(
            Kind.DUPLICATE_SUPPLIER_ORDERS, _subject(rec, seg, refs=ordered),
            f"{len(refs)} supplier orders ({kind}) for one segment {seg.name if seg else segment_id}: "
            + ", ".join(r.value for r in ordered), Severity.MAJOR,
            (*ev, *((_segment_evidence(seg),) if seg else ())), (rec.id, segment_id, *map(ref_text, ordered)))


# ---- services -----------------------------------------------------------------------------------------------


def _live(rec: CompositeRecord) -> list[Segment]:
    """The segments an active service stands on (a cancelled one was replaced by a change)."""
    return [s for s in rec.segments if s.state is not SegmentState.CANCELLED]


def segment_inactive_while_service_active(rec: CompositeRecord, ctx: Context) -> Iterator[Drift]:
    if not rec.service_active:
        return
    for seg in _live(rec):
        ev = rec.latest.get(seg.id)
        ours_inactive = seg.state is not SegmentState.ACTIVE
        theirs_inactive = ev is not None and ev.state in (SegmentState.FAILED, SegmentState.REJECTED,
                                                          SegmentState.CANCELLING) and ctx.old(ev.observed_at)
        if not (ours_inactive or theirs_inactive):
            continue
        said = ev.state.value if theirs_inactive and ev else seg.state.value
        yield Drift(
            Kind.SEGMENT_INACTIVE_SERVICE_ACTIVE, _subject(rec, seg),
            f"the customer's service is active; segment {seg.name} ({seg.provider_id}) is {said}",
            Severity.CRITICAL, (_segment_evidence(seg), *((_logged(ev),) if ev else ())), (rec.id, seg.id))


def _cost_recorded(seg: Segment) -> bool:
    cost = seg.cost or {}
    return cost.get("mrc") not in (None, "") and bool(cost.get("currency"))


def active_without_billing_record(rec: CompositeRecord, ctx: Context) -> Iterator[Drift]:
    if rec.state is not CompositeState.ACTIVE or rec.action == "delete":
        return
    product = rec.product
    if product is not None and product.status not in ("active", "active.pendingChange"):
        return  # the service is no longer active: nothing to bill
    if product is not None and product.recurring_price:
        return
    live = _live(rec)
    if product is not None and live and all(_cost_recorded(s) for s in live):
        return
    missing = [s.name for s in live if not _cost_recorded(s)]
    ev = [Evidence(f"product {product.id} is {product.status}, no recurring productPrice"
                   if product else f"no product {rec.product_id or '(none named)'} in our inventory", "product",
                   None, {"productId": rec.product_id})]
    if missing:
        ev.append(Evidence("no monthly cost basis on segment(s) " + ", ".join(missing), "segment", None,
                           {"segments": missing}))
    yield Drift(
        Kind.ACTIVE_WITHOUT_BILLING, _subject(rec),
        f"active service of order {rec.order_id} item {rec.item_id} has no billing record", Severity.MAJOR,
        tuple(ev), (rec.id,))


def missing_supplier_service_id(rec: CompositeRecord, ctx: Context) -> Iterator[Drift]:
    if not rec.service_active:
        return
    for seg in _live(rec):
        if seg.product_ref is None and seg.state is SegmentState.ACTIVE:
            yield Drift(
                Kind.MISSING_SUPPLIER_SERVICE_ID, _subject(rec, seg),
                f"active segment {seg.name} has no service id from {seg.provider_id}", Severity.MINOR,
                (_segment_evidence(seg),), (rec.id, seg.id),
                Repair(RepairAction.REFRESH, seg.provider_id, rec.id, seg.id, ref=seg.external_ref.value)
                if seg.external_ref else None)


def stale_observations(rec: CompositeRecord, ctx: Context) -> Iterator[Drift]:
    followed = rec.state not in COMPOSITE_TERMINAL
    if not (followed or rec.service_active):
        return
    for seg in _live(rec):
        if seg.external_ref is None or seg.state in TERMINAL:
            continue
        if followed and seg.state is not SegmentState.ACTIVE:
            window = ctx.staleness(seg.provider_id) + ctx.grace
            action = RepairAction.ADOPT
        elif rec.service_active and seg.state is SegmentState.ACTIVE:
            window = timedelta(seconds=ctx.policy.service_staleness_s)
            action = RepairAction.REFRESH
        else:
            continue
        if seg.observed_at is not None and ctx.now - seg.observed_at <= window:
            continue
        age = f"{int((ctx.now - seg.observed_at).total_seconds())} s old" if seg.observed_at else "never observed"
        yield Drift(
            Kind.STALE_OBSERVATIONS, _subject(rec, seg),
            f"what we know of segment {seg.name} ({seg.provider_id}, {seg.state.value}) is {age}, over "
            f"{int(window.total_seconds())} s", Severity.MINOR, (_segment_evidence(seg),), (rec.id, seg.id),
            Repair(action, seg.provider_id, rec.id, seg.id, ref=seg.external_ref.value))


# ---- tickets ------------------------------------------------------------------------------------------------


def _ticket_subject(t: TicketRecord, provider: str | None = None, refs: tuple[str, ...] = ()) -> Subject:
    return Subject(buyer_id=t.buyer_id, ticket_id=t.ticket_id, composite_id=t.composite_id,
                   product_id=t.product_id, provider_id=provider, supplier_refs=refs)


_TICKET_ENDED = ("closed", "cancelled")


def ticket_resolved_not_validated(t: TicketRecord, ctx: Context) -> Iterator[Drift]:
    """A supplier resolved its ticket longer than the grace ago and our ticket is neither validated nor ended."""
    if t.state in _TICKET_ENDED or t.validated_at is not None:
        return
    for st in t.supplier_tickets:
        if st.state not in ("resolvedPendingValidation", "closed") or not ctx.old(st.resolved_at):
            continue
        yield Drift(
            Kind.TICKET_RESOLVED_NOT_VALIDATED, _ticket_subject(t, st.provider_id, (f"{st.provider_id}/ticket/"
                                                                                    f"{st.ref}",)),
            f"{st.provider_id} resolved its ticket {st.ref}; our ticket {t.ticket_id} is {t.state}, not validated",
            Severity.MAJOR,
            (Evidence(f"supplier ticket {st.ref} {st.state}", "supplierTicket", st.resolved_at),
             Evidence(f"our ticket {t.ticket_id} {t.state}, no passing validation", "ticket", t.updated_at)),
            (t.id, st.provider_id, st.ref))


def major_incident_not_escalated(t: TicketRecord, ctx: Context) -> Iterator[Drift]:
    """A major incident suspected in a supplier's segment, open longer than the grace with no ticket there."""
    if not t.major_incident or t.state in _TICKET_ENDED or t.suspected_provider is None:
        return
    if any(st.provider_id == t.suspected_provider for st in t.supplier_tickets) or not ctx.old(t.created_at):
        return
    yield Drift(
        Kind.MAJOR_INCIDENT_NOT_ESCALATED, _ticket_subject(t, t.suspected_provider),
        f"major incident {t.ticket_id}: no ticket with {t.suspected_provider}, who holds the suspected segment",
        Severity.CRITICAL, (Evidence(f"our ticket {t.ticket_id} {t.state}, major incident, opened", "ticket",
                                     t.created_at),),
        (t.id, t.suspected_provider))


def sla_clocks_disagree(t: TicketRecord, ctx: Context) -> Iterator[Drift]:
    """A supplier's clock and ours differ on the outage's start or end (what each stamped in the SLA evidence) by
    more than the skew the profile's commitments allow: attribution reads both, so a person checks which is
    right."""
    ours = next((c for c in t.clocks if c.source == "ours"), None)
    if ours is None:
        return
    for other in t.clocks:
        if other is ours:
            continue
        gaps = [abs(a - b) for a, b in ((other.started_at, ours.started_at), (other.stopped_at, ours.stopped_at))
                if a is not None and b is not None]
        if not gaps or max(gaps) <= ctx.clock_skew:
            continue
        yield Drift(
            Kind.SLA_CLOCKS_DISAGREE, _ticket_subject(t, other.source),
            f"ticket {t.ticket_id}: {other.source}'s outage clock is {int(max(gaps).total_seconds())} s from ours",
            Severity.MAJOR,
            tuple(Evidence(f"{c.source}: start {iso(c.started_at) if c.started_at else '-'}, end "
                           f"{iso(c.stopped_at) if c.stopped_at else '-'}", "slaEvidence",
                           c.stopped_at or c.started_at) for c in (ours, other)),
            (t.id, other.source))


ORDER_CHECKS: tuple[CompositeCheck, ...] = (
    command_without_supplier_record, supplier_completed_while_waiting, supplier_cancelled_believed_active,
    duplicate_supplier_orders)
SERVICE_CHECKS: tuple[CompositeCheck, ...] = (
    segment_inactive_while_service_active, active_without_billing_record, missing_supplier_service_id,
    stale_observations)
TICKET_CHECKS: tuple[TicketCheck, ...] = (
    ticket_resolved_not_validated, major_incident_not_escalated, sla_clocks_disagree)

COMPOSITE_CHECKS: dict[Check, tuple[CompositeCheck, ...]] = {Check.ORDERS: ORDER_CHECKS,
                                                              Check.SERVICES: SERVICE_CHECKS}


def check_composite(check: Check, rec: CompositeRecord, ctx: Context) -> list[Drift]:
    return [d for fn in COMPOSITE_CHECKS.get(check, ()) for d in fn(rec, ctx)]


def check_ticket(t: TicketRecord, ctx: Context) -> list[Drift]:
    return [d for fn in TICKET_CHECKS for d in fn(t, ctx)]
