"""How a POQ item is judged (pure: profile + request + inventory in, answers out)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest

from counterpoint.core.seller.model import Match, Scenario, SellerProfile
from counterpoint.core.serviceability.model import PoqItemState
from counterpoint.core.serviceability.qualification import Holding, ItemAnswer, Qualifier, holding_of
from counterpoint.profiles.loader import load_profile
from counterpoint.settings import DEMO_PROFILE
from tests.unit.serviceability.payloads import ael, internet, item, poq, site_ref, uni

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo() -> SellerProfile:
    return load_profile(DEMO_PROFILE)


def answers(
    profile: SellerProfile,
    body: dict[str, Any],
    *,
    buyer: str = "buyer-a",
    holdings: dict[str, Holding] | None = None,
) -> list[ItemAnswer]:
    return Qualifier(profile, buyer_id=buyer, request=body, holdings=holdings or {}, at=T0).qualify()


def one(profile: SellerProfile, *items: dict[str, Any], **kw: Any) -> ItemAnswer:
    holdings = kw.pop("holdings", None)
    return answers(profile, poq(*items, **kw), holdings=holdings)[0]


def test_known_address_inside_coverage_is_green_with_the_installation_interval(demo: SellerProfile) -> None:
    a = one(demo, item(offering="uni-sg", config=uni("1000BASE_LX")))
    assert a.state is PoqItemState.DONE_READY and not a.manual
    assert a.fields["serviceabilityConfidence"] == "green"
    assert a.fields["installationInterval"] == {"amount": 15, "units": "calendarDays"}
    assert a.fields["guaranteedUntilDate"] == "2026-02-04T09:00:00Z"  # quote validity (30 days)
    assert "alternateProductOfferingProposal" not in a.fields


def test_delivery_slips_of_scenarios_lengthen_the_interval(demo: SellerProfile) -> None:
    a = one(
        demo,
        item(
            offering="uni-sg",
            place={"@type": "GeographicAddressRef", "id": "addr-jkt-sudirman", "role": "INSTALL_LOCATION"},
        ),
    )
    assert a.fields["installationInterval"]["amount"] == 15 + 7  # "jakarta deliveries slip" by 7 days


def test_access_eline_takes_the_place_of_the_uni_item_it_relates_to(demo: SellerProfile) -> None:
    body = poq(
        item("uni", offering="uni-sg", config=uni()),
        item(
            "ael",
            offering="ael-sg",
            config=ael(500),
            place=None,
            qualificationItemRelationship=[{"id": "uni", "relationshipType": "CONNECTS_TO_UNI"}],
        ),
    )
    uni_answer, ael_answer = answers(demo, body)
    assert ael_answer.fields["serviceabilityConfidence"] == "green"
    assert "addr-sg-raffles" in ael_answer.fields["serviceabilityConfidenceReason"]


def test_no_place_at_all_terminates_the_item_and_abandons_the_others(demo: SellerProfile) -> None:
    body = poq(item("1"), item("2", offering="ael-sg", config=ael(), place=None))
    first, second = answers(demo, body)
    assert second.state is PoqItemState.TERMINATED_WITH_ERROR
    assert second.fields == {
        "terminationError": [
            {
                "code": "missingProperty",
                "propertyPath": "/productOfferingQualificationItem/1/product/place",
                "value": second.reason,
            }
        ]
    }
    assert first.state is PoqItemState.DONE_ABANDONED and first.fields == {}


@pytest.mark.parametrize(
    ("place", "code"),
    [
        (
            {"@type": "GeographicAddressRef", "id": "addr-nowhere", "role": "INSTALL_LOCATION"},
            "referenceNotFound",
        ),
        (
            {"@type": "GeographicSiteRef", "id": "site-nowhere", "role": "INSTALL_LOCATION"},
            "referenceNotFound",
        ),
        (
            {
                "@type": "GeographicAddressLabel",
                "externalReferenceId": "X1",
                "externalReferenceType": "CLLI",
                "role": "INSTALL_LOCATION",
            },
            "referenceNotFound",
        ),
        (
            {
                "@type": "MEFGeographicPoint",
                "spatialRef": "WGS84",
                "x": "1.28",
                "y": "103.85",
                "role": "INSTALL_LOCATION",
            },
            "otherIssue",
        ),
    ],
)
def test_places_the_seller_cannot_resolve(demo: SellerProfile, place: dict[str, Any], code: str) -> None:
    a = one(demo, item(place=place))
    assert a.state is PoqItemState.TERMINATED_WITH_ERROR
    assert a.fields["terminationError"][0]["code"] == code
    assert a.fields["terminationError"][0]["propertyPath"].startswith(
        "/productOfferingQualificationItem/0/product/place/0"
    )


def test_another_buyers_private_site_is_not_a_place_for_this_buyer(demo: SellerProfile) -> None:
    body = poq(item(place=site_ref("site-sg-jurong-hq")))
    assert answers(demo, body, buyer="buyer-b")[0].state is PoqItemState.TERMINATED_WITH_ERROR
    owner = answers(demo, body, buyer="buyer-a")[0]
    assert owner.state is PoqItemState.DONE_READY and owner.manual  # jurong checks are manual (scenario)


def test_unknown_written_address_is_judged_by_area_and_is_yellow(demo: SellerProfile) -> None:
    written = {
        "@type": "FieldedAddress",
        "streetNr": "77",
        "streetName": "Orchard",
        "streetType": "Road",
        "city": "Singapore",
        "country": "Singapore",
        "role": "INSTALL_LOCATION",
    }
    a = one(demo, item(place=written))
    assert a.fields["serviceabilityConfidence"] == "yellow"
    assert a.fields["installationInterval"]["amount"] == 15
    known = {**written, "streetNr": "1", "streetName": "Raffles", "streetType": "Pl"}
    assert one(demo, item(place=known)).fields["serviceabilityConfidence"] == "green"


def test_outside_coverage_is_red_and_names_the_nearest_served_address(demo: SellerProfile) -> None:
    a = one(
        demo,
        item(
            offering="ael-sg",
            config=ael(),
            place={"@type": "GeographicAddressRef", "id": "addr-sby-tunjungan", "role": "INSTALL_LOCATION"},
        ),
    )
    assert a.fields["serviceabilityConfidence"] == "red"
    assert "installationInterval" not in a.fields
    assert "outside the coverage" in a.fields["serviceabilityConfidenceReason"]
    assert "addr-jkt-kuningan" in a.fields["serviceabilityConfidenceReason"]


def test_too_much_bandwidth_is_red_with_a_smaller_alternate_when_asked(demo: SellerProfile) -> None:
    asked = item(offering="dia-sg", config=internet(max_mbps=2000))
    assert "alternateProductOfferingProposal" not in one(demo, asked).fields  # no alternatives wanted
    a = one(demo, asked, alternatives=True)
    assert a.fields["serviceabilityConfidence"] == "red"
    assert "2000 Mbps exceeds the 1000 Mbps" in a.fields["serviceabilityConfidenceReason"]
    (alt,) = a.fields["alternateProductOfferingProposal"]
    assert alt["alternateProduct"]["productOffering"] == {"id": "dia-sg"}
    assert alt["installationInterval"] == {"amount": 10, "units": "calendarDays"}
    env = alt["alternateProduct"]["productConfiguration"]["ipvc"]["ipvcEndPoint"][
        "ingressBandwidthProfileEnvelope"
    ]
    assert env[0]["maxIr"] == {"irValue": 1000, "irUnits": "MBPS"}


def test_other_offerings_of_the_same_specification_are_proposed(demo: SellerProfile) -> None:
    profile = dataclasses.replace(
        demo,
        offerings=(
            *demo.offerings,
            dataclasses.replace(
                demo.offering("uni-sg"), id="uni-sg-fast", max_bandwidth_mbps=100_000, installation_days=30
            ),
        ),
    )
    a = one(profile, item(offering="uni-sg", config=uni("100GBASE_LR4")), alternatives=True)
    proposals = {
        p["alternateProduct"]["productOffering"]["id"]: p
        for p in a.fields["alternateProductOfferingProposal"]
    }
    assert set(proposals) == {"uni-sg", "uni-sg-fast"}
    assert (
        proposals["uni-sg"]["alternateProduct"]["productConfiguration"]["listOfPhysicalLinks"][0][
            "physicalLink"
        ]
        == "10GBASE_LR"
    )
    assert proposals["uni-sg-fast"]["installationInterval"]["amount"] == 30


def test_scenario_can_force_a_negative_answer(demo: SellerProfile) -> None:
    profile = dataclasses.replace(
        demo,
        scenarios=(
            *demo.scenarios,
            Scenario(
                name="riser full",
                match=Match(address_id="addr-sg-raffles"),
                poq_unserviceable="Building riser is full",
            ),
        ),
    )
    a = one(profile, item(), alternatives=True)
    assert a.fields["serviceabilityConfidence"] == "red"
    assert a.fields["serviceabilityConfidenceReason"] == "Building riser is full"
    assert "alternateProductOfferingProposal" not in a.fields


def test_specification_only_items_get_the_offerings_that_serve_them(demo: SellerProfile) -> None:
    a = one(demo, item(offering=None, config=uni()))
    assert a.fields["serviceabilityConfidence"] == "green"
    (proposal,) = a.fields["alternateProductOfferingProposal"]
    assert proposal["alternateProduct"]["productOffering"] == {"id": "uni-sg"}
    body = item(offering=None, config={"@type": "urn:example:unknown"})
    assert one(demo, body).fields["terminationError"][0]["code"] == "referenceNotFound"


def test_unknown_offering_and_mismatched_specification_terminate(demo: SellerProfile) -> None:
    a = one(demo, item(offering="teleport-9"))
    assert a.fields["terminationError"][0] == {
        "code": "referenceNotFound",
        "value": a.reason,
        "propertyPath": "/productOfferingQualificationItem/0/product/productOffering/id",
    }
    b = one(demo, item(offering="ael-sg", config=uni()))
    assert b.fields["terminationError"][0]["code"] == "invalidValue"


def test_modify_and_delete_need_the_product_in_the_buyers_inventory(demo: SellerProfile) -> None:
    change = {
        "id": "1",
        "action": "modify",
        "product": {"id": "prod-1", "productConfiguration": uni("10GBASE_LR")},
    }
    gone = {"id": "1", "action": "delete", "product": {"id": "prod-1"}}
    assert (
        one(demo, change).fields["terminationError"][0]["propertyPath"]
        == "/productOfferingQualificationItem/0/product/id"
    )
    held = {
        "prod-1": holding_of(
            "prod-1",
            {
                "productOffering": {"id": "uni-sg"},
                "relatedSite": [{"id": "site-sg-changi-dc", "role": "INSTALL_LOCATION"}],
            },
        )
    }
    a = one(demo, change, holdings=held)
    assert a.fields["serviceabilityConfidence"] == "green"
    assert "addr-sg-changi" in a.fields["serviceabilityConfidenceReason"]
    d = one(demo, gone, holdings=held)
    assert (d.state, d.fields["serviceabilityConfidence"]) == (PoqItemState.DONE_READY, "green")
