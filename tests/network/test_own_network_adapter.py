"""The own-network adapter as the orchestrator sees it: observations, idempotency, cancellation, pre-order."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from counterpoint.bootstrap import Container, build_own_network
from counterpoint.core.orchestration.supply import (
    CallbackRejected,
    CancellationOutcome,
    QualificationRequest,
    QualificationState,
    QuoteRequest,
    QuoteState,
    SegmentState,
    Source,
    SupplierNotFound,
)
from counterpoint.core.service_order.model import ServiceOrderState
from counterpoint.core.shared.clock import ManualClock
from counterpoint.core.shared.ids import ExternalRef
from counterpoint.network.controller import SimulatedNetworkController
from counterpoint.suppliers.own_network import OwnNetworkAdapter
from counterpoint.suppliers.own_network.adapter import SEGMENT_STATE
from counterpoint.workers.service_order import ServiceOrderWorker
from tests.network.conftest import AEL, BANGKOK, JAKARTA, SINGAPORE, provider_config, segment

T0 = "2026-01-05T09:00:00+00:00"


def test_every_legato_state_has_a_segment_state() -> None:
    assert set(SEGMENT_STATE) == set(ServiceOrderState)
    assert SEGMENT_STATE[ServiceOrderState.COMPLETED] is SegmentState.DELIVERED
    assert SEGMENT_STATE[ServiceOrderState.PENDING] is SegmentState.CANCELLING
    assert SEGMENT_STATE[ServiceOrderState.HELD] is SegmentState.IN_DELIVERY


async def test_observations_follow_the_service_order(adapter: OwnNetworkAdapter, worker: ServiceOrderWorker,
                                                     clock: ManualClock) -> None:
    placed = await adapter.place_order(segment())
    assert (placed.state, placed.raw_state, placed.source) == (SegmentState.ACKNOWLEDGED, "acknowledged",
                                                              Source.COMMAND)
    assert (placed.ref.provider, placed.ref.kind, placed.our_ref) == ("self", "serviceOrder", "seg-1")
    assert placed.as_of is not None and placed.as_of.isoformat() == T0
    assert placed.evidence == f"serviceOrder/{placed.ref.value}"
    assert placed.product_ref is None and placed.reason is None
    clock.advance(timedelta(minutes=1))
    await worker.run_once()
    clock.advance(timedelta(minutes=2))
    seen = await adapter.get_order(placed.ref)
    assert (seen.state, seen.raw_state, seen.source) == (SegmentState.IN_DELIVERY, "inProgress", Source.POLL)
    assert seen.observed_at == clock.now()
    assert seen.as_of == clock.now() - timedelta(minutes=2)  # when it went in progress, not when we looked
    conn = seen.detail["connectivityService"]
    assert (conn["lifecycleState"], conn["operationalState"], conn["capacityMbps"]) == ("PLANNED", "DISABLED", 300)
    assert seen.detail["serviceState"] == "reserved"
    clock.advance(timedelta(minutes=30))
    await worker.run_once()
    done = await adapter.get_order(placed.ref)
    assert (done.state, done.raw_state) == (SegmentState.DELIVERED, "completed")
    assert done.product_ref == ExternalRef("self", conn["uuid"], "connectivityService")
    assert done.as_of == clock.now()
    assert done.detail["serviceState"] == "active"


async def test_placing_the_same_reference_twice_returns_the_first_order(adapter: OwnNetworkAdapter,
                                                                        container: Container) -> None:
    first = await adapter.place_order(segment())
    again = await adapter.place_order(segment())
    assert again.ref == first.ref
    async with container.uow() as uow:
        _, total = await uow.service_orders.list("orchestrator")
    assert total == 1
    found = await adapter.find_order("seg-1")
    assert found is not None and (found.ref, found.source) == (first.ref, Source.RECOVERY)
    assert await adapter.find_order("never-sent") is None
    with pytest.raises(SupplierNotFound):
        await adapter.get_order(ExternalRef("self", "no-such-order", "serviceOrder"))


async def test_a_rejected_or_failed_order_carries_its_reason(adapter: OwnNetworkAdapter,
                                                             worker: ServiceOrderWorker) -> None:
    rejected = await adapter.place_order(segment("seg-r", bandwidth=None))
    assert (rejected.state, rejected.reason) == (SegmentState.REJECTED, "the segment needs a committed bandwidth "
                                                 "above zero (bandwidth_mbps or a CIR in the configuration)")
    placed = await adapter.place_order(segment("seg-f", places=(BANGKOK,)))
    await worker.run_once()
    failed = await adapter.get_order(placed.ref)
    assert (failed.state, failed.reason) == (
        SegmentState.FAILED, "place 0 (FieldedAddress Bangkok, TH): no service interface point of ours serves it")


async def test_cancellation_is_accepted_while_in_delivery_and_refused_once_delivered(
        adapter: OwnNetworkAdapter, worker: ServiceOrderWorker, clock: ManualClock) -> None:
    doomed = await adapter.place_order(segment("seg-c"))
    await worker.run_once()
    answer = await adapter.cancel_order(doomed.ref, our_ref="seg-c", reason="no longer needed")
    assert (answer.outcome, answer.raw_state, answer.reason) == (CancellationOutcome.ACCEPTED, "pending",
                                                                 "no longer needed")
    assert answer.ref == ExternalRef("self", doomed.ref.value, "cancelServiceOrder")
    assert (await adapter.get_order(doomed.ref)).state is SegmentState.CANCELLING
    again = await adapter.cancel_order(doomed.ref, our_ref="seg-c", reason="asked twice")
    assert again.outcome is CancellationOutcome.ACCEPTED
    await worker.run_once()
    clock.advance(timedelta(minutes=5))
    await worker.run_once()
    gone = await adapter.get_order(doomed.ref)
    assert (gone.state, gone.reason) == (SegmentState.CANCELLED, "no longer needed")
    assert (await adapter.get_cancellation(answer.ref)).raw_state == "cancelled"

    kept = await adapter.place_order(segment("seg-k", places=(SINGAPORE,)))
    await worker.run_once()
    clock.advance(timedelta(minutes=30))
    await worker.run_once()
    refused = await adapter.cancel_order(kept.ref, our_ref="seg-k", reason="too late")
    assert (refused.outcome, refused.raw_state) == (CancellationOutcome.REFUSED, "completed")
    assert refused.reason == f"service order {kept.ref.value} is completed: it can no longer be cancelled"
    assert (await adapter.get_cancellation(kept.ref)).outcome is CancellationOutcome.REFUSED
    with pytest.raises(SupplierNotFound):
        await adapter.cancel_order(ExternalRef("self", "nope", "serviceOrder"), our_ref="x", reason="y")


async def test_qualification_and_quotes_answer_from_the_capabilities(adapter: OwnNetworkAdapter) -> None:
    def poq(places: list, bandwidth: int = 500, offering: str = "own-ael") -> QualificationRequest:  # type: ignore[type-arg]
        return QualificationRequest(our_ref="q-1", correlation_id="c", offering_id=offering, spec_urn=AEL,
                                    configuration={}, places=places, bandwidth_mbps=bandwidth)

    yes = await adapter.qualify(poq([JAKARTA, SINGAPORE]))
    assert (yes.state, yes.installation_days, yes.reason) == (QualificationState.SERVICEABLE, 5, None)
    assert await adapter.get_qualification(yes.ref) == yes
    site = await adapter.qualify(poq([{"@type": "GeographicSiteRef", "id": "SITE-SG-1"}]))
    assert site.state is QualificationState.SERVICEABLE  # known through the controller's inventory
    unknown_site = await adapter.qualify(poq([{"@type": "GeographicSiteRef", "id": "SITE-XX"}]))
    assert unknown_site.reason == "no service interface point of ours serves GeographicSiteRef SITE-XX"
    no = await adapter.qualify(poq([BANGKOK]))
    assert (no.state, no.reason) == (QualificationState.NOT_SERVICEABLE, "self does not cover Bangkok at 500 Mb/s")
    assert (await adapter.qualify(poq([JAKARTA], bandwidth=5000))).state is QualificationState.NOT_SERVICEABLE
    assert (await adapter.qualify(poq([JAKARTA], offering="x"))).reason == "self has no offering x"

    quote = await adapter.request_quote(QuoteRequest(our_ref="qt-1", correlation_id="c", offering_id="own-ael",
                                                     spec_urn=AEL, configuration={}, places=[JAKARTA],
                                                     term_months=36, bandwidth_mbps=500))
    assert (quote.state, quote.term_months, quote.lead_time_days) == (QuoteState.FIRM, 36, 5)
    assert quote.price is not None
    assert (quote.price.nrc, quote.price.mrc, quote.price.currency) == (Decimal("500"), Decimal("300"), "USD")
    assert quote.valid_until == quote.observed_at + timedelta(days=30)
    assert await adapter.get_quote(quote.ref) == quote
    unable = await adapter.request_quote(QuoteRequest(our_ref="qt-2", correlation_id="c", offering_id="own-ael",
                                                      spec_urn=AEL, configuration={}, places=[BANGKOK]))
    assert (unable.state, unable.price) == (QuoteState.UNABLE, None)
    with pytest.raises(SupplierNotFound):
        await adapter.get_quote(ExternalRef("self", "quote-nope", "quote"))


async def test_no_callbacks_we_poll_ourselves(adapter: OwnNetworkAdapter) -> None:
    assert await adapter.subscribe("http://us.test") == []
    with pytest.raises(CallbackRejected) as exc:
        adapter.parse_callback("/listener/x", {}, b"{}")
    assert exc.value.reason == "our own network sends no callbacks; its orders are polled"
    assert await adapter.aclose() is None


async def test_the_adapter_is_built_from_the_provider_options(container: Container, clock: ManualClock) -> None:
    config = provider_config(service_orders={"poll_interval_s": 60, "operational_timeout_s": 3600, "held_after": 5})
    built = build_own_network(config, uow_factory=container.uow, clock=clock)
    assert isinstance(built.controller, SimulatedNetworkController)
    assert [s.uuid for s in built.controller.config.sips] == ["sip:jkt-acc-1", "sip:jkt-hub", "sip:sgp-hub",
                                                               "sip:sgp-acc-1"]
    assert built.controller.config.provisioning_delay == timedelta(minutes=30)
    assert (built.policy.poll_interval, built.policy.operational_timeout, built.policy.held_after) == (
        timedelta(minutes=1), timedelta(hours=1), 5)
    assert (built.provider_id, built.requester, built.sof) == ("self", "orchestrator", "self")
