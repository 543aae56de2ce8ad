"""MEF 122 site query through the ASGI app (Sonata and Cantata)."""

from __future__ import annotations

import httpx
import pytest

from tests.helpers import BUYER_A, BUYER_B, assert_mef_response
from tests.unit.serviceability.payloads import CANTATA_SITE_BASE, SITE_BASE

LIST, ONE = "/geographicSite", "/geographicSite/{id}"


async def site_ids(
    client: httpx.AsyncClient, query: str = "", *, headers: dict[str, str] = BUYER_A, base: str = SITE_BASE
) -> list[str]:
    r = await client.get(f"{base}{LIST}{query}", headers=headers)
    assert r.status_code == 200, r.text
    body = assert_mef_response(r, "geographicSite", LIST, "get", base.split("/")[2])
    assert r.headers["X-Result-Count"] == str(len(body))
    return [s["id"] for s in body]


async def test_each_buyer_sees_public_sites_and_only_its_own_private_ones(client: httpx.AsyncClient) -> None:
    public = ["site-sg-raffles-mmr", "site-sg-changi-dc", "site-jkt-sudirman-pop"]
    assert await site_ids(client) == [*public, "site-sg-jurong-hq"]
    assert await site_ids(client, headers=BUYER_B) == public
    assert await site_ids(client, "?siteType=private", headers=BUYER_B) == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?geographicAddress.id=addr-sg-changi", ["site-sg-changi-dc"]),
        ("?city=Jakarta&country=Indonesia", ["site-jkt-sudirman-pop"]),
        ("?streetNr=1&streetName=raffles&streetType=Pl&postcode=048616", ["site-sg-raffles-mmr"]),
        ("?companyName=Changi", ["site-sg-changi-dc"]),
        ("?name=PoP", ["site-jkt-sudirman-pop"]),
        ("?siteType=private", ["site-sg-jurong-hq"]),
        ("?siteType=public&country=SG", ["site-sg-raffles-mmr", "site-sg-changi-dc"]),
        ("?customerName=Archipelago", []),
        ("?serviceSiteContactName=Ana", []),
        ("?description=anything", []),
        ("?country=NO", []),
    ],
)
async def test_filters(client: httpx.AsyncClient, query: str, expected: list[str]) -> None:
    assert await site_ids(client, query) == expected


async def test_pagination_headers(client: httpx.AsyncClient) -> None:
    r = await client.get(f"{SITE_BASE}{LIST}?offset=1&limit=2", headers=BUYER_A)
    body = assert_mef_response(r, "geographicSite", LIST, "get")
    assert [s["id"] for s in body] == ["site-sg-changi-dc", "site-jkt-sudirman-pop"]
    assert (r.headers["X-Total-Count"], r.headers["X-Result-Count"], r.headers["X-Pagination-Throttled"]) == (
        "4",
        "2",
        "false",
    )


async def test_site_document(client: httpx.AsyncClient) -> None:
    r = await client.get(f"{SITE_BASE}{LIST}/site-sg-changi-dc", headers=BUYER_B)
    assert r.status_code == 200
    site = assert_mef_response(r, "geographicSite", ONE, "get")
    assert site["href"] == f"http://seller.test{SITE_BASE}/geographicSite/site-sg-changi-dc"
    assert (site["name"], site["siteType"], site["companyName"]) == (
        "Changi DC 3",
        "public",
        "Changi Data Centres",
    )
    ref, value = site["place"]
    assert ref == {
        "@type": "GeographicAddressRef",
        "id": "addr-sg-changi",
        "href": "http://seller.test/mefApi/sonata/geographicAddressManagement/v7/geographicAddress/addr-sg-changi",
    }
    assert (value["@type"], value["streetName"], value["postcode"]) == (
        "FieldedAddress",
        "Changi Business Park",
        "486028",
    )


async def test_private_site_is_404_for_other_buyers(client: httpx.AsyncClient) -> None:
    r = await client.get(f"{SITE_BASE}{LIST}/site-sg-jurong-hq", headers=BUYER_A)
    assert r.status_code == 200
    assert assert_mef_response(r, "geographicSite", ONE, "get")["siteType"] == "private"
    for site_id in ("site-sg-jurong-hq", "site-nowhere"):
        r = await client.get(f"{SITE_BASE}{LIST}/{site_id}", headers=BUYER_B)
        assert r.status_code == 404
        assert assert_mef_response(r, "geographicSite", ONE, "get") == {
            "code": "notFound",
            "reason": f"geographic site {site_id} not found",
        }


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("?siteType=shared", "invalidQuery"),
        ("?city=", "missingQueryValue"),
        ("?geographicAddress.id=%20", "missingQueryValue"),
        ("?offset=-3", "invalidQuery"),
        ("?limit=x", "invalidQuery"),
    ],
)
async def test_bad_queries_are_400(client: httpx.AsyncClient, query: str, code: str) -> None:
    r = await client.get(f"{SITE_BASE}{LIST}{query}", headers=BUYER_A)
    assert r.status_code == 400
    assert assert_mef_response(r, "geographicSite", LIST, "get")["code"] == code


async def test_credentials_are_required(client: httpx.AsyncClient) -> None:
    r = await client.get(f"{SITE_BASE}{LIST}", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401
    assert assert_mef_response(r, "geographicSite", LIST, "get")["code"] == "invalidCredentials"


async def test_cantata_list_and_retrieve(client: httpx.AsyncClient) -> None:
    assert await site_ids(client, "?siteType=private", base=CANTATA_SITE_BASE) == ["site-sg-jurong-hq"]
    r = await client.get(f"{CANTATA_SITE_BASE}{LIST}/site-sg-raffles-mmr", headers=BUYER_B)
    assert r.status_code == 200
    site = assert_mef_response(r, "geographicSite", ONE, "get", "cantata")
    assert site["href"] == f"http://seller.test{CANTATA_SITE_BASE}/geographicSite/site-sg-raffles-mmr"
    assert site["place"][0]["href"].startswith(
        "http://seller.test/mefApi/cantata/geographicAddressManagement/v1/"
    )
    r = await client.get(f"{CANTATA_SITE_BASE}{LIST}/site-sg-jurong-hq", headers=BUYER_B)
    assert r.status_code == 404
    assert_mef_response(r, "geographicSite", ONE, "get", "cantata")
