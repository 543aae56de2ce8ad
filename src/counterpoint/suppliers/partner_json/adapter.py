"""SupplierAdapter for partners that speak the partner-json API (the shape `emulators/partner_json.py` documents).

Every call goes through `SupplierHttp` (retries with jitter, timeouts, "a write with no answer is
OutcomeUnknown"). What is particular to this partner stays here:

- the key travels in `X-Api-Key`, not as a bearer token;
- it sells speeds in tiers, so we ask for the smallest tier that covers the need;
- it knows street addresses only (a MEF FieldedAddress), not MEF address or site ids;
- an order is a "circuit" whose `customer_ref` is our reference, and it is idempotent by that reference,
  so `find_order` searches by it; a speed change carries our reference as `change_ref`, found the same way;
- a MEF "modify" is a speed change (PATCH) and a "delete" is its cancel endpoint (it calls a cease a cancel);
- it has no cancellation resource: the decision is recorded on the circuit;
- its webhooks carry the status itself, signed with HMAC-SHA256 over the raw body;
- its trouble tickets are "faults" about a circuit or a live service, idempotent by our reference; an answer
  to its question is a message, a closure is a confirmation and a reopening a dispute, and a visit (when the
  repair needs one) is booked on the fault itself: the fault's id names its work order and appointment.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import hmac
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

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
    SupplierNotFound,
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
from counterpoint.core.shared.clock import Clock
from counterpoint.core.shared.ids import ExternalRef
from counterpoint.core.shared.times import iso
from counterpoint.suppliers.partner_json import mapping, works
from counterpoint.suppliers.transport import Audit, SupplierHttp

API = "/api/v2"
SIGNATURE_HEADER = "x-partner-signature"
EVENT_TYPE = "circuit.status_changed"
FAULT_EVENT = "fault.status_changed"
WORKS_EVENT = "works.updated"
T = TypeVar("T")


class PartnerJsonAdapter:
    """One partner-json partner, as the core's SupplierAdapter."""

    def __init__(self, config: ProviderConfig, *, clock: Clock, client: httpx.AsyncClient | None = None,
                 audit: Audit | None = None, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.provider_id = config.id
        self.config = config
        self._clock = clock
        # The transport would send the key as a bearer token; this partner wants it in X-Api-Key only.
        self._http = SupplierHttp(dataclasses.replace(config, api_key=None), client=client, sleep=sleep,
                                  audit=audit)
        self._auth = {"X-Api-Key": config.api_key} if config.api_key else {}

    # ---- plumbing ---------------------------------------------------------------------------------------------

    async def _call(self, method: str, path: str, *, json_body: Any = None, params: dict[str, Any] | None = None,
                    correlation_id: str | None = None, idempotency_key: str | None = None,
                    idempotent: bool | None = None) -> Any:
        """One call, its answer's JSON body; the partner's refusals become our errors."""
        response = await self._http.request(method, f"{API}{path}", json=json_body, params=params,
                                            headers=self._auth, correlation_id=correlation_id,
                                            idempotency_key=idempotency_key, idempotent=idempotent)
        write = not (idempotent if idempotent is not None else method.upper() == "GET")
        if response.status_code >= 400:
            raise self._refusal(method, path, response)
        try:
            return response.json()
        except ValueError as exc:
            reason = f"{method} {path}: HTTP {response.status_code} with a body that is not JSON"
            if write:  # it answered 2xx, so it acted, but we cannot read what it made
                raise OutcomeUnknown(self.provider_id, reason, status=response.status_code) from exc
            raise SupplierUnavailable(self.provider_id, reason, status=response.status_code) from exc

    def _refusal(self, method: str, path: str, response: httpx.Response) -> SupplierRejected:
        """A 4xx answer in our words: the partner's error type as code, its field problems as problems."""
        error: dict[str, Any] = {}
        try:
            body = response.json()
            if isinstance(body, dict) and isinstance(body.get("error"), dict):
                error = body["error"]
        except ValueError:
            pass
        code = str(error.get("type") or f"http_{response.status_code}")
        message = str(error.get("message") or response.reason_phrase or "refused")
        problems = [p for p in error.get("fields") or [] if isinstance(p, dict)]
        reason = f"{method} {path}: {message}"
        kind = SupplierNotFound if response.status_code == 404 else SupplierRejected
        return kind(self.provider_id, reason, status=response.status_code, code=code, problems=problems)

    def _untranslatable(self, exc: mapping.NotTranslatable) -> SupplierRejected:
        return SupplierRejected(self.provider_id, str(exc), code="untranslatable")

    def _read(self, convert: Callable[[], T]) -> T:
        """Convert a read answer; a document we cannot read is the partner's fault, not an outcome."""
        try:
            return convert()
        except mapping.MalformedAnswer as exc:
            raise SupplierUnavailable(self.provider_id, f"unreadable answer: {exc}") from exc

    def _written(self, convert: Callable[[], T]) -> T:
        """Convert a write answer; if we cannot read it we do not know what the partner made."""
        try:
            return convert()
        except mapping.MalformedAnswer as exc:
            raise OutcomeUnknown(self.provider_id, f"unreadable answer: {exc}") from exc

    # ---- qualification and quotes -----------------------------------------------------------------------------

    async def qualify(self, req: QualificationRequest) -> QualificationAnswer:
        try:
            body = {"site": mapping.site_of(req.places),
                    "speed_mbps": mapping.speed_of(req.bandwidth_mbps, req.configuration), "reference": req.our_ref}
        except mapping.NotTranslatable as exc:
            raise self._untranslatable(exc) from exc
        # A feasibility check commits nobody to anything: safe to send again after a lost answer.
        data = await self._call("POST", "/feasibility", json_body=body, correlation_id=req.correlation_id,
                                idempotent=True)
        return self._read(lambda: mapping.qualification_answer(data, provider=self.provider_id,
                                                               observed_at=self._clock.now()))

    async def get_qualification(self, ref: ExternalRef) -> QualificationAnswer:
        data = await self._call("GET", f"/feasibility/{ref.value}")
        return self._read(lambda: mapping.qualification_answer(data, provider=self.provider_id,
                                                               observed_at=self._clock.now()))

    async def request_quote(self, req: QuoteRequest) -> QuoteAnswer:
        try:
            body: dict[str, Any] = {"site": mapping.site_of(req.places),
                                    "speed_mbps": mapping.speed_of(req.bandwidth_mbps, req.configuration),
                                    "term_months": req.term_months, "reference": req.our_ref}
        except mapping.NotTranslatable as exc:
            raise self._untranslatable(exc) from exc
        if req.poq_ref is not None:
            body["feasibility_id"] = req.poq_ref.value
        # A price request binds neither side and cannot be looked up by our reference: asking again after a
        # lost answer costs an orphan price request at worst, so it is retried like a read.
        data = await self._call("POST", "/price-requests", json_body=body, correlation_id=req.correlation_id,
                                idempotent=True)
        return self._read(lambda: mapping.quote_answer(data, provider=self.provider_id, observed_at=self._clock.now()))

    async def get_quote(self, ref: ExternalRef) -> QuoteAnswer:
        data = await self._call("GET", f"/price-requests/{ref.value}")
        return self._read(lambda: mapping.quote_answer(data, provider=self.provider_id, observed_at=self._clock.now()))

    # ---- orders -------------------------------------------------------------------------------------------------

    async def place_order(self, req: SegmentRequest) -> Observation:
        if req.action == "add":
            return await self._add(req)
        if req.action == "modify":
            return await self._modify(req)
        if req.action == "delete":
            return await self._delete(req)
        raise SupplierRejected(self.provider_id, f"action {req.action!r} has no partner equivalent",
                               code="untranslatable")

    async def _add(self, req: SegmentRequest) -> Observation:
        try:
            body: dict[str, Any] = {"customer_ref": req.our_ref, "a_end": mapping.site_of(req.places),
                                    "speed_mbps": mapping.speed_of(req.bandwidth_mbps, req.configuration)}
        except mapping.NotTranslatable as exc:
            raise self._untranslatable(exc) from exc
        if (day := mapping.ready_by(req.requested_completion)) is not None:
            body["ready_by"] = day
        if req.quote_ref is not None:
            body["price_request_id"] = req.quote_ref.value
        if req.note:
            body["notes"] = req.note[:500]
        data = await self._call("POST", "/circuits", json_body=body, correlation_id=req.correlation_id,
                                idempotency_key=req.our_ref)
        return self._written(lambda: self._observe(data, Source.COMMAND, our_ref=req.our_ref))

    async def _modify(self, req: SegmentRequest) -> Observation:
        circuit_id = await self._circuit_of(req)
        try:
            speed = mapping.speed_of(req.bandwidth_mbps, req.configuration)
        except mapping.NotTranslatable as exc:
            raise self._untranslatable(exc) from exc
        data = await self._call("PATCH", f"/circuits/{circuit_id}", json_body={"speed_mbps": speed,
                                                                               "change_ref": req.our_ref},
                                correlation_id=req.correlation_id, idempotency_key=req.our_ref)
        return self._written(lambda: self._observe(data, Source.COMMAND, our_ref=req.our_ref))

    async def _delete(self, req: SegmentRequest) -> Observation:
        circuit_id = await self._circuit_of(req)
        data = await self._call("POST", f"/circuits/{circuit_id}/cancel",
                                json_body={"reason": req.note or "ceased by the buyer", "cancel_ref": req.our_ref},
                                correlation_id=req.correlation_id, idempotency_key=req.our_ref)
        if not isinstance(data, dict):
            raise OutcomeUnknown(self.provider_id, "unreadable answer to a cease")
        if data.get("decision") == "DENIED":
            raise SupplierRejected(self.provider_id, f"cease denied: {data.get('reason') or 'no reason given'}",
                                   status=200, code="cancel_denied")
        return self._written(lambda: self._observe(data.get("circuit"), Source.COMMAND, our_ref=req.our_ref))

    async def _circuit_of(self, req: SegmentRequest) -> str:
        """The partner's circuit id behind our product ref (its service id) for a modify or delete."""
        ref = req.product_ref
        if ref is None:
            raise SupplierRejected(self.provider_id, f"{req.action} needs the supplier's product reference",
                                   code="untranslatable")
        if ref.kind != "product":
            return ref.value
        data = await self._call("GET", "/circuits", params={"service_id": ref.value})
        circuits = data.get("circuits") if isinstance(data, dict) else None
        if not circuits:
            raise SupplierNotFound(self.provider_id, f"no circuit carries service {ref.value}", status=404,
                                   code="not_found")
        return self._read(lambda: mapping.require_id(circuits[0], "circuit_id"))

    def _observe(self, body: Any, source: Source, *, our_ref: str | None = None) -> Observation:
        return mapping.observe_circuit(body, provider=self.provider_id, source=source,
                                       observed_at=self._clock.now(), our_ref=our_ref)

    async def get_order(self, ref: ExternalRef) -> Observation:
        data = await self._call("GET", f"/circuits/{ref.value}")
        return self._read(lambda: self._observe(data, Source.POLL))

    async def find_order(self, our_ref: str) -> Observation | None:
        """The circuit the partner holds under our reference (an order's or a speed change's), if any."""
        data = await self._call("GET", "/circuits", params={"customer_ref": our_ref})
        circuits = [c for c in (data.get("circuits") if isinstance(data, dict) else None) or [] if isinstance(c, dict)]
        if not circuits:
            return None
        exact = [c for c in circuits if c.get("customer_ref") == our_ref]
        changed = [c for c in circuits if any(isinstance(ch, dict) and ch.get("change_ref") == our_ref
                                              for ch in c.get("changes") or [])]
        chosen = (exact or changed or circuits)[-1]
        return self._read(lambda: self._observe(chosen, Source.RECOVERY, our_ref=our_ref))

    # ---- cancellation ------------------------------------------------------------------------------------------

    async def cancel_order(self, ref: ExternalRef, *, our_ref: str, reason: str) -> CancellationAnswer:
        data = await self._call("POST", f"/circuits/{ref.value}/cancel",
                                json_body={"reason": reason or "cancelled by the buyer", "cancel_ref": our_ref},
                                idempotency_key=our_ref)
        if not isinstance(data, dict):
            raise OutcomeUnknown(self.provider_id, "unreadable answer to a cancellation")
        raw = str(data.get("decision") or "")
        circuit = data.get("circuit") if isinstance(data.get("circuit"), dict) else {}
        return CancellationAnswer(ref=ExternalRef(self.provider_id, str(circuit.get("circuit_id") or ref.value)),
                                  outcome=mapping.cancellation_outcome(raw), raw_state=raw,
                                  observed_at=self._clock.now(), reason=mapping.optional_text(data.get("reason")))

    async def get_cancellation(self, ref: ExternalRef) -> CancellationAnswer:
        """The cancellation decision recorded on the circuit; SupplierNotFound when none was asked for."""
        data = await self._call("GET", f"/circuits/{ref.value}")
        cancellation = data.get("cancellation") if isinstance(data, dict) else None
        if not isinstance(cancellation, dict):
            raise SupplierNotFound(self.provider_id, f"circuit {ref.value} has no cancellation", status=404,
                                   code="not_found")
        raw = str(cancellation.get("decision") or "")
        return CancellationAnswer(ref=ExternalRef(self.provider_id, ref.value),
                                  outcome=mapping.cancellation_outcome(raw), raw_state=raw,
                                  observed_at=self._clock.now(),
                                  reason=mapping.optional_text(cancellation.get("reason")))

    # ---- notices (the partner's maintenance and impairment announcements) -----------------------------------------

    def _works(self, body: Any, evidence: str | None = None) -> SupplierNotice:
        return self._read(lambda: works.works_notice(body, provider=self.provider_id, observed_at=self._clock.now(),
                                                     evidence=evidence))

    async def get_incident(self, ref: ExternalRef) -> SupplierNotice:
        return self._works(await self._call("GET", f"/works/{ref.value}"))

    async def list_incidents(self) -> list[SupplierNotice]:
        out: list[SupplierNotice] = []
        for status in ("SCHEDULED", "IN_PROGRESS"):
            data = await self._call("GET", "/works", params={"status": status})
            out += [self._works(w) for w in (data.get("works") if isinstance(data, dict) else None) or []]
        return out

    # ---- callbacks -----------------------------------------------------------------------------------------------

    async def subscribe(self, callback_base_url: str) -> list[str]:
        """Register our listener for the partner's webhooks; returns the partner's webhook id."""
        if not self.config.callback_secret:
            raise SupplierRejected(self.provider_id, "the partner signs webhooks: configure a callback_secret",
                                   code="no_callback_secret")
        # Registering the same URL again updates it (the partner answers 200): safe to resend.
        data = await self._call("POST", "/webhooks", json_body={"url": callback_base_url,
                                                                "secret": self.config.callback_secret},
                                idempotent=True)
        return [self._read(lambda: mapping.require_id(data, "webhook_id"))]

    def parse_callback(self, path: str, headers: dict[str, str], body: bytes) -> CallbackNote:
        """Verify a webhook's signature (constant-time) and read the status it carries."""
        secret = self.config.callback_secret
        if not secret:
            raise CallbackRejected(self.provider_id, "no callback secret configured")
        signature = next((v for k, v in headers.items() if k.lower() == SIGNATURE_HEADER), None)
        if not signature:
            raise CallbackRejected(self.provider_id, "unsigned webhook")
        expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected.encode(), signature.strip().lower().encode("ascii", "replace")):
            raise CallbackRejected(self.provider_id, "bad webhook signature")
        try:
            event = json.loads(body)
        except ValueError as exc:
            raise CallbackRejected(self.provider_id, "signed webhook is not JSON") from exc
        if not isinstance(event, dict) or not mapping.optional_text(event.get("event_id")):
            raise CallbackRejected(self.provider_id, "webhook without an event id")
        if event.get("event_type") == WORKS_EVENT:  # the event carries the whole works: no need to read them
            try:
                notice = works.works_notice(event.get("works"), provider=self.provider_id,
                                            observed_at=self._clock.now(), evidence=str(event["event_id"]))
            except mapping.MalformedAnswer as exc:
                raise CallbackRejected(self.provider_id, f"webhook not about works: {exc}") from exc
            return CallbackNote(provider=self.provider_id, ref=notice.ref, event_id=str(event["event_id"]),
                                event_type=WORKS_EVENT, event_time=mapping.to_utc(event.get("occurred_at")),
                                notice=notice)
        if event.get("event_type") == FAULT_EVENT:
            try:
                fault = mapping.observe_fault(event, provider=self.provider_id, source=Source.CALLBACK,
                                              observed_at=self._clock.now(), evidence=str(event["event_id"]))
            except mapping.MalformedAnswer as exc:
                raise CallbackRejected(self.provider_id, f"webhook not about a fault: {exc}") from exc
            return CallbackNote(provider=self.provider_id, ref=fault.ref, event_id=str(event["event_id"]),
                                event_type=FAULT_EVENT, event_time=fault.as_of, observation=fault)
        try:
            obs = mapping.observe_event(event, provider=self.provider_id, observed_at=self._clock.now())
        except mapping.MalformedAnswer as exc:
            raise CallbackRejected(self.provider_id, f"webhook not about a circuit: {exc}") from exc
        return CallbackNote(provider=self.provider_id, ref=obs.ref, event_id=str(event["event_id"]),
                            event_type=str(event.get("event_type") or EVENT_TYPE), event_time=obs.as_of,
                            observation=obs)

    # ---- faults (trouble tickets) and visits -------------------------------------------------------------------

    def _fault(self, body: Any, source: Source, *, write: bool = False) -> TicketObservation:
        convert = (self._written if write else self._read)
        return convert(lambda: mapping.observe_fault(body, provider=self.provider_id, source=source,
                                                     observed_at=self._clock.now()))

    async def open_ticket(self, req: TicketRequest) -> TicketObservation:
        body: dict[str, Any] = {"customer_ref": req.our_ref, "summary": req.description[:1000],
                                "impact": mapping.impact_of(req.observed_impact)}
        ref = req.product_ref
        if ref is None:
            raise SupplierRejected(self.provider_id, "a fault names the circuit or service", code="untranslatable")
        body["service_id" if ref.kind == "product" else "circuit_id"] = ref.value
        if req.issue_start is not None:
            body["started_ms"] = int(req.issue_start.timestamp() * 1000)
        data = await self._call("POST", "/faults", json_body=body, correlation_id=req.correlation_id,
                                idempotency_key=req.our_ref)
        return self._fault(data, Source.COMMAND, write=True)

    async def get_ticket(self, ref: ExternalRef) -> TicketObservation:
        return self._fault(await self._call("GET", f"/faults/{ref.value}"), Source.POLL)

    async def find_ticket(self, our_ref: str) -> TicketObservation | None:
        data = await self._call("GET", "/faults", params={"customer_ref": our_ref})
        faults = [f for f in (data.get("faults") if isinstance(data, dict) else None) or []
                  if isinstance(f, dict) and f.get("customer_ref") == our_ref]
        return self._fault(faults[0], Source.RECOVERY) if faults else None

    async def add_ticket_note(self, ref: ExternalRef, *, note_id: str, text: str) -> TicketObservation:
        data = await self._call("POST", f"/faults/{ref.value}/messages", json_body={"message_id": note_id[:64],
                                                                                    "body": text[:2000]},
                                idempotency_key=note_id, idempotent=True)  # idempotent by message_id
        return self._fault(data, Source.COMMAND, write=True)

    async def close_ticket(self, ref: ExternalRef) -> TicketObservation:
        data = await self._call("POST", f"/faults/{ref.value}/confirm", idempotent=True)
        return self._fault(data, Source.COMMAND, write=True)

    async def reopen_ticket(self, ref: ExternalRef, *, reason: str) -> TicketObservation:
        data = await self._call("POST", f"/faults/{ref.value}/dispute", json_body={"reason": reason[:1000]})
        return self._fault(data, Source.COMMAND, write=True)

    async def cancel_ticket(self, ref: ExternalRef) -> TicketObservation:
        data = await self._call("POST", f"/faults/{ref.value}/withdraw", idempotent=True)
        return self._fault(data, Source.COMMAND, write=True)

    async def get_work_order(self, ref: ExternalRef) -> WorkOrderView:
        data = await self._call("GET", f"/faults/{ref.value}")
        return self._read(lambda: mapping.visit_of(data, provider=self.provider_id, observed_at=self._clock.now()))

    async def search_time_slots(self, work_order: ExternalRef, wanted: list[Slot]) -> list[Slot]:
        data = await self._call("GET", f"/faults/{work_order.value}/visit-slots")
        inside = [s for s in mapping.slots_of(data)
                  if not wanted or any(w.start <= s.start and s.end <= w.end for w in wanted)]
        return inside

    async def book_appointment(self, work_order: ExternalRef, slot: Slot, *, note: str,
                               site_contact: dict[str, Any] | None = None) -> AppointmentAnswer:
        data = await self._call("POST", f"/faults/{work_order.value}/visit",
                                json_body={"start_ms": int(slot.start.timestamp() * 1000)}, idempotent=True)
        answer = self._written(lambda: mapping.booked_visit(data, provider=self.provider_id,
                                                            observed_at=self._clock.now()))
        if answer is None:
            raise OutcomeUnknown(self.provider_id, f"the visit at {iso(slot.start)} is not shown as booked")
        if site_contact:  # the partner takes the person on site as a message
            await self.add_ticket_note(ExternalRef(self.provider_id, work_order.value, "troubleTicket"),
                                       note_id=f"visit-contact-{int(slot.start.timestamp())}",
                                       text="On site: " + ", ".join(str(site_contact.get(k)) for k in (
                                           "name", "number", "emailAddress") if site_contact.get(k)))
        return answer

    async def find_appointment(self, work_order: ExternalRef) -> AppointmentAnswer | None:
        data = await self._call("GET", f"/faults/{work_order.value}")
        return self._read(lambda: mapping.booked_visit(data, provider=self.provider_id,
                                                       observed_at=self._clock.now()))

    async def aclose(self) -> None:
        await self._http.aclose()
