"""Which service interface points a segment's connectivity service joins."""

from __future__ import annotations

import pytest

from counterpoint.core.service_order.design import DesignFailed, design_segment
from tests.unit.service_order.builders import BANGKOK, JAKARTA, SINGAPORE, SIPS, sip


def test_two_places_land_on_the_access_points_of_their_cities() -> None:
    d = design_segment(name="so-1:1", places=[JAKARTA, SINGAPORE], capacity_mbps=200, sips=SIPS)
    assert d.end_points == ("sip:jkt-acc-1", "sip:sgp-acc-1")
    assert (d.name, d.capacity_mbps) == ("so-1:1", 200)


def test_one_place_is_joined_to_the_hub_of_its_city() -> None:
    d = design_segment(name="n", places=[SINGAPORE], capacity_mbps=200, sips=SIPS)
    assert d.end_points == ("sip:sgp-acc-1", "sip:sgp-hub")


def test_a_core_segment_without_places_runs_between_the_two_hubs() -> None:
    d = design_segment(name="n", places=[], capacity_mbps=500, sips=SIPS)
    assert d.end_points == ("sip:jkt-hub", "sip:sgp-hub")


def test_a_core_segment_cannot_choose_among_three_hubs() -> None:
    sips = (*SIPS, sip("sip:bkk-hub", "Bangkok", "TH", role="hub"))
    with pytest.raises(DesignFailed) as exc:
        design_segment(name="n", places=[], capacity_mbps=500, sips=sips)
    assert exc.value.reason == "a core segment without places runs between our two hubs; 3 hub(s) configured"


def test_a_place_we_do_not_serve_fails_with_its_name() -> None:
    with pytest.raises(DesignFailed) as exc:
        design_segment(name="n", places=[JAKARTA, BANGKOK], capacity_mbps=200, sips=SIPS)
    assert exc.value.reason == "place 1 (FieldedAddress Bangkok, TH): no service interface point of ours serves it"
    assert (exc.value.code, exc.value.path) == ("referenceNotFound", "/service/place/1")


def test_a_site_reference_and_a_uuid_select_their_points() -> None:
    site = {"@type": "GeographicSiteRef", "id": "SITE-SG-1", "role": "INSTALL_LOCATION"}
    direct = {"@type": "GeographicSiteRef", "id": "sip:jkt-acc-1"}
    d = design_segment(name="n", places=[direct, site], capacity_mbps=10, sips=SIPS)
    assert d.end_points == ("sip:jkt-acc-1", "sip:sgp-acc-1")


def test_the_roomiest_point_with_room_is_chosen() -> None:
    sips = (sip("sip:a", "Jakarta", "ID", capacity=1000, used=900), sip("sip:b", "Jakarta", "ID", capacity=1000,
                                                                          used=500),
            sip("sip:h", "Jakarta", "ID", role="hub", capacity=10_000))
    assert design_segment(name="n", places=[JAKARTA], capacity_mbps=300, sips=sips).end_points == ("sip:b", "sip:h")
    # none has room for 800: the roomiest is still chosen, and the controller will refuse with its numbers
    assert design_segment(name="n", places=[JAKARTA], capacity_mbps=800, sips=sips).end_points == ("sip:b", "sip:h")


def test_a_lonely_place_without_a_hub_fails() -> None:
    sips = (sip("sip:a", "Jakarta", "ID"), sip("sip:x", "Singapore", "SG", role="hub"),
            sip("sip:y", "Manila", "PH", role="hub"))
    with pytest.raises(DesignFailed) as exc:
        design_segment(name="n", places=[JAKARTA], capacity_mbps=10, sips=sips)
    assert exc.value.reason == "place 0 (FieldedAddress Jakarta, ID): no hub of ours in Jakarta or ID to join it to"
