"""`SonataAdapter`: a partner that sells through the MEF Sonata APIs, seen through our SupplierAdapter port.

Requests are built from our neutral vocabulary (one item per supplier resource, item id "1", our reference
as `externalId` and Idempotency-Key); answers go through mapping.py. The adapter reports, it decides nothing.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx

from counterpoint.core.orchestration.registry import ProviderConfig
from counterpoint.core.orchestration.supply import (
    CallbackNote,
    CallbackRejected,
    CancellationAnswer,
    Observation,
    OutcomeUnknown,
    QualificationAnswer,
    QualificationRequest,
    QuoteAnswer,
    QuoteRequest,
    SegmentRequest,
    Source,
    SupplierError,
    SupplierNotice,
    SupplierRejected,
    SupplierUnavailable,
)
from counterpoint.core.orchestration.ticket_supply import (
    AppointmentAnswer,
    Slot,
    TicketObservation,
    TicketRequest,
    WorkOrderView,
)
from counterpoint.core.shared.apis import EVENT_RESOURCES
from counterpoint.core.shared.clock import Clock
from counterpoint.core.shared.ids import ExternalRef
from counterpoint.core.shared.times import iso, parse_aware
from counterpoint.suppliers.mef_sonata import incidents, mapping
from counterpoint.suppliers.mef_sonata.client import SonataClient
from counterpoint.suppliers.transport import Audit, SupplierHttp

ITEM_ID = "1"  # we put one item in every POQ, quote and order we send

# Notification event type -> (the API whose hub emits it, the kind of resource `event.id` names).
EVENTS: dict[str, tuple[str, str]] = {
    event: (api, "poq" if path == "productOfferingQualification" else path)
    for event, (api, path) in EVENT_RESOURCES.items()}
# The MEF 123 guide spells one event differently from its notification envelope; accept both on receipt.
_EVENT_ALIASES = {"productOrderItemExpectedCompletionDateSetEvent": "productOrderItemExpectedCompletionDateSet"}
SUBSCRIBED_APIS = ("productOrder", "quote", "poq", "troubleTicket")
# hubs a Seller may not serve (not every Seller books visits): registered when they answer, else polled
OPTIONAL_APIS = ("workOrder",)


@dataclass(frozen=True, slots=True)
class BuyerContact:
    """Who the supplier should talk to about what we send (MEF relatedContactInformation)."""

    name: str
    email: str
    number: str
    organization: str | None = None

    def as_mef(self, role: str) -> dict[str, Any]:
        entry = {"role": role, "name": self.name, "emailAddress": self.email, "number": self.number}
        if self.organization:
            entry["organization"] = self.organization
        return entry


@dataclass(frozen=True, slots=True)
class BuyerDetails:
    """What MEF asks a Buyer to state that our neutral requests do not carry."""

    contact: BuyerContact
    billing_account_id: str | None = None  # MEF 123 wants one on every add item; sent when we have it
    term_months: int | None = None  # requestedItemTerm of orders that name no quote (a quote's term wins)
    answer_window: timedelta = timedelta(days=10)  # how long a deferred POQ or quote may take

    @classmethod
    def for_provider(cls, config: ProviderConfig) -> BuyerDetails:
        """A placeholder identity (an .invalid mailbox) for profiles that give no contact."""
        who = config.buyer_id or "counterpoint"
        return cls(contact=BuyerContact(name=f"{who} supply desk", email="supply-desk@counterpoint.invalid",
                                        number="+00 000 0000", organization=who))


class SonataAdapter:
    """SupplierAdapter for a MEF Sonata Seller (MEF 87, 115, 123, 116 and their hubs)."""

    def __init__(self, config: ProviderConfig, *, clock: Clock, client: httpx.AsyncClient | None = None,
                 audit: Audit | None = None, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 buyer: BuyerDetails | None = None) -> None:
        self.config = config
        self.provider_id = config.id
        self.clock = clock
        self.buyer = buyer or BuyerDetails.for_provider(config)
        self.http = SupplierHttp(config, client=client, sleep=sleep, audit=audit)
        self.api = SonataClient(self.http)

    # ---- qualification (MEF 87) ------------------------------------------------------------------------
    async def qualify(self, req: QualificationRequest) -> QualificationAnswer:
        """Ask for an immediate answer; if the supplier says only a deferred one is possible, ask for that."""
        body: dict[str, Any] = {
            "instantSyncQualification": True, "provideAlternative": False, "externalId": req.our_ref,
            "relatedContactInformation": [self.buyer.contact.as_mef("buyerContactInformation")],
            "productOfferingQualificationItem": [{
                "id": ITEM_ID, "action": req.action,
                "product": _product(req.offering_id, req.spec_urn, req.configuration, req.places)}],
        }
        try:
            doc = await self.api.create_poq(body, correlation_id=req.correlation_id, idempotency_key=req.our_ref)
        except SupplierRejected as exc:
            if not any(p.get("propertyPath") == "/instantSyncQualification" for p in exc.problems):
                raise
            body["instantSyncQualification"] = False
            body["requestedPOQCompletionDate"] = iso(self.clock.now() + self.buyer.answer_window)
            # another request than the refused one, so another idempotency key
            doc = await self.api.create_poq(body, correlation_id=req.correlation_id,
                                            idempotency_key=f"{req.our_ref}:deferred")
        return self._read(mapping.qualification_answer, doc, write=True)

    async def get_qualification(self, ref: ExternalRef) -> QualificationAnswer:
        doc = await self.api.get_poq(self._own(ref, "poq"))
        return self._read(mapping.qualification_answer, doc)

    # ---- quote (MEF 115) -------------------------------------------------------------------------------
    async def request_quote(self, req: QuoteRequest) -> QuoteAnswer:
        contact = self.buyer.contact
        item: dict[str, Any] = {
            "id": ITEM_ID, "action": req.action,
            "product": _product(req.offering_id, req.spec_urn, req.configuration, req.places),
            "requestedQuoteItemTerm": _term(req.term_months),
            "relatedContactInformation": [contact.as_mef("quoteItemTechnicalContact"),
                                          contact.as_mef("quoteItemLocationContact")],
        }
        if req.poq_ref is not None:
            item["productOfferingQualificationItem"] = {
                "id": req.poq_item_id or ITEM_ID, "productOfferingQualificationId": self._own(req.poq_ref, "poq")}
        body: dict[str, Any] = {
            "instantSyncQuote": req.instant, "buyerRequestedQuoteLevel": "firm", "externalId": req.our_ref,
            "relatedContactInformation": [contact.as_mef("buyerContactInformation")], "quoteItem": [item],
        }
        if not req.instant:
            body["requestedQuoteCompletionDate"] = iso(self.clock.now() + self.buyer.answer_window)
        doc = await self.api.create_quote(body, correlation_id=req.correlation_id, idempotency_key=req.our_ref)
        return self._read(mapping.quote_answer, doc, write=True)

    async def get_quote(self, ref: ExternalRef) -> QuoteAnswer:
        doc = await self.api.get_quote(self._own(ref, "quote"))
        return self._read(mapping.quote_answer, doc)

    # ---- product order (MEF 123) -----------------------------------------------------------------------
    async def place_order(self, req: SegmentRequest) -> Observation:
        """createProductOrder with one item; our_ref is the externalId (find_order looks it up after a timeout)."""
        body = await self._order_body(req)
        doc = await self.api.create_order(body, correlation_id=req.correlation_id, idempotency_key=req.our_ref)
        return self._observe(doc, Source.COMMAND, write=True)

    async def get_order(self, ref: ExternalRef) -> Observation:
        doc = await self.api.get_order(self._own(ref, "productOrder"))
        return self._observe(doc, Source.POLL)

    async def find_order(self, our_ref: str, *, page_size: int = 50, max_pages: int = 20) -> Observation | None:
        """The supplier's order whose externalId is our reference, read in full; None if it has none.

        Pages are walked (and matches checked here) in case a supplier ignores the externalId filter. When
        several orders carry our reference the earliest is reported and the others named in `detail`.
        """
        matches: list[dict[str, Any]] = []
        for page in range(max_pages):
            found = await self.api.list_orders({"externalId": our_ref, "offset": page * page_size,
                                                "limit": page_size})
            matches += [o for o in found if isinstance(o, dict) and o.get("externalId") == our_ref
                        and isinstance(o.get("id"), str) and o["id"]]
            if len(found) < page_size:
                break
        if not matches:
            return None
        matches.sort(key=lambda o: (parse_aware(o.get("orderDate")) is None, str(o.get("orderDate") or "")))
        doc = await self.api.get_order(matches[0]["id"])
        observation = self._observe(doc, Source.RECOVERY)
        if len(matches) > 1:
            others = [o["id"] for o in matches[1:]]
            observation = dataclasses.replace(observation, detail={**observation.detail, "otherMatches": others})
        return observation

    async def cancel_order(self, ref: ExternalRef, *, our_ref: str, reason: str) -> CancellationAnswer:
        body = {
            "productOrder": {"productOrderId": self._own(ref, "productOrder")},
            "cancellationReasonType": "commercial",  # we no longer want it; nothing is technically wrong
            "cancellationReason": reason[:255],
            "relatedContactInformation": [self.buyer.contact.as_mef("cancelProductOrderContact")],
        }
        doc = await self.api.cancel_order(body, idempotency_key=our_ref)
        return self._read(mapping.cancellation_answer, doc, write=True)

    async def get_cancellation(self, ref: ExternalRef) -> CancellationAnswer:
        doc = await self.api.get_cancellation(self._own(ref, "cancelProductOrder"))
        return self._read(mapping.cancellation_answer, doc)

    # ---- incidents (MEF 124): the supplier's maintenance and impairment notices --------------------------
    async def get_incident(self, ref: ExternalRef) -> SupplierNotice:
        doc = await self.api.get_incident(self._own(ref, "incident"))
        return self._read(incidents.notice, doc)

    async def list_incidents(self, *, page_size: int = 100, max_pages: int = 20) -> list[SupplierNotice]:
        """Every notice not closed yet, page by page (each read again in full: a list item is a summary)."""
        out: list[SupplierNotice] = []
        for status in ("created", "inProgress"):
            for page in range(max_pages):
                found = await self.api.list_incidents({"status": status, "offset": page * page_size,
                                                       "limit": page_size})
                out += [self._read(incidents.notice, doc) for doc in found]
                if len(found) < page_size:
                    break
        return out

    # ---- notifications ---------------------------------------------------------------------------------
    async def subscribe(self, callback_base_url: str) -> list[str]:
        """Register one listener per API (orders, quotes, POQs) for the events we read; their ids.

        The supplier appends `/mefApi/sonata/<api>Notification/<v>/listener/<eventType>` to the callback.
        If one registration fails, the ones already made are withdrawn (best effort) before the error goes up.
        """
        made: list[tuple[str, str]] = []
        try:
            for function in SUBSCRIBED_APIS:
                types = ",".join(t for t, (api, _) in EVENTS.items() if api == function)
                answer = await self.api.register_listener(function, callback_base_url, f"eventType={types}")
                listener_id = answer.get("id")
                if not isinstance(listener_id, str) or not listener_id:
                    raise OutcomeUnknown(self.provider_id, f"{function} hub answered without a listener id")
                made.append((function, listener_id))
        except SupplierError:
            for function, listener_id in made:
                try:
                    await self.api.unregister_listener(function, listener_id)
                except SupplierError:
                    pass  # the listener stays registered; events for it are verified like any other
            raise
        for function in OPTIONAL_APIS:
            types = ",".join(t for t, (api, _) in EVENTS.items() if api == function)
            try:
                answer = await self.api.register_listener(function, callback_base_url, f"eventType={types}")
            except SupplierError:
                continue  # no such hub there: polling follows its tickets
            if isinstance(answer.get("id"), str) and answer["id"]:
                made.append((function, answer["id"]))
        return [listener_id for _, listener_id in made]

    # ---- trouble tickets (MEF 124) ---------------------------------------------------------------------
    async def open_ticket(self, req: TicketRequest) -> TicketObservation:
        """createTroubleTicket about the supplier's product; our reference is the externalId (find_ticket)."""
        product = req.product_ref
        body: dict[str, Any] = {
            "externalId": req.our_ref, "description": req.description[:1000], "observedImpact": req.observed_impact,
            "priority": req.priority, "severity": req.severity, "ticketType": req.ticket_type,
            "relatedEntity": [{"id": product.value if product else "", "role": "affectedProduct",
                               "@referredType": "Product" if product is None or product.kind == "product"
                               else "ProductOrder"}],
            "relatedContactInformation": [self.buyer.contact.as_mef("reporterContact")],
        }
        if req.issue_start is not None:
            body["issueStartDate"] = iso(req.issue_start)
        if req.notes:
            body["note"] = [self._note(f"{req.our_ref[:24]}-{n}", text) for n, text in enumerate(req.notes, 1)]
        doc = await self.api.create_ticket(body, correlation_id=req.correlation_id, idempotency_key=req.our_ref)
        return self._ticket(doc, Source.COMMAND, write=True)

    async def get_ticket(self, ref: ExternalRef) -> TicketObservation:
        return self._ticket(await self.api.get_ticket(self._own(ref, "troubleTicket")), Source.POLL)

    async def find_ticket(self, our_ref: str) -> TicketObservation | None:
        found = await self.api.list_tickets({"externalId": our_ref, "limit": 50})
        ids = [t["id"] for t in found if isinstance(t, dict) and t.get("externalId") == our_ref
               and isinstance(t.get("id"), str) and t["id"]]
        if not ids:
            return None
        return self._ticket(await self.api.get_ticket(ids[0]), Source.RECOVERY)

    async def add_ticket_note(self, ref: ExternalRef, *, note_id: str, text: str) -> TicketObservation:
        """patchTroubleTicket appending one note (a merge patch replaces the list: the existing notes go too)."""
        tid = self._own(ref, "troubleTicket")
        current = await self.api.get_ticket(tid)
        notes = [n for n in current.get("note") or [] if isinstance(n, dict)]
        if any(n.get("id") == note_id for n in notes):
            return self._ticket(current, Source.COMMAND)
        doc = await self.api.patch_ticket(tid, {"note": [*notes, self._note(note_id, text)]})
        return self._ticket(doc, Source.COMMAND, write=True)

    async def close_ticket(self, ref: ExternalRef) -> TicketObservation:
        tid = self._own(ref, "troubleTicket")
        await self.api.ticket_action(tid, "close")
        return self._ticket(await self.api.get_ticket(tid), Source.COMMAND)

    async def reopen_ticket(self, ref: ExternalRef, *, reason: str) -> TicketObservation:
        tid = self._own(ref, "troubleTicket")
        await self.api.ticket_action(tid, "reopen", {"reason": reason[:1000]})
        return self._ticket(await self.api.get_ticket(tid), Source.COMMAND)

    async def cancel_ticket(self, ref: ExternalRef) -> TicketObservation:
        tid = self._own(ref, "troubleTicket")
        await self.api.ticket_action(tid, "cancel")
        return self._ticket(await self.api.get_ticket(tid), Source.COMMAND)

    # ---- work orders and appointments (MEF 137) --------------------------------------------------------
    async def get_work_order(self, ref: ExternalRef) -> WorkOrderView:
        doc = await self.api.get_work_order(self._own(ref, "workOrder"))
        return self._read(mapping.work_order_view, doc)

    async def search_time_slots(self, work_order: ExternalRef, wanted: list[Slot]) -> list[Slot]:
        body = {"workOrder": {"id": self._own(work_order, "workOrder")},
                "requestedTimeSlot": [{"validFor": {"startDateTime": iso(w.start), "endDateTime": iso(w.end)}}
                                      for w in wanted]}
        found = await self.api.search_time_slots(body)
        return [slot for raw in found.get("availableTimeSlot") or [] if (slot := mapping.slot_of(raw))]

    async def book_appointment(self, work_order: ExternalRef, slot: Slot, *, note: str,
                               site_contact: dict[str, Any] | None = None) -> AppointmentAnswer:
        """createAppointment in the slot, naming us and the person on site (MEF 137 wants both)."""
        place = {k: v for k, v in (site_contact or {}).items() if k in (
            "name", "emailAddress", "number", "numberExtension", "organization") and isinstance(v, str)}
        on_site = {**self.buyer.contact.as_mef("appointmentPlaceContact"), **place, "role": "appointmentPlaceContact"}
        body = {"workOrder": {"id": self._own(work_order, "workOrder")},
                "validFor": {"startDateTime": iso(slot.start), "endDateTime": iso(slot.end)},
                "relatedContactInformation": [self.buyer.contact.as_mef("buyerAppointmentContact"), on_site],
                "note": [self._note("1", note)]}
        doc = await self.api.create_appointment(body)
        return self._read(mapping.appointment_answer, doc, write=True)

    async def find_appointment(self, work_order: ExternalRef) -> AppointmentAnswer | None:
        found = await self.api.list_appointments({"workOrderId": self._own(work_order, "workOrder"), "limit": 50})
        live = [a for a in found if isinstance(a, dict) and isinstance(a.get("id"), str)
                and a.get("status") not in ("cancelled", "failed")]
        if not live:
            return None
        return self._read(mapping.appointment_answer, await self.api.get_appointment(live[0]["id"]))

    def _note(self, note_id: str, text: str) -> dict[str, Any]:
        return {"id": note_id, "author": self.buyer.contact.name, "date": iso(self.clock.now()), "source": "buyer",
                "text": text}

    def _ticket(self, doc: Any, source: Source, *, write: bool = False) -> TicketObservation:
        observation: TicketObservation = self._read(functools.partial(mapping.observe_ticket, source=source), doc,
                                                    write=write)
        return observation

    def parse_callback(self, path: str, headers: dict[str, str], body: bytes) -> CallbackNote:
        """Check a MEF notification and say which resource it is about (MEF events carry no state)."""
        try:
            event = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise CallbackRejected(self.provider_id, "the notification is not JSON") from exc
        if not isinstance(event, dict):
            raise CallbackRejected(self.provider_id, "the notification is not a JSON object")
        event_id, event_type, payload = event.get("eventId"), event.get("eventType"), event.get("event")
        if not isinstance(event_id, str) or not event_id:
            raise CallbackRejected(self.provider_id, "the notification has no eventId")
        if not isinstance(event_type, str) or _EVENT_ALIASES.get(event_type, event_type) not in EVENTS:
            raise CallbackRejected(self.provider_id, f"unknown event type {str(event_type)[:80]!r}")
        event_time = parse_aware(event.get("eventTime"))
        if event_time is None:
            raise CallbackRejected(self.provider_id, "the notification has no valid eventTime")
        if not isinstance(payload, dict) or not isinstance(payload.get("id"), str) or not payload["id"]:
            raise CallbackRejected(self.provider_id, "the notification names no resource (event.id)")
        listener = path.rstrip("/").rsplit("/listener/", 1)
        if len(listener) == 2 and listener[1] != event_type:
            raise CallbackRejected(self.provider_id, f"{event_type} arrived on the listener of {listener[1][:80]}")
        for field, ours in (("buyerId", self.config.buyer_id), ("sellerId", self.config.seller_id)):
            theirs = payload.get(field)
            if ours and theirs is not None and theirs != ours:
                raise CallbackRejected(self.provider_id, f"event {field} {str(theirs)[:80]!r} is not {ours!r}")
        _, kind = EVENTS[_EVENT_ALIASES.get(event_type, event_type)]
        return CallbackNote(provider=self.provider_id, ref=ExternalRef(self.provider_id, payload["id"], kind),
                            event_id=event_id, event_type=event_type, event_time=event_time)

    async def aclose(self) -> None:
        await self.http.aclose()

    # ---- helpers ---------------------------------------------------------------------------------------
    async def _order_body(self, req: SegmentRequest) -> dict[str, Any]:
        contact = self.buyer.contact
        item: dict[str, Any] = {"id": ITEM_ID, "action": req.action}
        if req.action == "delete":
            item["product"] = {"id": self._product_id(req)}
        else:
            item["product"] = _product(req.offering_id, req.spec_urn, req.configuration, req.places)
            if req.action == "modify":
                item["product"]["id"] = self._product_id(req)
        # MEF 123 asks every item for a requested date; without one we ask for the earliest possible.
        item["requestedCompletionDate"] = iso(req.requested_completion or self.clock.now())
        item["relatedContactInformation"] = [contact.as_mef(role) for role in (
            "buyerProductOrderItemContact", "buyerImplementationContact", "buyerTechnicalContact")]
        if self.buyer.billing_account_id and req.action != "delete":
            item["billingAccount"] = {"id": self.buyer.billing_account_id}
        if req.quote_ref is not None:
            item["quoteItem"] = {"id": req.quote_item_id or ITEM_ID, "quoteId": self._own(req.quote_ref, "quote")}
        if req.poq_ref is not None:
            item["productOfferingQualificationItem"] = {
                "id": req.poq_item_id or ITEM_ID, "productOfferingQualificationId": self._own(req.poq_ref, "poq")}
        if req.action != "delete" and (term := await self._item_term(req)) is not None:
            item["requestedItemTerm"] = term
        body: dict[str, Any] = {"externalId": req.our_ref,
                                "relatedContactInformation": [contact.as_mef("productOrderContact")],
                                "productOrderItem": [item]}
        if req.note:
            body["note"] = [{"id": "1", "author": contact.name, "date": iso(self.clock.now()), "source": "buyer",
                             "text": req.note}]
        return body

    async def _item_term(self, req: SegmentRequest) -> dict[str, Any] | None:
        """The term to order: the one the referenced quote item offers (MEF 123 refuses another), else ours."""
        if req.quote_ref is not None:
            quote = await self.api.get_quote(self._own(req.quote_ref, "quote"), correlation_id=req.correlation_id)
            wanted = req.quote_item_id or ITEM_ID
            for quoted in quote.get("quoteItem") or []:
                if isinstance(quoted, dict) and quoted.get("id") == wanted:
                    terms = [t for t in quoted.get("quoteItemTerm") or [] if isinstance(t, dict)]
                    if terms:
                        return terms[0]
        months = req.term_months or self.buyer.term_months
        return _term(months) if months else None

    def _product_id(self, req: SegmentRequest) -> str:
        if req.product_ref is None:
            raise ValueError(f"a {req.action} order names the supplier's product (product_ref)")
        return self._own(req.product_ref, "product")

    def _own(self, ref: ExternalRef, kind: str) -> str:
        """The supplier's id in a reference, after checking the reference is this provider's and of that kind."""
        if ref.provider != self.provider_id or ref.kind != kind:
            raise ValueError(f"{ref} is not a {kind} of {self.provider_id}")
        return ref.value

    def _observe(self, doc: Any, source: Source, *, write: bool = False) -> Observation:
        return self._read(functools.partial(mapping.observe_order, source=source), doc, write=write)

    def _read(self, read: Callable[..., Any], doc: Any, *, write: bool = False) -> Any:
        """Map a supplier document; one without an id is an unknown outcome after a write, else unavailable."""
        try:
            return read(doc, provider=self.provider_id, at=self.clock.now())
        except mapping.UnreadableAnswer as exc:
            error = OutcomeUnknown if write else SupplierUnavailable
            raise error(self.provider_id, f"unreadable answer: {exc}") from exc


def _product(offering_id: str, spec_urn: str | None, configuration: dict[str, Any],
             places: list[dict[str, Any]]) -> dict[str, Any]:
    """A MEF product value: the offering, the payload (which names its schema in `@type`) and its places."""
    config = dict(configuration)
    if "@type" not in config and spec_urn:
        config["@type"] = spec_urn
    product: dict[str, Any] = {"productOffering": {"id": offering_id}, "productConfiguration": config}
    if places:
        product["place"] = [dict(p) for p in places]
    return product


def _term(months: int) -> dict[str, Any]:
    return {"name": f"{months} months", "endOfTermAction": "autoRenew",
            "duration": {"amount": months, "units": "calendarMonths"}}


__all__ = ["BuyerContact", "BuyerDetails", "EVENTS", "SonataAdapter"]
