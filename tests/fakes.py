"""Fakes of the ports, for tests of the core and the orchestrator (the e2e tests use real servers instead)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from counterpoint.core.orchestration.registry import Capability, ProviderConfig
from counterpoint.core.orchestration.supply import (
    CallbackNote,
    CallbackRejected,
    CancellationAnswer,
    CancellationOutcome,
    NoticeState,
    Observation,
    OutcomeUnknown,
    Price,
    QualificationAnswer,
    QualificationRequest,
    QualificationState,
    QuoteAnswer,
    QuoteRequest,
    QuoteState,
    SegmentRequest,
    SegmentState,
    Source,
    SupplierNotFound,
    SupplierNotice,
    SupplierRejected,
    SupplierUnavailable,
)
from counterpoint.core.orchestration.ticket_supply import (
    AppointmentAnswer,
    Slot,
    TicketNote,
    TicketObservation,
    TicketRequest,
    TicketState,
    WorkOrderView,
)
from counterpoint.core.shared.clock import Clock
from counterpoint.core.shared.errors import Conflict
from counterpoint.core.shared.ids import ExternalRef


@dataclass
class FakeOrder:
    id: str
    our_ref: str
    request: SegmentRequest
    state: SegmentState = SegmentState.ACKNOWLEDGED
    as_of: datetime | None = None
    expected: datetime | None = None
    product: str | None = None
    required_action: str | None = None


@dataclass
class FakeQuote:
    id: str
    request: QuoteRequest
    state: QuoteState
    raw: str
    price: Price | None = None
    valid_until: datetime | None = None
    reason: str | None = None


@dataclass
class FakeTicket:
    id: str
    our_ref: str
    request: TicketRequest
    state: TicketState = TicketState.OPEN
    raw: str = "acknowledged"
    as_of: datetime | None = None
    question: str | None = None
    notes: list[TicketNote] = field(default_factory=list)
    work_orders: list[str] = field(default_factory=list)
    reopened: bool = False


@dataclass
class FakeSupplier:
    """An in-memory supplier with a script of faults. `orders` is what the supplier really holds."""

    provider_id: str
    clock: Clock
    orders: dict[str, FakeOrder] = field(default_factory=dict)
    # faults, consumed one per call
    unavailable: int = 0  # next N calls refused before reaching the supplier
    timeout_after_accept: int = 0  # next N place_order calls create the order, then time out
    reject: str | None = None  # every place_order refused with this reason
    refuse_cancel: str | None = None
    pending_cancel: bool = False  # cancellations are answered "acknowledged"; the test decides them later
    unreachable_reads: bool = False
    calls: list[str] = field(default_factory=list)
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    # --- quotes and qualifications (MEF 115, 87): what the supplier answers, and the resources it holds ----
    quote_price: Price = field(default_factory=lambda: Price(Decimal(300), Decimal(900), "USD"))
    quote_days: int = 20  # the installation interval it quotes and qualifies
    quote_validity: timedelta = timedelta(days=30)
    quote_pending: bool = False  # new quotes wait (a site survey) until the test calls firm_quotes()
    quote_unable: str | None = None  # every quote answered unableToProvide with this reason
    poq_pending: bool = False  # new POQs wait until the test calls answer_poqs()
    unserviceable: str | None = None  # every POQ answered red with this reason
    quotes: dict[str, FakeQuote] = field(default_factory=dict)
    poqs: dict[str, QualificationAnswer] = field(default_factory=dict)
    # --- trouble tickets and visits (MEF 124, 137) -------------------------------------------------------
    tickets: dict[str, FakeTicket] = field(default_factory=dict)
    ticket_timeout_after_accept: int = 0  # next N open_ticket calls open the ticket, then time out
    work_order_visits: dict[str, bool] = field(default_factory=dict)  # work order id -> appointment required
    slots: list[Slot] = field(default_factory=list)  # what search_time_slots offers
    appointments: dict[str, AppointmentAnswer] = field(default_factory=dict)  # by work order id
    notices: dict[str, SupplierNotice] = field(default_factory=dict)  # its incidents, by its id

    def _obs(self, order: FakeOrder, source: Source) -> Observation:
        return Observation(state=order.state, raw_state=order.state.value,
                           ref=ExternalRef(self.provider_id, order.id), source=source, observed_at=self.clock.now(),
                           as_of=order.as_of, our_ref=order.our_ref, expected_completion=order.expected,
                           required_action=order.required_action,
                           product_ref=ExternalRef(self.provider_id, order.product, "product") if order.product
                           else None)

    async def place_order(self, req: SegmentRequest) -> Observation:
        self.calls.append(f"place {req.our_ref}")
        if self.unavailable:
            self.unavailable -= 1
            raise SupplierUnavailable(self.provider_id, "HTTP 503 after retries")
        if self.reject:
            raise SupplierRejected(self.provider_id, self.reject, status=422, code="invalidValue")
        order = FakeOrder(id=f"{self.provider_id}-PO-{next(self._ids)}", our_ref=req.our_ref, request=req,
                          as_of=self.clock.now())
        self.orders[order.id] = order
        if self.timeout_after_accept:
            self.timeout_after_accept -= 1
            raise OutcomeUnknown(self.provider_id, "read timeout")
        return self._obs(order, Source.COMMAND)

    async def get_order(self, ref: ExternalRef) -> Observation:
        self.calls.append(f"get {ref.value}")
        if self.unreachable_reads:
            raise SupplierUnavailable(self.provider_id, "connect refused")
        if ref.value not in self.orders:
            raise SupplierNotFound(self.provider_id, "no such order", status=404)
        return self._obs(self.orders[ref.value], Source.POLL)

    async def find_order(self, our_ref: str) -> Observation | None:
        self.calls.append(f"find {our_ref}")
        found = [o for o in self.orders.values() if o.our_ref == our_ref]
        return self._obs(found[0], Source.RECOVERY) if found else None

    async def cancel_order(self, ref: ExternalRef, *, our_ref: str, reason: str) -> CancellationAnswer:
        self.calls.append(f"cancel {ref.value}")
        if self.refuse_cancel:
            return CancellationAnswer(ref, CancellationOutcome.REFUSED, "rejected", self.clock.now(),
                                      self.refuse_cancel)
        order = self.orders[ref.value]
        if self.pending_cancel:
            order.state, order.as_of = SegmentState.CANCELLING, self.clock.now()
            return CancellationAnswer(ref, CancellationOutcome.PENDING, "acknowledged", self.clock.now())
        order.state, order.as_of = SegmentState.CANCELLED, self.clock.now()
        return CancellationAnswer(ref, CancellationOutcome.ACCEPTED, "done", self.clock.now())

    async def get_cancellation(self, ref: ExternalRef) -> CancellationAnswer:
        raise NotImplementedError

    async def get_incident(self, ref: ExternalRef) -> SupplierNotice:
        self.calls.append(f"get_incident {ref.value}")
        if ref.value not in self.notices:
            raise SupplierNotFound(self.provider_id, f"no incident {ref.value}")
        return self.notices[ref.value]

    async def list_incidents(self) -> list[SupplierNotice]:
        self.calls.append("list_incidents")
        return [n for n in self.notices.values() if n.state is not NoticeState.ENDED]

    async def subscribe(self, callback_base_url: str) -> list[str]:
        self.calls.append(f"subscribe {callback_base_url}")
        return [f"{self.provider_id}-listener-{next(self._ids)}"]

    def parse_callback(self, path: str, headers: dict[str, str], body: bytes) -> CallbackNote:
        raise CallbackRejected(self.provider_id, "the fake does not call back")

    async def aclose(self) -> None:
        return None

    # --- quotes and qualifications ----------------------------------------------------------------------
    def _quote_answer(self, q: FakeQuote) -> QuoteAnswer:
        state, raw = q.state, q.raw
        if state is QuoteState.FIRM and q.valid_until is not None and q.valid_until <= self.clock.now():
            state, raw = QuoteState.EXPIRED, "expired"
        return QuoteAnswer(ref=ExternalRef(self.provider_id, q.id, "quote"), state=state, raw_state=raw,
                           observed_at=self.clock.now(), item_id="1", price=q.price,
                           term_months=q.request.term_months, lead_time_days=self.quote_days,
                           valid_until=q.valid_until, reason=q.reason)

    async def request_quote(self, req: QuoteRequest) -> QuoteAnswer:
        self.calls.append(f"quote {req.our_ref}")
        if self.unavailable:
            self.unavailable -= 1
            raise SupplierUnavailable(self.provider_id, "HTTP 503 after retries")
        known = next((q for q in self.quotes.values() if q.request.our_ref == req.our_ref), None)
        if known is not None:  # the same idempotency key: the same quote
            return self._quote_answer(known)
        q = FakeQuote(id=f"{self.provider_id}-Q-{next(self._ids)}", request=req, state=QuoteState.PENDING,
                      raw="inProgress")
        if self.quote_unable:
            q.state, q.raw, q.reason = QuoteState.UNABLE, "unableToProvide", self.quote_unable
        elif not self.quote_pending:
            self._firm(q)
        self.quotes[q.id] = q
        return self._quote_answer(q)

    async def get_quote(self, ref: ExternalRef) -> QuoteAnswer:
        self.calls.append(f"get quote {ref.value}")
        if ref.value not in self.quotes:
            raise SupplierNotFound(self.provider_id, "no such quote", status=404)
        return self._quote_answer(self.quotes[ref.value])

    def _firm(self, q: FakeQuote) -> None:
        q.state, q.raw, q.price = QuoteState.FIRM, "approved.orderable", self.quote_price
        q.valid_until = self.clock.now() + self.quote_validity

    def survey_quotes(self) -> None:
        """Pending quotes get a draft price while the site survey runs (MEF inProgress.draft)."""
        for q in self.quotes.values():
            if q.state is QuoteState.PENDING:
                q.raw, q.price = "inProgress.draft", self.quote_price

    def firm_quotes(self) -> None:
        for q in self.quotes.values():
            if q.state is QuoteState.PENDING:
                self._firm(q)

    def expire_quotes(self) -> None:
        for q in self.quotes.values():
            if q.state is QuoteState.FIRM:
                q.state, q.raw = QuoteState.EXPIRED, "expired"

    def _poq_answer(self, ref: ExternalRef) -> QualificationAnswer:
        state = QualificationState.NOT_SERVICEABLE if self.unserviceable else QualificationState.SERVICEABLE
        return QualificationAnswer(ref=ref, state=state, raw_state="done.ready", observed_at=self.clock.now(),
                                   item_id="1", installation_days=None if self.unserviceable else self.quote_days,
                                   reason=self.unserviceable)

    async def qualify(self, req: QualificationRequest) -> QualificationAnswer:
        self.calls.append(f"qualify {req.our_ref}")
        ref = ExternalRef(self.provider_id, f"{self.provider_id}-POQ-{next(self._ids)}", "poq")
        answer = QualificationAnswer(ref=ref, state=QualificationState.PENDING, raw_state="inProgress",
                                     observed_at=self.clock.now(), item_id="1") if self.poq_pending \
            else self._poq_answer(ref)
        self.poqs[ref.value] = answer
        return answer

    async def get_qualification(self, ref: ExternalRef) -> QualificationAnswer:
        self.calls.append(f"get poq {ref.value}")
        if ref.value not in self.poqs:
            raise SupplierNotFound(self.provider_id, "no such POQ", status=404)
        return self.poqs[ref.value]

    def answer_poqs(self) -> None:
        for ref, answer in list(self.poqs.items()):
            if answer.state is QualificationState.PENDING:
                self.poqs[ref] = self._poq_answer(answer.ref)

    # --- the supplier's own progress, driven by the test --------------------------------------------------
    def only_order(self) -> FakeOrder:
        assert len(self.orders) == 1, f"{self.provider_id} holds {len(self.orders)} orders"
        return next(iter(self.orders.values()))

    def last_order(self) -> FakeOrder:
        return list(self.orders.values())[-1]

    def move(self, state: SegmentState, *, expected: datetime | None = None, product: str | None = None,
             required_action: str | None = None, order_id: str | None = None) -> None:
        """Move the only order (or the one named) to `state`, as the supplier's own progress."""
        order = self.orders[order_id] if order_id else self.only_order()
        order.state, order.as_of = state, self.clock.now()
        order.required_action = required_action
        if expected is not None:
            order.expected = expected
        if product is not None:
            order.product = product


    # --- tickets -------------------------------------------------------------------------------------------
    def _tobs(self, t: FakeTicket, source: Source) -> TicketObservation:
        return TicketObservation(state=t.state, raw_state=t.raw, ref=ExternalRef(self.provider_id, t.id,
                                                                                    "troubleTicket"),
                                 source=source, observed_at=self.clock.now(), as_of=t.as_of, our_ref=t.our_ref,
                                 reopened=t.reopened, information_required=t.question, notes=tuple(t.notes),
                                 work_orders=tuple(ExternalRef(self.provider_id, w, "workOrder")
                                                   for w in t.work_orders),
                                 evidence=f"{self.provider_id}/tt/{t.id}")

    async def open_ticket(self, req: TicketRequest) -> TicketObservation:
        self.calls.append(f"open ticket {req.our_ref}")
        if self.unavailable:
            self.unavailable -= 1
            raise SupplierUnavailable(self.provider_id, "HTTP 503 after retries")
        known = next((t for t in self.tickets.values() if t.our_ref == req.our_ref), None)
        if known is not None:
            return self._tobs(known, Source.COMMAND)
        t = FakeTicket(id=f"{self.provider_id}-TT-{next(self._ids)}", our_ref=req.our_ref, request=req,
                       as_of=self.clock.now())
        self.tickets[t.id] = t
        if self.ticket_timeout_after_accept:
            self.ticket_timeout_after_accept -= 1
            raise OutcomeUnknown(self.provider_id, "read timeout")
        return self._tobs(t, Source.COMMAND)

    def _ticket(self, ref: ExternalRef) -> FakeTicket:
        if ref.value not in self.tickets:
            raise SupplierNotFound(self.provider_id, "no such ticket", status=404)
        return self.tickets[ref.value]

    async def get_ticket(self, ref: ExternalRef) -> TicketObservation:
        self.calls.append(f"get ticket {ref.value}")
        if self.unreachable_reads:
            raise SupplierUnavailable(self.provider_id, "connect refused")
        return self._tobs(self._ticket(ref), Source.POLL)

    async def find_ticket(self, our_ref: str) -> TicketObservation | None:
        self.calls.append(f"find ticket {our_ref}")
        found = [t for t in self.tickets.values() if t.our_ref == our_ref]
        return self._tobs(found[0], Source.RECOVERY) if found else None

    async def add_ticket_note(self, ref: ExternalRef, *, note_id: str, text: str) -> TicketObservation:
        self.calls.append(f"note {ref.value}: {text}")
        t = self._ticket(ref)
        if all(n.id != note_id for n in t.notes):
            t.notes.append(TicketNote(note_id, text, "buyer", "buyer", self.clock.now()))
        if t.state is TicketState.WAITING_FOR_BUYER:  # MEF 124 R37: pending -> inProgress
            self.ticket_move(TicketState.INVESTIGATING, ticket_id=t.id)
        return self._tobs(t, Source.COMMAND)

    async def close_ticket(self, ref: ExternalRef) -> TicketObservation:
        self.calls.append(f"close {ref.value}")
        self.ticket_move(TicketState.CLOSED, ticket_id=ref.value)
        return self._tobs(self._ticket(ref), Source.COMMAND)

    async def reopen_ticket(self, ref: ExternalRef, *, reason: str) -> TicketObservation:
        self.calls.append(f"reopen {ref.value}: {reason}")
        self.ticket_move(TicketState.INVESTIGATING, ticket_id=ref.value, raw="reopened")
        self._ticket(ref).reopened = True
        return self._tobs(self._ticket(ref), Source.COMMAND)

    async def cancel_ticket(self, ref: ExternalRef) -> TicketObservation:
        self.calls.append(f"cancel ticket {ref.value}")
        self.ticket_move(TicketState.CANCELLED, ticket_id=ref.value)
        return self._tobs(self._ticket(ref), Source.COMMAND)

    async def get_work_order(self, ref: ExternalRef) -> WorkOrderView:
        self.calls.append(f"get work order {ref.value}")
        booked = self.appointments.get(ref.value)
        return WorkOrderView(ref=ref, raw_state="open", appointment_required=self.work_order_visits.get(ref.value,
                                                                                                      False),
                             appointments=(booked.ref,) if booked else (), observed_at=self.clock.now())

    async def search_time_slots(self, work_order: ExternalRef, wanted: list[Slot]) -> list[Slot]:
        self.calls.append(f"search slots {work_order.value}")
        return list(self.slots)

    async def book_appointment(self, work_order: ExternalRef, slot: Slot, *, note: str,
                               site_contact: dict[str, Any] | None = None) -> AppointmentAnswer:
        self.calls.append(f"book {work_order.value} {slot.start.isoformat()}")
        answer = AppointmentAnswer(ref=ExternalRef(self.provider_id, f"AP-{next(self._ids)}", "appointment"),
                                   work_order=work_order, raw_state="confirmed", slot=slot,
                                   observed_at=self.clock.now())
        self.appointments[work_order.value] = answer
        return answer

    async def find_appointment(self, work_order: ExternalRef) -> AppointmentAnswer | None:
        return self.appointments.get(work_order.value)

    def only_ticket(self) -> FakeTicket:
        assert len(self.tickets) == 1, f"{self.provider_id} holds {len(self.tickets)} tickets"
        return next(iter(self.tickets.values()))

    def ticket_move(self, state: TicketState, *, ticket_id: str | None = None, raw: str | None = None,
                    question: str | None = None, work_order: str | None = None,
                    note: TicketNote | None = None) -> None:
        """The supplier's own progress on its ticket (the only one, or the one named)."""
        t = self.tickets[ticket_id] if ticket_id else self.only_ticket()
        words = {TicketState.OPEN: "acknowledged", TicketState.INVESTIGATING: "inProgress",
                 TicketState.WAITING_FOR_BUYER: "pending", TicketState.RESOLVED: "resolved",
                 TicketState.CLOSED: "closed", TicketState.CANCELLED: "cancelled"}
        t.state, t.raw, t.as_of, t.question = state, raw or words.get(state, state.value), self.clock.now(), question
        if state is not TicketState.INVESTIGATING:
            t.reopened = False
        if work_order and work_order not in t.work_orders:
            t.work_orders.append(work_order)
        if note is not None:
            t.notes.append(note)


class FakeCustomerTickets:
    """Records the moves the federation makes on customers' tickets; refuses one kind when told to."""

    def __init__(self) -> None:
        self.moves: list[tuple[str, str, dict[str, Any]]] = []
        self.refuse: str | None = None

    async def apply(self, uow: Any, profile: Any, *, buyer_id: str, ticket_id: str, move: dict[str, Any],
                    now: datetime) -> None:
        if self.refuse == move["kind"]:
            raise Conflict(f"ticket {ticket_id} refuses {move['kind']}")
        self.moves.append((ticket_id, move["kind"], move))

    def kinds(self) -> list[str]:
        return [k for _, k, _ in self.moves]


class FakeGateway:
    def __init__(self, *suppliers: FakeSupplier, providers: tuple[ProviderConfig, ...]) -> None:
        self.fakes = {s.provider_id: s for s in suppliers}
        self.providers = {p.id: p for p in providers}

    def adapter(self, provider_id: str) -> FakeSupplier:
        return self.fakes[provider_id]

    def callback_token(self, provider_id: str, secret: str) -> str:
        return f"token-{provider_id}"

    async def aclose(self) -> None:
        return None


class PassingTester:
    """Records what it was asked to test; passes unless told to fail."""

    def __init__(self, passes: bool = True) -> None:
        self.passes = passes
        self.runs: list[str] = []

    async def test(self, composite: Any) -> dict[str, Any]:
        self.runs.append(composite.id)
        return {"passed": self.passes, "summary": "fake test " + ("passed" if self.passes else "failed")}


def provider(pid: str, spec: str, *, countries: tuple[str, ...], own: bool = False, lead: int = 20,
             mrc: int = 1000, poll_s: float = 30.0, staleness_s: float = 300.0) -> ProviderConfig:
    return ProviderConfig(id=pid, name=pid, adapter="own-network" if own else "mef-sonata",
                          poll_interval_s=poll_s, staleness_s=staleness_s,
                          capabilities=(Capability(offering_id=f"{pid}-offer", spec_urn=spec, countries=countries,
                                                   lead_time_days=lead, mrc=mrc),))
