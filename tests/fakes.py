"""Fakes of the ports, for tests of the core and the orchestrator (the e2e tests use real servers instead)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from counterpoint.core.orchestration.registry import Capability, ProviderConfig
from counterpoint.core.orchestration.supply import (
    CallbackNote,
    CallbackRejected,
    CancellationAnswer,
    CancellationOutcome,
    Observation,
    OutcomeUnknown,
    SegmentRequest,
    SegmentState,
    Source,
    SupplierNotFound,
    SupplierRejected,
    SupplierUnavailable,
)
from counterpoint.core.shared.clock import Clock
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
    unreachable_reads: bool = False
    calls: list[str] = field(default_factory=list)
    _ids: Any = field(default_factory=lambda: itertools.count(1))

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
        order.state, order.as_of = SegmentState.CANCELLED, self.clock.now()
        return CancellationAnswer(ref, CancellationOutcome.ACCEPTED, "done", self.clock.now())

    async def get_cancellation(self, ref: ExternalRef) -> CancellationAnswer:
        raise NotImplementedError

    async def subscribe(self, callback_base_url: str) -> list[str]:
        self.calls.append(f"subscribe {callback_base_url}")
        return [f"{self.provider_id}-listener-{next(self._ids)}"]

    def parse_callback(self, path: str, headers: dict[str, str], body: bytes) -> CallbackNote:
        raise CallbackRejected(self.provider_id, "the fake does not call back")

    async def aclose(self) -> None:
        return None

    # --- the supplier's own progress, driven by the test --------------------------------------------------
    def only_order(self) -> FakeOrder:
        assert len(self.orders) == 1, f"{self.provider_id} holds {len(self.orders)} orders"
        return next(iter(self.orders.values()))

    def move(self, state: SegmentState, *, expected: datetime | None = None, product: str | None = None,
             required_action: str | None = None) -> None:
        order = self.only_order()
        order.state, order.as_of = state, self.clock.now()
        order.required_action = required_action
        if expected is not None:
            order.expected = expected
        if product is not None:
            order.product = product


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
