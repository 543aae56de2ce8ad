"""The Jakarta-Singapore scenario across providers A, B and C, and the evidence that they agree at the end.

The enterprise is a plain HTTP client of A's Cantata API. What the view and the checks read comes from each
provider's own database (its orders, its composite orders, its outbox), joined by correlation id: the one
id the enterprise sent travels with every command A and B send down the chain.
"""

from __future__ import annotations

import copy
import json
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
from counterpoint.core.quote.model import Quote
from counterpoint.demo.cluster import Cluster
from counterpoint.storage.outbox import outbox

_PAYLOADS = json.loads((Path(__file__).parent / "payloads.json").read_text())
CANTATA_ORDER = "/mefApi/cantata/productOrderingManagement/v5/productOrder"
CANTATA_QUOTE = "/mefApi/cantata/quoteManagement/v2/quote"
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
    from counterpoint.core.ordering.services import bandwidth_mbps

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


def timeline(states: dict[str, ProviderState], correlation_id: str) -> list[Line]:
    """Every provider's record of this transaction, one list, in time order."""
    lines: list[Line] = []
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
                detail = ", ".join(f"{k}={v}" for k, v in entry.items() if k not in ("at", "what"))
                lines.append(Line(datetime.fromisoformat(entry["at"].replace("Z", "+00:00")), key,
                                  f"[orchestrator] {entry['what']}" + (f": {detail}" if detail else "")))
        for enq in st.enquiries:  # what we asked our suppliers for a POQ, a quote or an order on a quote
            if enq.correlation_id != correlation_id:
                continue
            for entry in enq.timeline:
                if entry["what"] == "segment planned":
                    continue
                detail = ", ".join(f"{k}={v}" for k, v in entry.items() if k not in ("at", "what", "why"))
                lines.append(Line(datetime.fromisoformat(entry["at"].replace("Z", "+00:00")), key,
                                  f"[{enq.purpose.value}] {entry['what']}" + (f": {detail}" if detail else "")))
    lines.sort(key=lambda line: line.at)
    return lines


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
