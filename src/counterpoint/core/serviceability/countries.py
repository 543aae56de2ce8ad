"""ISO 3166 countries by code or name, from pycountry (the ISO 3166-1 list, maintained with Debian's iso-codes).

A profile or a Buyer may write a country as its alpha-2 code ("HU"), alpha-3 code ("HUN"), numeric code
("348") or name ("Hungary", official or common name, any case, accents optional). The Seller keeps the
alpha-2 code.
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata

import pycountry

# Names people write that ISO 3166 spells otherwise (ISO's own names and codes are read from pycountry).
_ALIASES = {
    "uk": "GB", "great britain": "GB", "england": "GB", "scotland": "GB", "wales": "GB",
    "russia": "RU", "turkey": "TR", "korea": "KR", "north korea": "KP", "ivory coast": "CI",
    "macedonia": "MK", "palestine": "PS", "vatican": "VA", "holland": "NL", "deutschland": "DE",
    "uae": "AE", "usa": "US", "america": "US", "burma": "MM", "swaziland": "SZ", "cape verde": "CV",
    "east timor": "TL", "czech republic": "CZ", "brunei": "BN",
}


def fold(text: str) -> str:
    """Lower case, accents removed, punctuation as spaces, whitespace collapsed."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return " ".join(re.sub(r"[^\w]+", " ", plain).split())


@functools.cache
def _index() -> dict[str, str]:
    out: dict[str, str] = {}
    for c in pycountry.countries:
        for name in (getattr(c, "common_name", None), getattr(c, "official_name", None), c.name,
                     c.alpha_3, c.numeric, c.alpha_2):
            if name:
                out[fold(name)] = c.alpha_2
    for name, code in _ALIASES.items():
        out.setdefault(name, code)
    return out


def country_code(text: str | None) -> str | None:
    """The ISO 3166 alpha-2 code of a country given by code or name; None when no country is called that."""
    if not text:
        return None
    return _index().get(fold(text))


def suggestions(text: str, n: int = 3) -> list[str]:
    """Country names close to `text`, for a message about a name that is not one."""
    names = {fold(c.name): c.name for c in pycountry.countries}
    return [names[k] for k in difflib.get_close_matches(fold(text), list(names), n=n, cutoff=0.7)]
