"""What the core needs from the outside world, as Protocols.

The SQL unit of work in `storage/uow.py` implements these; the core never imports storage.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from counterpoint.core.hub.model import HubListener
from counterpoint.core.ordering.model import Charge, OrderTask, ProductOrder
from counterpoint.core.quote.model import Quote, QuoteFilter
from counterpoint.core.quote.pricing import PricedItem
from counterpoint.core.seller.model import SellerProfile
from counterpoint.core.service_order.ports import ServiceOrders
from counterpoint.core.serviceability.model import Poq, PoqFilter
from counterpoint.core.serviceability.qualification import ItemAnswer
from counterpoint.core.shared.events import DomainEvent
from counterpoint.core.shared.ids import ExternalRef
from counterpoint.core.trouble_ticket.model import TroubleTicket
from counterpoint.core.workforce.model import Appointment, AppointmentFilter, WorkOrder, WorkOrderFilter

if TYPE_CHECKING:  # these modules use the ports themselves: their types are only named here
    from counterpoint.core.incident.model import Incident
    from counterpoint.core.incident.services import IncidentFilter
    from counterpoint.core.inventory.model import Product
    from counterpoint.core.inventory.services import ProductFilter
    from counterpoint.core.orchestration.enquiry import Purpose, SupplyEnquiry
    from counterpoint.core.orchestration.model import CompositeOrder, OutboundCommand
    from counterpoint.core.orchestration.supply import Observation
    from counterpoint.core.orchestration.ticket_model import FederatedTicket
    from counterpoint.core.orchestration.ticket_supply import TicketObservation
    from counterpoint.core.ordering.services import OrderFilter, TaskFilter
    from counterpoint.core.sla.ports import SlaRecords
    from counterpoint.core.trouble_ticket.services import TicketFilter

T = TypeVar("T")
F = TypeVar("F", contravariant=True)


class HubListeners(Protocol):
    async def add(self, listener: HubListener) -> None: ...
    async def get(self, buyer_id: str, api: str, channel: str, listener_id: str) -> HubListener: ...
    async def delete(self, buyer_id: str, api: str, channel: str, listener_id: str) -> None: ...


class Resources(Protocol[T]):
    """Common repository of a stored resource (see storage/repository.py). Optimistic: `save` of a stale
    version raises StaleVersion; `get` of another buyer's resource raises NotFound."""

    async def add(self, obj: T) -> None: ...
    async def save(self, obj: T) -> None: ...
    async def get(self, buyer_id: str, id: str) -> T: ...
    async def find(self, buyer_id: str, id: str) -> T | None: ...
    async def get_unscoped(self, id: str) -> T: ...
    async def due(self, now: datetime, *, limit: int = 200) -> list[str]:
        """Ids whose scheduled work (`due_at`) has come, for the workers."""
        ...


class Searchable(Resources[T], Protocol[T, F]):
    """A MEF resource the Buyer lists with its filter: (page, total)."""

    async def search(self, buyer_id: str, f: F, *, offset: int, limit: int) -> tuple[list[T], int]: ...


class ProductOrders(Resources[ProductOrder], Protocol):
    async def search(self, buyer_id: str, f: OrderFilter, *, offset: int, limit: int
                     ) -> tuple[list[ProductOrder], int]: ...
    async def by_idempotency_key(self, buyer_id: str, key: str) -> ProductOrder | None: ...
    async def correlation_of(self, order_id: str) -> str | None: ...


class TroubleTickets(Resources[TroubleTicket], Protocol):
    async def search(self, buyer_id: str, f: TicketFilter, *, offset: int, limit: int
                     ) -> tuple[list[TroubleTicket], int]: ...

    async def wake(self, ticket_id: str) -> None:
        """Have the Seller's ticket worker look at this ticket now (e.g. a work order linked to it was planned:
        R15 may resume it). Call it in the transaction that made the change."""
        ...


class Products(Searchable["Product", "ProductFilter"], Protocol):
    async def search(self, buyer_id: str, f: ProductFilter, *, offset: int, limit: int
                     ) -> tuple[list[Product], int]: ...
    async def live(self, *, ids: Sequence[str] | None = None, offerings: Sequence[str] | None = None
                   ) -> list[Product]:
        """Any buyer's products not terminated or cancelled, by id or offering (all of them when neither is
        given): what an incident announcement can concern."""
        ...


class Incidents(Searchable["Incident", "IncidentFilter"], Protocol):
    async def search(self, buyer_id: str, f: IncidentFilter, *, offset: int, limit: int
                     ) -> tuple[list[Incident], int]: ...
    async def by_notice(self, notice_id: str) -> list[Incident]: ...
    async def by_source(self, source_ref: str) -> list[Incident]:
        """Our incidents relaying a supplier's incident."""
        ...
    async def open_sources(self) -> list[str]:
        """The suppliers' incidents (`provider:id`) that our open incidents relay."""
        ...


class CompositeOrders(Resources["CompositeOrder"], Protocol):
    """The orchestrator's composite orders, the evidence they weighed and the suppliers' references to them."""

    async def for_order(self, order_id: str) -> list[CompositeOrder]: ...
    async def log_evidence(self, composite_id: str, segment_id: str, obs: Observation, *, applied: bool,
                           why: str) -> bool: ...
    async def seen(self, segment_id: str, evidence_id: str | None) -> bool: ...
    async def remember_ref(self, ref: ExternalRef, composite_id: str, segment_id: str) -> None: ...
    async def owner_of(self, ref: ExternalRef) -> tuple[str, str] | None: ...


class OutboundCommands(Resources["OutboundCommand"], Protocol):
    async def by_key(self, key: str) -> OutboundCommand | None: ...
    async def for_composite(self, composite_id: str) -> list[OutboundCommand]: ...


class SupplyEnquiries(Resources["SupplyEnquiry"], Protocol):
    async def find_for(self, purpose: Purpose, resource_id: str, item_id: str) -> SupplyEnquiry | None: ...
    async def for_resource(self, purpose: Purpose, resource_id: str) -> list[SupplyEnquiry]: ...


class TechnicianSlots(Protocol):
    """The technicians' bookings (core/workforce/slots.py): one per (slot start, technician), never two."""

    async def booked(self, start: datetime, end: datetime) -> dict[datetime, int]:
        """How many technicians are booked in each slot starting within [start, end)."""
        ...

    async def book(self, slot_start: datetime, technicians: int, appointment_id: str) -> int | None:
        """Take a free technician of the slot for the appointment: its index, or None when all are taken
        (also when a concurrent transaction took the last one first)."""
        ...

    async def release(self, appointment_id: str) -> None: ...


class FederatedTickets(Resources["FederatedTicket"], Protocol):
    """Customers' tickets followed across providers, their supplier evidence and the suppliers' references."""

    async def for_ticket(self, ticket_id: str) -> FederatedTicket | None: ...
    async def open_suspects(self, *, exclude: str | None = None) -> dict[str, int]: ...
    async def log_evidence(self, ticket_id: str, escalation_id: str, obs: TicketObservation, *, applied: bool,
                           why: str) -> bool: ...
    async def seen(self, escalation_id: str, evidence_id: str | None) -> bool: ...
    async def remember_ref(self, ref: ExternalRef, ticket_id: str, escalation_id: str) -> None: ...
    async def owner_of(self, ref: ExternalRef) -> tuple[str, str] | None: ...


class UnitOfWork(Protocol):
    """One transaction over every store the core uses (storage/uow.py)."""

    @property
    def hub(self) -> HubListeners: ...
    @property
    def poqs(self) -> Searchable[Poq, PoqFilter]: ...
    @property
    def quotes(self) -> Searchable[Quote, QuoteFilter]: ...
    @property
    def product_orders(self) -> ProductOrders: ...
    @property
    def cancel_requests(self) -> Searchable[OrderTask, TaskFilter]: ...
    @property
    def delivery_date_requests(self) -> Searchable[OrderTask, TaskFilter]: ...
    @property
    def charges(self) -> Searchable[Charge, TaskFilter]: ...
    @property
    def products(self) -> Products: ...
    @property
    def incidents(self) -> Incidents: ...
    @property
    def service_orders(self) -> ServiceOrders: ...
    @property
    def trouble_tickets(self) -> TroubleTickets: ...
    @property
    def composites(self) -> CompositeOrders: ...
    @property
    def commands(self) -> OutboundCommands: ...
    @property
    def enquiries(self) -> SupplyEnquiries: ...
    @property
    def sla(self) -> SlaRecords: ...
    @property
    def work_orders(self) -> Searchable[WorkOrder, WorkOrderFilter]: ...
    @property
    def appointments(self) -> Searchable[Appointment, AppointmentFilter]: ...
    @property
    def technician_slots(self) -> TechnicianSlots: ...
    @property
    def federated_tickets(self) -> FederatedTickets: ...

    async def __aenter__(self) -> UnitOfWork: ...
    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None: ...
    async def commit(self) -> None: ...
    async def rollback(self) -> None: ...
    def record(self, event: DomainEvent) -> None: ...


# ---- the Seller's supply chain ------------------------------------------------------------------------------


class SupplyRefused(Exception):
    """The item cannot be built from segments as asked (no provider, or a change no provider can make); the
    customer's item fails with this reason."""


class CancellationAssessment(Protocol):
    """What the providers said so far about a customer's cancellation of items built from segments."""

    @property
    def pending(self) -> bool: ...
    @property
    def refused(self) -> bool: ...
    @property
    def reason(self) -> str | None: ...

    async def decided(self, uow: UnitOfWork, profile: SellerProfile, order: ProductOrder, *, accepted: bool,
                      now: datetime) -> None:
        """The customer has had the answer: finish the cancellation with the providers, or resume delivery."""
        ...


class SupplyChain(Protocol):
    """What the Seller's capabilities (POQ, quote, order) ask of whoever builds items from segments bought from
    other providers: the orchestrator (core/orchestration/supply_chain.py), wired in bootstrap.py. A Seller
    without one uses NO_SUPPLY. Every call runs in the caller's transaction and sends nothing."""

    def composite_items(self, profile: SellerProfile, items: list[dict[str, Any]]) -> set[str]:
        """Ids of the items (action add) of an offering built from segments."""
        ...

    async def open_for_poq(self, uow: UnitOfWork, profile: SellerProfile, poq: Poq, *, now: datetime) -> None: ...
    async def qualification_answers(self, uow: UnitOfWork, poq: Poq, answers: list[ItemAnswer]) -> bool:
        """Replace our answers of composite items by the combined ones (in place); True while some still wait."""
        ...

    async def open_for_quote(self, uow: UnitOfWork, profile: SellerProfile, quote: Quote, *,
                             now: datetime) -> None: ...
    async def quote_prices(self, uow: UnitOfWork, profile: SellerProfile, quote: Quote, priced: list[PricedItem], *,
                           now: datetime) -> tuple[list[PricedItem], bool, datetime | None]:
        """Our prices of composite items: (items, still waiting, validity cap)."""
        ...

    async def start_item(self, uow: UnitOfWork, profile: SellerProfile, order: ProductOrder, item: dict[str, Any], *,
                         now: datetime) -> datetime | None:
        """Hand an order item built from segments over (add, or modify of such a product); returns the date
        promised to the customer, or raises SupplyRefused."""
        ...

    async def assess_cancellation(self, uow: UnitOfWork, profile: SellerProfile, order: ProductOrder,
                                  task: OrderTask, *, now: datetime) -> CancellationAssessment | None:
        """Start or follow the providers' assessment of a cancellation; None when no item is built from segments."""
        ...


class NoSupply:
    """The supply chain of a Seller that builds nothing from bought segments."""

    def composite_items(self, profile: SellerProfile, items: list[dict[str, Any]]) -> set[str]:
        return set()

    async def open_for_poq(self, uow: UnitOfWork, profile: SellerProfile, poq: Poq, *, now: datetime) -> None:
        return None

    async def qualification_answers(self, uow: UnitOfWork, poq: Poq, answers: list[ItemAnswer]) -> bool:
        return False

    async def open_for_quote(self, uow: UnitOfWork, profile: SellerProfile, quote: Quote, *,
                             now: datetime) -> None:
        return None

    async def quote_prices(self, uow: UnitOfWork, profile: SellerProfile, quote: Quote, priced: list[PricedItem], *,
                           now: datetime) -> tuple[list[PricedItem], bool, datetime | None]:
        return priced, False, None

    async def start_item(self, uow: UnitOfWork, profile: SellerProfile, order: ProductOrder, item: dict[str, Any], *,
                         now: datetime) -> datetime | None:
        raise SupplyRefused("this Seller builds no product from other providers' segments")

    async def assess_cancellation(self, uow: UnitOfWork, profile: SellerProfile, order: ProductOrder,
                                  task: OrderTask, *, now: datetime) -> CancellationAssessment | None:
        return None


NO_SUPPLY: SupplyChain = NoSupply()


# ---- the Seller's ticket desk -------------------------------------------------------------------------------

TICKET_CHANGES = frozenset({"patched", "closed", "reopened", "cancelRequested"})


class TicketDesk(Protocol):
    """Who works a trouble ticket about a product built from segments bought from other providers: the
    orchestrator, wired in bootstrap.py (NO_TICKET_DESK for a Seller that buys nothing). Every call runs in the
    caller's transaction and sends nothing; the orchestrator moves the ticket with the Seller-side functions of
    core/trouble_ticket/services.py (start_work, request_information, resolve, ...)."""

    async def take_ticket(self, uow: UnitOfWork, profile: SellerProfile, ticket: TroubleTicket, *,
                          now: datetime) -> bool:
        """True when the affected product is built from segments and the orchestrator drives this ticket from
        now on: the profile's emulated lifecycle then leaves it alone."""
        ...

    async def ticket_changed(self, uow: UnitOfWork, profile: SellerProfile, ticket: TroubleTicket, *, change: str,
                             now: datetime) -> None:
        """The Buyer acted on a ticket the orchestrator drives; `change` is one of TICKET_CHANGES ("patched",
        "closed", "reopened", "cancelRequested"). The ticket already shows the change."""
        ...


class NoTicketDesk:
    """The ticket desk of a Seller that builds nothing from bought segments: it takes no ticket."""

    async def take_ticket(self, uow: UnitOfWork, profile: SellerProfile, ticket: TroubleTicket, *,
                          now: datetime) -> bool:
        return False

    async def ticket_changed(self, uow: UnitOfWork, profile: SellerProfile, ticket: TroubleTicket, *, change: str,
                             now: datetime) -> None:
        return None


NO_TICKET_DESK: TicketDesk = NoTicketDesk()
