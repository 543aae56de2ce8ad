"""Rich views of what a Seller holds: orders and their lifecycle, without reading logs."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.tree import Tree
from sqlalchemy import select

from counterpoint.storage.incident import incident as incident_table
from counterpoint.storage.ordering import order_charge, product_order
from counterpoint.storage.outbox import delivery, outbox
from counterpoint.storage.quote import quote as quote_table
from counterpoint.storage.uow import SqlUnitOfWork

_STATE_STYLE = {"completed": "green", "inProgress": "cyan", "acknowledged": "white", "failed": "red",
                "rejected": "red", "cancelled": "yellow", "partial": "yellow", "held.assessingCharge": "magenta",
                "held": "magenta", "assessingCancellation": "yellow", "pendingCancellation": "yellow",
                "pending.assessingModification": "blue", "approved.orderable": "green",
                "approved.orderableAlternate": "green", "answered": "green", "accepted": "green",
                "inProgress.draft": "cyan", "unableToProvide": "red", "declined": "yellow", "expired": "yellow",
                "abandoned": "yellow", "created": "white", "closed": "green"}


def styled(state: str) -> str:
    return f"[{_STATE_STYLE.get(state, 'white')}]{state}[/]"


SHORT_ID = 8  # characters of an id shown in a terminal; `order` and `quote` accept any unique prefix


def shown_id(value: str, short: bool) -> str:
    return value[:SHORT_ID] if short else value


async def resolve_id(uow: SqlUnitOfWork, table: Any, given: str, noun: str) -> str:
    """The one id of `table` equal to `given` or starting with it; LookupError when none or several do."""
    exact = (await uow.conn.execute(select(table.c.id).where(table.c.id == given))).scalar()
    if exact is not None:
        return str(exact)
    found = (await uow.conn.execute(select(table.c.id).where(table.c.id.startswith(given, autoescape=True))
                                    .order_by(table.c.id).limit(6))).scalars().all()
    if not found or not given:
        raise LookupError(f"no {noun} {given}")
    if len(found) > 1:
        listed = ", ".join(found[:5]) + (", ..." if len(found) > 5 else "")
        raise LookupError(f"{given!r} is the start of several {noun}s ({listed}): give more of the id")
    return str(found[0])


async def orders_table(uow: SqlUnitOfWork, *, limit: int = 50, short_ids: bool = False) -> Table:
    table = Table(title="product orders (newest first)")
    for col in ("id", "buyer", "externalId", "state", "items", "ordered", "next step due"):
        table.add_column(col)
    rows = (await uow.conn.execute(select(product_order).order_by(product_order.c.created_at.desc())
                                   .limit(limit))).mappings().all()
    for r in rows:
        items = r["doc"]["productOrderItem"]
        table.add_row(shown_id(r["id"], short_ids), r["buyer_id"], r["doc"].get("externalId", ""), styled(r["state"]),
                      " ".join(styled(i["state"]) for i in items), r["doc"]["orderDate"],
                      r["due_at"].isoformat() if r["due_at"] else "-")
    return table


async def order_view(uow: SqlUnitOfWork, order_id: str) -> Group:
    order_id = await resolve_id(uow, product_order, order_id, "order")
    row = (await uow.conn.execute(select(product_order).where(product_order.c.id == order_id))).mappings().first()
    if row is None:
        raise LookupError(f"no order {order_id}")
    doc: dict[str, Any] = row["doc"]
    head = Table.grid(padding=(0, 2))
    for key, value in (("order", doc["id"]), ("buyer", row["buyer_id"]), ("interface", row["channel"]),
                       ("externalId", doc.get("externalId", "")), ("state", styled(doc["state"])),
                       ("correlation", row["correlation_id"] or "-")):
        head.add_row(f"[bold]{key}[/]", value)
    history = Tree("[bold]order states[/]")
    for change in doc.get("stateChange", []):
        history.add(f"{change['changeDate']}  {styled(change['state'])}  {change.get('changeReason', '')}")
    items = Tree("[bold]items[/]")
    for item in doc["productOrderItem"]:
        product = item.get("product", {})
        node = items.add(f"item {item['id']} ({item['action']} {(product.get('productOffering') or {}).get('id', '')})"
                         f"  {styled(item['state'])}  expected {item.get('expectedCompletionDate', '-')}"
                         f"  product {product.get('id', '-')}"
                         + (f"  quote {item['quoteItem']['quoteId']} item {item['quoteItem']['id']}"
                            if item.get("quoteItem") else ""))
        events = [(c["changeDate"], styled(c["state"]) + (f"  {c['changeReason']}" if c.get("changeReason") else ""))
                  for c in item.get("stateChange", [])]
        events += [(m["date"], f"milestone [bold]{m['name']}[/]") for m in item.get("milestone", [])]
        for at, text in sorted(events):
            node.add(f"{at}  {text}")
    charges = (await uow.conn.execute(select(order_charge).where(order_charge.c.order_id == order_id))).mappings().all()
    charge_tree = Tree("[bold]charges[/]")
    for ch in charges:
        charge_tree.add(f"{ch['id']}  {ch['state']}  due {ch['doc']['responseDueDate']}  "
                        + ", ".join(f"{i['price']['dutyFreeAmount']['value']} {i['price']['dutyFreeAmount']['unit']}"
                                    f" {i['state']}" for i in ch["doc"]["chargeItem"]))
    sent = await notifications_table(uow, order_id, "notifications about this order")
    parts: list[Any] = [Panel(head, title="product order"), history, items]
    if charges:
        parts.append(charge_tree)
    parts.extend(await orchestration_view(uow, order_id))
    parts.append(sent)
    return Group(*parts)


async def orchestration_view(uow: SqlUnitOfWork, order_id: str) -> list[Any]:
    """How the order's items are built across providers: segments, commands, evidence and our timeline."""
    parts: list[Any] = []
    for comp in await uow.composites.for_order(order_id):
        segs = Table(title=f"orchestration {comp.id} of item {comp.item_id} ({comp.action}): "
                           f"{styled(comp.state.value)}")
        for col in ("segment", "provider", "our state", "supplier says", "expected", "their ref", "our ref"):
            segs.add_column(col, overflow="fold")
        for seg in comp.segments:
            segs.add_row(seg.name, seg.provider_id + (" (own)" if seg.own else ""), seg.state.value,
                         seg.raw_state or "-", seg.expected_completion.isoformat() if seg.expected_completion else "-",
                         seg.external_ref.value if seg.external_ref else "-", seg.our_ref or "-")
        commands = Table(title="outbound commands")
        for col in ("provider", "action", "state", "attempts", "key", "history"):
            commands.add_column(col, overflow="fold")
        for cmd in await uow.commands.for_composite(comp.id):
            commands.add_row(cmd.provider_id, cmd.action, cmd.state.value, str(cmd.attempts), cmd.idempotency_key,
                             " / ".join(f"{h['to']}" + (f" ({h['note']})" if h.get("note") else "")
                                        for h in cmd.history))
        evidence = Table(title="supplier evidence (applied or not, and why)")
        for col in ("observed", "provider", "source", "said", "ours", "applied", "why"):
            evidence.add_column(col, overflow="fold")
        for e in await uow.composites.evidence_of(comp.id):
            evidence.add_row(e["observed_at"].isoformat(), e["provider_id"], e["source"], e["raw_state"], e["state"],
                             "yes" if e["applied"] else "[yellow]no[/]", e["why"])
        timeline = Tree("[bold]orchestrator timeline[/]")
        for entry in comp.timeline:
            detail = ", ".join(f"{k}={v}" for k, v in entry.items() if k not in ("at", "what"))
            timeline.add(f"{entry['at']}  {entry['what']}" + (f"  {detail}" if detail else ""))
        parts.extend([segs, commands, evidence, timeline])
    return parts


async def notifications_table(uow: SqlUnitOfWork, resource_id: str, title: str) -> Table:
    """Every notification the Seller raised about one resource, and what became of each delivery."""
    sent = Table(title=title)
    for col in ("event", "item", "occurred", "listener", "delivery", "attempts"):
        sent.add_column(col)
    events = (await uow.conn.execute(select(outbox).where(outbox.c.resource_id == resource_id)
                                     .order_by(outbox.c.seq))).mappings().all()
    for e in events:
        deliveries = (await uow.conn.execute(select(delivery).where(delivery.c.event_id == e["event_id"]))
                      ).mappings().all()
        item = e["item_id"] or ""
        if not deliveries:
            sent.add_row(e["event_type"], item, e["occurred_at"].isoformat(), "-",
                         "no listener" if e["dispatched_at"] else "pending", "-")
        for d in deliveries:
            sent.add_row(e["event_type"], item, e["occurred_at"].isoformat(), d["url"].split("/mefApi/")[0],
                         d["state"], str(d["attempts"]))
    return sent


def _price_text(item: dict[str, Any]) -> str:
    out = []
    for p in item.get("quoteItemPrice") or []:
        money = (p.get("price") or {}).get("dutyFreeAmount") or {}
        period = f"/{p['recurringChargePeriod']}" if p.get("recurringChargePeriod") else " once"
        out.append(f"{money.get('value')} {money.get('unit', '')}{period}")
    return ", ".join(out) or "-"


async def quotes_table(uow: SqlUnitOfWork, *, limit: int = 50, short_ids: bool = False) -> Table:
    table = Table(title="quotes (newest first)")
    for col in ("id", "buyer", "externalId", "level", "state", "items", "quoted", "valid until"):
        table.add_column(col)
    rows = (await uow.conn.execute(select(quote_table).order_by(quote_table.c.created_at.desc())
                                   .limit(limit))).mappings().all()
    for r in rows:
        doc = r["doc"]
        table.add_row(shown_id(r["id"], short_ids), r["buyer_id"], doc.get("externalId", ""), doc.get("quoteLevel") or
                      doc.get("buyerRequestedQuoteLevel", ""), styled(r["state"]),
                      " ".join(styled(i["state"]) for i in doc["quoteItem"]), doc["quoteDate"],
                      (doc.get("validFor") or {}).get("endDateTime", "-"))
    return table


async def quote_view(uow: SqlUnitOfWork, quote_id: str) -> Group:
    quote_id = await resolve_id(uow, quote_table, quote_id, "quote")
    row = (await uow.conn.execute(select(quote_table).where(quote_table.c.id == quote_id))).mappings().first()
    if row is None:
        raise LookupError(f"no quote {quote_id}")
    doc: dict[str, Any] = row["doc"]
    head = Table.grid(padding=(0, 2))
    for key, value in (("quote", doc["id"]), ("buyer", row["buyer_id"]), ("interface", row["channel"]),
                       ("externalId", doc.get("externalId", "")), ("asked", doc["buyerRequestedQuoteLevel"]),
                       ("level", doc.get("quoteLevel", "-")), ("state", styled(doc["state"])),
                       ("expected", doc.get("expectedQuoteCompletionDate", "-")),
                       ("valid until", (doc.get("validFor") or {}).get("endDateTime", "-"))):
        head.add_row(f"[bold]{key}[/]", str(value))
    history = Tree("[bold]quote states[/]")
    for change in doc.get("stateChange", []):
        history.add(f"{change['changeDate']}  {styled(change['state'])}  {change.get('changeReason', '')}")
    items = Tree("[bold]items[/]")
    for item in doc["quoteItem"]:
        product = item.get("product") or {}
        term = (item.get("quoteItemTerm") or [{}])[0].get("name", "-")
        node = items.add(f"item {item['id']} ({item['action']} {(product.get('productOffering') or {}).get('id', '')})"
                         f"  {styled(item['state'])}  term {term}  {_price_text(item)}")
        for err in item.get("terminationError") or []:
            node.add(f"[red]{err.get('code', '')}[/] {err.get('value', '')}")
    sent = await notifications_table(uow, quote_id, "notifications about this quote")
    return Group(Panel(head, title="quote"), history, items, sent)


_SEVERITY_STYLE = {"critical": "bold red", "major": "red", "minor": "yellow"}
_STATUS_STYLE = {"raised": "bold red", "open": "yellow", "repaired": "green", "cleared": "dim"}


def reconcile_table(report: Any) -> Group:
    """A reconciliation run (core.reconcile.services.RunReport) for a person: what it found, then totals."""
    counts = report.counts()
    table = Table(title=f"reconciliation {report.run.id[:8]}: {counts['found']} found, {counts['raised']} raised "
                        f"now, {counts['repaired']} repaired, {counts['cleared']} cleared")
    for col in ("status", "severity", "kind", "about", "what", "first seen"):
        table.add_column(col, overflow="fold")
    raised_now = set(report.newly_raised)
    for s in report.sightings:
        f = s.finding
        status = f.status.value + (" (new)" if f.id in raised_now else "")
        subject = f.subject
        about = " ".join(x for x in (
            f"order {subject.order_id}" if subject.order_id else "", f"ticket {subject.ticket_id}"
            if subject.ticket_id else "", f"@{subject.provider_id}" if subject.provider_id else "") if x)
        what = f.summary + ("".join(f"\n  repair: {r['what']}" for r in f.repairs[-1:]) if f.repairs else "")
        table.add_row(f"[{_STATUS_STYLE.get(f.status.value, '')}]{status}[/]",
                      f"[{_SEVERITY_STYLE.get(f.severity.value, '')}]{f.severity.value}[/]", f.kind.value, about,
                      what, f.first_seen.isoformat(timespec="seconds"))
    for f in report.cleared:
        table.add_row("[dim]cleared[/]", f.severity.value, f.kind.value, f"order {f.subject.order_id}"
                      if f.subject.order_id else "", f.summary, f.first_seen.isoformat(timespec="seconds"))
    scanned = ", ".join(f"{c.value}: {n}" for c, n in report.scanned.items())
    return Group(table, f"scanned {scanned}" if scanned else "nothing scanned")


async def resolve_incident(uow: SqlUnitOfWork, given: str) -> str:
    """An incident's id or an announcement's (notice) id, whole or a unique start of it."""
    exact = (await uow.conn.execute(select(incident_table.c.id).where(
        (incident_table.c.id == given) | (incident_table.c.notice_id == given)).limit(1))).scalar()
    if exact is not None:
        return given
    try:
        return await resolve_id(uow, incident_table, given, "incident")
    except LookupError:
        notices = (await uow.conn.execute(
            select(incident_table.c.notice_id).where(incident_table.c.notice_id.startswith(given, autoescape=True))
            .distinct().limit(6))).scalars().all()
        if len(notices) == 1 and given:
            return str(notices[0])
        raise


async def incidents_table(uow: SqlUnitOfWork, *, limit: int = 50, short_ids: bool = False) -> Table:
    table = Table(title="incidents (newest first): one per affected buyer and interface")
    for col in ("id", "notice", "buyer", "interface", "type", "impact", "status", "start", "expected end",
                "closed", "products"):
        table.add_column(col)
    for inc in await uow.incidents.recent(limit):
        d = inc.doc
        table.add_row(shown_id(inc.id, short_ids), inc.notice_id, inc.buyer_id, inc.channel, d["incidentType"],
                      d["impact"], styled(d["status"]), d["situationStartDate"], d.get("expectedClosedDate", "-"),
                      d.get("closedDate", "-"), " ".join(shown_id(p, short_ids) for p in inc.product_ids))
    return table


async def incident_view(uow: SqlUnitOfWork, given: str) -> Group:
    """One announcement (or one of its incidents): what each buyer was told, its history and the notifications."""
    ref = await resolve_incident(uow, given)
    found = await uow.incidents.by_notice(ref) or [await uow.incidents.get_unscoped(ref)]
    parts: list[Any] = []
    for inc in found:
        d = inc.doc
        head = Table.grid(padding=(0, 2))
        for key, value in (("incident", inc.id), ("announcement", inc.notice_id), ("buyer", inc.buyer_id),
                           ("interface", inc.channel), ("type", d["incidentType"]), ("impact", d["impact"]),
                           ("priority / severity", f"{d['priority']} / {d['severity']}"),
                           ("status", styled(d["status"])), ("starts", d["situationStartDate"]),
                           ("expected end", d.get("expectedClosedDate", "-")), ("closed", d.get("closedDate", "-")),
                           ("products", " ".join(inc.product_ids)), ("relays", inc.source_ref or "-")):
            head.add_row(f"[bold]{key}[/]", value)
        history = Tree("[bold]status[/]")
        for change in d.get("statusChange", []):
            history.add(f"{change['changeDate']}  {styled(change['status'])}  {change.get('changeReason', '')}")
        for note in d.get("note", []):
            history.add(f"{note['date']}  note: {note['text']}")
        parts += [Panel(head, title=d["description"][:80]), history,
                  await notifications_table(uow, inc.id, "notifications about this incident")]
    return Group(*parts)
