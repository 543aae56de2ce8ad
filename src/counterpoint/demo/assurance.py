"""Act three of `counterpoint demo`: the life of the service after the upgrade, across A, B and C.

A fault is injected on C's last mile (network/activation.py's FaultBoard, through demo/tickets.py); the enterprise
reports it to A as a MEF 124 ticket over HTTP; A's orchestrator escalates to B, B's to C; C's repair needs a
technician (C's profile), so C opens a work order and B books its appointment on C's MEF 137 API; C repairs (the
fault is cleared) and resolves; B, then A, validate with their end-to-end test and close; the enterprise closes.
Then each provider's month (core/sla) and a reconciliation run on each (core/reconcile).

Everything read here comes from each provider's own database, as in scenario.py: the view never asks a
provider's memory what happened.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from counterpoint.core.orchestration.model import CompositeOrder, CompositeState
from counterpoint.core.orchestration.supply import Observation, SegmentState, Source
from counterpoint.core.orchestration.ticket_model import Escalation, FederatedTicket
from counterpoint.core.orchestration.ticket_supply import TicketState
from counterpoint.core.reconcile.model import Finding, Kind
from counterpoint.core.reconcile.services import RunReport, run_reconciliation
from counterpoint.core.shared.ids import ExternalRef, new_id
from counterpoint.core.sla.attribution import MonthReport
from counterpoint.core.sla.model import Domain, Month, Outage
from counterpoint.core.sla.services import report as sla_month
from counterpoint.core.trouble_ticket.model import TroubleTicket
from counterpoint.core.workforce.model import Appointment, WorkOrder
from counterpoint.demo.cluster import Cluster
from counterpoint.demo.scenario import Line, readable
from counterpoint.storage.outbox import outbox

FAULT_ID = "changi-fibre-cut"
PROVIDER_OF = {"A": "archipelago-telecom", "B": "lion-city-metro", "C": "merlion-access"}  # seller ids of the chain
KEY_OF = {v: k for k, v in PROVIDER_OF.items()}
ENTERPRISE = "enterprise"  # the enterprise's buyer id at A


@dataclass
class Chain:
    """The enterprise's service as each provider holds it: A's product for the enterprise, B's for A, C's for B."""

    a_product: str
    b_product: str
    c_product: str
    a_composite: str
    b_composite: str


def _latest_active(composites: Sequence[CompositeOrder], product_id: str) -> CompositeOrder | None:
    found = [c for c in composites if c.product_id == product_id and c.state is CompositeState.ACTIVE]
    return max(found, key=lambda c: c.updated_at) if found else None


async def find_chain(cluster: Cluster, a_product: str) -> Chain:
    """Follow the enterprise's product down the chain through the segments' product references."""
    composites: dict[str, list[CompositeOrder]] = {}
    for key in ("A", "B"):
        c = cluster[key].container
        assert c is not None
        async with c.uow() as uow:
            composites[key] = await uow.composites.all()
    a = _latest_active(composites["A"], a_product)
    if a is None:
        raise RuntimeError(f"A holds no active service for product {a_product}")
    a_seg = next(s for s in a.segments if s.provider_id == PROVIDER_OF["B"])
    if a_seg.product_ref is None:
        raise RuntimeError(f"A's segment {a_seg.name} names no product at B")
    b = _latest_active(composites["B"], a_seg.product_ref.value)
    if b is None:
        raise RuntimeError(f"B holds no active service for product {a_seg.product_ref.value}")
    b_seg = next(s for s in b.segments if s.provider_id == PROVIDER_OF["C"])
    if b_seg.product_ref is None:
        raise RuntimeError(f"B's segment {b_seg.name} names no product at C")
    return Chain(a_product, a_seg.product_ref.value, b_seg.product_ref.value, a.id, b.id)


# ---- what each provider holds of the fault --------------------------------------------------------------


@dataclass
class TicketHolding:
    """One provider's tickets (as a Seller), those it follows with suppliers, its visits and its events."""

    key: str
    tickets: list[TroubleTicket] = field(default_factory=list)
    federated: list[FederatedTicket] = field(default_factory=list)
    work_orders: list[WorkOrder] = field(default_factory=list)
    appointments: list[Appointment] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)  # outbox rows of ticket and workforce events


_EVENT_FAMILIES = ("troubleTicket", "workOrder", "appointment")


async def holdings(cluster: Cluster) -> dict[str, TicketHolding]:
    out: dict[str, TicketHolding] = {}
    for key, p in cluster.providers.items():
        c = p.container
        if c is None:
            continue
        h = TicketHolding(key)
        async with c.uow() as uow:
            h.tickets = sorted([await uow.trouble_tickets.get_unscoped(i)
                                for i in await uow.trouble_tickets.ids_where()], key=lambda t: t.created_at)
            h.federated = sorted(await uow.federated_tickets.all(), key=lambda f: f.created_at)
            h.work_orders = sorted([await uow.work_orders.get_unscoped(i) for i in await uow.work_orders.ids_where()],
                                   key=lambda w: w.created_at)
            h.appointments = sorted([await uow.appointments.get_unscoped(i)
                                     for i in await uow.appointments.ids_where()], key=lambda a: a.created_at)
            rows = (await uow.conn.execute(select(outbox).where(outbox.c.api.in_(_EVENT_FAMILIES))
                                           .order_by(outbox.c.seq))).mappings().all()
            h.events = [dict(r) for r in rows]
        out[key] = h
    return out


def _ext(ticket: TroubleTicket) -> str:
    return str(ticket.doc.get("externalId") or "-")


def who(party: str) -> str:
    """A party as the timeline names it: A, B, C or the enterprise."""
    return KEY_OF.get(party, "enterprise" if party == ENTERPRISE else party)


def ticket_rows(h: dict[str, TicketHolding]) -> list[tuple[str, str, str, str, str]]:
    """(provider, ticket, from, state, theirs) for the live view: each Seller-side ticket, then the supplier
    tickets the provider follows under it, then the visits."""
    rows: list[tuple[str, str, str, str, str]] = []
    for key, hold in h.items():
        for t in hold.tickets:
            rows.append((key, f"ticket {t.id[:8]}", who(t.buyer_id), t.status.value, f"their {_ext(t)[:12]}"))
            ft = next((f for f in hold.federated if f.ticket_id == t.id), None)
            if ft is None:
                continue
            for esc in ft.escalations:
                theirs = esc.external_ref.value[:8] if esc.external_ref else "-"
                rows.append(("", f"  -> {who(esc.provider_id)} {theirs}", f"ours {ft.state.value}"[:20],
                             esc.raw_state or esc.state.value, f"seg {esc.segment_name}"))
        for w in hold.work_orders:
            appt = next((a for a in hold.appointments if a.work_order_id == w.id), None)
            rows.append(("", f"  work order {w.id[:8]}", who(w.buyer_id), w.state.value,
                         f"visit {_at(appt.start)}" if appt else "no visit yet"))
    return rows


def _at(at: datetime | None) -> str:
    return at.strftime("%b %d %H:%M") if at else "-"


def ticket_timeline(h: dict[str, TicketHolding], *, verbose: bool = False, extra: Sequence[Line] = ()) -> list[Line]:
    """The fault's story across providers in time order: each ticket's status changes (with whose ticket and the
    buyer's own id for it), what each orchestrator did (diagnosis, escalation, evidence, validation), visits."""
    tidy = (lambda t: t) if verbose else readable
    lines: list[Line] = list(extra)
    for key, hold in h.items():
        for t in hold.tickets:
            for change in t.doc.get("statusChange") or []:
                at = _parse(change.get("changeDate"))
                if at is None:
                    continue
                reason = change.get("changeReason")
                lines.append(Line(at, key, tidy(f"ticket {t.id} of {who(t.buyer_id)} (theirs {_ext(t)}): "
                                                f"{change.get('status')}" + (f" ({reason})" if reason else "")),
                                  "ticket"))
        for ft in hold.federated:
            for entry in ft.timeline:
                at = _parse(entry.get("at"))
                if at is None or entry.get("what") == "customer told" and not verbose:
                    continue  # what the orchestrator told its own customer's ticket shows as that ticket's move
                detail = ", ".join(f"{k}={v}" for k, v in entry.items()
                                   if k not in ("at", "what") and (verbose or k not in ("ref", "why")))
                lines.append(Line(at, key, tidy(entry["what"] + (f": {detail}" if detail else "")), "federation"))
        for e in hold.events:  # the work order's and the appointment's notifications to the buyer
            if e["api"] == "troubleTicket":
                continue
            what = "work order" if e["api"] == "workOrder" else "appointment"
            lines.append(Line(e["occurred_at"], key, tidy(f"{e['event_type']}: {what} {e['resource_id']} -> "
                                                          f"{who(e['buyer_id'])}"), "workforce"))
        for a in hold.appointments:
            lines.append(Line(a.created_at, key, tidy(f"appointment {a.id} booked by {who(a.buyer_id)} for "
                                                      f"{_at(a.start)}-{a.end.strftime('%H:%M')} (work order "
                                                      f"{a.work_order_id}), now {a.status.value}"), "workforce"))
    lines.sort(key=lambda line: line.at)
    return lines


def _parse(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


# ---- the month's SLA, and reconciliation ----------------------------------------------------------------


def months_between(start: datetime, end: datetime) -> list[Month]:
    months = [Month(start.year, start.month)]
    while months[-1].end <= end:
        last = months[-1]
        months.append(Month(last.year + last.month // 12, last.month % 12 + 1))
    return months


@dataclass
class SlaView:
    key: str
    reports: list[MonthReport]
    outages: list[Outage]


async def sla_views(cluster: Cluster, since: datetime) -> dict[str, SlaView]:
    """Each provider's report for the months since the fault (an outage may cross a month's end)."""
    out: dict[str, SlaView] = {}
    for key, p in cluster.providers.items():
        c = p.container
        if c is None:
            continue
        now = c.clock.now()
        reports: list[MonthReport] = []
        for month in months_between(since, now):
            async with c.uow() as uow:
                reports.append(await sla_month(uow, c.clock, c.profile.commitments, month))
        async with c.uow() as uow:
            outages = await uow.sla.outages_between(since - timedelta(days=1), now + timedelta(days=1))
        out[key] = SlaView(key, reports, outages)
    return out


async def reconcile_all(cluster: Cluster) -> dict[str, RunReport]:
    """One reconciliation run on every provider, with its safe repairs, as its worker would run it."""
    out: dict[str, RunReport] = {}
    for key, p in cluster.providers.items():
        c = p.container
        if c is None:
            continue
        out[key] = await run_reconciliation(c.uow, c.clock, c.profile, suppliers=c.suppliers, timing=c.timing)
    return out


def findings_of(reports: dict[str, RunReport]) -> list[tuple[str, Finding]]:
    return [(key, f) for key, r in reports.items() for f in r.findings]


# ---- do the providers agree? -----------------------------------------------------------------------------


def ticket_disagreements(h: dict[str, TicketHolding], enterprise_ticket_id: str, fault_cleared: bool) -> list[str]:
    """The fault's end state: every ticket closed on A, B and C, escalated down the chain, a visit booked by B
    at C, the fault cleared."""
    problems: list[str] = []
    a_ticket = next((t for t in h["A"].tickets if t.id == enterprise_ticket_id), None)
    if a_ticket is None:
        return [f"A holds no ticket {enterprise_ticket_id}"]
    if a_ticket.status.value != "closed":
        problems.append(f"A: the enterprise's ticket {a_ticket.id} is {a_ticket.status.value}, not closed")
    for key, below in (("A", "B"), ("B", "C")):
        fts = h[key].federated
        if not fts:
            problems.append(f"{key} followed no ticket across its suppliers")
            continue
        ft = fts[-1]
        if ft.state.value != "closed":
            problems.append(f"{key}: its federated ticket {ft.id} is {ft.state.value}, not closed")
        if ft.validated_at is None:
            problems.append(f"{key}: closed without validating by its own end-to-end test")
        esc = next((e for e in ft.escalations if e.provider_id == PROVIDER_OF[below]), None)
        if esc is None or esc.external_ref is None:
            problems.append(f"{key} did not escalate to {below} ({PROVIDER_OF[below]})")
            continue
        theirs = next((t for t in h[below].tickets if t.id == esc.external_ref.value), None)
        if theirs is None:
            problems.append(f"{key} names ticket {esc.external_ref.value} at {below}, which {below} does not hold")
            continue
        if theirs.doc.get("externalId") != esc.our_ref:
            problems.append(f"{below}: ticket {theirs.id} does not carry {key}'s reference {esc.our_ref}")
        if theirs.status.value != "closed":
            problems.append(f"{below}: {key}'s ticket {theirs.id} is {theirs.status.value}, not closed")
    c_tickets = h["C"].tickets
    if c_tickets:
        t = c_tickets[-1]
        if not t.work_order_ids:
            problems.append(f"C: ticket {t.id} was repaired without the technician visit its profile requires")
        booked = [a for a in h["C"].appointments if a.work_order_id in t.work_order_ids]
        if not booked:
            problems.append(f"C: no appointment was booked on the work order of ticket {t.id}")
        elif any(a.buyer_id != PROVIDER_OF["B"] for a in booked):
            problems.append("C: the visit was booked by someone other than B")
    if not fault_cleared:
        problems.append("the fault on C's last mile was never cleared")
    return problems


def sla_disagreements(views: dict[str, SlaView], chain: Chain) -> list[str]:
    """A charges the outage to B and credits the enterprise, its root cause C (as B's resolution says); B charges
    it to C and C's OLA penalty applies."""
    problems: list[str] = []
    for key, supplier, service in (("A", "B", chain.a_product), ("B", "C", chain.b_product)):
        view = views[key]
        mine = [o for o in view.outages if o.service_id == service]
        if not mine:
            problems.append(f"{key}: no outage recorded on service {service}")
            continue
        blamed = {o.responsible.supplier for o in mine if o.responsible.domain is Domain.SUPPLIER}
        if blamed != {PROVIDER_OF[supplier]}:
            problems.append(f"{key}: the outage on {service} is charged to {sorted(map(str, blamed)) or 'nobody'}, "
                            f"not {PROVIDER_OF[supplier]}")
        if any(o.end is None for o in mine):
            problems.append(f"{key}: the outage on {service} has not ended")
        causes = {o.root_cause for r in view.reports for s in r.services if s.service_id == service
                  for o in s.outages}
        want = {PROVIDER_OF["C"]} if key == "A" else {None}  # B charges C, whose own network it was
        if causes != want:
            problems.append(f"{key}: the root cause of the outage on {service} is {sorted(map(str, causes))}, "
                            f"not {sorted(map(str, want))}")
        figures = [s for r in view.reports for s in r.services if s.service_id == service]
        if not any(s.credit_eligible for s in figures):
            problems.append(f"{key}: its customer's credit on {service} is not eligible")
        penalties = [p for r in view.reports for p in r.suppliers if p.supplier == PROVIDER_OF[supplier]]
        if not any(p.penalty_eligible for p in penalties):
            problems.append(f"{key}: {supplier}'s OLA penalty is not eligible")
    return problems


def reconcile_disagreements(reports: dict[str, RunReport]) -> list[str]:
    return [f"{key}: reconciliation found {f.kind.value}: {f.summary}" for key, f in findings_of(reports)]


# ---- the drift scenario ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seeded:
    """One drift put on purpose into a provider's records, and the finding reconciliation must make of it."""

    key: str  # the provider whose records drift
    kind: Kind
    what: str


async def _active_composite(cluster: Cluster, key: str, product_id: str) -> CompositeOrder:
    c = cluster[key].container
    assert c is not None
    async with c.uow() as uow:
        found = _latest_active(await uow.composites.all(), product_id)
    if found is None:
        raise RuntimeError(f"{key} holds no active service for product {product_id}")
    return found


async def seed_drift(cluster: Cluster, chain: Chain) -> list[Seeded]:
    """Drift as it happens between providers, written into A's and B's own records (their suppliers' records
    are left as they are, so a repair that asks them finds the truth):

    - B: Merlion (C) cancelled the last mile behind B's back: its "cancelled" reached B two days ago and was not
      applied (B had accepted the segment as active), and B still believes the segment active;
    - B: a second supplier order is indexed for the same last mile (a retried order nobody cancelled);
    - A: what A knows of B's segment was last observed over a year ago;
    - A: B resolved a ticket two days ago and A never ran its validation test (a crash between the two).
    """
    now = cluster.clock.now()
    seeded: list[Seeded] = []
    b = cluster["B"].container
    a = cluster["A"].container
    assert a is not None and b is not None
    b_comp = await _active_composite(cluster, "B", chain.b_product)
    last_mile = next(s for s in b_comp.segments if s.provider_id == PROVIDER_OF["C"])
    assert last_mile.external_ref is not None
    cancelled = Observation(state=SegmentState.CANCELLED, raw_state="cancelled", ref=last_mile.external_ref,
                            source=Source.CALLBACK, observed_at=now - timedelta(days=2),
                            evidence=f"drift-{new_id()[:8]}")
    async with b.uow() as uow:
        await uow.composites.log_evidence(b_comp.id, last_mile.id, cancelled, applied=False,
                                          why="segment already accepted as active")
        await uow.composites.remember_ref(ExternalRef(PROVIDER_OF["C"], f"drift-{new_id()}"), b_comp.id,
                                          last_mile.id)
        await uow.commit()
    seeded.append(Seeded("B", Kind.SUPPLIER_CANCELLED_BELIEVED_ACTIVE,
                         f"C's cancellation of last mile {last_mile.external_ref.value[:8]} reached B and was not "
                         "applied: B still holds it active"))
    seeded.append(Seeded("B", Kind.DUPLICATE_SUPPLIER_ORDERS,
                         "a second order at C is indexed for the same last mile"))
    a_comp = await _active_composite(cluster, "A", chain.a_product)
    async with a.uow() as uow:
        comp = await uow.composites.get_unscoped(a_comp.id)
        seg = next(s for s in comp.segments if s.provider_id == PROVIDER_OF["B"])
        seg.observed_at = now - timedelta(days=400)
        await uow.composites.save(comp)
        await uow.commit()
    seeded.append(Seeded("A", Kind.STALE_OBSERVATIONS,
                         f"A last heard of B's segment {seg.name} 400 days ago (A trusts a year)"))
    resolved_at = now - timedelta(days=2)
    ft = FederatedTicket(
        id=new_id(), buyer_id=ENTERPRISE, seller_id=a.profile.seller_id, channel="cantata",
        created_at=now - timedelta(days=3), updated_at=resolved_at, correlation_id=f"drift-{new_id()[:12]}",
        ticket_id=f"drift-{new_id()}", product_id=chain.a_product, composite_id=a_comp.id,
        state=TicketState.RESOLVED, reported={"description": "seeded: the line drops every evening",
                                              "severity": "moderate", "priority": "medium"},
        escalations=[Escalation(id=new_id(), provider_id=PROVIDER_OF["B"], segment_id=seg.id,
                                segment_name=seg.name, our_ref=f"cp-drift-{new_id()[:12]}",
                                state=TicketState.RESOLVED, resolved_at=resolved_at, raw_state="resolved",
                                external_ref=ExternalRef(PROVIDER_OF["B"], f"drift-{new_id()}", "troubleTicket"))],
        fault_started_at=now - timedelta(days=3), due_at=None)
    ft.note(resolved_at, "seeded drift: the supplier resolved, our validation never ran")
    async with a.uow() as uow:
        await uow.federated_tickets.add(ft)
        await uow.commit()
    seeded.append(Seeded("A", Kind.TICKET_RESOLVED_NOT_VALIDATED,
                         "B resolved a ticket two days ago; A never validated it with its end-to-end test"))
    return seeded


def drift_missed(seeded: Sequence[Seeded], reports: dict[str, RunReport]) -> list[str]:
    """Each seeded drift must be found on its provider; nothing else may be found."""
    problems: list[str] = []
    found = {(key, f.kind) for key, f in findings_of(reports)}
    for s in seeded:
        if (s.key, s.kind) not in found:
            problems.append(f"{s.key}: reconciliation did not find the seeded {s.kind.value} ({s.what})")
    expected = {(s.key, s.kind) for s in seeded}
    for key, f in findings_of(reports):
        if (key, f.kind) not in expected:
            problems.append(f"{key}: reconciliation found {f.kind.value}, which was not seeded: {f.summary}")
    return problems
