"""A profile's existing inventory (seeded on start, once) and its addresses in any ISO 3166 country."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from typer.testing import CliRunner

from counterpoint.bootstrap import Container
from counterpoint.cli.main import app
from counterpoint.core.inventory import services as inventory
from counterpoint.core.shared.clock import ManualClock
from counterpoint.profiles.loader import ProfileError, load_profile
from counterpoint.settings import DEMO_PROFILE
from tests.api.test_product_order import create, drive, get
from tests.api.test_quote import QUOTE_BASE, qitem, quote
from tests.builders import INVENTORY_BASE, ael_config, change_item, order_body
from tests.helpers import BUYER_A, BUYER_B, assert_mef_response
from tests.unit.serviceability.payloads import ADDRESS_BASE, POQ_BASE, ael, poq

EXISTING = "prod-existing-1"


def profile_doc() -> dict[str, Any]:
    doc = yaml.safe_load(DEMO_PROFILE.read_text())
    doc["areas"].append({"id": "budapest", "countries": ["HU"]})
    doc["addresses"].append({"id": "addr-bud-vaci", "area": "budapest", "streetNr": "12", "streetNrSuffix": "B",
                             "streetName": "Váci", "streetType": "utca", "city": "Budapest", "postcode": "1052",
                             "country": "Hungary"})
    doc["offerings"][0]["areas"].append("budapest")
    doc["inventory"] = [{
        "id": EXISTING, "buyer": "buyer-a", "offering": "ael-sg", "externalId": "LEGACY-42",
        "configuration": {k: v for k, v in ael_config(cir_mbps=100).items() if k != "@type"},
        "places": [{"address": "addr-sg-raffles"}, {"site": "site-sg-changi-dc", "role": "INSTALL_LOCATION"}],
        "startDate": "2024-03-01T00:00:00Z", "billingAccount": "BA-7"}]
    return doc


@pytest.fixture
def profile(tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "existing.yaml"
    path.write_text(yaml.safe_dump(profile_doc(), allow_unicode=True))
    return load_profile(path)


async def test_the_profile_inventory_is_seeded_once_and_private_to_its_buyer(
        client: httpx.AsyncClient, container: Container, clock: ManualClock) -> None:
    r = await client.get(f"{INVENTORY_BASE}/product/{EXISTING}", headers=BUYER_A)
    product = assert_mef_response(r, "productInventory", "/product/{id}", "get")
    assert product["status"] == "active" and product["startDate"].startswith("2024-03-01")
    assert product["productOffering"] == {"id": "ael-sg"}
    assert product["productSpecification"]["id"] == "urn:mef:lso:spec:sonata:access-eline-ovc:v5.0.0:all"
    assert product["productConfiguration"] == ael_config(cir_mbps=100)
    assert product["relatedSite"][0]["id"] == "site-sg-changi-dc" and product["externalId"] == "LEGACY-42"
    r = await client.get(f"{INVENTORY_BASE}/product", headers=BUYER_A, params={"productOfferingId": "ael-sg"})
    assert [p["id"] for p in r.json()] == [EXISTING]
    assert (await client.get(f"{INVENTORY_BASE}/product/{EXISTING}", headers=BUYER_B)).status_code == 404
    # seeding again (a restart) adds nothing and keeps what the buyer changed since
    await create(client, order_body(change_item("1", "modify", EXISTING, config=ael_config(cir_mbps=500))))
    await drive(container, clock, 10)
    assert await inventory.seed_existing(container.uow(), container.profile, at=clock.now()) == []
    await container.start()
    r = await client.get(f"{INVENTORY_BASE}/product", headers=BUYER_A)
    assert [p["id"] for p in r.json()] == [EXISTING]
    r = await client.get(f"{INVENTORY_BASE}/product/{EXISTING}", headers=BUYER_A)
    assert r.json()["productConfiguration"] == ael_config(cir_mbps=500)


async def test_modify_and_delete_orders_against_an_existing_product(
        client: httpx.AsyncClient, container: Container, clock: ManualClock) -> None:
    faster = ael_config(cir_mbps=1000)
    order = await create(client, order_body(change_item("1", "modify", EXISTING, config=faster),
                                            external_id="PO-UP"))
    await drive(container, clock, 10)
    assert (await get(client, order["id"]))["state"] == "completed"
    r = await client.get(f"{INVENTORY_BASE}/product/{EXISTING}", headers=BUYER_A)
    product = assert_mef_response(r, "productInventory", "/product/{id}", "get")
    assert product["productConfiguration"] == faster and product["status"] == "active"
    assert product["productOrderItem"] == [{"productOrderId": order["id"], "productOrderItemId": "1"}]
    order = await create(client, order_body(change_item("1", "delete", EXISTING), external_id="PO-DEL"))
    await drive(container, clock, 10)
    assert (await get(client, order["id"]))["state"] == "completed"
    r = await client.get(f"{INVENTORY_BASE}/product/{EXISTING}", headers=BUYER_A)
    assert assert_mef_response(r, "productInventory", "/product/{id}", "get")["status"] == "terminated"


async def test_a_change_poq_qualifies_an_existing_product_at_its_places(client: httpx.AsyncClient) -> None:
    body = poq({"id": "up", "action": "modify",
                "product": {"id": EXISTING, "productConfiguration": ael_config(cir_mbps=1000)}})
    r = await client.post(f"{POQ_BASE}/productOfferingQualification", headers=BUYER_A, json=body)
    doc = assert_mef_response(r, "poq", "/productOfferingQualification", "post")
    assert doc["state"] == "done.ready", doc
    assert doc["productOfferingQualificationItem"][0]["serviceabilityConfidence"] == "green"


@pytest.mark.parametrize("written", ["HU", "HUN", "hungary", "Hungary"])
async def test_an_address_in_hungary_is_found_by_code_or_name(client: httpx.AsyncClient, written: str) -> None:
    r = await client.post(f"{ADDRESS_BASE}/geographicAddressValidation", headers=BUYER_A, json={
        "provideAlternative": True,
        "submittedGeographicAddress": {"@type": "FieldedAddress", "streetNr": "12", "streetNrSuffix": "B",
                                       "streetName": "Vaci", "streetType": "utca", "city": "Budapest",
                                       "postcode": "1052", "country": written}})
    doc = assert_mef_response(r, "geographicAddress", "/geographicAddressValidation", "post")
    best = doc["bestMatchGeographicAddress"]
    assert best["id"] == "addr-bud-vaci" and best["country"] == "HU" and best["streetNrSuffix"] == "B"


def test_profile_countries_are_iso_3166_codes_or_names(tmp_path: Path) -> None:
    doc = profile_doc()
    doc["addresses"][-1]["country"] = "HUN"
    doc["areas"][-1]["countries"] = ["hungary", "AT", "Czechia"]
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    profile = load_profile(path)
    assert profile.address("addr-bud-vaci").fields["country"] == "HU"  # type: ignore[union-attr]
    assert profile.area("budapest").countries == ("HU", "AT", "CZ")  # type: ignore[union-attr]
    result = CliRunner().invoke(app, ["check-profile", str(path)])
    assert result.exit_code == 0 and "1 existing products" in result.output, result.output
    doc["addresses"][-1]["country"] = "Hungry"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    with pytest.raises(ProfileError, match=r"unknown country 'Hungry' \(did you mean Hungary\?\)"):
        load_profile(path)


@pytest.mark.parametrize(("change", "message"), [
    (lambda p: p.update(buyer="nobody"), "unknown buyer nobody"),
    (lambda p: p.update(offering="nope"), "unknown offering nope"),
    (lambda p: p["places"].append({"address": "addr-nowhere"}), "unknown address addr-nowhere"),
    (lambda p: p.update(spec="urn:other"), "spec urn:other is not offering ael-sg's"),
    (lambda p: p.update(status="gone"), "inventory #1 / status"),
])
def test_the_profile_inventory_names_what_is_wrong(tmp_path: Path, change: Any, message: str) -> None:
    doc = profile_doc()
    change(doc["inventory"][0])
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    with pytest.raises(ProfileError, match=message):
        load_profile(path)


async def test_a_change_quote_prices_an_existing_product(client: httpx.AsyncClient) -> None:
    upgrade = {**qitem("up", place=None, offering=None, config=ael(2000)), "action": "modify"}
    upgrade["product"]["id"] = EXISTING
    r = await client.post(f"{QUOTE_BASE}/quote", headers=BUYER_A, json=quote(upgrade))
    doc = assert_mef_response(r, "quote", "/quote", "post")
    assert doc["state"] == "approved.orderable", doc
    assert [p["priceType"] for p in doc["quoteItem"][0]["quoteItemPrice"]] == ["recurring"]
