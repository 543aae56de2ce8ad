"""What a check reads: one composite order with what we know around it, as plain read-only views.

The storage side builds these a page at a time (keyset paging, a few indexed queries per page), so a run holds
one page in memory whatever the number of orders.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from counterpoint.core.orchestration.model import CommandState, CompositeState, Segment
from counterpoint.core.orchestration.supply import SegmentState
from counterpoint.core.shared.ids import ExternalRef


@dataclass(frozen=True, slots=True)
class CommandView:
    id: str
    segment_id: str
    action: str
    state: CommandState
    key: str  # our reference (the idempotency key, sent to the supplier as its externalId)
    sent_at: datetime | None
    updated_at: datetime
    result_ref: ExternalRef | None  # the supplier's order the command's answer named, if any


@dataclass(frozen=True, slots=True)
class EvidenceView:
    """The latest entry of the evidence log for a segment: what the supplier last said, applied or not."""

    segment_id: str
    provider_id: str
    state: SegmentState
    raw_state: str
    source: str
    observed_at: datetime
    as_of: datetime | None
    applied: bool
    why: str


@dataclass(frozen=True, slots=True)
class RefView:
    """A row of the supplier reference index (which of our segments a supplier's resource belongs to)."""

    segment_id: str
    ref: ExternalRef


@dataclass(frozen=True, slots=True)
class ProductView:
    """The customer's product in our inventory (MEF 116)."""

    id: str
    status: str
    recurring_price: bool  # a recurring productPrice on the inventory record
    billing_account_id: str | None


ACTIVE_PRODUCT = frozenset({"active", "active.pendingChange"})


@dataclass(frozen=True, slots=True)
class CompositeRecord:
    id: str
    buyer_id: str
    order_id: str
    item_id: str
    action: str
    state: CompositeState
    updated_at: datetime
    product_id: str | None
    segments: tuple[Segment, ...]
    commands: tuple[CommandView, ...] = ()
    refs: tuple[RefView, ...] = ()
    latest: Mapping[str, EvidenceView] = field(default_factory=dict)  # segment id -> latest evidence
    product: ProductView | None = None

    @property
    def service_active(self) -> bool:
        """The customer sees this service active: the composite is, and so is the product it delivered."""
        return self.state is CompositeState.ACTIVE and self.action != "delete" and (
            self.product is not None and self.product.status in ACTIVE_PRODUCT)


# ---- tickets: the interface the ticket checks read (see checks.py) --------------------------------------


@dataclass(frozen=True, slots=True)
class SupplierTicketView:
    """One ticket we hold with a supplier about the customer's fault (an escalation)."""

    provider_id: str
    ref: str  # the supplier's ticket id (our reference while it has given none)
    state: str  # core.orchestration.ticket_supply.TicketState values: open ... resolvedPendingValidation, closed
    resolved_at: datetime | None = None  # when we first saw the supplier's resolution


@dataclass(frozen=True, slots=True)
class SlaClockView:
    """One party's clock on a ticket's outage, from the SLA evidence it stamped: the fault's start and the
    service's return as that party's clock gave them (None: that party said nothing of it)."""

    source: str  # "ours" or a provider id (who stamped it)
    started_at: datetime | None = None
    stopped_at: datetime | None = None


MAJOR_SEVERITY = frozenset({"extensive"})  # MEF 124 severity of a major incident
MAJOR_PRIORITY = frozenset({"critical"})


@dataclass(frozen=True, slots=True)
class TicketRecord:
    """A customer's ticket followed across providers (core/orchestration/ticket_model.FederatedTicket)."""

    id: str  # the federated ticket's id (our record)
    ticket_id: str  # the customer's ticket at our Seller
    buyer_id: str
    state: str  # TicketState values: open, investigating, waitingForBuyer, resolvedPendingValidation, closed...
    major_incident: bool  # the customer reported it extensive, or critical: a major incident
    created_at: datetime
    updated_at: datetime
    product_id: str | None = None
    composite_id: str | None = None
    validated_at: datetime | None = None  # our own validation (the end-to-end test re-run) passed
    suspected_provider: str | None = None  # the supplier owning the suspected segment, if not ours
    supplier_tickets: tuple[SupplierTicketView, ...] = ()
    clocks: tuple[SlaClockView, ...] = ()
