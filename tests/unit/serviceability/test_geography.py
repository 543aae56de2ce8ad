"""Addresses and sites of the Seller profile (MEF 121, 122)."""

from __future__ import annotations

import dataclasses

import pytest

from counterpoint.core.seller.model import KnownAddress, SellerProfile, Site
from counterpoint.core.serviceability import geography
from counterpoint.core.serviceability.geography import SiteFilter
from counterpoint.core.shared.errors import Invalid, NotFound
from counterpoint.profiles.loader import load_profile
from counterpoint.settings import DEMO_PROFILE


@pytest.fixture(scope="module")
def demo() -> SellerProfile:
    return load_profile(DEMO_PROFILE)


def ids(sites: list[Site]) -> list[str]:
    return [s.id for s in sites]


def test_site_visibility_rules() -> None:
    assert geography.can_see(Site(id="a", address_id="x", name="n"), "anyone")
    assert not geography.can_see(Site(id="b", address_id="x", name="n", site_type="private"), "anyone")
    mine = Site(id="c", address_id="x", name="n", site_type="private", buyer_ids=("buyer-a",))
    assert geography.can_see(mine, "buyer-a") and not geography.can_see(mine, "buyer-b")


def test_private_sites_are_hidden_from_other_buyers(demo: SellerProfile) -> None:
    assert "site-sg-jurong-hq" in ids(geography.find_sites(demo, "buyer-a", SiteFilter()))
    assert "site-sg-jurong-hq" not in ids(geography.find_sites(demo, "buyer-b", SiteFilter()))
    with pytest.raises(NotFound):
        geography.get_site(demo, "buyer-b", "site-sg-jurong-hq")
    assert geography.get_site(demo, "buyer-a", "site-sg-jurong-hq").id == "site-sg-jurong-hq"


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        (SiteFilter(address_id="addr-sg-changi"), ["site-sg-changi-dc"]),
        (
            SiteFilter(city="singapore", country="Singapore"),
            ["site-sg-raffles-mmr", "site-sg-changi-dc", "site-sg-jurong-hq"],
        ),
        (SiteFilter(street_name="sudirman"), ["site-jkt-sudirman-pop"]),
        (
            SiteFilter(street_nr="2", street_name="Changi Business Park", street_type="Cres"),
            ["site-sg-changi-dc"],
        ),
        (SiteFilter(postcode="048 616"), ["site-sg-raffles-mmr"]),
        (SiteFilter(company_name="lion city"), ["site-sg-raffles-mmr", "site-jkt-sudirman-pop"]),
        (SiteFilter(name="meet-me"), ["site-sg-raffles-mmr"]),
        (SiteFilter(site_type="private"), ["site-sg-jurong-hq"]),
        (SiteFilter(customer_name="Archipelago"), []),
        (SiteFilter(service_site_contact_name="Ana"), []),
        (SiteFilter(country="ID", city="Surabaya"), []),
    ],
)
def test_site_filters(demo: SellerProfile, flt: SiteFilter, expected: list[str]) -> None:
    assert ids(geography.find_sites(demo, "buyer-a", flt)) == expected


def test_too_many_sites_is_a_422(demo: SellerProfile) -> None:
    with pytest.raises(Invalid) as caught:
        geography.find_sites(demo, "buyer-a", SiteFilter(), max_results=2)
    assert caught.value.problems[0].code == "tooManyRecords"


def test_site_document_points_at_its_address(demo: SellerProfile) -> None:
    doc = geography.site_doc(
        demo, demo.site("site-sg-changi-dc"), href_base="http://s/site", address_href_base="http://s/addr"
    )
    assert doc["place"][0] == {
        "@type": "GeographicAddressRef",
        "id": "addr-sg-changi",
        "href": "http://s/addr/geographicAddress/addr-sg-changi",
    }
    assert doc["place"][1]["streetName"] == "Changi Business Park"
    assert doc["companyName"] == "Changi Data Centres"


def test_address_documents_in_either_form(demo: SellerProfile) -> None:
    raffles = demo.address("addr-sg-raffles")
    formatted = geography.address_doc(demo, raffles, href_base="http://s", form="FormattedAddress")
    assert formatted["addrLine1"] == "1 Raffles Place" and "streetName" not in formatted
    assert formatted["hasPublicSite"] is True
    fielded = geography.address_doc(demo, demo.address("addr-sg-jurong"), href_base="http://s")
    assert fielded["hasPublicSite"] is False  # only a private site there
    bare = dataclasses.replace(
        demo, addresses=(KnownAddress(id="bare", fields={"city": "Batam", "country": "ID"}),)
    )
    assert geography.get_address(bare, "bare", href_base="http://s")["@type"] == "FormattedAddress"
    with pytest.raises(NotFound):
        geography.get_address(demo, "nope", href_base="http://s")
