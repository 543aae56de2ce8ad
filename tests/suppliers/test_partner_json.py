"""The partner-json adapter against its emulator, over real HTTP (uvicorn on 127.0.0.1), faults included."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from counterpoint.core.orchestration.registry import ProviderConfig, RetryPolicy, TimeoutPolicy
from counterpoint.core.orchestration.supply import (
    CallbackRejected,
    CancellationOutcome,
    OutcomeUnknown,
    QualificationRequest,
    QualificationState,
    QuoteRequest,
    QuoteState,
    SegmentRequest,
    SegmentState,
    Source,
    SupplierNotFound,
    SupplierRejected,
    SupplierUnavailable,
)
from counterpoint.core.shared.clock import ManualClock
from counterpoint.core.shared.ids import ExternalRef
from counterpoint.emulators.partner_json import (
    CIRCUIT_STATUSES,
    SIGNATURE_HEADER,
    SPEED_TIERS,
    PartnerEmulator,
    create_app,
)
from counterpoint.suppliers.partner_json import mapping
from counterpoint.suppliers.partner_json.adapter import PartnerJsonAdapter
from counterpoint.suppliers.transport import Exchange
from tests.builders import ael_config
from tests.e2e.support import serving

KEY = "fernway-test-key"
SECRET = "whsec-0123456789abcdef"
PROVIDER = "fernway"
AEL = "urn:mef:lso:spec:sonata:access-eline-ovc:v5.0.0:all"
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
SITE = {"@type": "FieldedAddress", "streetNr": "1", "streetName": "Raffles", "streetType": "Place",
        "city": "Singapore", "postcode": "048616", "country": "SG", "role": "INSTALL_LOCATION"}
FRENCH_SITE = {"@type": "FieldedAddress", "streetNr": "5", "streetName": "de Rivoli", "streetType": "Rue",
               "city": "Paris", "country": "FR", "role": "INSTALL_LOCATION"}


# ---- servers ----------------------------------------------------------------------------------------------------


class Listener:
    """Our side of the webhooks: records every POST as (path, headers, raw body)."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, str], bytes]] = []
        self.url = ""

    async def _hook(self, request: Request) -> Response:
        self.received.append((request.url.path, dict(request.headers), await request.body()))
        return Response(status_code=204)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/hooks/fernway", self._hook, methods=["POST"])])


def provider(base_url: str, *, api_key: str = KEY, secret: str | None = SECRET) -> ProviderConfig:
    return ProviderConfig(id=PROVIDER, name="Fernway Fibre", adapter="partner-json", base_url=base_url,
                          api_key=api_key, callback_secret=secret,
                          retry=RetryPolicy(attempts=3, backoff_s=0.01, max_backoff_s=0.05),
                          timeout=TimeoutPolicy(connect_s=0.5, read_s=0.5))


# ---- fixtures -----------------------------------------------------------------------------------------------------


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def emulator(clock: ManualClock) -> PartnerEmulator:
    return PartnerEmulator(now=clock.now, api_key=KEY)


@pytest.fixture
async def partner_url(emulator: PartnerEmulator) -> AsyncIterator[str]:
    async with serving(create_app(emulator)) as url:
        try:
            yield url
        finally:
            emulator.release_hangs()


@pytest.fixture
def exchanges() -> list[Exchange]:
    return []


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
async def adapter(partner_url: str, clock: ManualClock, exchanges: list[Exchange],
                  sleeps: list[float]) -> AsyncIterator[PartnerJsonAdapter]:
    async def no_wait(seconds: float) -> None:
        sleeps.append(seconds)

    a = PartnerJsonAdapter(provider(partner_url), clock=clock, audit=exchanges.append, sleep=no_wait)
    yield a
    await a.aclose()


@pytest.fixture
async def listener() -> AsyncIterator[Listener]:
    hooks = Listener()
    async with serving(hooks.app()) as url:
        hooks.url = f"{url}/hooks/fernway"
        yield hooks


def segment(our_ref: str = "seg-1", *, action: str = "add", places: list[dict[str, Any]] | None = None,
            config: dict[str, Any] | None = None, **extra: Any) -> SegmentRequest:
    return SegmentRequest(our_ref=our_ref, correlation_id="corr-1", action=action, offering_id="fernway-ethernet",
                          spec_urn=AEL, configuration=config if config is not None else ael_config(80),
                          places=places if places is not None else [SITE], **extra)


def qualification(site: dict[str, Any] = SITE) -> QualificationRequest:
    return QualificationRequest(our_ref="poq-1", correlation_id="corr-q", offering_id="fernway-ethernet",
                                spec_urn=AEL, configuration=ael_config(80), places=[site])


def quote(term_months: int = 12, **extra: Any) -> QuoteRequest:
    return QuoteRequest(our_ref="q-1", correlation_id="corr-p", offering_id="fernway-ethernet", spec_urn=AEL,
                        configuration=ael_config(80), places=[SITE], term_months=term_months, **extra)


async def advance(clock: ManualClock, emulator: PartnerEmulator, delta: timedelta) -> int:
    clock.advance(delta)
    return await emulator.advance()


# ---- feasibility and prices -----------------------------------------------------------------------------------------


async def test_feasible_site_is_serviceable_with_install_days(adapter: PartnerJsonAdapter,
                                                              emulator: PartnerEmulator) -> None:
    answer = await adapter.qualify(qualification())

    assert (answer.state, answer.raw_state, answer.installation_days) == (QualificationState.SERVICEABLE,
                                                                        "FEASIBLE", 14)
    assert answer.ref.kind == "poq" and answer.ref.value.startswith("FZ-") and answer.observed_at == T0
    record = emulator.feasibility[answer.ref.value]
    assert record["speed_mbps"] == 100  # 80 Mb/s CIR in the MEF payload -> the 100 Mb/s tier
    assert record["site"] == {"line1": "1 Raffles Place", "line2": None, "town": "Singapore", "region": None,
                              "postcode": "048616", "country_code": "SG"}
    again = await adapter.get_qualification(answer.ref)
    assert (again.state, again.installation_days) == (QualificationState.SERVICEABLE, 14)


async def test_site_outside_coverage_is_not_serviceable(adapter: PartnerJsonAdapter) -> None:
    answer = await adapter.qualify(qualification(FRENCH_SITE))

    assert (answer.state, answer.raw_state, answer.reason) == (QualificationState.NOT_SERVICEABLE,
                                                             "NOT_FEASIBLE", "no coverage in FR")
    assert answer.installation_days is None


async def test_deferred_feasibility_is_pending_until_checked(adapter: PartnerJsonAdapter, emulator: PartnerEmulator,
                                                             clock: ManualClock) -> None:
    emulator.behaviour.feasibility_check = timedelta(hours=4)
    answer = await adapter.qualify(qualification())
    assert (answer.state, answer.raw_state) == (QualificationState.PENDING, "CHECKING")

    clock.advance(timedelta(hours=4))
    later = await adapter.get_qualification(answer.ref)
    assert (later.state, later.installation_days, later.observed_at) == (QualificationState.SERVICEABLE, 14,
                                                                         T0 + timedelta(hours=4))


async def test_price_is_firm_with_fees_and_validity(adapter: PartnerJsonAdapter) -> None:
    answer = await adapter.request_quote(quote(term_months=36))

    assert (answer.state, answer.raw_state) == (QuoteState.FIRM, "QUOTED")
    assert answer.price is not None
    assert (answer.price.nrc, answer.price.mrc, answer.price.currency) == (Decimal("950.00"), Decimal("119.00"),
                                                                           "GBP")  # (80 + 0.6 * 100) * 0.85
    assert (answer.term_months, answer.lead_time_days, answer.valid_until) == (36, 14, T0 + timedelta(days=30))
    assert answer.ref.kind == "quote" and answer.ref.value.startswith("PR-")


async def test_price_waits_for_a_survey_then_lapses(adapter: PartnerJsonAdapter, emulator: PartnerEmulator,
                                                    clock: ManualClock) -> None:
    emulator.behaviour.survey = 2 * DAY
    answer = await adapter.request_quote(quote())
    assert (answer.state, answer.raw_state, answer.price, answer.valid_until) == (QuoteState.PENDING,
                                                                                  "PENDING_SURVEY", None, None)
    clock.advance(2 * DAY)
    firm = await adapter.get_quote(answer.ref)
    assert (firm.state, firm.valid_until) == (QuoteState.FIRM, T0 + timedelta(days=32))
    assert firm.price is not None and firm.price.mrc == Decimal("140.00")

    clock.advance(31 * DAY)
    lapsed = await adapter.get_quote(answer.ref)
    assert (lapsed.state, lapsed.raw_state) == (QuoteState.EXPIRED, "LAPSED")


async def test_an_order_consumes_its_price(adapter: PartnerJsonAdapter, emulator: PartnerEmulator) -> None:
    priced = await adapter.request_quote(quote())
    obs = await adapter.place_order(segment(quote_ref=priced.ref))

    assert emulator.circuits[obs.ref.value].price_request_id == priced.ref.value
    used = await adapter.get_quote(priced.ref)
    assert (used.state, used.raw_state) == (QuoteState.ACCEPTED, "USED")
    with pytest.raises(SupplierRejected) as refused:
        await adapter.place_order(segment("seg-2", quote_ref=priced.ref))
    assert (refused.value.status, refused.value.code) == (409, "price_used")


# ---- orders -------------------------------------------------------------------------------------------------------


async def test_order_progresses_to_delivered_with_a_product_ref(adapter: PartnerJsonAdapter,
                                                                emulator: PartnerEmulator, clock: ManualClock) -> None:
    placed = await adapter.place_order(segment(requested_completion=T0 + 10 * DAY))

    assert (placed.state, placed.raw_state, placed.source) == (SegmentState.ACKNOWLEDGED, "RECEIVED", Source.COMMAND)
    assert (placed.our_ref, placed.as_of, placed.detail["revision"]) == ("seg-1", T0, 1)
    assert placed.ref == ExternalRef(PROVIDER, placed.ref.value) and placed.ref.value.startswith("CCT-")
    assert placed.expected_completion == datetime(2026, 1, 19, tzinfo=UTC)  # 14 install days beat the asked date
    circuit = emulator.circuits[placed.ref.value]
    assert (circuit.customer_ref, circuit.speed_mbps, circuit.ready_by.isoformat()) == ("seg-1", 100, "2026-01-15")

    seen = []
    for delta in (DAY, 2 * DAY, 11 * DAY):
        await advance(clock, emulator, delta)
        obs = await adapter.get_order(placed.ref)
        seen.append((obs.raw_state, obs.state, obs.detail["revision"], obs.as_of))
    assert seen == [("DESIGN", SegmentState.IN_DELIVERY, 2, T0 + DAY),
                    ("BUILD", SegmentState.IN_DELIVERY, 3, T0 + 3 * DAY),
                    ("READY_FOR_SERVICE", SegmentState.DELIVERED, 4, T0 + 14 * DAY)]
    delivered = await adapter.get_order(placed.ref)
    assert delivered.product_ref == ExternalRef(PROVIDER, "SVC-" + placed.ref.value.removeprefix("CCT-"), "product")
    assert (delivered.source, delivered.evidence) == (Source.POLL, f"{placed.ref.value}@r4")


async def test_find_order_by_our_reference(adapter: PartnerJsonAdapter) -> None:
    placed = await adapter.place_order(segment("seg-find"))
    await adapter.place_order(segment("seg-other"))

    found = await adapter.find_order("seg-find")
    assert found is not None
    assert (found.ref, found.source, found.our_ref, found.state) == (placed.ref, Source.RECOVERY, "seg-find",
                                                                     SegmentState.ACKNOWLEDGED)
    assert await adapter.find_order("never-sent") is None


async def test_order_outside_coverage_is_declined(adapter: PartnerJsonAdapter, emulator: PartnerEmulator,
                                                  clock: ManualClock) -> None:
    placed = await adapter.place_order(segment(places=[FRENCH_SITE]))
    assert placed.state is SegmentState.ACKNOWLEDGED

    await advance(clock, emulator, DAY)
    obs = await adapter.get_order(placed.ref)
    assert (obs.state, obs.raw_state, obs.reason) == (SegmentState.REJECTED, "DECLINED", "no coverage in FR")


async def test_hold_for_site_access_waits_for_us(adapter: PartnerJsonAdapter, emulator: PartnerEmulator,
                                                 clock: ManualClock) -> None:
    emulator.behaviour.hold_for = 2 * DAY
    placed = await adapter.place_order(segment())

    await advance(clock, emulator, 4 * DAY)
    held = await adapter.get_order(placed.ref)
    assert (held.state, held.raw_state) == (SegmentState.AWAITING_BUYER, "ON_HOLD_CUSTOMER")
    assert held.required_action == "site access: confirm an access window"
    assert held.expected_completion == datetime(2026, 1, 21, tzinfo=UTC)  # 14 days + the 2-day hold

    await advance(clock, emulator, 2 * DAY)
    resumed = await adapter.get_order(placed.ref)
    assert (resumed.state, resumed.raw_state, resumed.required_action) == (SegmentState.IN_DELIVERY, "BUILD", None)


async def test_cancel_accepted_then_cancelled(adapter: PartnerJsonAdapter, emulator: PartnerEmulator,
                                              clock: ManualClock) -> None:
    placed = await adapter.place_order(segment())

    answer = await adapter.cancel_order(placed.ref, our_ref="cancel-1", reason="customer withdrew")
    assert (answer.outcome, answer.raw_state, answer.ref) == (CancellationOutcome.ACCEPTED, "ACCEPTED", placed.ref)
    assert emulator.circuits[placed.ref.value].cancellation["cancel_ref"] == "cancel-1"
    cancelling = await adapter.get_order(placed.ref)
    assert (cancelling.state, cancelling.raw_state) == (SegmentState.CANCELLING, "CANCEL_PENDING")
    recorded = await adapter.get_cancellation(placed.ref)
    assert recorded.outcome is CancellationOutcome.ACCEPTED

    await advance(clock, emulator, DAY)
    done = await adapter.get_order(placed.ref)
    assert (done.state, done.raw_state, done.as_of) == (SegmentState.CANCELLED, "CANCELLED", T0 + DAY)


async def test_cancel_refused_with_a_reason(adapter: PartnerJsonAdapter, emulator: PartnerEmulator) -> None:
    placed = await adapter.place_order(segment())
    emulator.faults.refuse_cancellations = "civil works already started"

    answer = await adapter.cancel_order(placed.ref, our_ref="cancel-1", reason="customer withdrew")
    assert (answer.outcome, answer.raw_state, answer.reason) == (CancellationOutcome.REFUSED, "DENIED",
                                                                 "civil works already started")
    still = await adapter.get_order(placed.ref)
    assert (still.state, still.raw_state) == (SegmentState.ACKNOWLEDGED, "RECEIVED")
    recorded = await adapter.get_cancellation(placed.ref)
    assert (recorded.outcome, recorded.reason) == (CancellationOutcome.REFUSED, "civil works already started")


async def test_no_cancellation_asked_is_not_found(adapter: PartnerJsonAdapter) -> None:
    placed = await adapter.place_order(segment())
    with pytest.raises(SupplierNotFound) as missing:
        await adapter.get_cancellation(placed.ref)
    assert missing.value.code == "not_found"


async def _delivered(adapter: PartnerJsonAdapter, emulator: PartnerEmulator, clock: ManualClock) -> Any:
    placed = await adapter.place_order(segment())
    await advance(clock, emulator, 14 * DAY)
    live = await adapter.get_order(placed.ref)
    assert live.state is SegmentState.DELIVERED and live.product_ref is not None
    return live


async def test_modify_speed_of_a_live_circuit(adapter: PartnerJsonAdapter, emulator: PartnerEmulator,
                                              clock: ManualClock) -> None:
    live = await _delivered(adapter, emulator, clock)

    change = segment("chg-1", action="modify", product_ref=live.product_ref, bandwidth_mbps=400)
    obs = await adapter.place_order(change)
    assert (obs.state, obs.raw_state, obs.ref, obs.our_ref) == (SegmentState.IN_DELIVERY, "REGRADE_IN_PROGRESS",
                                                                live.ref, "chg-1")
    assert obs.detail["speed_mbps"] == 100  # applied when the regrade completes
    again = await adapter.place_order(change)  # the partner knows this change_ref: nothing new happens
    assert again.detail["revision"] == obs.detail["revision"]
    found = await adapter.find_order("chg-1")
    assert found is not None and found.ref == live.ref

    await advance(clock, emulator, 2 * DAY)
    done = await adapter.get_order(live.ref)
    assert (done.state, done.detail["speed_mbps"], done.product_ref) == (SegmentState.DELIVERED, 500,
                                                                         live.product_ref)  # 400 -> 500 tier
    assert emulator.circuits[live.ref.value].changes[0]["state"] == "DONE"


async def test_delete_ceases_a_live_circuit(adapter: PartnerJsonAdapter, emulator: PartnerEmulator,
                                            clock: ManualClock) -> None:
    live = await _delivered(adapter, emulator, clock)

    obs = await adapter.place_order(segment("cease-1", action="delete", product_ref=live.product_ref))
    assert (obs.state, obs.raw_state, obs.ref, obs.our_ref) == (SegmentState.CANCELLING, "CANCEL_PENDING",
                                                                live.ref, "cease-1")
    await advance(clock, emulator, DAY)
    assert (await adapter.get_order(live.ref)).state is SegmentState.CANCELLED


async def test_cease_denied_is_a_rejection(adapter: PartnerJsonAdapter, emulator: PartnerEmulator,
                                           clock: ManualClock) -> None:
    live = await _delivered(adapter, emulator, clock)
    emulator.faults.refuse_cancellations = "minimum term not served"

    with pytest.raises(SupplierRejected) as refused:
        await adapter.place_order(segment("cease-1", action="delete", product_ref=live.product_ref))
    assert refused.value.code == "cancel_denied" and "minimum term not served" in refused.value.reason


# ---- refusals -----------------------------------------------------------------------------------------------------


async def test_untranslatable_place_is_refused_before_sending(adapter: PartnerJsonAdapter,
                                                              emulator: PartnerEmulator) -> None:
    ref_only = [{"@type": "GeographicAddressRef", "id": "addr-1", "role": "INSTALL_LOCATION"}]
    with pytest.raises(SupplierRejected) as refused:
        await adapter.place_order(segment(places=ref_only))
    assert refused.value.code == "untranslatable" and "GeographicAddressRef" in refused.value.reason
    assert emulator.requests == []


async def test_partner_validation_errors_carry_their_fields(adapter: PartnerJsonAdapter) -> None:
    with pytest.raises(SupplierRejected) as refused:
        await adapter.place_order(segment(bandwidth_mbps=20_000))  # above every tier: passed on as it is
    assert (refused.value.status, refused.value.code) == (422, "validation")
    assert refused.value.problems[0]["field"] == "speed_mbps"


async def test_wrong_key_is_refused(partner_url: str, clock: ManualClock, emulator: PartnerEmulator) -> None:
    stranger = PartnerJsonAdapter(provider(partner_url, api_key="wrong"), clock=clock)
    try:
        with pytest.raises(SupplierRejected) as refused:
            await stranger.get_order(ExternalRef(PROVIDER, "CCT-000001"))
    finally:
        await stranger.aclose()
    assert (refused.value.status, refused.value.code) == (401, "unauthorised")
    assert len(emulator.requests) == 1


async def test_unknown_circuit_is_not_found(adapter: PartnerJsonAdapter) -> None:
    with pytest.raises(SupplierNotFound) as missing:
        await adapter.get_order(ExternalRef(PROVIDER, "CCT-999999"))
    assert (missing.value.status, missing.value.code) == (404, "not_found")


# ---- webhooks -----------------------------------------------------------------------------------------------------


async def test_webhooks_are_signed_and_carry_the_status(adapter: PartnerJsonAdapter, emulator: PartnerEmulator,
                                                        clock: ManualClock, listener: Listener) -> None:
    ids = await adapter.subscribe(listener.url)
    assert ids == ["WH-000001"] and emulator.webhooks["WH-000001"].secret == SECRET
    assert await adapter.subscribe(listener.url) == ids  # registering again updates, does not add

    placed = await adapter.place_order(segment())
    await advance(clock, emulator, DAY)

    notes = [adapter.parse_callback(path, headers, body) for path, headers, body in listener.received]
    assert [path for path, _, _ in listener.received] == ["/hooks/fernway"] * 2
    assert [(n.observation.state, n.observation.detail["revision"], n.event_time) for n in notes] == [
        (SegmentState.ACKNOWLEDGED, 1, T0), (SegmentState.IN_DELIVERY, 2, T0 + DAY)]
    first = notes[0]
    assert (first.provider, first.ref, first.event_type) == (PROVIDER, placed.ref, "circuit.status_changed")
    assert first.observation.evidence == first.event_id and first.event_id.startswith("evt_")
    assert (first.observation.source, first.observation.our_ref) == (Source.CALLBACK, "seg-1")


async def test_bad_or_missing_signature_is_rejected(adapter: PartnerJsonAdapter, emulator: PartnerEmulator,
                                                    listener: Listener, partner_url: str,
                                                    clock: ManualClock) -> None:
    await adapter.subscribe(listener.url)
    await adapter.place_order(segment())
    await emulator.advance()
    (path, headers, body), = listener.received
    assert adapter.parse_callback(path, headers, body).observation.raw_state == "RECEIVED"

    tampered = body.replace(b'"RECEIVED"', b'"READY_FOR_SERVICE"')
    with pytest.raises(CallbackRejected, match="bad webhook signature"):
        adapter.parse_callback(path, headers, tampered)
    unsigned = {k: v for k, v in headers.items() if k.lower() != SIGNATURE_HEADER.lower()}
    with pytest.raises(CallbackRejected, match="unsigned"):
        adapter.parse_callback(path, unsigned, body)
    other = PartnerJsonAdapter(provider(partner_url, secret="another-secret-entirely"), clock=clock)
    try:
        with pytest.raises(CallbackRejected, match="bad webhook signature"):
            other.parse_callback(path, headers, body)
    finally:
        await other.aclose()


async def test_duplicated_and_reordered_webhooks_keep_their_revisions(adapter: PartnerJsonAdapter,
                                                                      emulator: PartnerEmulator, clock: ManualClock,
                                                                      listener: Listener) -> None:
    await adapter.subscribe(listener.url)
    emulator.faults.duplicate_webhooks = True
    emulator.faults.reorder_webhooks = True
    await adapter.place_order(segment())
    await advance(clock, emulator, 3 * DAY)  # DESIGN and BUILD fall due

    notes = [adapter.parse_callback(p, h, b) for p, h, b in listener.received]
    assert [n.observation.detail["revision"] for n in notes] == [3, 3, 2, 2, 1, 1]
    assert [n.event_id for n in notes[::2]] == [n.event_id for n in notes[1::2]]
    assert len({n.event_id for n in notes}) == 3
    ordered = sorted({n.event_id: n for n in notes}.values(), key=lambda n: n.observation.as_of)
    assert [(n.observation.raw_state, n.observation.as_of) for n in ordered] == [
        ("RECEIVED", T0), ("DESIGN", T0 + DAY), ("BUILD", T0 + 3 * DAY)]


async def test_dropped_webhooks_never_arrive(adapter: PartnerJsonAdapter, emulator: PartnerEmulator,
                                             clock: ManualClock, listener: Listener) -> None:
    await adapter.subscribe(listener.url)
    emulator.faults.drop_webhooks = True
    placed = await adapter.place_order(segment())
    await advance(clock, emulator, DAY)

    assert listener.received == []
    assert [(d.status, d.dropped) for d in emulator.deliveries] == [("RECEIVED", True), ("DESIGN", True)]
    assert (await adapter.get_order(placed.ref)).raw_state == "DESIGN"


# ---- faults -------------------------------------------------------------------------------------------------------


async def test_503_burst_then_success(adapter: PartnerJsonAdapter, emulator: PartnerEmulator,
                                      exchanges: list[Exchange], sleeps: list[float]) -> None:
    emulator.faults.fail_next = 2
    obs = await adapter.place_order(segment())

    assert obs.state is SegmentState.ACKNOWLEDGED
    assert [(e.attempt, e.status, e.outcome) for e in exchanges] == [(1, 503, "retry"), (2, 503, "retry"),
                                                                     (3, 201, "answered")]
    assert all(e.idempotency_key == "seg-1" and e.correlation_id == "corr-1" for e in exchanges)
    assert len(sleeps) == 2 and all(0 <= s <= 0.05 for s in sleeps)
    assert [(s.method, s.path) for s in emulator.requests] == [("POST", "/api/v2/circuits")] * 3
    assert len(emulator.circuits) == 1


async def test_503_beyond_the_retries_is_unavailable_and_creates_nothing(adapter: PartnerJsonAdapter,
                                                                         emulator: PartnerEmulator) -> None:
    emulator.faults.fail_next = 3
    with pytest.raises(SupplierUnavailable) as unavailable:
        await adapter.place_order(segment())
    assert "after 3 attempt(s)" in unavailable.value.reason
    assert emulator.circuits == {} and emulator.faults.fail_next == 0


async def test_create_then_hang_is_unknown_and_recovery_finds_exactly_one(adapter: PartnerJsonAdapter,
                                                                          emulator: PartnerEmulator,
                                                                          exchanges: list[Exchange]) -> None:
    emulator.faults.hang_after_create = 1
    emulator.faults.hang_s = 3.0
    started = time.perf_counter()
    with pytest.raises(OutcomeUnknown):
        await adapter.place_order(segment("seg-hang"))
    assert time.perf_counter() - started < 2.0  # our 0.5 s read timeout, not the partner's 3 s
    assert [(e.attempt, e.outcome) for e in exchanges] == [(1, "unknown")]

    found = await adapter.find_order("seg-hang")
    assert found is not None and found.state is SegmentState.ACKNOWLEDGED
    assert [c.circuit_id for c in emulator.search(customer_ref="seg-hang", service_id=None, status=None)] == [
        found.ref.value]
    resent = await adapter.place_order(segment("seg-hang"))
    assert resent.ref == found.ref and len(emulator.circuits) == 1


async def test_500_after_create_is_unknown_then_found(adapter: PartnerJsonAdapter, emulator: PartnerEmulator,
                                                      exchanges: list[Exchange]) -> None:
    emulator.faults.error_after_create = 1
    with pytest.raises(OutcomeUnknown) as unknown:
        await adapter.place_order(segment("seg-500"))
    assert unknown.value.status == 500
    assert [(e.status, e.outcome) for e in exchanges] == [(500, "unknown")]  # a write's 500 is not retried

    found = await adapter.find_order("seg-500")
    assert found is not None and found.our_ref == "seg-500"
    assert list(emulator.circuits) == [found.ref.value]


async def test_placing_the_same_reference_twice_creates_one_circuit(adapter: PartnerJsonAdapter,
                                                                    emulator: PartnerEmulator,
                                                                    exchanges: list[Exchange]) -> None:
    first = await adapter.place_order(segment("seg-twice"))
    second = await adapter.place_order(segment("seg-twice"))

    assert second.ref == first.ref and len(emulator.circuits) == 1
    assert [e.status for e in exchanges] == [201, 200]


async def test_stuck_partner_never_progresses(adapter: PartnerJsonAdapter, emulator: PartnerEmulator,
                                              clock: ManualClock) -> None:
    emulator.faults.stuck = True
    placed = await adapter.place_order(segment())
    assert await advance(clock, emulator, 30 * DAY) == 0

    obs = await adapter.get_order(placed.ref)
    assert (obs.raw_state, obs.detail["revision"], obs.as_of) == ("RECEIVED", 1, T0)


async def test_failed_build_is_failed(adapter: PartnerJsonAdapter, emulator: PartnerEmulator,
                                      clock: ManualClock) -> None:
    emulator.faults.fail_builds = "duct blocked"
    placed = await adapter.place_order(segment())
    await advance(clock, emulator, 14 * DAY)

    obs = await adapter.get_order(placed.ref)
    assert (obs.state, obs.raw_state, obs.reason, obs.product_ref) == (SegmentState.FAILED, "FAILED",
                                                                       "duct blocked", None)


async def test_faults_are_set_through_the_admin_endpoint(partner_url: str, emulator: PartnerEmulator) -> None:
    async with httpx.AsyncClient(base_url=partner_url) as http:
        set_ = await http.post("/_admin/faults", json={"fail_next": 2, "refuse_cancellations": "no",
                                                       "hang_s": 1})
        bad = await http.post("/_admin/faults", json={"explode": True})
        assert (emulator.faults.fail_next, emulator.faults.refuse_cancellations, emulator.faults.hang_s) == (
            2, "no", 1.0)
        refused = await http.get("/api/v2/circuits", headers={"X-Api-Key": KEY})
        reset = await http.post("/_admin/faults", json={"reset": True})

    assert set_.status_code == 200 and set_.json()["fail_next"] == 2
    assert (bad.status_code, bad.json()["error"]["type"]) == (422, "validation")
    assert (refused.status_code, refused.json()["error"]["type"], refused.headers["retry-after"]) == (
        503, "unavailable", "1")
    assert reset.json()["fail_next"] == 0 and reset.json()["refuse_cancellations"] is None


async def test_background_ticker_moves_circuits_on(emulator: PartnerEmulator, clock: ManualClock) -> None:
    async with serving(create_app(emulator, tick_interval_s=0.02)) as url:
        live = PartnerJsonAdapter(provider(url), clock=clock)
        try:
            placed = await live.place_order(segment())
            clock.advance(DAY)
            state = placed.raw_state
            for _ in range(100):
                state = (await live.get_order(placed.ref)).raw_state
                if state != "RECEIVED":
                    break
                await asyncio.sleep(0.02)
        finally:
            await live.aclose()
    assert state == "DESIGN"


async def test_unreadable_answers_are_unknown_for_writes_and_unavailable_for_reads(clock: ManualClock) -> None:
    def partner(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(201, content=b"<html>created</html>")
        return httpx.Response(200, json={"status": "BUILD"})  # no circuit_id: not about anything we know

    async with httpx.AsyncClient(transport=httpx.MockTransport(partner)) as client:
        odd = PartnerJsonAdapter(provider("http://partner.test"), clock=clock, client=client)
        with pytest.raises(OutcomeUnknown, match="not JSON"):
            await odd.place_order(segment())
        with pytest.raises(SupplierUnavailable, match="unreadable answer: answer has no circuit_id"):
            await odd.get_order(ExternalRef(PROVIDER, "CCT-000001"))
        await odd.aclose()
        assert not client.is_closed  # the adapter closes only a client it made


# ---- mapping (no HTTP) ---------------------------------------------------------------------------------------------


def test_every_documented_status_is_mapped_and_tiers_agree() -> None:
    assert {s: mapping.segment_state(s) for s in CIRCUIT_STATUSES} == mapping.CIRCUIT_STATES
    assert SegmentState.UNRECOGNISED not in mapping.CIRCUIT_STATES.values()
    assert mapping.SPEED_TIERS == SPEED_TIERS


def test_unknown_words_are_recorded_never_raised() -> None:
    obs = mapping.observe_circuit({"circuit_id": "CCT-1", "status": "AWAITING_WAYLEAVE", "revision": 7},
                                  provider=PROVIDER, source=Source.POLL, observed_at=T0)
    assert (obs.state, obs.raw_state, obs.evidence) == (SegmentState.UNRECOGNISED, "AWAITING_WAYLEAVE", "CCT-1@r7")
    feas = mapping.qualification_answer({"feasibility_id": "FZ-1", "result": "MAYBE"}, provider=PROVIDER,
                                        observed_at=T0)
    assert (feas.state, feas.reason) == (QualificationState.FAILED, "unrecognised feasibility result 'MAYBE'")
    price = mapping.quote_answer({"price_request_id": "PR-1", "status": "HAGGLING", "setup_fee": "lots"},
                                 provider=PROVIDER, observed_at=T0)
    assert (price.state, price.price) == (QuoteState.UNABLE, None)
    assert mapping.cancellation_outcome("THINKING") is CancellationOutcome.PENDING
    with pytest.raises(mapping.MalformedAnswer):
        mapping.observe_circuit({"status": "BUILD"}, provider=PROVIDER, source=Source.POLL, observed_at=T0)


@pytest.mark.parametrize(("value", "expected"), [
    (1767603600000, T0),
    ("1767603600000", T0),
    ("2026-01-05 09:00:00", T0),
    ("2026-01-05 09:00:00 UTC", T0),
    ("2026-01-05T17:00:00+08:00", T0),
    ("2026-01-05T09:00:00Z", T0),
    ("2026-01-05", datetime(2026, 1, 5, tzinfo=UTC)),
    ("soon", None),
    (None, None),
    (True, None),
    (10**20, None),
])
def test_partner_times_become_aware_utc(value: Any, expected: datetime | None) -> None:
    at = mapping.to_utc(value)
    assert at == expected
    assert at is None or at.utcoffset() == timedelta(0)


async def test_callback_without_a_secret_is_rejected(clock: ManualClock) -> None:
    body = json.dumps({"event_id": "evt_1", "circuit_id": "CCT-1", "status": "BUILD"}).encode()
    blind = PartnerJsonAdapter(provider("http://127.0.0.1:9", secret=None), clock=clock)
    try:
        with pytest.raises(CallbackRejected, match="no callback secret"):
            blind.parse_callback("/hooks/fernway", {SIGNATURE_HEADER: "00"}, body)
        with pytest.raises(SupplierRejected) as refused:
            await blind.subscribe("http://127.0.0.1:9/hooks")
        assert refused.value.code == "no_callback_secret"
    finally:
        await blind.aclose()
