"""Address matching (MEF 121): normalise what a Buyer typed, score it against the Seller's known addresses.

Pure functions over plain dicts. A submitted address is either fielded (`streetNr`, `streetName`, ...) or
formatted (`addrLine1`, `addrLine2`, ...); both are reduced to the same comparable parts. The score is a
weighted agreement of street, street number, postcode and city; the country must agree (an ISO code and a
country name count as the same country, every ISO 3166 country).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from counterpoint.core.seller.model import KnownAddress
from counterpoint.core.serviceability.countries import country_code

# Abbreviations expanded token by token, so "Raffles Pl." and "Raffles Place" compare equal.
ABBREVIATIONS: dict[str, str] = {
    "st": "street",
    "str": "street",
    "rd": "road",
    "ave": "avenue",
    "av": "avenue",
    "blvd": "boulevard",
    "bd": "boulevard",
    "pl": "place",
    "cres": "crescent",
    "cr": "crescent",
    "cresc": "crescent",
    "dr": "drive",
    "ln": "lane",
    "ct": "court",
    "hwy": "highway",
    "pde": "parade",
    "tce": "terrace",
    "ter": "terrace",
    "sq": "square",
    "pkwy": "parkway",
    "cl": "close",
    "ctr": "centre",
    "center": "centre",
    "jl": "jalan",
    "jln": "jalan",
    "jend": "jenderal",
    "mt": "mount",
    "bldg": "building",
    "fl": "floor",
    "ul": "ulica",
}

BEST_MATCH_SCORE = 0.85  # at or above (with street number agreeing): the Seller is confident
ALTERNATE_SCORE = 0.55  # at or above: worth proposing as an alternate
TOO_MANY = 10  # more candidates than this: the Buyer must narrow the address (MEF 121 tooManyRecords)

_NUMBER = re.compile(r"^\d+[a-z]?$")
_WEIGHTS = {"street": 4.0, "number": 2.0, "postcode": 2.0, "city": 2.0}


def _fold(text: str) -> str:
    """Lower case, accents removed, punctuation as spaces, whitespace collapsed."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return " ".join(re.sub(r"[^\w]+", " ", plain).split())


def normalise(text: str | None) -> str:
    """Fold and expand common abbreviations (St -> street, Rd -> road, ...)."""
    if not text:
        return ""
    return " ".join(ABBREVIATIONS.get(token, token) for token in _fold(text).split())


def normalise_postcode(text: str | None) -> str:
    return re.sub(r"[\s-]+", "", text or "").lower()


def normalise_country(text: str | None) -> str:
    """The ISO 3166 alpha-2 code (lower case) of a country given by code or name; else the text folded."""
    code = country_code(text)
    return code.lower() if code else _fold(text or "")


def same_country(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and normalise_country(a) == normalise_country(b)


def similarity(a: str, b: str) -> float:
    """Closeness of two normalised strings: the better of character overlap and token overlap."""
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    ta, tb = set(a.split()), set(b.split())
    jaccard = len(ta & tb) / len(ta | tb)
    return max(jaccard, SequenceMatcher(None, a, b).ratio())


@dataclass(frozen=True, slots=True)
class AddressParts:
    """The comparable content of an address, whatever form it came in."""

    street: str  # normalised street name and type
    number: str  # normalised street number (with suffix), may be empty
    city: str
    postcode: str
    country: str  # as written; compared with same_country

    @classmethod
    def of_fields(cls, fields: Mapping[str, Any]) -> AddressParts:
        street = normalise(" ".join(str(fields.get(k) or "") for k in ("streetName", "streetType")))
        number = _fold(f"{fields.get('streetNr') or ''}{fields.get('streetNrSuffix') or ''}").replace(" ", "")
        return cls(
            street=street,
            number=number,
            city=normalise(fields.get("city") or fields.get("locality")),
            postcode=normalise_postcode(fields.get("postcode")),
            country=str(fields.get("country") or ""),
        )

    @classmethod
    def of_formatted(cls, fields: Mapping[str, Any]) -> AddressParts:
        tokens = normalise(str(fields.get("addrLine1") or "")).split()
        numbers = [t for t in tokens if _NUMBER.match(t)]
        street = " ".join(t for t in tokens if not _NUMBER.match(t))
        return cls(
            street=street,
            number=numbers[0] if numbers else "",
            city=normalise(fields.get("city") or fields.get("locality")),
            postcode=normalise_postcode(fields.get("postcode")),
            country=str(fields.get("country") or ""),
        )

    @classmethod
    def of_submitted(cls, address: Mapping[str, Any]) -> AddressParts | None:
        """Parts of a Buyer's address; None for forms that carry no street address (point, label)."""
        kind = address.get("@type")
        if kind == "FieldedAddress":
            return cls.of_fields(address)
        if kind == "FormattedAddress":
            return cls.of_formatted(address)
        return None


def score(submitted: AddressParts, known: KnownAddress) -> float:
    """0..1 agreement between a submitted address and a known one; 0 when the countries differ."""
    target = AddressParts.of_fields(known.fields)
    if submitted.country and not same_country(submitted.country, target.country):
        return 0.0
    parts: dict[str, float] = {"street": similarity(submitted.street, target.street)}
    if submitted.number:
        parts["number"] = 1.0 if submitted.number == target.number else 0.0
    if submitted.postcode and target.postcode:
        parts["postcode"] = 1.0 if submitted.postcode == target.postcode else 0.0
    if submitted.city:
        parts["city"] = similarity(submitted.city, target.city)
    total = sum(_WEIGHTS[k] for k in parts)
    return sum(_WEIGHTS[k] * v for k, v in parts.items()) / total


@dataclass(frozen=True, slots=True)
class Candidate:
    address: KnownAddress
    score: float


@dataclass(frozen=True, slots=True)
class MatchResult:
    best: KnownAddress | None
    alternates: tuple[KnownAddress, ...]
    too_many: bool = False

    @property
    def outcome(self) -> str:
        """MEF 121 MEFValidationResultType."""
        if self.best is not None:
            return "success"
        return "partial" if self.alternates else "fail"


def match(submitted: AddressParts, known: Iterable[KnownAddress], *, too_many: int = TOO_MANY) -> MatchResult:
    """The best match (if the Seller is confident) and the alternates worth proposing.

    With a best match, the `too_many` closest alternates come with it. Without one, more than `too_many`
    candidates means the Buyer's address is too vague to answer (`too_many` set, nothing proposed).
    """
    candidates = sorted(
        (Candidate(a, score(submitted, a)) for a in known), key=lambda c: (-c.score, c.address.id)
    )
    candidates = [c for c in candidates if c.score >= ALTERNATE_SCORE]
    best: KnownAddress | None = None
    if candidates:
        top = candidates[0]
        target = AddressParts.of_fields(top.address.fields)
        number_agrees = not submitted.number or submitted.number == target.number
        runner_up = candidates[1].score if len(candidates) > 1 else 0.0
        if top.score >= BEST_MATCH_SCORE and number_agrees and top.score > runner_up:
            best = top.address
    alternates = [c.address for c in candidates if c.address is not best]
    if best is None and len(alternates) > too_many:
        return MatchResult(best=None, alternates=(), too_many=True)
    return MatchResult(best=best, alternates=tuple(alternates[:too_many]))


def resolve(address: Mapping[str, Any], known: Iterable[KnownAddress]) -> KnownAddress | None:
    """The known address a Buyer's fielded or formatted address stands for, when the match is confident."""
    parts = AddressParts.of_submitted(address)
    if parts is None:
        return None
    return match(parts, known).best


def nearest(address: KnownAddress, known: Iterable[KnownAddress]) -> list[KnownAddress]:
    """Other known addresses ordered by closeness: same postcode, then same city, then same country."""
    here = AddressParts.of_fields(address.fields)

    def rank(other: KnownAddress) -> tuple[int, str]:
        there = AddressParts.of_fields(other.fields)
        if here.postcode and here.postcode == there.postcode:
            return (0, other.id)
        if here.city and here.city == there.city:
            return (1, other.id)
        return (2, other.id)

    return sorted(
        (
            a
            for a in known
            if a.id != address.id and same_country(a.fields.get("country"), address.fields.get("country"))
        ),
        key=rank,
    )
