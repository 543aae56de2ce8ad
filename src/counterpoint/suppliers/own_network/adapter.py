"""SupplierAdapter for the segments we build ourselves: our service orchestration, seen as a supplier.

The orchestrator treats our own network like any partner. Here "placing an order" creates a Legato-style
service order in our database (core/service_order); the service-order worker provisions it on the network
controller; reading an order reads that service order. What is particular to this "partner":

- no HTTP and no callbacks: we poll our own database (`subscribe` registers nothing, callbacks are refused);
- qualification and quotes answer at once from the provider's capabilities (and, for a place given by
  reference, from the controller's inventory of service interface points); the answers are kept in memory
  only, since nothing is ordered from them that could not be asked again;
- a service order is idempotent by our reference (its externalId): placing the same request twice returns
  the first order;
- the product we deliver is the connectivity service; its uuid is the `product_ref` of a completed order.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from counterpoint.core.orchestration.registry import Capability, ProviderConfig
from counterpoint.core.orchestration.supply import (
    CallbackNote,
    CallbackRejected,
    CancellationAnswer,
    CancellationOutcome,
    Observation,
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
    SupplierUnavailable,
)
from counterpoint.core.service_order import services
from counterpoint.core.service_order.design import serves
from counterpoint.core.service_order.model import (
    ServiceAction,
    ServiceOrder,
    ServiceOrderPolicy,
    ServiceOrderState,
)
from counterpoint.core.service_order.ports import ControllerUnavailable, NetworkController
from counterpoint.core.shared.clock import Clock
from counterpoint.core.shared.errors import Conflict, NotFound
from counterpoint.core.shared.ids import ExternalRef

if TYPE_CHECKING:
    from counterpoint.core.ports import UnitOfWork

ORDER_KIND = "serviceOrder"
CANCEL_KIND = "cancelServiceOrder"
SERVICE_KIND = "connectivityService"

SO = ServiceOrderState
# Legato service order state -> our view of the segment. `pending` is our only use of it: a cancellation being
# carried out. `held` is our own network waiting on itself (the controller), not on the buyer.
SEGMENT_STATE: dict[ServiceOrderState, SegmentState] = {
    SO.ACKNOWLEDGED: SegmentState.ACKNOWLEDGED,
    SO.IN_PROGRESS: SegmentState.IN_DELIVERY,
    SO.HELD: SegmentState.IN_DELIVERY,
    SO.PENDING: SegmentState.CANCELLING,
    SO.COMPLETED: SegmentState.DELIVERED,
    SO.FAILED: SegmentState.FAILED,
    SO.PARTIAL: SegmentState.FAILED,  # one item per order: never reached, but never read as a success
    SO.REJECTED: SegmentState.REJECTED,
    SO.CANCELLED: SegmentState.CANCELLED,
}


def observe(order: ServiceOrder, *, provider: str, source: Source, at: datetime) -> Observation:
    """One service order as evidence about a segment."""
    item = order.items[0]
    conn = item.get("connectivityService") or {}
    service = item.get("service") or {}
    product = None
    if order.state is SO.COMPLETED and item["action"] != ServiceAction.DELETE.value and service.get("id"):
        product = ExternalRef(provider, service["id"], SERVICE_KIND)
    detail: dict[str, Any] = {"action": item["action"], "itemState": item["state"]}
    if service.get("state"):
        detail["serviceState"] = service["state"]
    if conn:
        detail["connectivityService"] = dict(conn)
    return Observation(
        state=SEGMENT_STATE.get(order.state, SegmentState.UNRECOGNISED), raw_state=order.state.value,
        ref=ExternalRef(provider, order.id, ORDER_KIND), source=source, observed_at=at,
        as_of=order.last_change_at, our_ref=order.external_id,
        reason=order.reason() if order.state in (SO.FAILED, SO.REJECTED, SO.HELD, SO.PENDING, SO.CANCELLED)
        else None,
        evidence=f"serviceOrder/{order.id}", product_ref=product, detail=detail)


def cancellation(order: ServiceOrder, *, provider: str, at: datetime) -> CancellationAnswer:
    """What became of a request to cancel this order."""
    ref = ExternalRef(provider, order.id, CANCEL_KIND)
    if order.cancellation_requested and order.state in (SO.PENDING, SO.CANCELLED):
        return CancellationAnswer(ref=ref, outcome=CancellationOutcome.ACCEPTED, raw_state=order.state.value,
                                  observed_at=at, reason=order.doc.get("cancellationReason"))
    return CancellationAnswer(ref=ref, outcome=CancellationOutcome.REFUSED, raw_state=order.state.value,
                              observed_at=at, reason=f"service order is {order.state.value}")


class OwnNetworkAdapter:
    """Our own network as a SupplierAdapter, over our service orders and the network controller."""

    def __init__(self, config: ProviderConfig, *, uow_factory: Callable[[], UnitOfWork], clock: Clock,
                 controller: NetworkController, policy: ServiceOrderPolicy | None = None,
                 quote_validity: timedelta = timedelta(days=30)) -> None:
        self.provider_id = config.id
        self.config = config
        self.uow_factory = uow_factory
        self.clock = clock
        self.controller = controller
        self.policy = policy or ServiceOrderPolicy()
        self.requester = config.buyer_id or "orchestrator"  # who orders from our service orchestration
        self.sof = config.seller_id or config.id
        self.quote_validity = quote_validity
        self._qualifications: dict[str, QualificationAnswer] = {}
        self._quotes: dict[str, QuoteAnswer] = {}

    # ---- pre-order: answered from configuration ---------------------------------------------------------

    async def _coverage(self, offering_id: str, places: list[dict[str, Any]],
                        bandwidth: int | None) -> tuple[Capability | None, str | None]:
        """The capability that covers the request, or the reason none does."""
        caps = [c for c in self.config.capabilities if c.offering_id == offering_id]
        if not caps:
            return None, f"{self.provider_id} has no offering {offering_id}"
        refs = [p for p in places if p.get("@type") != "FieldedAddress"]
        if refs:
            try:
                sips = await self.controller.service_interface_points()
            except ControllerUnavailable as exc:
                raise SupplierUnavailable(self.provider_id, exc.reason) from exc
            for place in refs:
                if not any(serves(s, place) for s in sips):
                    return None, f"no service interface point of ours serves {place.get('@type')} {place.get('id')}"
        fielded = [p for p in places if p.get("@type") == "FieldedAddress"]
        for cap in caps:
            if cap.covers(country=None, city=None, bandwidth_mbps=bandwidth) and all(
                    cap.covers(country=p.get("country"), city=p.get("city"), bandwidth_mbps=bandwidth)
                    for p in fielded):
                return cap, None
        return None, (f"{self.provider_id} does not cover "
                      f"{', '.join(str(p.get('city') or p.get('country')) for p in fielded) or 'this request'}"
                      f"{f' at {bandwidth} Mb/s' if bandwidth else ''}")

    async def qualify(self, req: QualificationRequest) -> QualificationAnswer:
        cap, why = await self._coverage(req.offering_id, req.places, req.bandwidth_mbps)
        now = self.clock.now()
        state = QualificationState.SERVICEABLE if cap else QualificationState.NOT_SERVICEABLE
        answer = QualificationAnswer(
            ref=ExternalRef(self.provider_id, f"poq-{req.our_ref}", "poq"), state=state, raw_state=state.value,
            observed_at=now, item_id="1", installation_days=cap.lead_time_days if cap else None, reason=why)
        self._qualifications[answer.ref.value] = answer
        return answer

    async def get_qualification(self, ref: ExternalRef) -> QualificationAnswer:
        try:
            return self._qualifications[ref.value]
        except KeyError:
            raise SupplierNotFound(self.provider_id, f"no qualification {ref.value}") from None

    async def request_quote(self, req: QuoteRequest) -> QuoteAnswer:
        cap, why = await self._coverage(req.offering_id, req.places, req.bandwidth_mbps)
        now = self.clock.now()
        ref = ExternalRef(self.provider_id, f"quote-{req.our_ref}", "quote")
        if cap is None:
            answer = QuoteAnswer(ref=ref, state=QuoteState.UNABLE, raw_state="unableToProvide", observed_at=now,
                                 item_id="1", reason=why)
        else:
            answer = QuoteAnswer(ref=ref, state=QuoteState.FIRM, raw_state="approved.orderable", observed_at=now,
                                 item_id="1", price=Price(nrc=cap.nrc, mrc=cap.mrc, currency=cap.currency),
                                 term_months=req.term_months, lead_time_days=cap.lead_time_days,
                                 valid_until=now + self.quote_validity)
        self._quotes[ref.value] = answer
        return answer

    async def get_quote(self, ref: ExternalRef) -> QuoteAnswer:
        try:
            return self._quotes[ref.value]
        except KeyError:
            raise SupplierNotFound(self.provider_id, f"no quote {ref.value}", status=404) from None

    # ---- orders: our service orders ------------------------------------------------------------------------

    async def place_order(self, req: SegmentRequest) -> Observation:
        try:
            order = await services.create_service_order(self.uow_factory(), self.clock, requester=self.requester,
                                                        sof=self.sof, request=req)
        except Conflict:  # the same reference was being placed at the same moment: that order is the answer
            found = await services.find_service_order(self.uow_factory(), requester=self.requester,
                                                      external_id=req.our_ref)
            if found is None:
                raise SupplierUnavailable(self.provider_id, "service order creation raced; try again") from None
            order = found
        return observe(order, provider=self.provider_id, source=Source.COMMAND, at=self.clock.now())

    async def get_order(self, ref: ExternalRef) -> Observation:
        try:
            order = await services.get_service_order(self.uow_factory(), requester=self.requester, order_id=ref.value)
        except NotFound:
            raise SupplierNotFound(self.provider_id, f"no service order {ref.value}", status=404) from None
        return observe(order, provider=self.provider_id, source=Source.POLL, at=self.clock.now())

    async def find_order(self, our_ref: str) -> Observation | None:
        order = await services.find_service_order(self.uow_factory(), requester=self.requester, external_id=our_ref)
        if order is None:
            return None
        return observe(order, provider=self.provider_id, source=Source.RECOVERY, at=self.clock.now())

    async def cancel_order(self, ref: ExternalRef, *, our_ref: str, reason: str) -> CancellationAnswer:
        try:
            order = await services.cancel_service_order(self.uow_factory(), self.clock, requester=self.requester,
                                                        order_id=ref.value, reason=reason)
        except NotFound:
            raise SupplierNotFound(self.provider_id, f"no service order {ref.value}", status=404) from None
        except Conflict as exc:
            current = await services.get_service_order(self.uow_factory(), requester=self.requester,
                                                       order_id=ref.value)
            return CancellationAnswer(ref=ExternalRef(self.provider_id, ref.value, CANCEL_KIND),
                                      outcome=CancellationOutcome.REFUSED, raw_state=current.state.value,
                                      observed_at=self.clock.now(), reason=exc.reason)
        return cancellation(order, provider=self.provider_id, at=self.clock.now())

    async def get_cancellation(self, ref: ExternalRef) -> CancellationAnswer:
        try:
            order = await services.get_service_order(self.uow_factory(), requester=self.requester, order_id=ref.value)
        except NotFound:
            raise SupplierNotFound(self.provider_id, f"no service order {ref.value}", status=404) from None
        return cancellation(order, provider=self.provider_id, at=self.clock.now())

    # ---- incidents: our own network's maintenance is announced with `counterpoint incident announce` ----------

    async def get_incident(self, ref: ExternalRef) -> SupplierNotice:
        raise SupplierNotFound(self.provider_id, "our own network publishes no incidents to itself")

    async def list_incidents(self) -> list[SupplierNotice]:
        return []

    # ---- notifications: none, we poll ourselves ------------------------------------------------------------

    async def subscribe(self, callback_base_url: str) -> list[str]:
        return []

    def parse_callback(self, path: str, headers: dict[str, str], body: bytes) -> CallbackNote:
        raise CallbackRejected(self.provider_id, "our own network sends no callbacks; its orders are polled")

    async def aclose(self) -> None:
        return None


__all__ = ["SEGMENT_STATE", "OwnNetworkAdapter", "cancellation", "observe"]
