"""The Jakarta-Singapore scenario across providers A, B and C, and the evidence that they agree at the end.

The enterprise is a plain HTTP client of A's Cantata API. What the view and the checks read comes from each
provider's own database (its orders, its composite orders, its outbox), joined by correlation id: the one
id the enterprise sent travels with every command A and B send down the chain.
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from counterpoint.core.orchestration.enquiry import SupplyEnquiry
from counterpoint.core.orchestration.model import CompositeOrder
from counterpoint.core.ordering.model import ProductOrder
from counterpoint.core.ordering.payload import bandwidth_mbps
from counterpoint.core.quote.model import Quote
from counterpoint.core.shared.apis import base_path
from counterpoint.core.shared.times import parse_aware as parse_time
from counterpoint.demo.cluster import Cluster
from counterpoint.storage.outbox import outbox

_PAYLOADS = json.loads((Path(__file__).parent / "payloads.json").read_text())
CANTATA_ORDER = f"{base_path('productOrder', 'cantata')}/productOrder"
CANTATA_QUOTE = f"{base_path('quote', 'cantata')}/quote"
ENTERPRISE_KEY = "demo-key-enterprise"


def access_eline(cir_mbps: int) -> dict[str, Any]:
    config = copy.deepcopy(_PAYLOADS["accessEline"])
    config["uniEp"]["ingressBandwidthProfilePerEndPoint"] = {
        "cir": {"irValue": cir_mbps, "irUnits": "MBPS"}, "cirMax": {"irValue": cir_mbps, "irUnits": "MBPS"},
        "eir": {"irValue": 0, "irUnits": "MBPS"}, "eirMax": {"irValue": 0, "irUnits": "MBPS"},
        "cbs": {"dataSizeValue": 12, "dataSizeUnits": "KBYTES"}, "ebs": {"dataSizeValue": 0, "dataSizeUnits": "KBYTES"},
        "couplingFlag": False, "colorMode": "COLOR_BLIND"}
    return config


def enterprise_product(cir_mbps: int = 1000) -> dict[str, Any]:
    return {"productOffering": {"id": "evpl-jkt-sgp"}, "productConfiguration": access_eline(cir_mbps),
            "place": [{"@type": "GeographicAddressRef", "id": "addr-jkt-sudirman", "role": "INSTALL_LOCATION"},
                      {"@type": "GeographicAddressRef", "id": "addr-sg-changi", "role": "INSTALL_LOCATION"}]}


def enterprise_order(cir_mbps: int = 1000, quote_id: str | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"id": "1", "action": "add", "product": enterprise_product(cir_mbps)}
    if quote_id is not None:  # ordered as quoted
        item["quoteItem"] = {"id": "1", "quoteId": quote_id}
    return {
        "externalId": "NUSANTARA-PO-2026-001",
        "relatedContactInformation": copy.deepcopy(_PAYLOADS["relatedContactInformation"]),
        "productOrderItem": [item],
    }


def _contact(role: str) -> dict[str, Any]:
    return {"role": role, "name": "Dewi Santoso", "emailAddress": "network@nusantara.example",
            "number": "+62 21 555 0100", "organization": "Nusantara Logistics"}


def enterprise_quote(requested_by: datetime, cir_mbps: int = 1000) -> dict[str, Any]:
    """A deferred firm quote for the service the enterprise will order (12 months)."""
    return {
        "instantSyncQuote": False, "buyerRequestedQuoteLevel": "firm", "externalId": "NUSANTARA-RFQ-2026-001",
        "requestedQuoteCompletionDate": requested_by.isoformat().replace("+00:00", "Z"),
        "relatedContactInformation": [_contact("buyerContactInformation")],
        "quoteItem": [{
            "id": "1", "action": "add", "product": enterprise_product(cir_mbps),
            "requestedQuoteItemTerm": {"name": "12 months", "endOfTermAction": "autoRenew",
                                       "duration": {"amount": 12, "units": "calendarMonths"}},
            "relatedContactInformation": [_contact("quoteItemTechnicalContact"),
                                          _contact("quoteItemLocationContact")]}],
    }


def enterprise_upgrade(product_id: str, cir_mbps: int) -> dict[str, Any]:
    """A modify of the enterprise's active service (its product at A) to a new committed rate."""
    return {
        "externalId": "NUSANTARA-PO-2026-002",
        "relatedContactInformation": copy.deepcopy(_PAYLOADS["relatedContactInformation"]),
        "productOrderItem": [{
            "id": "1", "action": "modify",
            "product": {"id": product_id, "productOffering": {"id": "evpl-jkt-sgp"},
                        "productConfiguration": access_eline(cir_mbps)},
        }],
    }


@dataclass
class ProviderState:
    """What one provider holds right now."""

    key: str
    name: str
    orders: list[ProductOrder] = field(default_factory=list)
    composites: list[CompositeOrder] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    enquiries: list[SupplyEnquiry] = field(default_factory=list)


async def snapshot(cluster: Cluster) -> dict[str, ProviderState]:
    out: dict[str, ProviderState] = {}
    for key, p in cluster.providers.items():
        c = p.container
        if c is None:
            continue
        state = ProviderState(key, c.profile.name)
        async with c.uow() as uow:
            ids = await uow.product_orders.ids_where()
            state.orders = sorted([await uow.product_orders.get_unscoped(i) for i in ids], key=lambda o: o.created_at)
            state.composites = await uow.composites.all()
            state.quotes = [await uow.quotes.get_unscoped(i) for i in await uow.quotes.ids_where()]
            state.enquiries = [await uow.enquiries.get_unscoped(i) for i in await uow.enquiries.ids_where()]
            rows = (await uow.conn.execute(select(outbox).order_by(outbox.c.seq))).mappings().all()
            state.events = [dict(r) for r in rows]
        out[key] = state
    return out


async def _enterprise_posts(cluster: Cluster, correlation_id: str, body: dict[str, Any], what: str
                            ) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=cluster["A"].url, timeout=10) as http:
        r = await http.post(CANTATA_ORDER, json=body, headers={
            "Authorization": f"Bearer {ENTERPRISE_KEY}", "X-Correlation-ID": correlation_id})
        if r.status_code != 201:
            raise RuntimeError(f"A refused the enterprise's {what}: {r.status_code} {r.text[:500]}")
        return r.json()


async def place_enterprise_order(cluster: Cluster, correlation_id: str, cir_mbps: int = 1000,
                                 quote_id: str | None = None) -> dict[str, Any]:
    return await _enterprise_posts(cluster, correlation_id, enterprise_order(cir_mbps, quote_id), "order")


async def place_enterprise_upgrade(cluster: Cluster, correlation_id: str, product_id: str,
                                   cir_mbps: int) -> dict[str, Any]:
    return await _enterprise_posts(cluster, correlation_id, enterprise_upgrade(product_id, cir_mbps), "upgrade")


async def product_rates(cluster: Cluster) -> dict[str, list[int | None]]:
    """The committed rate (Mb/s) of every product in each provider's inventory."""
    out: dict[str, list[int | None]] = {}
    for key, p in cluster.providers.items():
        c = p.container
        if c is None:
            continue
        async with c.uow() as uow:
            ids = await uow.products.ids_where()
            out[key] = [bandwidth_mbps((await uow.products.get_unscoped(i)).doc.get("productConfiguration"))
                        for i in ids]
    return out


async def request_enterprise_quote(cluster: Cluster, correlation_id: str, cir_mbps: int = 1000) -> dict[str, Any]:
    """The enterprise asks A for a deferred firm quote (answer wanted within 20 profile days)."""
    async with httpx.AsyncClient(base_url=cluster["A"].url, timeout=10) as http:
        body = enterprise_quote(cluster.clock.now() + timedelta(days=20), cir_mbps)
        r = await http.post(CANTATA_QUOTE, json=body, headers={
            "Authorization": f"Bearer {ENTERPRISE_KEY}", "X-Correlation-ID": correlation_id})
        if r.status_code != 201:
            raise RuntimeError(f"A refused the enterprise's quote request: {r.status_code} {r.text[:500]}")
        return r.json()


async def enterprise_quote_view(cluster: Cluster, quote_id: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=cluster["A"].url, timeout=10) as http:
        r = await http.get(f"{CANTATA_QUOTE}/{quote_id}", headers={"Authorization": f"Bearer {ENTERPRISE_KEY}"})
        r.raise_for_status()
        return r.json()


def quote_disagreements(states: dict[str, ProviderState], correlation_id: str) -> list[str]:
    """Each supplier order placed on a quote names the quote its buyer priced on, and that quote is accepted."""
    problems: list[str] = []
    for key, st in states.items():
        for comp in st.composites:
            if comp.correlation_id != correlation_id:
                continue
            for seg in comp.segments:
                quote_ref = (seg.request or {}).get("quoteRef")
                if seg.own or not quote_ref or seg.external_ref is None:
                    continue
                supplier = next((k for k, s in states.items() if any(q.id == quote_ref["id"] for q in s.quotes)), None)
                if supplier is None:
                    problems.append(f"{key}: segment {seg.name} names quote {quote_ref['id']}, which no one holds")
                    continue
                quote = next(q for q in states[supplier].quotes if q.id == quote_ref["id"])
                order = next((o for o in states[supplier].orders if o.id == seg.external_ref.value), None)
                named = ((order.items[0].get("quoteItem") or {}).get("quoteId")) if order else None
                if named != quote.id:
                    problems.append(f"{key}->{supplier}: order {seg.external_ref.value} names quote {named}, "
                                    f"not {quote.id}")
                if quote.state.value != "accepted":
                    problems.append(f"{supplier}: quote {quote.id} that {key} ordered on is {quote.state.value}")
    return problems


async def enterprise_view(cluster: Cluster, order_id: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=cluster["A"].url, timeout=10) as http:
        r = await http.get(f"{CANTATA_ORDER}/{order_id}", headers={"Authorization": f"Bearer {ENTERPRISE_KEY}"})
        r.raise_for_status()
        return r.json()


def new_correlation() -> str:
    return f"demo-{uuid.uuid4().hex[:12]}"


@dataclass
class Line:
    at: datetime
    provider: str
    what: str
    source: str = ""  # "" for a notification the provider sent; "orchestrator", "quote", ... for its own notes


_UUID = re.compile(r"\b([0-9a-f]{8})-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
_ISO = re.compile(r"\b(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?")
_NOISE = {"key", "at", "what"}  # idempotency keys and the line's own fields: shown only when verbose


def when(at: datetime | str | None) -> str:
    """A profile-clock instant to the minute, as a person reads it: "Jan 05 07:52"."""
    if at is None or at == "":
        return "-"
    moment = at if isinstance(at, datetime) else datetime.fromisoformat(str(at).replace("Z", "+00:00"))
    return moment.strftime("%b %d %H:%M")


def readable(text: str) -> str:
    """Ids cut to their first 8 characters, instants to the minute (no seconds, no microseconds)."""
    text = _UUID.sub(lambda m: m.group(1), text)
    return _ISO.sub(lambda m: when(f"{m.group(1)}T{m.group(2)}:00+00:00"), text)


def _detail(entry: dict[str, Any], verbose: bool, skip: tuple[str, ...] = ()) -> str:
    hidden = set(skip) | ({"at", "what"} if verbose else _NOISE)
    return ", ".join(f"{k}={v}" for k, v in entry.items() if k not in hidden)


def timeline(states: dict[str, ProviderState], correlation_id: str, *, verbose: bool = False) -> list[Line]:
    """Every provider's record of this transaction, one list, in time order.

    Unless `verbose`, ids are shortened, times are to the minute and idempotency keys are left out.
    """
    lines: list[Line] = []
    tidy = (lambda t: t) if verbose else readable
    for key, st in states.items():
        for e in st.events:
            if e["correlation_id"] != correlation_id:
                continue
            what = e["event_type"] + (f" item {e['item_id']}" if e["item_id"] else "")
            if e["milestone"]:
                what += f" ({e['milestone']})"
            lines.append(Line(e["occurred_at"], key, f"{what} -> {e['buyer_id']}"))
        for comp in st.composites:
            if comp.correlation_id != correlation_id:
                continue
            for entry in comp.timeline:
                detail = _detail(entry, verbose)
                lines.append(Line(datetime.fromisoformat(entry["at"].replace("Z", "+00:00")), key,
                                  tidy(entry["what"] + (f": {detail}" if detail else "")), "orchestrator"))
        for enq in st.enquiries:  # what we asked our suppliers for a POQ, a quote or an order on a quote
            if enq.correlation_id != correlation_id:
                continue
            for entry in enq.timeline:
                if entry["what"] == "segment planned":
                    continue
                detail = _detail(entry, verbose, ("why",))
                lines.append(Line(datetime.fromisoformat(entry["at"].replace("Z", "+00:00")), key,
                                  tidy(entry["what"] + (f": {detail}" if detail else "")), enq.purpose.value))
    lines.sort(key=lambda line: line.at)
    return lines


def _gap(delta: timedelta) -> str:
    minutes = int(abs(delta.total_seconds()) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    text = " ".join(p for p in (f"{days} d" if days else "", f"{hours} h" if hours else "",
                                f"{mins} min" if mins and not days else "") if p) or "under a minute"
    return f"{text} {'late' if delta > timedelta(0) else 'early'}"


def completion_notes(states: dict[str, ProviderState], correlation_id: str) -> list[str]:
    """For each order of this transaction: the completion promised, the actual one, and why they differ."""
    notes: list[str] = []
    orders = {o.id: (k, o) for k, st in states.items() for o in st.orders}
    for key, st in states.items():
        for order in st.orders:
            if order.correlation_id != correlation_id:
                continue
            item = order.items[0]
            promised = parse_time(item.get("expectedCompletionDate"))
            done = parse_time(item.get("completionDate"))
            if promised is None or done is None:
                continue
            head = (f"{key}: order {order.id[:8]} for {order.buyer_id}: expected {when(promised)}, "
                    f"completed {when(done)}")
            delta = done - promised
            if abs(delta) < timedelta(minutes=1):
                notes.append(f"{head}, as promised")
                continue
            why = _why(st, order.id, orders)
            notes.append(f"{head} ({_gap(delta)}): {why}")
    return notes


def _why(st: ProviderState, order_id: str, orders: dict[str, tuple[str, ProductOrder]]) -> str:
    comp = next((c for c in st.composites if c.order_id == order_id), None)
    if comp is None:
        return "the emulated Seller's own timeline (profile lead times and scenario rules) set both dates"
    parts: list[str] = []
    delivered = next((e for e in comp.timeline if e["what"] == "state" and e.get("to") == "testing"), None)
    bought = [s for s in comp.segments if not s.own and s.external_ref is not None]
    for seg in bought:
        found = orders.get(seg.external_ref.value) if seg.external_ref else None
        if found is None:
            continue
        supplier, theirs = found
        item = theirs.items[0]
        their_done = parse_time(item.get("completionDate"))
        their_promise = parse_time(item.get("expectedCompletionDate"))
        if their_done is not None and their_promise is not None:
            parts.append(f"{supplier} delivered segment {seg.name} {when(their_done)} (it expected "
                         f"{when(their_promise)})")
    if delivered is not None:
        parts.append(f"the last segment was seen delivered {when(delivered['at'])} (notifications and polls "
                     "take time on the fast clock)")
    passed = next((e for e in reversed(comp.timeline) if e["what"] == "end-to-end activation test passed"), None)
    if passed is not None:
        parts.append(f"then the end-to-end activation test passed {when(passed['at'])}")
    return "; ".join(parts) or "the orchestrator completed it when every segment was delivered and tested"


def disagreements(states: dict[str, ProviderState], correlation_id: str) -> list[str]:
    """Where the providers' end states do not tell the same story; empty when they all agree."""
    problems: list[str] = []
    by_id = {k: {o.id: o for o in st.orders} for k, st in states.items()}
    for key, st in states.items():
        for comp in st.composites:
            if comp.correlation_id != correlation_id:
                continue
            mine = by_id[key].get(comp.order_id)
            if mine is None:
                problems.append(f"{key}: composite {comp.id} follows an order it does not hold")
                continue
            item_state = mine.item_state(comp.item_id).value
            if (comp.state.value == "active") != (item_state == "completed"):
                problems.append(f"{key}: orchestration {comp.state.value} but the customer's item is {item_state}")
            for seg in comp.segments:
                if seg.own or seg.external_ref is None:
                    continue
                supplier = next((k for k, s in states.items() if s.name and any(
                    o.id == seg.external_ref.value for o in s.orders)), None)
                if supplier is None:
                    problems.append(f"{key}: segment {seg.name} names {seg.external_ref.value}, which no one holds")
                    continue
                theirs = by_id[supplier][seg.external_ref.value]
                if theirs.doc.get("externalId") != seg.our_ref:
                    problems.append(f"{key}->{supplier}: order {theirs.id} does not carry our reference")
                their_state = theirs.state.value
                if seg.state.value in ("active", "deliveredPendingAcceptance") and their_state != "completed":
                    problems.append(f"{key} thinks {seg.name} is {seg.state.value}; {supplier} says {their_state}")
                if their_state == "completed" and seg.state.value not in ("active", "deliveredPendingAcceptance"):
                    problems.append(f"{supplier} completed {theirs.id}; {key} still thinks {seg.state.value}")
                if seg.product_ref is not None and their_state == "completed":
                    delivered = theirs.item(theirs.items[0]["id"]).get("product", {}).get("id")
                    if delivered != seg.product_ref.value:
                        problems.append(f"{key}: product {seg.product_ref.value} but {supplier} delivered {delivered}")
    return problems
