"""The hostile-input suite: generated requests over every MEF operation never get a 5xx or hang, and change
nothing they should not.

- Cases come from MEF's own envelopes (../shared/mef, or their committed structure), not from our OpenAPI;
  every answer must be a status the envelope documents for the operation (plus 401/403/404, which every
  envelope allows, and 413 for an oversized body).
- They are sent with valid credentials, and `{id}` path parameters are mostly the ids of resources that
  exist (the caller's own and another buyer's), so the requests reach past the 404.
- POST operations also get valid bodies (the ones the API tests use) with one part replaced by generated
  JSON or removed, and unchanged, so success paths are reached, not only rejections.
- Afterwards: the other buyer's resources are exactly as they were, and every collection holds exactly
  the seeded resources plus one per 201 it answered (a refused request stored nothing).

Cheap by design: few examples per operation, derandomized (the same cases every run); every function runs
on both databases.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import itertools
import json
import os
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from counterpoint.api.app import MOUNTS
from counterpoint.bootstrap import Container
from counterpoint.core.incident.model import Impact, IncidentType, Notice
from counterpoint.core.incident.services import raise_incidents
from counterpoint.core.seller.model import ExistingProduct, SellerProfile
from counterpoint.core.shared.apis import base_path
from counterpoint.core.shared.clock import ManualClock
from counterpoint.core.workforce import slots
from tests.api.test_product_order import contacts
from tests.api.test_quote import qitem, quote
from tests.api.test_trouble_ticket import ticket_body
from tests.api.workforce_support import booking, open_wo, search
from tests.builders import order_body
from tests.helpers import BUYER_A, BUYER_B, envelope
from tests.unit.serviceability.payloads import poq

EXAMPLES = int(os.environ.get("COUNTERPOINT_PROPERTY_EXAMPLES", "12"))
HANG_S = 60.0  # a request that has not answered by then is a hang (not a speed goal: answers take ms)
_DELETE = object()
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=6)
# What the hostile-input report found breaking things, mixed into the generated values
HOSTILE_VALUES = st.sampled_from([
    "nul\x00inside", "\ud800", "x" * 70_000, 2**64, -2**63 - 1, 1e308, "9999-12-31T23:59:59-14:00",
    "2024-01-01T00:00:00", "http://[zz]/x", "a\r\nb",
    {"@type": "FieldedAddress"}, {"@type": "NoSuchType", "id": "x"}, {"deep": [[[[[[[[1]]]]]]]]},
])


PRODUCTS = {"buyer-a": "fuzz-product-a", "buyer-b": "fuzz-product-b"}


@pytest.fixture
def profile(profile: SellerProfile) -> SellerProfile:
    """The demo profile with a product per buyer: trouble tickets are about products the Buyer has."""
    return dataclasses.replace(profile, inventory=tuple(
        ExistingProduct(id=pid, buyer_id=buyer, offering_id="ael-sg", spec_urn=profile.offerings[0].spec_urn,
                        configuration={}, places=()) for buyer, pid in PRODUCTS.items()))


def _ticket(buyer: str) -> dict[str, Any]:
    """A ticket with what R9 requires and an externalId: the API tests cover notes and attachments."""
    body = ticket_body(relatedEntity=[{"id": PRODUCTS[buyer], "role": "Issue Source", "@referredType": "Product"}])
    return {k: v for k, v in body.items() if k not in ("note", "attachment", "issueStartDate")}


class Alternatives(list[dict[str, Any]]):
    """Valid bodies of one shape, for an operation whose every success uses something up (an appointment books its
    work order): each use takes the next. (Handled in _leaves and _mutated, so that `check` below keeps its source,
    from which hypothesis derives the derandomized examples every function gets.)"""

    def __init__(self, bodies: list[dict[str, Any]]) -> None:
        super().__init__(bodies)
        self._uses = itertools.count()

    def next(self) -> dict[str, Any]:
        return self[next(self._uses) % len(self)]


def _valid_bodies(function: str, seeds: dict[str, list[str]]) -> dict[str, Any]:
    """POST path -> a body the Seller accepts (201), or Alternatives."""
    order = (seeds.get("/productOrder/{id}") or ["no-order"])[0]
    visits = seeds.get("bookable", [])
    return {
        "appointment": {
            "/searchTimeSlot": search(visits[0].split("@")[0], *_week()) if visits else {},
            "/appointment": Alternatives([booking(v.split("@")[0], datetime.fromisoformat(v.split("@")[1]))
                                          for v in visits]),
        },
        "poq": {"/productOfferingQualification": poq()},
        "quote": {"/quote": quote(qitem())},
        "productOrder": {
            "/productOrder": order_body(),
            "/cancelProductOrder": {"productOrder": {"productOrderId": order}, "cancellationReason": "fuzz",
                                    "cancellationReasonType": "commercial", "relatedContactInformation": contacts()},
        },
        "troubleTicket": {"/troubleTicket": _ticket("buyer-a")},
        "geographicAddress": {"/geographicAddressValidation": {
            "provideAlternative": True,
            "submittedGeographicAddress": {"@type": "FieldedAddress", "streetNr": "1", "streetName": "Raffles",
                                           "streetType": "Place", "city": "Singapore", "country": "SG"}}},
    }.get(function, {})


def _week() -> list[tuple[datetime, datetime]]:
    start = ManualClock().now()
    return [(start, start + timedelta(days=7))]


def _deep(depth: int) -> Any:
    out: Any = []
    for _ in range(depth):
        out = [out]
    return out


def _hostile_queries(operation_spec: dict[str, Any]) -> list[dict[str, str]]:
    params = [p for p in operation_spec.get("parameters", []) if p.get("in") == "query"]
    out: list[dict[str, str]] = [{"offset": str(2**63)}, {"limit": str(2**63)}, {"offset": "-1"}]
    for p in params:
        if p.get("schema", {}).get("format") == "date-time":
            out += [{p["name"]: "2024-01-01T00:00:00"}, {p["name"]: "9999-12-31T23:59:59-14:00"}]
        elif p.get("schema", {}).get("type") == "string":
            out += [{p["name"]: "x" * 60_000}, {p["name"]: "a\x00b"}]
    return out


def _leaves(doc: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(doc, Alternatives):
        return _leaves(doc[0], path)
    out = [path] if path else []
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _leaves(v, (*path, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += _leaves(v, (*path, i))
    return out


def _mutated(body: dict[str, Any], where: tuple[Any, ...] | None, value: Any) -> dict[str, Any]:
    if isinstance(body, Alternatives):
        body = body.next()
    out = copy.deepcopy(body)
    if where is None:
        return out
    node = out
    for part in where[:-1]:
        node = node[part]
    if value is _DELETE:
        del node[where[-1]]
    else:
        node[where[-1]] = value
    return out


async def _seed_incidents(container: Container) -> None:
    """Incidents are raised by the Seller, not posted by buyers: one announcement touching a product of each."""
    notice = Notice(notice_id="seed-maintenance", incident_type=IncidentType.MAINTENANCE, impact=Impact.DOWN,
                    start=container.clock.now() + timedelta(days=1), end=container.clock.now() + timedelta(days=2),
                    description="seeded maintenance", closes_at_end=True)
    async with container.uow() as uow:
        await raise_incidents(uow, container.clock, container.profile, notice,
                              [("buyer-a", "sonata", "seed-product-a"), ("buyer-b", "sonata", "seed-product-b")])
        await uow.commit()


async def _seed(client: httpx.AsyncClient, function: str, container: Container) -> dict[str, list[str]]:
    """Resources of buyers A and B; returns path template -> ids (A's first)."""
    if function == "troubleTicket":
        await _seed_incidents(container)
    bookable: list[str] = []
    if function in ("appointment", "workOrder"):  # work orders are the Seller's: opened as a ticket would
        cal, now = container.profile.workforce, container.clock.now()
        free = list(slots.grid(cal, slots.earliest_start(cal, now), now + cal.search_horizon))
        for headers, buyer in ((BUYER_A, "buyer-a"), (BUYER_B, "buyer-b")):
            booked = await open_wo(container, buyer_id=buyer)
            r = await client.post(base_path("appointment", "sonata") + "/appointment", headers=headers,
                                  json=booking(booked.id, free[-1].start))
            assert r.status_code == 201, r.text
            await open_wo(container, buyer_id=buyer, required=False)
        for i in range(3 * EXAMPLES):  # one work order per booking the generated requests may make
            wo = await open_wo(container)
            bookable.append(f"{wo.id}@{free[i // cal.technicians].start.isoformat()}")
    for headers in (BUYER_A, BUYER_B):
        for fn, path, body in (("poq", "/productOfferingQualification", poq()), ("quote", "/quote", quote(qitem())),
                               ("productOrder", "/productOrder", order_body())):
            r = await client.post(base_path(fn, "sonata") + path, headers=headers, json=body)
            assert r.status_code == 201, r.text
        buyer = "buyer-a" if headers is BUYER_A else "buyer-b"
        r = await client.post(base_path("troubleTicket", "sonata") + "/troubleTicket", headers=headers,
                              json=_ticket(buyer))
        assert r.status_code == 201, r.text
        for fn in ("poq", "quote", "productOrder", "troubleTicket"):
            r = await client.post(base_path(fn, "sonata") + "/hub", headers=headers,
                                  json={"callback": "https://buyer.example/hook"})
            assert r.status_code == 201, r.text
    ids: dict[str, list[str]] = {}
    spec = envelope(function)
    for path, ops in spec["paths"].items():
        if "get" in ops and "{" not in path:
            for headers in (BUYER_A, BUYER_B):
                r = await client.get(base_path(function, "sonata") + path, headers=headers)
                if r.status_code == 200:
                    ids.setdefault(f"{path}/{{id}}", []).extend(x["id"] for x in r.json() if "id" in x)
    for template in list(ids):  # the operations on a resource (a ticket's cancel, close, reopen) reach it too
        for action in spec["paths"]:
            if action.startswith(template + "/"):
                ids[action] = ids[template]
    if bookable:
        ids["bookable"] = bookable
    return ids


async def _snapshot(client: httpx.AsyncClient, function: str, ids: dict[str, list[str]],
                    headers: dict[str, str]) -> dict[str, Any]:
    spec = envelope(function)
    out: dict[str, Any] = {}
    for template, known in ids.items():
        if template in spec["paths"] and "get" in spec["paths"][template]:
            for rid in known:
                r = await client.get(base_path(function, "sonata") + template.replace("{id}", rid), headers=headers)
                if r.status_code == 200:
                    out[f"{template}:{rid}"] = r.json()
    for path, ops in spec["paths"].items():
        if "get" in ops and "{" not in path:
            r = await client.get(base_path(function, "sonata") + path, headers=headers)
            if r.status_code == 200:
                out[f"total:{path}"] = int(r.headers["X-Total-Count"])
    return out


def _functions() -> list[Any]:
    return [pytest.param(f, id=f) for f in MOUNTS]


@pytest.mark.mef
@pytest.mark.parametrize("function", _functions())
async def test_hostile_requests_never_get_a_5xx_nor_change_what_they_must_not(
        client: httpx.AsyncClient, container: Container, database_url: str, function: str) -> None:
    import schemathesis

    spec = envelope(function)
    schema = schemathesis.openapi.from_dict(spec)
    prefix = base_path(function, "sonata")
    ids = await _seed(client, function, container)
    bodies = _valid_bodies(function, ids)
    before_b = await _snapshot(client, function, ids, BUYER_B)
    before_a = await _snapshot(client, function, ids, BUYER_A)
    loop = asyncio.get_running_loop()
    failures: list[str] = []
    created: Counter[str] = Counter()  # 201s per collection
    succeeded: Counter[str] = Counter()  # 2xx per POST path

    def send(method: str, path: str, **kwargs: Any) -> httpx.Response:
        future = asyncio.run_coroutine_threadsafe(client.request(method, prefix + path, **kwargs), loop)
        try:
            return future.result(timeout=HANG_S)
        except TimeoutError:
            future.cancel()
            failures.append(f"no answer within {HANG_S} s: {method} {path} {str(kwargs)[:300]}")
            raise

    def run_operation(operation: Any) -> None:
        method, template = operation.method.upper(), operation.path
        documented = {int(s) for s in spec["paths"][template][method.lower()]["responses"] if s.isdigit()}
        documented |= {401, 403, 404, 413}
        valid = bodies.get(template) if method == "POST" else None
        leaves = _leaves(valid) if valid else []
        real = ids.get(template, [])
        mutation = st.one_of(st.none(), st.tuples(st.sampled_from(leaves), st.one_of(
            JSON_VALUES, HOSTILE_VALUES, st.just(_deep(300)), st.just(_DELETE))))
        hostile_query = st.one_of(st.none(), st.sampled_from(_hostile_queries(spec["paths"][template][method.lower()])))

        examples = EXAMPLES * (2 if valid is not None else 1)  # POSTs also try variations of a valid body

        @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        # the valid body's variations are drawn first: how much of the stream the generated case takes (which
        # depends on its schema) then cannot decide whether they are tried at all
        @given(use_valid=st.booleans() if valid else st.just(False), change=mutation if leaves else st.none(),
               case=operation.as_strategy(), rid=st.sampled_from(real) if real else st.none(),
               extra=hostile_query)
        def check(case: Any, rid: str | None, use_valid: bool, change: Any, extra: dict[str, str] | None) -> None:
            if rid is not None and "id" in (case.path_parameters or {}):
                case.path_parameters["id"] = rid
            kwargs: dict[str, Any] = {"params": case.query or None,
                                      "headers": {**(case.headers or {}), **BUYER_A}}
            if extra:
                kwargs["params"] = {**(case.query or {}), **extra}
            body = case.body
            if use_valid and valid is not None:  # a valid request with at most one part changed
                body = _mutated(valid, *(change or (None, None)))
                kwargs = {"headers": dict(BUYER_A)}
            if not isinstance(body, type(schemathesis.core.NOT_SET)):
                # encoded here, ASCII-escaped: a lone surrogate the strategies drew is sent as `\ud800` (JSON
                # text the Seller must refuse), where httpx's own encoder would fail before sending
                kwargs["content"] = json.dumps(body).encode()
                kwargs["headers"]["Content-Type"] = "application/json;charset=utf-8"
            response = send(method, case.formatted_path, **kwargs)
            if response.status_code >= 500 or response.status_code not in documented:
                failures.append(f"{response.status_code} for {method} {case.formatted_path} "
                                f"query={case.query!r} body={str(body)[:300]}: {response.text[:300]}")
            if method == "POST" and response.status_code == 201:
                created[template] += 1
            if method == "POST" and response.status_code < 300:
                succeeded[template] += 1
            assert response.status_code < 500, failures[-1]

        if valid is not None:  # the valid body itself, whatever the examples drew
            response = send(method, template, json=valid.next() if isinstance(valid, Alternatives) else valid,
                            headers=dict(BUYER_A))
            assert response.status_code < 300, response.text[:300]
            created[template] += response.status_code == 201
            succeeded[template] += 1
        check()

    operations = [op.ok() for op in schema.get_all_operations()]
    await asyncio.to_thread(lambda: [run_operation(op) for op in operations])
    assert not failures, "\n".join(failures[:5])
    for path in bodies:  # the valid body, and at least one generated variation of it, succeeded
        assert succeeded[path] > 1, f"no generated POST {path} reached a success path"
    assert await _snapshot(client, function, ids, BUYER_B) == before_b, "another buyer's resources changed"
    after_a = await _snapshot(client, function, ids, BUYER_A)
    for key, total in before_a.items():
        if key.startswith("total:"):
            path = key.removeprefix("total:")
            assert after_a[key] == total + created[path], f"{path}: refused requests stored something"
