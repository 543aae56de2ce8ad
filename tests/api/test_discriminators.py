"""Objects are parsed and checked as the subtype their `@type` names.

MEF's envelopes put the discriminator on a base schema (RelatedPlaceRefOrValue, GeographicAddress,
GeographicAddressRefOrValue) whose subtypes extend it with allOf. A place that says FieldedAddress must have
what a FieldedAddress requires, and a type the mapping does not name is refused, both in the request models
and in the tests' own response checks (which common OpenAPI validators would let through).
"""

from __future__ import annotations

import copy
import importlib
from typing import Any

import httpx
import pytest
from pydantic import TypeAdapter, ValidationError

from counterpoint.core.shared.apis import BASE, base_path
from tests.builders import ORDER_BASE, add_item, order_body
from tests.helpers import BUYER_A, assert_mef_response, envelope, validate_against
from tests.unit.serviceability.payloads import POQ_BASE, item, poq

SCHEMAS = "#/components/schemas/"
# function (core.shared.apis.BASE) -> generated module name
MODULES = {"geographicAddress": "geographic_address", "geographicSite": "geographic_site", "poq": "poq",
           "quote": "quote", "productOrder": "product_order", "productInventory": "product_inventory"}


def _schema(spec: dict[str, Any], ref: str) -> dict[str, Any]:
    return spec["components"]["schemas"][ref.removeprefix(SCHEMAS)]  # type: ignore[no-any-return]


def _required(spec: dict[str, Any], schema: dict[str, Any]) -> set[str]:
    out = set(schema.get("required", ()))
    for part in schema.get("allOf", ()):
        out |= _required(spec, _schema(spec, part["$ref"]) if "$ref" in part else part)
    return out


def _properties(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    out = dict(schema.get("properties", {}))
    for part in schema.get("allOf", ()):
        out.update(_properties(spec, _schema(spec, part["$ref"]) if "$ref" in part else part))
    return out


def discriminated_fields(function: str, channel: str) -> list[tuple[str, str, str, bool]]:
    """(schema, property, discriminated base, is an array) for every property of the envelope that holds a base
    schema carrying a discriminator mapping."""
    spec = envelope(function, channel)
    schemas = spec["components"]["schemas"]
    bases = {SCHEMAS + n for n, s in schemas.items() if (s.get("discriminator") or {}).get("mapping")}
    found = []
    for name, schema in schemas.items():
        for prop, sub in _properties(spec, schema).items():
            many = sub.get("type") == "array"
            ref = (sub.get("items") or {}).get("$ref") if many else sub.get("$ref")
            if ref in bases:
                found.append((name, prop, ref.removeprefix(SCHEMAS), many))
    return found


CASES = [(fn, ch, *f) for fn in MODULES for ch in ("sonata", "cantata") for f in discriminated_fields(fn, ch)]


def test_the_envelopes_have_discriminated_fields() -> None:
    assert {(c[0], c[4]) for c in CASES} >= {("productOrder", "RelatedPlaceRefOrValue"),
                                              ("quote", "RelatedPlaceRefOrValue"), ("poq", "RelatedPlaceRefOrValue"),
                                              ("geographicAddress", "GeographicAddress"),
                                              ("geographicSite", "GeographicAddressRefOrValue")}
    assert len(CASES) >= 16


@pytest.mark.parametrize(("function", "channel", "schema", "prop", "base", "many"), CASES,
                         ids=[f"{c[1]}-{c[2]}.{c[3]}" for c in CASES])
def test_every_discriminated_field_parses_as_the_named_subtype(function: str, channel: str, schema: str,
                                                               prop: str, base: str, many: bool) -> None:
    spec = envelope(function, channel)
    disc = spec["components"]["schemas"][base]["discriminator"]
    tag = disc["propertyName"]
    module = importlib.import_module(
        f"counterpoint.contracts.{channel}.{MODULES[function]}_{BASE[function][channel].split('/')[-1]}")
    field = getattr(module, schema).model_fields[prop]
    adapter: TypeAdapter[Any] = TypeAdapter(field.annotation)
    base_only = {k: "x" for k in _required(spec, _schema(spec, SCHEMAS + base)) if k != tag}

    def check(value: dict[str, Any]) -> Any:
        return adapter.validate_python([value] if many else value)

    for type_name, target in disc["mapping"].items():
        subtype = _schema(spec, target)
        own = _required(spec, subtype) - set(base_only) - {tag}
        props = _properties(spec, subtype)
        complete = {tag: type_name, **base_only, **{k: "x" for k in own}}
        if all(props.get(k, {}).get("type") == "string" for k in own):
            parsed = check(complete)
            parsed = parsed[0] if many else parsed
            assert type(parsed).__name__ == target.removeprefix(SCHEMAS).replace("_", "")
        for missing in own:  # what the named subtype requires cannot be left out
            with pytest.raises(ValidationError) as caught:
                check({k: v for k, v in complete.items() if k != missing})
            assert any(e["loc"][-1] == missing for e in caught.value.errors()), (type_name, missing)
    with pytest.raises(ValidationError) as caught:
        check({tag: "NoSuchType", **base_only, "id": "x"})
    assert "NoSuchType" in str(caught.value)


# --- through the API --------------------------------------------------------------------------------------

BARE = {"@type": "FieldedAddress", "id": "addr-sg-raffles", "role": "INSTALL_LOCATION"}


def _order_with(place: dict[str, Any]) -> dict[str, Any]:
    one = add_item()
    one["product"]["place"] = [place]
    return order_body(one)


@pytest.mark.parametrize("channel", ["sonata", "cantata"])
async def test_a_place_that_says_fielded_address_must_be_one(client: httpx.AsyncClient, channel: str) -> None:
    base = base_path("productOrder", channel)
    r = await client.post(f"{base}/productOrder", headers=BUYER_A, json=_order_with(BARE))
    assert r.status_code == 422, r.text
    problems = assert_mef_response(r, "productOrder", "/productOrder", "post", channel)
    pointer = "/productOrderItem/0/product/place/0"
    assert {(p["code"], p["propertyPath"]) for p in problems} == {
        ("missingProperty", f"{pointer}/{k}") for k in ("city", "country", "streetName")}

    r = await client.post(f"{base}/productOrder", headers=BUYER_A, json=_order_with({**BARE, "@type": "Plaza"}))
    assert r.status_code == 422, r.text
    (problem,) = assert_mef_response(r, "productOrder", "/productOrder", "post", channel)
    assert (problem["code"], problem["propertyPath"]) == ("invalidValue", f"{pointer}/@type")
    assert "Plaza" in problem["reason"] and "FieldedAddress" in problem["reason"]

    untyped = {k: v for k, v in BARE.items() if k != "@type"}
    r = await client.post(f"{base}/productOrder", headers=BUYER_A, json=_order_with(untyped))
    (problem,) = assert_mef_response(r, "productOrder", "/productOrder", "post", channel)
    assert (problem["code"], problem["propertyPath"]) == ("missingProperty", f"{pointer}/@type")


async def test_poq_and_quote_places_too(client: httpx.AsyncClient) -> None:
    r = await client.post(f"{POQ_BASE}/productOfferingQualification", headers=BUYER_A, json=poq(item(place=BARE)))
    assert r.status_code == 422, r.text
    paths = {p["propertyPath"] for p in r.json()}
    assert "/productOfferingQualificationItem/0/product/place/0/city" in paths
    from tests.api.test_quote import QUOTE_BASE, qitem, quote

    r = await client.post(f"{QUOTE_BASE}/quote", headers=BUYER_A, json=quote(qitem(place=BARE)))
    assert r.status_code == 422, r.text
    assert "/quoteItem/0/product/place/0/streetName" in {p["propertyPath"] for p in r.json()}


async def test_the_response_check_applies_base_schema_discriminators(client: httpx.AsyncClient) -> None:
    r = await client.post(f"{ORDER_BASE}/productOrder", headers=BUYER_A, json=order_body())
    order = assert_mef_response(r, "productOrder", "/productOrder", "post")
    schema = {"$ref": SCHEMAS + "ProductOrder"}
    validate_against("productOrder", "sonata", schema, order)
    for bad in (BARE, {**BARE, "@type": "Plaza"}):
        broken = copy.deepcopy(order)
        broken["productOrderItem"][0]["product"]["place"] = [bad]
        with pytest.raises(AssertionError, match="place"):
            validate_against("productOrder", "sonata", schema, broken)
    # a list of such bodies is checked item by item, and a property that is the base itself is checked too
    broken = copy.deepcopy(order)
    broken["productOrderItem"][0]["product"]["place"] = [BARE]
    with pytest.raises(AssertionError):
        validate_against("productOrder", "sonata", {"type": "array", "items": schema}, [order, broken])
    validation = {"provideAlternative": False, "submittedGeographicAddress": BARE, "validationResult": "fail"}
    with pytest.raises(AssertionError, match="submittedGeographicAddress"):
        validate_against("geographicAddress", "sonata", {"$ref": SCHEMAS + "GeographicAddressValidation"},
                         validation)
