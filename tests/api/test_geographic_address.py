"""MEF 121 address validation and retrieval through the ASGI app (Sonata and Cantata)."""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx
import pytest

from counterpoint.core.seller.model import KnownAddress
from tests.helpers import BUYER_A, BUYER_B, assert_mef_response
from tests.unit.serviceability.payloads import ADDRESS_BASE, CANTATA_ADDRESS_BASE

VALIDATE, ONE = "/geographicAddressValidation", "/geographicAddress/{id}"


async def validate(
    client: httpx.AsyncClient,
    address: dict[str, Any],
    *,
    base: str = ADDRESS_BASE,
    alternatives: bool = True,
    status: int = 200,
    headers: dict[str, str] = BUYER_A,
) -> Any:
    r = await client.post(
        f"{base}{VALIDATE}",
        headers=headers,
        json={"provideAlternative": alternatives, "submittedGeographicAddress": address},
    )
    assert r.status_code == status, r.text
    return assert_mef_response(r, "geographicAddress", VALIDATE, "post", base.split("/")[2])


async def test_fielded_address_written_differently_is_a_success(client: httpx.AsyncClient) -> None:
    submitted = {
        "@type": "FieldedAddress",
        "streetNr": "1",
        "streetName": "RAFFLES",
        "streetType": "Pl.",
        "city": "singapore",
        "postcode": "048 616",
        "country": "Singapore",
    }
    body = await validate(client, submitted)
    assert body["validationResult"] == "success"
    assert body["submittedGeographicAddress"] == submitted  # echoed unchanged
    assert body["provideAlternative"] is True
    best = body["bestMatchGeographicAddress"]
    assert best == {
        "@type": "FieldedAddress",
        "id": "addr-sg-raffles",
        "href": f"http://seller.test{ADDRESS_BASE}/geographicAddress/addr-sg-raffles",
        "allowsNewSite": True,
        "hasPublicSite": True,
        "streetNr": "1",
        "streetName": "Raffles",
        "streetType": "Place",
        "postcode": "048616",
        "city": "Singapore",
        "country": "SG",
    }
    assert body["alternateGeographicAddress"] == []


async def test_formatted_address_is_answered_formatted(client: httpx.AsyncClient) -> None:
    body = await validate(
        client,
        {
            "@type": "FormattedAddress",
            "addrLine1": "2 Changi Business Park Cres",
            "city": "Singapore",
            "country": "SG",
        },
    )
    assert body["validationResult"] == "success"
    best = body["bestMatchGeographicAddress"]
    assert (best["@type"], best["id"], best["addrLine1"]) == (
        "FormattedAddress",
        "addr-sg-changi",
        "2 Changi Business Park Crescent",
    )
    assert "streetName" not in best


async def test_wrong_number_gives_alternates_only(client: httpx.AsyncClient) -> None:
    body = await validate(
        client,
        {
            "@type": "FieldedAddress",
            "streetNr": "40",
            "streetName": "Jenderal Sudirman",
            "streetType": "Rd",
            "city": "Jakarta",
            "country": "Indonesia",
        },
    )
    assert body["validationResult"] == "partial"
    assert "bestMatchGeographicAddress" not in body
    assert [a["id"] for a in body["alternateGeographicAddress"]] == ["addr-jkt-sudirman"]


@pytest.mark.parametrize(
    "address",
    [
        {
            "@type": "FieldedAddress",
            "streetName": "Karl Johans gate",
            "streetNr": "1",
            "city": "Oslo",
            "country": "NO",
        },
        {"@type": "MEFGeographicPoint", "spatialRef": "EPSG:4326", "x": "1.2840", "y": "103.8514"},
        {
            "@type": "GeographicAddressLabel",
            "externalReferenceType": "CLLI",
            "externalReferenceId": "SNGPSG01",
        },
    ],
)
async def test_no_match_is_a_fail_with_empty_lists(
    client: httpx.AsyncClient, address: dict[str, Any]
) -> None:
    body = await validate(client, address, alternatives=False)
    assert body["validationResult"] == "fail"
    assert body["alternateGeographicAddress"] == []
    assert "bestMatchGeographicAddress" not in body
    assert body["provideAlternative"] is False


@pytest.mark.parametrize(
    ("address", "code", "path"),
    [
        (
            {"@type": "FieldedAddress", "city": "Singapore", "country": "SG"},
            "missingProperty",
            "/submittedGeographicAddress/streetName",
        ),
        (
            {"@type": "FormattedAddress", "addrLine1": "1 Raffles Place", "city": "Singapore"},
            "missingProperty",
            "/submittedGeographicAddress/country",
        ),
        (
            {
                "@type": "FieldedAddress",
                "id": "addr-sg-raffles",
                "streetName": "Raffles",
                "city": "Singapore",
                "country": "SG",
            },
            "unexpectedProperty",
            "/submittedGeographicAddress/id",
        ),
        ({"@type": "PostBox", "number": "12"}, "invalidValue", "/submittedGeographicAddress/@type"),
    ],
)
async def test_bad_submissions_are_422(
    client: httpx.AsyncClient, address: dict[str, Any], code: str, path: str
) -> None:
    problems = await validate(client, address, status=422)
    assert (code, path) in {(p["code"], p.get("propertyPath")) for p in problems}, problems


async def test_missing_provide_alternative_and_bad_json(client: httpx.AsyncClient) -> None:
    r = await client.post(
        f"{ADDRESS_BASE}{VALIDATE}",
        headers=BUYER_A,
        json={
            "submittedGeographicAddress": {
                "@type": "FieldedAddress",
                "streetName": "Raffles",
                "city": "Singapore",
                "country": "SG",
            }
        },
    )
    assert r.status_code == 422
    assert (
        assert_mef_response(r, "geographicAddress", VALIDATE, "post")[0]["propertyPath"]
        == "/provideAlternative"
    )
    r = await client.post(
        f"{ADDRESS_BASE}{VALIDATE}", headers={**BUYER_A, "Content-Type": "application/json"}, content=b"{"
    )
    assert r.status_code == 400
    assert assert_mef_response(r, "geographicAddress", VALIDATE, "post")["code"] == "invalidBody"


class TestCrowdedStreet:
    @pytest.fixture
    def profile(self, profile):  # type: ignore[no-untyped-def]
        crowd = tuple(
            KnownAddress(
                id=f"addr-orchard-{n}",
                area="sg-metro",
                fields={
                    "streetNr": str(n),
                    "streetName": "Orchard",
                    "streetType": "Road",
                    "city": "Singapore",
                    "country": "SG",
                },
            )
            for n in range(1, 13)
        )
        return dataclasses.replace(profile, addresses=(*profile.addresses, *crowd))

    async def test_too_many_matches_is_422_too_many_records(self, client: httpx.AsyncClient) -> None:
        problems = await validate(
            client,
            {"@type": "FieldedAddress", "streetName": "Orchard Rd", "city": "Singapore", "country": "SG"},
            status=422,
        )
        assert [p["code"] for p in problems] == ["tooManyRecords"]
        body = await validate(
            client,
            {
                "@type": "FieldedAddress",
                "streetNr": "7",
                "streetName": "Orchard Rd",
                "city": "Singapore",
                "country": "SG",
            },
        )
        assert body["bestMatchGeographicAddress"]["id"] == "addr-orchard-7"
        assert len(body["alternateGeographicAddress"]) == 10  # the closest ones, not all eleven


async def test_retrieve_a_known_address_by_id(client: httpx.AsyncClient) -> None:
    for headers in (BUYER_A, BUYER_B):  # the Seller's addresses are visible to every buyer
        r = await client.get(f"{ADDRESS_BASE}/geographicAddress/addr-jkt-sudirman", headers=headers)
        assert r.status_code == 200
        body = assert_mef_response(r, "geographicAddress", ONE, "get")
        assert (body["@type"], body["id"], body["stateOrProvince"]) == (
            "FieldedAddress",
            "addr-jkt-sudirman",
            "DKI Jakarta",
        )
        assert body["hasPublicSite"] is True
    r = await client.get(f"{ADDRESS_BASE}/geographicAddress/addr-sg-jurong", headers=BUYER_B)
    assert assert_mef_response(r, "geographicAddress", ONE, "get")["hasPublicSite"] is False
    r = await client.get(f"{ADDRESS_BASE}/geographicAddress/addr-nowhere", headers=BUYER_A)
    assert r.status_code == 404
    assert assert_mef_response(r, "geographicAddress", ONE, "get")["code"] == "notFound"


async def test_credentials_are_required(client: httpx.AsyncClient) -> None:
    r = await client.get(f"{ADDRESS_BASE}/geographicAddress/addr-sg-raffles")
    assert r.status_code == 401
    assert_mef_response(r, "geographicAddress", ONE, "get")
    r = await client.get(f"{ADDRESS_BASE}/geographicAddress/addr-sg-raffles?buyerId=buyer-b", headers=BUYER_A)
    assert r.status_code == 403
    assert assert_mef_response(r, "geographicAddress", ONE, "get")["code"] == "forbiddenRequester"


async def test_cantata_validation_and_retrieval(client: httpx.AsyncClient) -> None:
    body = await validate(
        client,
        {
            "@type": "FieldedAddress",
            "streetNr": "3",
            "streetName": "HR Rasuna Said",
            "streetType": "Road",
            "city": "Jakarta",
            "country": "ID",
        },
        base=CANTATA_ADDRESS_BASE,
    )
    best = body["bestMatchGeographicAddress"]
    assert best["id"] == "addr-jkt-kuningan"
    assert best["href"] == f"http://seller.test{CANTATA_ADDRESS_BASE}/geographicAddress/addr-jkt-kuningan"
    r = await client.get(f"{CANTATA_ADDRESS_BASE}/geographicAddress/addr-jkt-kuningan", headers=BUYER_A)
    assert r.status_code == 200
    assert assert_mef_response(r, "geographicAddress", ONE, "get", "cantata")["id"] == "addr-jkt-kuningan"
    r = await client.get(f"{CANTATA_ADDRESS_BASE}/geographicAddress/nope", headers=BUYER_A)
    assert r.status_code == 404
    assert_mef_response(r, "geographicAddress", ONE, "get", "cantata")
