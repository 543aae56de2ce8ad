"""Use cases of MEF 124 trouble tickets (Seller side).

The Buyer's operations (create, list, retrieve, patch, cancel, close, reopen) open their own unit of work. The
Seller-side moves below them (start_work, request_information, resolve, ...) run in the caller's unit of work:
the emulated Seller's timeline (timeline.py) and the orchestrator, for tickets it took (core.ports.TicketDesk),
move tickets with them.

Refusals follow the developer guide: a Buyer's operation the ticket's status does not allow is a 422 (R35 for
a patch, R40 for a cancel; close and reopen document only 422 too), an unknown ticket or another Buyer's is a
404, and a problem in the content a 422 naming the property.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from counterpoint.core.seller.model import SellerProfile
from counterpoint.core.shared.clock import Clock
from counterpoint.core.shared.errors import Invalid, Problem
from counterpoint.core.shared.ids import new_id
from counterpoint.core.shared.times import iso
from counterpoint.core.trouble_ticket import timeline
from counterpoint.core.trouble_ticket.model import (
    MAX_NOTE,
    NOT_PATCHABLE,
    ResolutionCode,
    TicketStatus,
    TroubleTicket,
    Waiting,
)

if TYPE_CHECKING:
    from counterpoint.core.ports import TicketDesk, UnitOfWork

PRODUCT = "Product"
SELLER_ROLES = frozenset({"sellerTicketContact", "sellerTechnicalContact"})
REPORTER = "reporterContact"
_CLOSED_PRODUCTS = frozenset({"terminated", "cancelled"})


@dataclass(frozen=True, slots=True)
class Party:
    buyer_id: str
    seller_id: str
    channel: str


@dataclass(frozen=True, slots=True)
class TicketFilter:
    """Every filter of listTroubleTicket (R23's list, O6)."""

    external_id: str | None = None
    priority: str | None = None
    seller_priority: str | None = None
    severity: str | None = None
    seller_severity: str | None = None
    ticket_type: str | None = None
    status: str | None = None
    observed_impact: str | None = None
    related_entity_id: str | None = None
    related_entity_type: str | None = None
    creation_gt: datetime | None = None
    creation_lt: datetime | None = None
    expected_resolution_gt: datetime | None = None
    expected_resolution_lt: datetime | None = None
    resolution_gt: datetime | None = None
    resolution_lt: datetime | None = None


def without_nulls(value: Any) -> Any:
    """The value with every null member of an object left out: an absent optional attribute is absent, never
    null, in what the Seller answers (MEF's schemas give no attribute a null)."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value


_REQUIRED = ("observedImpact", "priority", "severity")  # TroubleTicket_Common requires them: no removing
_REMOVABLE = ("externalId", "issueStartDate")  # optional: a merge-patch null removes them (RFC 7386)


def _patch_body(body: dict[str, Any], problems: list[Problem]) -> tuple[dict[str, Any], list[str]]:
    """A patch's attributes, nulls read as merge-patch removals: of an optional attribute (returned apart), of a
    required one (refused), or of a list, whose items are append-only (nothing to remove: ignored)."""
    removed = [k for k in _REMOVABLE if k in body and body[k] is None]
    problems += [Problem("invalidValue", f"{k} cannot be removed", f"/{k}") for k in _REQUIRED
                 if k in body and body[k] is None]
    if "relatedContactInformation" in body and body["relatedContactInformation"] is None:
        problems.append(Problem("missingProperty", "relatedContactInformation keeps a reporterContact",
                                "/relatedContactInformation"))
    return {k: without_nulls(v) for k, v in body.items() if v is not None}, removed


def _invalid(problems: list[Problem]) -> Invalid:
    return Invalid(f"{len(problems)} problem(s) in the trouble ticket", problems=problems)


def _refused(reason: str) -> Invalid:
    """A Buyer's operation the ticket's status does not allow (R35, R40): MEF's 422, with no property to name."""
    return Invalid(reason, problems=[Problem("invalidValue", reason, None)])


def seller_contact(profile: SellerProfile) -> dict[str, Any]:
    """The Seller Ticket Contact every ticket carries (R12)."""
    return profile.desk_contact("sellerTicketContact", "assurance", "tickets")


# --- checks of what a Buyer sends -------------------------------------------------------------------------


def _buyer_sourced(items: list[dict[str, Any]] | None, key: str, problems: list[Problem], *,
                   known: Sequence[dict[str, Any]] = ()) -> None:
    """R16/R17: every item a Buyer adds to notes, attachments or related issues says source buyer."""
    for i, item in enumerate(items or []):
        if item in known:
            continue
        if item.get("source") != "buyer":
            problems.append(Problem("invalidValue", f"an item the Buyer adds to {key} has source buyer "
                                    f"(R16, R17), not {item.get('source')}", f"/{key}/{i}/source"))


def _attachments_complete(items: list[dict[str, Any]] | None, problems: list[Problem], *,
                          known: Sequence[dict[str, Any]] = ()) -> None:
    """R10/R31: an attachment gives its url, or its content with its mimeType."""
    for i, item in enumerate(items or []):
        if item in known:
            continue
        if not item.get("url") and not (item.get("content") and item.get("mimeType")):
            problems.append(Problem("missingProperty", "an attachment gives url, or content and mimeType (R10)",
                                    f"/attachment/{i}/url"))


async def _related_issues(uow: UnitOfWork, buyer_id: str, items: list[dict[str, Any]] | None,
                          problems: list[Problem], *, besides: str | None = None,
                          known: Sequence[dict[str, Any]] = ()) -> None:
    """A related trouble ticket is one of this Buyer's (incidents are checked by their own capability)."""
    for i, item in enumerate(items or []):
        if item in known or item.get("@referredType") != "TroubleTicket":
            continue
        if item.get("id") == besides:
            problems.append(Problem("invalidValue", "a ticket is not related to itself", f"/relatedIssue/{i}/id"))
        elif await uow.trouble_tickets.find(buyer_id, str(item.get("id"))) is None:
            problems.append(Problem("referenceNotFound", f"unknown trouble ticket {item.get('id')}",
                                    f"/relatedIssue/{i}/id"))


def _contacts(items: list[dict[str, Any]] | None, problems: list[Problem]) -> None:
    roles = [c.get("role") for c in items or []]
    if REPORTER not in roles:
        problems.append(Problem("missingProperty", "relatedContactInformation names the reporterContact (R9)",
                                "/relatedContactInformation"))
    for i, role in enumerate(roles):
        if role in SELLER_ROLES:
            problems.append(Problem("invalidValue", f"{role} is the Seller's to give",
                                    f"/relatedContactInformation/{i}/role"))


def _unique_ids(items: list[dict[str, Any]] | None, key: str, field: str, problems: list[Problem]) -> None:
    seen: set[Any] = set()
    for i, item in enumerate(items or []):
        value = item.get(field)
        if value is None:
            continue
        if value in seen:
            problems.append(Problem("invalidValue", f"{field} {value} is used twice", f"/{key}/{i}/{field}"))
        seen.add(value)


# --- the Buyer's operations -------------------------------------------------------------------------------


def ticket_context(ticket: TroubleTicket) -> dict[str, Any]:
    """What the profile's repair times and scenario rules match on."""
    d = ticket.doc
    return {"offering": ticket.offering_id, "buyer": ticket.buyer_id, "external_id": d.get("externalId"),
            "description": d.get("description"), "priority": d.get("priority"), "severity": d.get("severity")}


async def create_ticket(uow: UnitOfWork, clock: Clock, profile: SellerProfile, *, party: Party,
                        body: dict[str, Any], api_base: str, desk: TicketDesk) -> TroubleTicket:
    """createTroubleTicket: validated, acknowledged (R13), given the Seller's priority, severity, contact (R12)
    and committed resolution date, then handed to the orchestrator or planned by the profile."""
    now = clock.now()
    body = without_nulls(body)
    problems: list[Problem] = []
    _contacts(body.get("relatedContactInformation"), problems)
    for key, field in (("note", "id"), ("attachment", "attachmentId")):
        _buyer_sourced(body.get(key), key, problems)
        _unique_ids(body.get(key), key, field, problems)
    _buyer_sourced(body.get("relatedIssue"), "relatedIssue", problems)
    _attachments_complete(body.get("attachment"), problems)
    entity = (body.get("relatedEntity") or [{}])[0]
    async with uow:
        product = None
        if entity.get("@referredType", PRODUCT) != PRODUCT:
            problems.append(Problem("invalidValue", "this Seller takes tickets about its products: @referredType "
                                    "Product", "/relatedEntity/0/@referredType"))
        else:
            product = await uow.products.find(party.buyer_id, str(entity.get("id")))
            if product is None:
                problems.append(Problem("referenceNotFound", f"unknown product {entity.get('id')}",
                                        "/relatedEntity/0/id"))
            elif product.status.value in _CLOSED_PRODUCTS:
                problems.append(Problem("invalidValue", f"product {product.id} is {product.status.value}",
                                        "/relatedEntity/0/id"))
        await _related_issues(uow, party.buyer_id, body.get("relatedIssue"), problems)
        if problems:
            raise _invalid(problems)
        tid = new_id()
        doc = copy.deepcopy(body)
        doc.update({"id": tid, "href": f"{api_base}/troubleTicket/{tid}", "creationDate": iso(now),
                    "status": TicketStatus.ACKNOWLEDGED.value,
                    "statusChange": [{"changeDate": iso(now), "status": TicketStatus.ACKNOWLEDGED.value}],
                    "sellerPriority": body["priority"], "sellerSeverity": body["severity"]})
        doc["relatedContactInformation"] = [*doc["relatedContactInformation"], seller_contact(profile)]
        assert product is not None
        ticket = TroubleTicket(
            id=tid, buyer_id=party.buyer_id, seller_id=party.seller_id, channel=party.channel, created_at=now,
            updated_at=now, status=TicketStatus.ACKNOWLEDGED, doc=doc, product_id=product.id,
            offering_id=(product.doc.get("productOffering") or {}).get("id"))
        doc["expectedResolutionDate"] = iso(timeline.committed_resolution(profile, ticket_context(ticket), now))
        if await desk.take_ticket(uow, profile, ticket, now=now):
            ticket.orchestrated = True
        else:
            timeline.plan_ticket(profile, ticket, ticket_context(ticket), now)
        await uow.trouble_tickets.add(ticket)
        await uow.commit()
    return ticket


async def get_ticket(uow: UnitOfWork, *, buyer_id: str, ticket_id: str) -> TroubleTicket:
    async with uow:
        return await uow.trouble_tickets.get(buyer_id, ticket_id)


async def list_tickets(uow: UnitOfWork, *, buyer_id: str, flt: TicketFilter, offset: int,
                       limit: int) -> tuple[list[TroubleTicket], int]:
    async with uow:
        return await uow.trouble_tickets.search(buyer_id, flt, offset=offset, limit=limit)


def _merge_append_only(ticket: TroubleTicket, body: dict[str, Any], key: str, field: str,
                       problems: list[Problem]) -> list[dict[str, Any]]:
    """R20/R32: notes and attachments are only ever added. The Buyer may send the whole list back; an item it
    sends that is already there (same id, or the same item) is left as it is, one changed is refused, one
    left out stays. Returns the new items, in the order sent."""
    existing = ticket.doc.get(key) or []
    by_id = {e.get(field): e for e in existing if e.get(field) is not None}
    added: list[dict[str, Any]] = []
    for i, item in enumerate(body.get(key) or []):
        ident = item.get(field)
        if item in existing:
            continue
        if ident is not None and ident in by_id:
            problems.append(Problem("invalidValue", f"{key} {ident} is already on the ticket and cannot be "
                                    "changed (R20)", f"/{key}/{i}"))
            continue
        if item.get("source") != "buyer":
            problems.append(Problem("invalidValue", f"an item the Buyer adds to {key} has source buyer (R16, R17)",
                                    f"/{key}/{i}/source"))
            continue
        if key == "attachment" and not item.get("url") and not (item.get("content") and item.get("mimeType")):
            problems.append(Problem("missingProperty", "an attachment gives url, or content and mimeType (R31)",
                                    f"/attachment/{i}/url"))
            continue
        if key == "note":
            item = {**item, "text": str(item.get("text", ""))[:MAX_NOTE]}
        added.append(item)
        if ident is not None:
            by_id[ident] = item
    return added


async def patch_ticket(uow: UnitOfWork, clock: Clock, profile: SellerProfile, *, buyer_id: str, ticket_id: str,
                       body: dict[str, Any], desk: TicketDesk) -> TroubleTicket:
    """patchTroubleTicket: only TroubleTicket_Update's attributes; notes and attachments appended, the Seller's
    items kept; a note answers the Seller's request for information (R37)."""
    now = clock.now()
    if not body:
        raise _invalid([Problem("missingProperty", "a patch changes at least one attribute (R29)", None)])
    async with uow:
        ticket = await uow.trouble_tickets.get(buyer_id, ticket_id)
        if ticket.status in NOT_PATCHABLE:
            raise _refused(f"trouble ticket {ticket_id} is {ticket.status.value}: it cannot be patched (R35)")
        doc = ticket.doc
        problems: list[Problem] = []
        body, removed = _patch_body(body, problems)
        notes = _merge_append_only(ticket, body, "note", "id", problems)
        attachments = _merge_append_only(ticket, body, "attachment", "attachmentId", problems)
        changed: list[str] = [k for k in ("priority", "severity", "issueStartDate")
                              if k in body and body[k] != doc.get(k)]
        changed += [k for k in removed if k == "issueStartDate" and k in doc]
        issues: list[dict[str, Any]] | None = None
        if "relatedIssue" in body:
            theirs = [i for i in doc.get("relatedIssue") or [] if i.get("source") == "seller"]
            mine = [i for i in body["relatedIssue"] or [] if i not in theirs]
            _buyer_sourced(body["relatedIssue"], "relatedIssue", problems, known=theirs)
            await _related_issues(uow, buyer_id, body["relatedIssue"], problems, besides=ticket.id,
                                  known=doc.get("relatedIssue") or [])
            issues = theirs + mine
            if issues != (doc.get("relatedIssue") or []):
                changed.append("relatedIssue")
        if changed and not notes:
            problems.append(Problem("missingProperty", f"a patch of {', '.join(changed)} comes with a new note "
                                    "saying why (R30)", "/note"))
        contacts: list[dict[str, Any]] | None = None
        if "relatedContactInformation" in body:
            mine = [c for c in body["relatedContactInformation"] or [] if c.get("role") not in SELLER_ROLES]
            if REPORTER not in [c.get("role") for c in mine]:
                problems.append(Problem("missingProperty", "relatedContactInformation keeps a reporterContact",
                                        "/relatedContactInformation"))
            theirs = [c for c in doc.get("relatedContactInformation") or [] if c.get("role") in SELLER_ROLES]
            problems += [Problem("invalidValue", f"the Seller's {c.get('role')} is not the Buyer's to change (R32)",
                                 f"/relatedContactInformation/{i}")
                         for i, c in enumerate(body["relatedContactInformation"] or [])
                         if c.get("role") in SELLER_ROLES and c not in theirs]
            contacts = mine + theirs
        if problems:
            raise _invalid(problems)
        for key in ("externalId", "observedImpact", "priority", "severity", "issueStartDate"):
            if key in body:
                doc[key] = body[key]
        for key in removed:
            doc.pop(key, None)
        if contacts is not None:
            doc["relatedContactInformation"] = contacts
        if issues is not None:
            doc["relatedIssue"] = issues
        if notes:
            doc.setdefault("note", []).extend(notes)
        if attachments:
            doc.setdefault("attachment", []).extend(attachments)
        ticket.updated_at = now
        if ticket.orchestrated:
            await desk.ticket_changed(uow, profile, ticket, change="patched", now=now)
        elif notes and ticket.status is TicketStatus.PENDING and ticket.waiting is Waiting.INFORMATION:
            timeline.resume(profile, ticket, now, reason="the Buyer gave the information asked for")
        await uow.trouble_tickets.save(ticket)
        await uow.commit()
    return ticket


async def cancel_ticket(uow: UnitOfWork, clock: Clock, profile: SellerProfile, *, buyer_id: str, ticket_id: str,
                        desk: TicketDesk) -> TroubleTicket:
    """cancelTroubleTicket: acknowledged, inProgress or pending -> assessingCancellation (R38), cancelled once
    assessed; any other status is refused (R40)."""
    now = clock.now()
    async with uow:
        ticket = await uow.trouble_tickets.get(buyer_id, ticket_id)
        if ticket.status not in (TicketStatus.ACKNOWLEDGED, TicketStatus.IN_PROGRESS, TicketStatus.PENDING):
            raise _refused(f"trouble ticket {ticket_id} is {ticket.status.value}: only an acknowledged, in progress "
                           "or pending ticket can be cancelled (R40)")
        ticket.request_cancellation(at=now)
        if ticket.orchestrated:
            await desk.ticket_changed(uow, profile, ticket, change="cancelRequested", now=now)
        else:
            timeline.plan_cancellation(profile, ticket, now)
        await uow.trouble_tickets.save(ticket)
        await uow.commit()
    return ticket


def _resolved_only(ticket: TroubleTicket, what: str) -> None:
    if ticket.status is not TicketStatus.RESOLVED:
        raise _refused(f"trouble ticket {ticket.id} is {ticket.status.value}: only a resolved ticket can be {what}")


async def close_ticket(uow: UnitOfWork, clock: Clock, profile: SellerProfile, *, buyer_id: str, ticket_id: str,
                       desk: TicketDesk) -> TroubleTicket:
    """closeTroubleTicket: the Buyer confirms the resolution (R47)."""
    now = clock.now()
    async with uow:
        ticket = await uow.trouble_tickets.get(buyer_id, ticket_id)
        _resolved_only(ticket, "closed")
        ticket.close(at=now, reason="the Buyer confirmed the resolution")
        if ticket.orchestrated:
            await desk.ticket_changed(uow, profile, ticket, change="closed", now=now)
        await uow.trouble_tickets.save(ticket)
        await uow.commit()
    return ticket


async def reopen_ticket(uow: UnitOfWork, clock: Clock, profile: SellerProfile, *, buyer_id: str, ticket_id: str,
                        reason: str, desk: TicketDesk) -> TroubleTicket:
    """reopenTroubleTicket: the issue is still there; the reason is kept as a closureRejection note (R45, R46)."""
    now = clock.now()
    if not reason.strip():
        raise _invalid([Problem("missingProperty", "a reopen says why the issue is not resolved (R43)",
                                "/reason")])
    async with uow:
        ticket = await uow.trouble_tickets.get(buyer_id, ticket_id)
        _resolved_only(ticket, "reopened")
        ticket.reopen(reason, at=now)
        if ticket.orchestrated:
            await desk.ticket_changed(uow, profile, ticket, change="reopened", now=now)
        else:
            timeline.plan_after_reopen(profile, ticket, ticket_context(ticket), now)
        await uow.trouble_tickets.save(ticket)
        await uow.commit()
    return ticket


# --- the Seller's moves, in the caller's unit of work (the orchestrator's, the timeline's) -------------------


async def load_ticket(uow: UnitOfWork, ticket_id: str) -> TroubleTicket:
    """Any Buyer's ticket, for the Seller's own work (never reachable from a Buyer's request)."""
    return await uow.trouble_tickets.get_unscoped(ticket_id)


async def start_work(uow: UnitOfWork, ticket: TroubleTicket, *, now: datetime, reason: str | None = None) -> None:
    """acknowledged, pending or reopened -> inProgress."""
    ticket.start_work(at=now, reason=reason)
    await uow.trouble_tickets.save(ticket)


async def request_information(uow: UnitOfWork, ticket: TroubleTicket, note: str, *, now: datetime) -> None:
    """inProgress -> pending, with a note saying what is needed, and the information required event; the
    Buyer's patch answering it reaches the desk as `ticket_changed(change="patched")`."""
    ticket.request_information(note, at=now)
    await uow.trouble_tickets.save(ticket)


async def wait_for_visit(uow: UnitOfWork, ticket: TroubleTicket, note: str, *, now: datetime) -> None:
    """inProgress -> pending until the appointment of a linked work order is booked (R15)."""
    ticket.wait_for_appointment(at=now, reason=note)
    await uow.trouble_tickets.save(ticket)


async def resolve(uow: UnitOfWork, profile: SellerProfile, ticket: TroubleTicket, note: str, *, at: datetime,
                  code: ResolutionCode = ResolutionCode.SELLER_NETWORK, root_cause: str | None = None,
                  supplier_ticket: str | None = None) -> None:
    """inProgress -> resolved with the resolution note (coded, see ResolutionCode; a supplier's repair names
    its root cause when known) and the resolved event; the ticket closes by itself after the profile's
    confirmation period unless the Buyer closes or reopens it."""
    ticket.resolve(note, at=at, code=code, root_cause=root_cause, supplier_ticket=supplier_ticket)
    timeline.plan_auto_close(profile, ticket, at)
    await uow.trouble_tickets.save(ticket)


async def add_seller_note(uow: UnitOfWork, ticket: TroubleTicket, text: str, *, now: datetime) -> None:
    ticket.add_note(text, at=now)
    await uow.trouble_tickets.save(ticket)


async def set_expected_resolution(uow: UnitOfWork, ticket: TroubleTicket, when: datetime, note: str, *,
                                  now: datetime) -> None:
    """A new committed resolution date, with its R22 note."""
    ticket.set_expected_resolution(when, note, at=now)
    await uow.trouble_tickets.save(ticket)


async def link_work_order(uow: UnitOfWork, ticket: TroubleTicket, ref: dict[str, Any], *, now: datetime) -> None:
    """Add a WorkOrderRef ({"id", "href"}) to the ticket (O5)."""
    ticket.link_work_order(ref, at=now)
    await uow.trouble_tickets.save(ticket)


async def finish_cancellation(uow: UnitOfWork, ticket: TroubleTicket, *, now: datetime) -> None:
    """assessingCancellation -> cancelled."""
    ticket.finish_cancellation(at=now)
    await uow.trouble_tickets.save(ticket)
