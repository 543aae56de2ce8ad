"""The Seller's addresses (MEF 121) and sites (MEF 122) as MEF documents, and who may see which site.

Addresses and sites are the Seller's own data (the profile), not stored resources: nothing here touches
the database. Documents are plain dicts in the MEF shape; `href` bases are passed in by the caller.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from counterpoint.core.seller.model import KnownAddress, SellerProfile, Site
from counterpoint.core.serviceability import matching
from counterpoint.core.shared.errors import Invalid, NotFound, Problem

# Fields of a KnownAddress that MEF FieldedAddress carries (the profile may hold more in future).
FIELDED = (
    "streetNr",
    "streetNrSuffix",
    "streetNrLast",
    "streetNrLastSuffix",
    "streetName",
    "streetType",
    "streetSuffix",
    "postcode",
    "postcodeExtension",
    "locality",
    "city",
    "stateOrProvince",
    "country",
)
MAX_SITES = 500  # more matching sites than this: the query is too wide (MEF 122 tooManyRecords)


def street_line(fields: Mapping[str, str]) -> str:
    """The first line of a formatted address, as the Seller writes it: "1 Raffles Place"."""
    number = f"{fields.get('streetNr', '')}{fields.get('streetNrSuffix', '')}"
    return " ".join(p for p in (number, fields.get("streetName", ""), fields.get("streetType", "")) if p)


def public_site_at(profile: SellerProfile, address_id: str) -> bool:
    return any(
        s.address_id == address_id and s.site_type == "public" and not s.buyer_ids for s in profile.sites
    )


def address_doc(
    profile: SellerProfile, address: KnownAddress, *, href_base: str, form: str = "FieldedAddress"
) -> dict[str, Any]:
    """A known address in the form the Buyer used (MEF 121 R16): FieldedAddress or FormattedAddress.

    An address without a street name cannot be a valid FieldedAddress; it is given formatted instead.
    """
    if not address.fields.get("streetName"):
        form = "FormattedAddress"
    doc: dict[str, Any] = {
        "@type": form,
        "id": address.id,
        "href": f"{href_base}/geographicAddress/{address.id}",
        "allowsNewSite": True,
        "hasPublicSite": public_site_at(profile, address.id),
    }
    fields = address.fields
    if form == "FormattedAddress":
        doc["addrLine1"] = street_line(fields) or fields.get("locality") or fields.get("city", "")
        for key in ("locality", "city", "stateOrProvince", "postcode", "postcodeExtension", "country"):
            if fields.get(key):
                doc[key] = fields[key]
    else:
        doc.update({k: fields[k] for k in FIELDED if fields.get(k)})
    return doc


def get_address(profile: SellerProfile, address_id: str, *, href_base: str) -> dict[str, Any]:
    """retrieveGeographicAddress: any authenticated Buyer may read the Seller's addresses."""
    address = profile.address(address_id)
    if address is None:
        raise NotFound(f"geographic address {address_id} not found")
    return address_doc(profile, address, href_base=href_base)


def validate_address(profile: SellerProfile, request: dict[str, Any], *, href_base: str) -> dict[str, Any]:
    """createGeographicAddressValidation: the request echoed back with the Seller's matches.

    The answer is not stored (the envelope defines no retrieve operation for it). `provideAlternative=false`
    is echoed but not acted on: MEF asks Sellers to propose alternates in every case.
    """
    submitted = request["submittedGeographicAddress"]
    if submitted.get("id") is not None:
        raise Invalid(
            "the Buyer must not give an id to the submitted address",
            problems=[
                Problem(
                    "unexpectedProperty",
                    "submittedGeographicAddress.id is assigned by the Seller, not the Buyer",
                    "/submittedGeographicAddress/id",
                )
            ],
        )
    parts = matching.AddressParts.of_submitted(submitted)
    # Points and labels: the profile knows no coordinates or labels, so nothing can be matched.
    result = matching.match(parts, profile.addresses) if parts is not None else matching.MatchResult(None, ())
    if result.too_many:
        raise Invalid(
            "too many addresses match",
            problems=[
                Problem(
                    "tooManyRecords",
                    "more known addresses match than the Seller returns; add the street number and postcode",
                    "/submittedGeographicAddress",
                )
            ],
        )
    form = submitted["@type"]
    doc: dict[str, Any] = {
        **request,
        "validationResult": result.outcome,
        "alternateGeographicAddress": [
            address_doc(profile, a, href_base=href_base, form=form) for a in result.alternates
        ],
    }
    if result.best is not None:
        doc["bestMatchGeographicAddress"] = address_doc(profile, result.best, href_base=href_base, form=form)
    return doc


# --- sites --------------------------------------------------------------------------------------------------


def can_see(site: Site, buyer_id: str) -> bool:
    """A site naming buyers is theirs alone; else public sites are for everyone, private ones for no one."""
    if site.buyer_ids:
        return buyer_id in site.buyer_ids
    return site.site_type == "public"


def visible_site(profile: SellerProfile, buyer_id: str, site_id: str) -> Site | None:
    site = profile.site(site_id)
    return site if site is not None and can_see(site, buyer_id) else None


def site_doc(profile: SellerProfile, site: Site, *, href_base: str, address_href_base: str) -> dict[str, Any]:
    place: list[dict[str, Any]] = [
        {
            "@type": "GeographicAddressRef",
            "id": site.address_id,
            "href": f"{address_href_base}/geographicAddress/{site.address_id}",
        }
    ]
    address = profile.address(site.address_id)
    if address is not None and address.fields.get("streetName"):
        place.append(
            {"@type": "FieldedAddress", **{k: address.fields[k] for k in FIELDED if address.fields.get(k)}}
        )
    doc: dict[str, Any] = {
        "@type": "GeographicSite",
        "id": site.id,
        "href": f"{href_base}/geographicSite/{site.id}",
        "name": site.name,
        "siteType": site.site_type,
        "place": place,
    }
    if site.company:
        doc["companyName"] = site.company
    if site.description:
        doc["description"] = site.description
    return doc


@dataclass(frozen=True, slots=True)
class SiteFilter:
    """listGeographicSite criteria; every given criterion must hold."""

    company_name: str | None = None
    customer_name: str | None = None
    description: str | None = None
    site_type: str | None = None
    name: str | None = None
    service_site_contact_name: str | None = None
    address_id: str | None = None
    street_nr: str | None = None
    street_name: str | None = None
    street_type: str | None = None
    city: str | None = None
    postcode: str | None = None
    country: str | None = None


def _contains(want: str | None, have: str | None) -> bool:
    return want is None or (have is not None and matching.normalise(want) in matching.normalise(have))


def _equal(want: str | None, have: str | None) -> bool:
    return want is None or (have is not None and matching.normalise(want) == matching.normalise(have))


def site_matches(profile: SellerProfile, site: Site, f: SiteFilter) -> bool:
    if f.customer_name is not None or f.service_site_contact_name is not None:
        return False  # the profile records neither tenants nor site contacts, so nothing can match
    if f.site_type is not None and site.site_type != f.site_type:
        return False
    if f.address_id is not None and site.address_id != f.address_id:
        return False
    if not (
        _contains(f.company_name, site.company)
        and _contains(f.description, site.description)
        and _contains(f.name, site.name)
    ):
        return False
    fields = (profile.address(site.address_id) or KnownAddress(id="", fields={})).fields
    if f.country is not None and not matching.same_country(f.country, fields.get("country")):
        return False
    if f.postcode is not None and matching.normalise_postcode(f.postcode) != matching.normalise_postcode(
        fields.get("postcode")
    ):
        return False
    return (
        _equal(f.street_nr, fields.get("streetNr"))
        and _equal(f.street_type, fields.get("streetType"))
        and _equal(f.city, fields.get("city"))
        and _contains(f.street_name, fields.get("streetName"))
    )


def find_sites(
    profile: SellerProfile, buyer_id: str, f: SiteFilter, *, max_results: int = MAX_SITES
) -> list[Site]:
    """listGeographicSite: the sites this Buyer may see that meet every criterion, in profile order."""
    found = [s for s in profile.sites if can_see(s, buyer_id) and site_matches(profile, s, f)]
    if len(found) > max_results:
        raise Invalid(
            "too many sites match",
            problems=[
                Problem(
                    "tooManyRecords",
                    f"more than {max_results} sites match; narrow the query (e.g. geographicAddress.id)",
                )
            ],
        )
    return found


def get_site(profile: SellerProfile, buyer_id: str, site_id: str) -> Site:
    """retrieveGeographicSite: 404 for unknown sites and for private sites of other Buyers alike."""
    site = visible_site(profile, buyer_id, site_id)
    if site is None:
        raise NotFound(f"geographic site {site_id} not found")
    return site
