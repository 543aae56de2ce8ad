"""Address normalisation and matching (MEF 121)."""

from __future__ import annotations

import pytest

from counterpoint.core.seller.model import KnownAddress
from counterpoint.core.serviceability import matching
from counterpoint.core.serviceability.matching import AddressParts, match, normalise, score

RAFFLES = KnownAddress(
    id="raffles",
    fields={
        "streetNr": "1",
        "streetName": "Raffles",
        "streetType": "Place",
        "city": "Singapore",
        "postcode": "048616",
        "country": "SG",
    },
)
RAFFLES_3 = KnownAddress(
    id="raffles-3",
    fields={
        "streetNr": "3",
        "streetName": "Raffles",
        "streetType": "Place",
        "city": "Singapore",
        "postcode": "048617",
        "country": "SG",
    },
)
KRAKOW = KnownAddress(
    id="krakow",
    fields={
        "streetNr": "20",
        "streetName": "Edmunda Wasilewskiego",
        "streetType": "ul.",
        "city": "Kraków",
        "postcode": "30-305",
        "country": "PL",
    },
)
KNOWN = (RAFFLES, RAFFLES_3, KRAKOW)


def fielded(**fields: str) -> AddressParts:
    parts = AddressParts.of_submitted({"@type": "FieldedAddress", **fields})
    assert parts is not None
    return parts


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("Raffles Pl.", "raffles place"),
        ("  RAFFLES   place ", "raffles place"),
        ("Jurong East St", "jurong east street"),
        ("Jl. Jend. Sudirman Rd", "jalan jenderal sudirman road"),
        ("Kraków", "krakow"),
        ("Changi Business Park Cres", "changi business park crescent"),
        (None, ""),
    ],
)
def test_normalise_folds_case_accents_punctuation_and_abbreviations(
    written: str | None, expected: str
) -> None:
    assert normalise(written) == expected


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("SG", "Singapore", True),
        ("singapore", "sg", True),
        ("Poland", "PL", True),
        ("SG", "ID", False),
        ("", "SG", False),
    ],
)
def test_country_code_and_name_are_the_same_country(a: str, b: str, same: bool) -> None:
    assert matching.same_country(a, b) is same


def test_exact_fielded_address_scores_one_and_other_country_zero() -> None:
    parts = fielded(
        streetNr="1",
        streetName="Raffles",
        streetType="Pl",
        city="singapore",
        postcode="048 616",
        country="Singapore",
    )
    assert score(parts, RAFFLES) == pytest.approx(1.0)
    assert score(fielded(streetNr="1", streetName="Raffles", city="Singapore", country="ID"), RAFFLES) == 0.0


def test_best_match_needs_the_street_number_to_agree() -> None:
    result = match(fielded(streetNr="1", streetName="Raffles Place", city="Singapore", country="SG"), KNOWN)
    assert (result.outcome, result.best, [a.id for a in result.alternates]) == (
        "success",
        RAFFLES,
        ["raffles-3"],
    )
    result = match(fielded(streetNr="5", streetName="Raffles Place", city="Singapore", country="SG"), KNOWN)
    assert result.best is None
    assert {a.id for a in result.alternates} == {"raffles", "raffles-3"}
    assert result.outcome == "partial"


def test_accents_and_shortened_names_still_match() -> None:
    parts = fielded(
        streetNr="20", streetName="E. Wasilewskiego", city="Krakow", postcode="30-305", country="Poland"
    )
    result = match(parts, KNOWN)
    assert result.best == KRAKOW


def test_formatted_address_line_is_split_into_number_and_street() -> None:
    parts = AddressParts.of_submitted(
        {"@type": "FormattedAddress", "addrLine1": "3 Raffles Pl", "city": "Singapore", "country": "SG"}
    )
    assert parts is not None and (parts.number, parts.street) == ("3", "raffles place")
    assert match(parts, KNOWN).best == RAFFLES_3


def test_nothing_alike_fails_and_points_cannot_be_matched() -> None:
    assert match(fielded(streetName="Karl Johans gate", city="Oslo", country="NO"), KNOWN).outcome == "fail"
    assert (
        AddressParts.of_submitted({"@type": "MEFGeographicPoint", "spatialRef": "WGS84", "x": "1", "y": "2"})
        is None
    )


def test_too_many_candidates_is_flagged_not_answered() -> None:
    many = [KnownAddress(id=f"r{n}", fields={**RAFFLES.fields, "streetNr": str(n)}) for n in range(1, 6)]
    result = match(fielded(streetName="Raffles Place", city="Singapore", country="SG"), many, too_many=3)
    assert result.too_many and result.best is None and result.alternates == ()
    assert not match(
        fielded(streetName="Raffles Place", city="Singapore", country="SG"), many, too_many=5
    ).too_many
    # a confident best match is answered, with only the closest alternates
    result = match(
        fielded(streetNr="2", streetName="Raffles Place", city="Singapore", country="SG"), many, too_many=3
    )
    assert result.best is not None and result.best.id == "r2" and len(result.alternates) == 3


def test_nearest_prefers_same_postcode_then_city_within_the_country() -> None:
    near = matching.nearest(RAFFLES, KNOWN)
    assert [a.id for a in near] == ["raffles-3"]  # Kraków is in another country
