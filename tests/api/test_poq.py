"""MEF 87 product offering qualification through the ASGI app (Sonata and Cantata)."""

from __future__ import annotations

import copy
import dataclasses
from datetime import timedelta
from typing import Any

import httpx
import pytest

from counterpoint.bootstrap import Container
from counterpoint.core.inventory.model import Product, ProductStatus
from counterpoint.core.seller.model import Match, Scenario, ValidationPolicy
from counterpoint.core.shared.clock import ManualClock
from counterpoint.notifications.relay import OutboxRelay
from counterpoint.workers.serviceability import ServiceabilityWorker
from tests.helpers import BUYER_A, BUYER_B, ListenerRecorder, assert_mef_event, assert_mef_response
from tests.unit.serviceability.payloads import (
    CANTATA_POQ_BASE,
    POQ_BASE,
    ael,
    buyer_contact,
    internet,
    item,
    later,
    poq,
    site_ref,
    uni,
)

COLLECTION, ONE = "/productOfferingQualification", "/productOfferingQualification/{id}"


async def create(
    client: httpx.AsyncClient,
    body: dict[str, Any],
    *,
    headers: dict[str, str] = BUYER_A,
    base: str = POQ_BASE,
    status: int = 201,
) -> Any:
    r = await client.post(f"{base}{COLLECTION}", headers=headers, json=body)
    assert r.status_code == status, r.text
    return assert_mef_response(r, "poq", COLLECTION, "post", base.split("/")[2])


async def fetch(
    client: httpx.AsyncClient, poq_id: str, *, headers: dict[str, str] = BUYER_A, base: str = POQ_BASE
) -> Any:
    r = await client.get(f"{base}{COLLECTION}/{poq_id}", headers=headers)
    assert r.status_code == 200, r.text
    return assert_mef_response(r, "poq", ONE, "get", base.split("/")[2])


async def listen(client: httpx.AsyncClient, base: str = POQ_BASE, headers: dict[str, str] = BUYER_A) -> None:
    r = await client.post(f"{base}/hub", headers=headers, json={"callback": "https://buyer.example/hook"})
    assert r.status_code == 201


def events(recorder: ListenerRecorder, channel: str = "sonata") -> list[tuple[str, str | None]]:
    out = []
    for d in recorder.received:
        assert_mef_event(d.body, "poqNotification", d.body["eventType"], channel)
        out.append((d.body["eventType"], d.body["event"].get("poqItemId")))
    return out


def items(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {i["id"]: i for i in doc["productOfferingQualificationItem"]}


# --- immediate answers -------------------------------------------------------------------------------------


async def test_immediate_answer_is_final_and_only_notifies_creation(
    client: httpx.AsyncClient, relay: OutboxRelay, recorder: ListenerRecorder
) -> None:
    await listen(client)
    body = poq(
        item("uni", offering="uni-sg", config=uni()),
        item(
            "ael",
            offering="ael-sg",
            config=ael(500),
            place=None,
            qualificationItemRelationship=[{"id": "uni", "relationshipType": "CONNECTS_TO_UNI"}],
        ),
        externalId="BUY-1",
        projectId="p-7",
    )
    doc = await create(client, body)
    assert doc["state"] == "done.ready"
    assert [c["state"] for c in doc["stateChange"]] == ["done.ready"]
    assert doc["effectiveQualificationDate"] == "2026-01-05T09:00:00Z"
    assert doc["href"] == f"http://seller.test{POQ_BASE}{COLLECTION}/{doc['id']}"
    assert "expectedPOQCompletionDate" not in doc
    by_id = items(doc)
    assert (by_id["uni"]["state"], by_id["uni"]["serviceabilityConfidence"]) == ("done.ready", "green")
    assert by_id["uni"]["installationInterval"] == {"amount": 15, "units": "calendarDays"}
    assert by_id["ael"]["installationInterval"] == {"amount": 20, "units": "calendarDays"}
    # what the Buyer sent comes back unchanged; the Seller adds its own contact
    assert by_id["ael"]["product"] == body["productOfferingQualificationItem"][1]["product"]
    assert (doc["externalId"], doc["projectId"]) == ("BUY-1", "p-7")
    roles = [c["role"] for c in doc["relatedContactInformation"]]
    assert roles == ["buyerContactInformation", "sellerContactInformation"]
    assert await fetch(client, doc["id"]) == doc
    await relay.drain()
    assert events(recorder) == [("poqCreateEvent", None)]
    assert recorder.received[0].url.endswith(
        "/mefApi/sonata/productOfferingQualificationNotification/v7/listener/poqCreateEvent"
    )
    assert recorder.received[0].body["event"]["id"] == doc["id"]


async def test_an_unresolvable_item_terminates_the_poq_and_abandons_the_rest(
    client: httpx.AsyncClient,
) -> None:
    doc = await create(
        client,
        poq(
            item("good"),
            item(
                "bad",
                place={"@type": "GeographicAddressRef", "id": "addr-atlantis", "role": "INSTALL_LOCATION"},
            ),
        ),
    )
    assert doc["state"] == "terminatedWithError"
    bad, good = items(doc)["bad"], items(doc)["good"]
    assert bad["state"] == "terminatedWithError"
    assert bad["terminationError"] == [
        {
            "code": "referenceNotFound",
            "propertyPath": "/productOfferingQualificationItem/1/product/place/0/id",
            "value": "geographic address addr-atlantis is not known to the Seller",
        }
    ]
    assert good["state"] == "done.abandoned"
    for it in (bad, good):
        assert not {
            "serviceabilityConfidence",
            "installationInterval",
            "alternateProductOfferingProposal",
        } & set(it)


async def test_red_answers_with_reasons_and_alternates(client: httpx.AsyncClient) -> None:
    doc = await create(
        client,
        poq(
            item("big", offering="dia-sg", config=internet(max_mbps=5000)),
            item(
                "far",
                offering="dia-sg",
                config=internet(),
                place={
                    "@type": "GeographicAddressRef",
                    "id": "addr-jkt-sudirman",
                    "role": "INSTALL_LOCATION",
                },
            ),
            alternatives=True,
        ),
    )
    big, far = items(doc)["big"], items(doc)["far"]
    assert doc["state"] == "done.ready"  # a negative answer is still an answer
    assert (big["serviceabilityConfidence"], far["serviceabilityConfidence"]) == ("red", "red")
    assert "5000 Mbps exceeds" in big["serviceabilityConfidenceReason"]
    (alt,) = big["alternateProductOfferingProposal"]
    assert alt["id"] == "alternate-1" and alt["alternateProduct"]["productOffering"] == {"id": "dia-sg"}
    assert "outside the coverage" in far["serviceabilityConfidenceReason"]
    assert "alternateProductOfferingProposal" not in far and "installationInterval" not in far


async def test_written_addresses_and_sites_as_places(client: httpx.AsyncClient) -> None:
    written = {
        "@type": "FormattedAddress",
        "addrLine1": "2 Changi Business Park Cres",
        "city": "Singapore",
        "country": "SG",
        "role": "INSTALL_LOCATION",
    }
    unknown = {
        "@type": "FieldedAddress",
        "streetNr": "9",
        "streetName": "Tampines",
        "streetType": "Ave",
        "city": "Singapore",
        "country": "SG",
        "role": "INSTALL_LOCATION",
    }
    doc = await create(
        client,
        poq(
            item("known", place=written),
            item("unknown", place=unknown),
            item("site", place=site_ref("site-sg-changi-dc")),
        ),
    )
    by_id = items(doc)
    assert by_id["known"]["serviceabilityConfidence"] == "green"
    assert by_id["unknown"]["serviceabilityConfidence"] == "yellow"
    assert by_id["unknown"]["installationInterval"]["amount"] == 15
    assert by_id["site"]["serviceabilityConfidence"] == "green"
    # another buyer's private site is not a place this buyer can use
    doc = await create(client, poq(item(place=site_ref("site-sg-jurong-hq"))), headers=BUYER_B)
    assert items(doc)["1"]["terminationError"][0]["code"] == "referenceNotFound"


async def test_immediate_answer_impossible_when_a_manual_check_is_needed(
    client: httpx.AsyncClient, clock: ManualClock
) -> None:
    jurong = item(place={"@type": "GeographicAddressRef", "id": "addr-sg-jurong", "role": "INSTALL_LOCATION"})
    r = await client.post(f"{POQ_BASE}{COLLECTION}", headers=BUYER_A, json=poq(jurong))
    assert r.status_code == 422
    (problem,) = assert_mef_response(r, "poq", COLLECTION, "post")
    assert (problem["code"], problem["propertyPath"]) == ("otherIssue", "/instantSyncQualification")
    r = await client.get(f"{POQ_BASE}{COLLECTION}", headers=BUYER_A)
    assert r.json() == []  # nothing was stored
    doc = await create(client, poq(jurong, instant=False, requested=later(clock.now(), 3)))
    assert doc["state"] == "acknowledged"


# --- deferred answers --------------------------------------------------------------------------------------


async def test_deferred_answer_goes_through_the_worker(
    client: httpx.AsyncClient,
    container: Container,
    clock: ManualClock,
    relay: OutboxRelay,
    recorder: ListenerRecorder,
) -> None:
    await listen(client)
    worker = ServiceabilityWorker(container)
    doc = await create(
        client,
        poq(item("1"), item("2", config=uni("10GBASE_LR")), instant=False, requested=later(clock.now(), 5)),
    )
    assert doc["state"] == "acknowledged"
    assert {i["state"] for i in doc["productOfferingQualificationItem"]} == {"acknowledged"}
    assert doc["expectedPOQCompletionDate"] == "2026-01-06T09:00:00Z"  # poqDeferredDays: 1
    assert "serviceabilityConfidence" not in items(doc)["1"]

    assert await worker.run_once() == 1
    assert await worker.run_once() == 0  # nothing more until the answer is due
    started = await fetch(client, doc["id"])
    assert started["state"] == "inProgress"
    assert {i["state"] for i in started["productOfferingQualificationItem"]} == {"inProgress"}

    clock.advance(timedelta(hours=23))
    assert await worker.run_once() == 0
    clock.advance(timedelta(hours=1))
    assert await worker.run_once() == 1
    done = await fetch(client, doc["id"])
    assert done["state"] == "done.ready"
    assert [c["state"] for c in done["stateChange"]] == ["acknowledged", "inProgress", "done.ready"]
    assert [c["state"] for c in items(done)["2"]["stateChange"]] == [
        "acknowledged",
        "inProgress",
        "done.ready",
    ]
    assert items(done)["2"]["serviceabilityConfidence"] == "green"
    assert done["effectiveQualificationDate"] == "2026-01-06T09:00:00Z"
    assert await worker.run_once() == 0

    await relay.drain()
    assert events(recorder) == [
        ("poqCreateEvent", None),
        ("poqItemStateChangeEvent", "1"),
        ("poqItemStateChangeEvent", "2"),
        ("poqStateChangeEvent", None),
        ("poqItemStateChangeEvent", "1"),
        ("poqItemStateChangeEvent", "2"),
        ("poqStateChangeEvent", None),
    ]


async def test_deferred_answer_that_cannot_meet_the_deadline_is_unable_to_provide(
    client: httpx.AsyncClient, container: Container, clock: ManualClock
) -> None:
    worker = ServiceabilityWorker(container)
    doc = await create(client, poq(item(), instant=False, requested=later(clock.now(), 0.5)))
    await worker.run_once()
    clock.advance(timedelta(hours=12))
    assert await worker.run_once() == 1
    done = await fetch(client, doc["id"])
    assert done["state"] == "done.unableToProvide"
    assert items(done)["1"]["state"] == "done.abandoned"
    assert "requested date" in done["stateChange"][-1]["changeReason"]
    clock.advance(timedelta(days=2))
    assert await worker.run_once() == 0


async def test_deferred_item_that_cannot_be_resolved_terminates_when_answered(
    client: httpx.AsyncClient, container: Container, clock: ManualClock
) -> None:
    worker = ServiceabilityWorker(container)
    doc = await create(
        client,
        poq(
            item("1", offering="no-such-offering"), item("2"), instant=False, requested=later(clock.now(), 3)
        ),
    )
    await worker.run_once()
    clock.advance(timedelta(days=1))
    await worker.run_once()
    done = await fetch(client, doc["id"])
    assert done["state"] == "terminatedWithError"
    assert (items(done)["1"]["state"], items(done)["2"]["state"]) == ("terminatedWithError", "done.abandoned")
    assert (
        items(done)["1"]["terminationError"][0]["propertyPath"]
        == "/productOfferingQualificationItem/0/product/productOffering/id"
    )


# --- refusals ---------------------------------------------------------------------------------------------


def _without(body: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != key}


@pytest.mark.parametrize(
    ("body", "code", "path"),
    [
        (
            {**poq(), "relatedContactInformation": [{**buyer_contact(), "role": "technical"}]},
            "missingProperty",
            "/relatedContactInformation",
        ),
        (poq(instant=False), "missingProperty", "/requestedPOQCompletionDate"),
        (poq(requested_at_past=True), "invalidValue", "/requestedPOQCompletionDate"),
        (poq(item("1"), item("1")), "invalidValue", "/productOfferingQualificationItem/1/id"),
        (
            poq({**item(), "product": {**item()["product"], "id": "prod-9"}}),
            "unexpectedProperty",
            "/productOfferingQualificationItem/0/product/id",
        ),
        (
            poq({**item(), "product": {**item()["product"], "productSpecification": {"id": "urn:x"}}}),
            "invalidValue",
            "/productOfferingQualificationItem/0/product/productSpecification",
        ),
        (
            poq({**item(), "product": _without(item()["product"], "productConfiguration")}),
            "missingProperty",
            "/productOfferingQualificationItem/0/product/productConfiguration",
        ),
        (
            poq({"id": "1", "action": "modify", "product": {"productConfiguration": uni()}}),
            "missingProperty",
            "/productOfferingQualificationItem/0/product/id",
        ),
        (
            poq({"id": "1", "action": "delete", "product": {"id": "p", "productConfiguration": uni()}}),
            "unexpectedProperty",
            "/productOfferingQualificationItem/0/product/productConfiguration",
        ),
        (
            poq(item(qualificationItemRelationship=[{"id": "ghost", "relationshipType": "RELIES_ON"}])),
            "referenceNotFound",
            "/productOfferingQualificationItem/0/qualificationItemRelationship/0/id",
        ),
        (
            poq(
                item(
                    place={
                        "@type": "FieldedAddress",
                        "city": "Singapore",
                        "country": "SG",
                        "role": "INSTALL_LOCATION",
                    }
                )
            ),
            "missingProperty",
            "/productOfferingQualificationItem/0/product/place/0/streetName",
        ),
        (_without(poq(), "relatedContactInformation"), "missingProperty", "/relatedContactInformation"),
        (poq(item(action="upgrade")), "invalidValue", "/productOfferingQualificationItem/0/action"),
    ],
)
async def test_requests_breaking_mef_rules_are_422(
    client: httpx.AsyncClient, clock: ManualClock, body: dict[str, Any], code: str, path: str
) -> None:
    body = copy.deepcopy(body)  # the parameters are shared by the SQLite and PostgreSQL runs
    if body.pop("requested_at_past", False):
        body["requestedPOQCompletionDate"] = "2025-12-31T00:00:00Z"
    r = await client.post(f"{POQ_BASE}{COLLECTION}", headers=BUYER_A, json=body)
    assert r.status_code == 422, r.text
    problems = assert_mef_response(r, "poq", COLLECTION, "post")
    assert (code, path) in {(p["code"], p.get("propertyPath")) for p in problems}, problems


async def test_malformed_body_is_400(client: httpx.AsyncClient) -> None:
    r = await client.post(
        f"{POQ_BASE}{COLLECTION}", headers={**BUYER_A, "Content-Type": "application/json"}, content=b"[1, 2"
    )
    assert r.status_code == 400
    assert assert_mef_response(r, "poq", COLLECTION, "post")["code"] == "invalidBody"


async def test_strict_policy_refuses_bad_product_payloads_naming_each_path(client: httpx.AsyncClient) -> None:
    bad = ael()
    bad["uniEp"]["identifier"] = 42
    bad["maximumFrameSize"] = 9
    r = await client.post(
        f"{POQ_BASE}{COLLECTION}",
        headers=BUYER_A,
        json=poq(item("ok"), item("bad", offering="ael-sg", config=bad)),
    )
    assert r.status_code == 422
    paths = {p["propertyPath"] for p in assert_mef_response(r, "poq", COLLECTION, "post")}
    base = "/productOfferingQualificationItem/1/product/productConfiguration"
    assert paths == {f"{base}/uniEp/identifier", f"{base}/maximumFrameSize"}


class TestLenientSeller:
    @pytest.fixture
    def profile(self, profile):  # type: ignore[no-untyped-def]
        return dataclasses.replace(profile, validation=ValidationPolicy.LENIENT)

    async def test_bad_product_payload_is_accepted_and_the_warnings_kept(
        self, client: httpx.AsyncClient, container: Container
    ) -> None:
        bad = ael(300)
        bad["uniEp"]["identifier"] = 42
        doc = await create(client, poq(item("1", offering="ael-sg", config=bad, place=True)))
        assert doc["state"] == "done.ready"
        assert items(doc)["1"]["product"]["productConfiguration"]["uniEp"]["identifier"] == 42  # kept as sent
        async with container.uow() as uow:
            stored = await uow.poqs.get("buyer-a", doc["id"])
        assert stored.warnings == [
            {
                "path": "/productOfferingQualificationItem/0/product/productConfiguration/uniEp/identifier",
                "code": "invalidValue",
                "reason": "42 is not of type 'string'",
            }
        ]

    async def test_envelope_rules_still_apply(self, client: httpx.AsyncClient) -> None:
        r = await client.post(f"{POQ_BASE}{COLLECTION}", headers=BUYER_A, json=poq(instant=False))
        assert r.status_code == 422


class TestUnserviceableScenario:
    @pytest.fixture
    def profile(self, profile):  # type: ignore[no-untyped-def]
        return dataclasses.replace(
            profile,
            scenarios=(
                *profile.scenarios,
                Scenario(
                    name="changi riser full",
                    match=Match(address_id="addr-sg-changi"),
                    poq_unserviceable="The building riser has no free duct",
                ),
            ),
        )

    async def test_scenario_forces_a_negative_answer(self, client: httpx.AsyncClient) -> None:
        doc = await create(client, poq(item(place=site_ref("site-sg-changi-dc")), alternatives=True))
        answer = items(doc)["1"]
        assert (answer["state"], answer["serviceabilityConfidence"]) == ("done.ready", "red")
        assert answer["serviceabilityConfidenceReason"] == "The building riser has no free duct"


# --- changes to products the Buyer has --------------------------------------------------------------------


async def test_modify_and_delete_qualify_products_in_the_buyers_inventory(
    client: httpx.AsyncClient, container: Container, clock: ManualClock
) -> None:
    async with container.uow() as uow:
        await uow.products.add(
            Product(
                id="prod-1",
                buyer_id="buyer-a",
                seller_id="lion-city-metro",
                channel="sonata",
                created_at=clock.now(),
                updated_at=clock.now(),
                status=ProductStatus.ACTIVE,
                doc={
                    "id": "prod-1",
                    "status": "active",
                    "productOffering": {"id": "uni-sg"},
                    "relatedSite": [{"id": "site-sg-raffles-mmr", "role": "INSTALL_LOCATION"}],
                },
            )
        )
        await uow.commit()
    body = poq(
        {
            "id": "up",
            "action": "modify",
            "product": {"id": "prod-1", "productConfiguration": uni("10GBASE_LR")},
        },
        {"id": "off", "action": "delete", "product": {"id": "prod-1"}},
    )
    doc = await create(client, body)
    assert doc["state"] == "done.ready"
    assert items(doc)["up"]["serviceabilityConfidence"] == "green"
    assert items(doc)["off"]["serviceabilityConfidence"] == "green"
    # the product is buyer A's: for buyer B it does not exist
    doc = await create(client, body, headers=BUYER_B)
    assert doc["state"] == "terminatedWithError"
    assert (
        items(doc)["up"]["terminationError"][0]["propertyPath"]
        == "/productOfferingQualificationItem/0/product/id"
    )


# --- reading back ------------------------------------------------------------------------------------------


async def test_poqs_are_private_to_their_buyer(client: httpx.AsyncClient) -> None:
    doc = await create(client, poq())
    r = await client.get(f"{POQ_BASE}{COLLECTION}/{doc['id']}", headers=BUYER_B)
    assert r.status_code == 404
    assert assert_mef_response(r, "poq", ONE, "get")["code"] == "notFound"
    r = await client.get(f"{POQ_BASE}{COLLECTION}", headers=BUYER_B)
    assert assert_mef_response(r, "poq", COLLECTION, "get") == []
    assert r.headers["X-Total-Count"] == "0"
    r = await client.get(f"{POQ_BASE}{COLLECTION}/no-such-poq", headers=BUYER_A)
    assert r.status_code == 404
    assert_mef_response(r, "poq", ONE, "get")


async def test_list_filters_and_pages(client: httpx.AsyncClient, clock: ManualClock) -> None:
    instant = await create(client, poq(projectId="alpha", externalId="E-1"))
    clock.advance(timedelta(minutes=1))
    soon = await create(client, poq(instant=False, requested=later(clock.now(), 2), projectId="alpha"))
    clock.advance(timedelta(minutes=1))
    late = await create(client, poq(instant=False, requested=later(clock.now(), 10), projectId="beta"))

    async def ids(query: str, expected_total: int | None = None) -> list[str]:
        r = await client.get(f"{POQ_BASE}{COLLECTION}{query}", headers=BUYER_A)
        assert r.status_code == 200, r.text
        body = assert_mef_response(r, "poq", COLLECTION, "get")
        assert r.headers["X-Result-Count"] == str(len(body))
        if expected_total is not None:
            assert r.headers["X-Total-Count"] == str(expected_total)
        return [p["id"] for p in body]

    assert await ids("", 3) == [late["id"], soon["id"], instant["id"]]  # newest first
    assert await ids("?state=acknowledged") == [late["id"], soon["id"]]
    assert await ids("?state=done.ready") == [instant["id"]]
    assert await ids("?projectId=alpha") == [soon["id"], instant["id"]]
    assert await ids("?externalId=E-1") == [instant["id"]]
    assert await ids("?requestedPOQCompletionDate.gt=2026-01-10T00:00:00Z") == [late["id"]]
    assert await ids("?requestedPOQCompletionDate.lt=2026-01-10T00:00:00%2B08:00") == [soon["id"]]
    assert await ids("?offset=1&limit=1", 3) == [soon["id"]]
    assert await ids("?offset=5", 3) == []
    r = await client.get(f"{POQ_BASE}{COLLECTION}?projectId=beta", headers=BUYER_A)
    assert r.json() == [
        {
            "id": late["id"],
            "state": "acknowledged",
            "projectId": "beta",
            "requestedPOQCompletionDate": "2026-01-15",
        }
    ]
    assert r.headers["X-Pagination-Throttled"] == "false"


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("state=finished", "invalidQuery"),
        ("requestedPOQCompletionDate.gt=yesterday", "invalidQuery"),
        ("requestedPOQCompletionDate.lt=2026-01-10T00:00:00", "invalidQuery"),
        ("offset=-1", "invalidQuery"),
        ("limit=lots", "invalidQuery"),
    ],
)
async def test_bad_list_queries_are_400(client: httpx.AsyncClient, query: str, code: str) -> None:
    r = await client.get(f"{POQ_BASE}{COLLECTION}?{query}", headers=BUYER_A)
    assert r.status_code == 400
    assert assert_mef_response(r, "poq", COLLECTION, "get")["code"] == code


async def test_unauthenticated_calls_are_refused(client: httpx.AsyncClient) -> None:
    r = await client.post(f"{POQ_BASE}{COLLECTION}", json=poq())
    assert r.status_code == 401
    assert assert_mef_response(r, "poq", COLLECTION, "post")["code"] == "missingCredentials"


# --- Cantata ----------------------------------------------------------------------------------------------


async def test_cantata_create_retrieve_list_and_notify(
    client: httpx.AsyncClient,
    container: Container,
    clock: ManualClock,
    relay: OutboxRelay,
    recorder: ListenerRecorder,
) -> None:
    await listen(client, CANTATA_POQ_BASE)
    doc = await create(client, poq(item(offering="dia-sg", config=internet(200))), base=CANTATA_POQ_BASE)
    assert doc["href"] == f"http://seller.test{CANTATA_POQ_BASE}{COLLECTION}/{doc['id']}"
    assert items(doc)["1"]["serviceabilityConfidence"] == "green"
    assert await fetch(client, doc["id"], base=CANTATA_POQ_BASE) == doc
    deferred = await create(
        client, poq(instant=False, requested=later(clock.now(), 4)), base=CANTATA_POQ_BASE
    )
    r = await client.get(f"{CANTATA_POQ_BASE}{COLLECTION}?state=acknowledged", headers=BUYER_A)
    listed = assert_mef_response(r, "poq", COLLECTION, "get", "cantata")
    assert [p["id"] for p in listed] == [deferred["id"]]
    r = await client.get(f"{CANTATA_POQ_BASE}{COLLECTION}/{doc['id']}", headers=BUYER_B)
    assert r.status_code == 404
    assert_mef_response(r, "poq", ONE, "get", "cantata")

    worker = ServiceabilityWorker(container)
    await worker.run_once()
    clock.advance(timedelta(days=1))
    await worker.run_once()
    assert (await fetch(client, deferred["id"], base=CANTATA_POQ_BASE))["state"] == "done.ready"
    await relay.drain()
    kinds = events(recorder, "cantata")
    assert kinds.count(("poqCreateEvent", None)) == 2 and kinds.count(("poqStateChangeEvent", None)) == 2
    assert all(
        "/mefApi/cantata/productOfferingQualificationNotification/v1/listener/" in d.url
        for d in recorder.received
    )
    assert all(
        d.body["event"]["href"].startswith(f"http://seller.test{CANTATA_POQ_BASE}/")
        for d in recorder.received
    )
