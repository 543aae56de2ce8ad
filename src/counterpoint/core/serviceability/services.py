"""Use cases of serviceability: address validation (MEF 121), site query (MEF 122) and POQ (MEF 87).

Addresses and sites are the Seller's profile data, so their use cases are plain functions. POQs are stored
resources: created by a Buyer, answered at once (`instantSyncQualification=true`) or later by the worker
(`advance_poq`), read back only by the Buyer that created them.
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import Any

from counterpoint.core.ports import NO_SUPPLY, SupplyChain, UnitOfWork
from counterpoint.core.seller.model import SellerProfile, Site, ValidationPolicy
from counterpoint.core.serviceability import geography
from counterpoint.core.serviceability.geography import SiteFilter
from counterpoint.core.serviceability.model import Poq, PoqFilter, PoqItemState, PoqState
from counterpoint.core.serviceability.qualification import Holding, ItemAnswer, Qualifier, holding_of
from counterpoint.core.shared.clock import Clock
from counterpoint.core.shared.errors import Invalid, Problem
from counterpoint.core.shared.ids import new_id
from counterpoint.core.shared.times import iso, parse_aware
from counterpoint.core.shared.validation import ProductSchemas, gather_configuration_problems

__all__ = [
    "SiteFilter",
    "PoqFilter",
    "validate_address",
    "get_address",
    "list_sites",
    "get_site",
    "create_poq",
    "get_poq",
    "list_poqs",
    "advance_poq",
    "check_request",
    "check_poq_ref",
    "seller_contact",
]

ITEMS = "productOfferingQualificationItem"

# --- addresses and sites (MEF 121, 122) ---------------------------------------------------------------------


def validate_address(profile: SellerProfile, *, request: dict[str, Any], href_base: str) -> dict[str, Any]:
    return geography.validate_address(profile, request, href_base=href_base)


def get_address(profile: SellerProfile, *, address_id: str, href_base: str) -> dict[str, Any]:
    return geography.get_address(profile, address_id, href_base=href_base)


def list_sites(
    profile: SellerProfile,
    *,
    buyer_id: str,
    flt: SiteFilter,
    href_base: str,
    address_href_base: str,
    offset: int = 0,
    limit: int | None = None,
) -> tuple[list[dict[str, Any]], int]:
    found = geography.find_sites(profile, buyer_id, flt)
    page = found[offset:] if limit is None else found[offset : offset + limit]
    return [
        geography.site_doc(profile, s, href_base=href_base, address_href_base=address_href_base) for s in page
    ], len(found)


def get_site(
    profile: SellerProfile, *, buyer_id: str, site_id: str, href_base: str, address_href_base: str
) -> dict[str, Any]:
    site: Site = geography.get_site(profile, buyer_id, site_id)
    return geography.site_doc(profile, site, href_base=href_base, address_href_base=address_href_base)


# --- POQ (MEF 87) -------------------------------------------------------------------------------------------


def seller_contact(profile: SellerProfile) -> dict[str, Any]:
    """The Seller Contact Information a POQ (MEF 87 R25, R26) or a quote answer must carry."""
    return profile.desk_contact("sellerContactInformation", "qualification", "qualification")


def check_request(request: dict[str, Any], *, now: datetime) -> list[Problem]:
    """The MEF 87 rules on a POQ request that the envelope's schema cannot express."""
    problems: list[Problem] = []
    instant = bool(request.get("instantSyncQualification"))
    contacts = request.get("relatedContactInformation") or []
    if not any(isinstance(c, dict) and c.get("role") == "buyerContactInformation" for c in contacts):
        problems.append(
            Problem(
                "missingProperty",
                "relatedContactInformation needs an entry with role buyerContactInformation",
                "/relatedContactInformation",
            )
        )
    requested = request.get("requestedPOQCompletionDate")
    if requested is None and not instant:
        problems.append(
            Problem(
                "missingProperty",
                "requestedPOQCompletionDate is required when instantSyncQualification is false",
                "/requestedPOQCompletionDate",
            )
        )
    elif requested is not None:
        at = parse_aware(str(requested))
        if at is None:
            problems.append(
                Problem(
                    "invalidFormat",
                    "requestedPOQCompletionDate must be a date-time with a zone",
                    "/requestedPOQCompletionDate",
                )
            )
        elif at <= now:
            problems.append(
                Problem(
                    "invalidValue", "requestedPOQCompletionDate is in the past", "/requestedPOQCompletionDate"
                )
            )
    items = request[ITEMS]
    ids = [item["id"] for item in items]
    for i, item in enumerate(items):
        base = f"/{ITEMS}/{i}"
        if ids.count(item["id"]) > 1 and ids.index(item["id"]) != i:
            problems.append(Problem("invalidValue", f"item id {item['id']} is used twice", f"{base}/id"))
        action, product = item["action"], item.get("product") or {}
        if action == "add":
            if product.get("id") is not None:
                problems.append(
                    Problem(
                        "unexpectedProperty",
                        "an add item must not name an existing product",
                        f"{base}/product/id",
                    )
                )
            if product.get("productOffering") is not None and product.get("productSpecification") is not None:
                problems.append(
                    Problem(
                        "invalidValue",
                        "give a product offering or a product specification, not both",
                        f"{base}/product/productSpecification",
                    )
                )
        if action in ("add", "modify") and product.get("productConfiguration") is None:
            problems.append(
                Problem(
                    "missingProperty",
                    f"a {action} item needs a productConfiguration",
                    f"{base}/product/productConfiguration",
                )
            )
        if action in ("modify", "delete") and product.get("id") is None:
            problems.append(
                Problem(
                    "missingProperty",
                    f"a {action} item must name the product (product.id)",
                    f"{base}/product/id",
                )
            )
        if action == "delete":
            problems.extend(
                Problem(
                    "unexpectedProperty", "a delete item names only the product id", f"{base}/product/{key}"
                )
                for key in product
                if key not in ("id", "@type", "href")
            )
        for j, rel in enumerate(item.get("qualificationItemRelationship") or []):
            if rel.get("id") not in ids or rel.get("id") == item["id"]:
                problems.append(
                    Problem(
                        "referenceNotFound",
                        f"no other item {rel.get('id')} in this POQ",
                        f"{base}/qualificationItemRelationship/{j}/id",
                    )
                )
    return problems


async def check_poq_ref(uow: UnitOfWork, buyer_id: str, ref: Any, path: str) -> Problem | None:
    """A productOfferingQualificationItem reference (in a quote or an order) must name a qualified item of one
    of the Buyer's POQs."""
    if not isinstance(ref, dict):
        return None
    poq = await uow.poqs.find(buyer_id, str(ref.get("productOfferingQualificationId")))
    if poq is None:
        return Problem("referenceNotFound", f"no POQ {ref.get('productOfferingQualificationId')}",
                       f"{path}/productOfferingQualificationId")
    try:
        state = poq.item_state(str(ref.get("id")))
    except KeyError:
        return Problem("referenceNotFound", f"POQ {poq.id} has no item {ref.get('id')}", f"{path}/id")
    if state is not PoqItemState.DONE_READY:
        return Problem("invalidValue", f"POQ {poq.id} item {ref.get('id')} is {state.value}, not qualified",
                       f"{path}/id")
    return None


async def holdings(
    uow: UnitOfWork, buyer_id: str, request: dict[str, Any], items: str = ITEMS
) -> dict[str, Holding]:
    """The Buyer's inventory products the items name (modified, deleted or related)."""
    wanted: set[str] = set()
    for item in request[items]:
        product = item.get("product") or {}
        if product.get("id"):
            wanted.add(str(product["id"]))
        wanted.update(str(r["id"]) for r in product.get("productRelationship") or [] if r.get("id"))
    found: dict[str, Holding] = {}
    for product_id in sorted(wanted):
        product = await uow.products.find(buyer_id, product_id)
        if product is not None:
            found[product_id] = holding_of(product_id, product.doc, product.places)
    return found


def _apply(poq_doc: dict[str, Any], answers: list[ItemAnswer]) -> None:
    by_id = {a.item_id: a for a in answers}
    for item in poq_doc[ITEMS]:
        item.update(by_id[item["id"]].fields)


def _final_state(answers: list[ItemAnswer]) -> PoqState:
    if any(a.state is PoqItemState.TERMINATED_WITH_ERROR for a in answers):
        return PoqState.TERMINATED_WITH_ERROR
    return PoqState.DONE_READY


async def create_poq(
    uow: UnitOfWork,
    clock: Clock,
    profile: SellerProfile,
    schemas: ProductSchemas,
    *,
    buyer_id: str,
    seller_id: str,
    channel: str,
    request: dict[str, Any],
    href_base: str,
    supply_chain: SupplyChain = NO_SUPPLY,
) -> Poq:
    """createProductOfferingQualification. Immediate: answered in the response. Deferred: acknowledged now,
    started by the worker on its next round and answered `poq_deferred_days` later (or given up at the
    Buyer's requestedPOQCompletionDate if that comes first)."""
    now = clock.now()
    instant = bool(request.get("instantSyncQualification"))
    problems = check_request(request, now=now)
    warnings = gather_configuration_problems(schemas, strict=profile.validation is ValidationPolicy.STRICT,
                                             items=request[ITEMS], items_key=ITEMS, problems=problems)
    if problems:
        raise Invalid(f"{len(problems)} problem(s) in the POQ request", problems=problems)

    poq_id = new_id()
    doc = copy.deepcopy(request)
    doc.setdefault("instantSyncQualification", False)
    doc.setdefault("provideAlternative", False)
    doc["href"] = f"{href_base}/productOfferingQualification/{poq_id}"
    doc["relatedContactInformation"] = [*doc["relatedContactInformation"], seller_contact(profile)]
    requested = request.get("requestedPOQCompletionDate")
    requested_at = parse_aware(str(requested)) if requested is not None else None
    common: dict[str, Any] = {
        "id": poq_id,
        "buyer_id": buyer_id,
        "seller_id": seller_id,
        "channel": channel,
        "at": now,
        "instant": instant,
        "requested_completion_at": requested_at,
        "warnings": warnings,
    }
    async with uow:
        if instant:
            held = await holdings(uow, buyer_id, request)
            answers = Qualifier(profile, buyer_id=buyer_id, request=doc, holdings=held, at=now).qualify()
            composite = supply_chain.composite_items(profile, doc[ITEMS])
            manual = [a.item_id for a in answers if a.manual or a.item_id in composite]
            if manual:
                raise Invalid(
                    "an immediate answer is not possible",
                    problems=[
                        Problem(
                            "otherIssue",
                            f"item(s) {', '.join(manual)} need checks that take time (by hand, or with our "
                            "partners), so no immediate answer can be given; send the request with "
                            "instantSyncQualification=false",
                            "/instantSyncQualification",
                        )
                    ],
                )
            _apply(doc, answers)
            poq = Poq.create(
                doc=doc,
                state=_final_state(answers),
                item_states={a.item_id: a.state for a in answers},
                item_reasons={a.item_id: a.reason for a in answers if a.reason},
                **common,
            )
        else:
            answer_at = now + timedelta(days=profile.lead_times.poq_deferred_days)
            doc["expectedPOQCompletionDate"] = iso(answer_at)
            poq = Poq.create(
                doc=doc,
                state=PoqState.ACKNOWLEDGED,
                item_states={item["id"]: PoqItemState.ACKNOWLEDGED for item in doc[ITEMS]},
                answer_at=answer_at,
                due_at=now,
                **common,
            )
        await uow.poqs.add(poq)
        if not instant and supply_chain.composite_items(profile, doc[ITEMS]):  # our suppliers: asked by the worker
            await supply_chain.open_for_poq(uow, profile, poq, now=now)
        await uow.commit()
    return poq


async def get_poq(uow: UnitOfWork, *, buyer_id: str, poq_id: str) -> Poq:
    async with uow:
        poq: Poq = await uow.poqs.get(buyer_id, poq_id)
        return poq


async def list_poqs(
    uow: UnitOfWork, *, buyer_id: str, flt: PoqFilter, offset: int, limit: int
) -> tuple[list[Poq], int]:
    async with uow:
        found: tuple[list[Poq], int] = await uow.poqs.search(buyer_id, flt, offset=offset, limit=limit)
        return found


async def advance_poq(uow: UnitOfWork, clock: Clock, profile: SellerProfile, poq_id: str, *,
                      supply_chain: SupplyChain = NO_SUPPLY) -> int:
    """One step of a deferred POQ that is due: start it, answer it, or give up at the Buyer's deadline.

    Returns 1 when the POQ moved, 0 when it had nothing due (e.g. another worker got there first).
    """
    async with uow:
        poq: Poq = await uow.poqs.get_unscoped(poq_id)
        now = clock.now()
        if poq.is_final or poq.due_at is None or poq.due_at > now:
            return 0
        if poq.state is PoqState.ACKNOWLEDGED:
            for item in poq.items:
                poq.move_item(item["id"], PoqItemState.IN_PROGRESS, at=now)
            poq.move_to(PoqState.IN_PROGRESS, at=now)
            assert poq.answer_at is not None
            deadline = poq.requested_completion_at
            poq.due_at = min(poq.answer_at, deadline) if deadline is not None else poq.answer_at
        elif poq.answer_at is not None and poq.answer_at <= now and (
            waiting := await _supplied(uow, supply_chain, profile, poq, now=now)
        ) is not None:
            if waiting:  # composite items wait for our suppliers; their enquiry wakes the POQ
                poq.due_at = poq.requested_completion_at
                await uow.poqs.save(poq)
                await uow.commit()
                return 0
        else:
            reason = "the Seller could not complete the qualification by the requested date"
            for item in poq.items:
                poq.move_item(item["id"], PoqItemState.DONE_ABANDONED, at=now, reason=reason)
            poq.move_to(PoqState.DONE_UNABLE_TO_PROVIDE, at=now, reason=reason)
        await uow.poqs.save(poq)
        await uow.commit()
    return 1


async def _supplied(uow: UnitOfWork, supply_chain: SupplyChain, profile: SellerProfile, poq: Poq, *,
                    now: datetime) -> bool | None:
    """The answering step: True while composite items wait for suppliers (before the deadline), False once
    answered, None when it must not be taken (still waiting, and the Buyer's deadline has come)."""
    held = await holdings(uow, poq.buyer_id, poq.doc)
    answers = Qualifier(profile, buyer_id=poq.buyer_id, request=poq.doc, holdings=held, at=now).qualify()
    if supply_chain.composite_items(profile, poq.doc[ITEMS]):  # qualified with our suppliers' answers
        if await supply_chain.qualification_answers(uow, poq, answers):
            deadline = poq.requested_completion_at
            return None if deadline is not None and deadline <= now else True
    _apply(poq.doc, answers)
    for a in answers:
        poq.move_item(a.item_id, a.state, at=now, reason=a.reason)
    poq.move_to(_final_state(answers), at=now)
    return False
