"""Where our suppliers' notifications arrive when we are their Buyer.

Callback URLs are per provider and carry an unguessable token (see SupplierGateway.callback_token); the
provider's adapter then verifies the body its own way. A MEF event only names the resource that changed,
so we read it and record what we read as callback evidence; a partner whose events carry the state gives
us the observation directly. Either way the orchestrator's evidence rules decide what it may change.
"""

from __future__ import annotations

import dataclasses
import hmac
import logging

from fastapi import APIRouter, Request, Response

from counterpoint.api.deps import Services
from counterpoint.api.limits import read_body
from counterpoint.core.orchestration.notices import relay_notice
from counterpoint.core.orchestration.observations import record_observation
from counterpoint.core.orchestration.supply import (
    CallbackNote,
    CallbackRejected,
    Source,
    SupplierAdapter,
    SupplierError,
)
from counterpoint.core.orchestration.ticket_escalation import record_ticket_observation, work_order_needs_visit
from counterpoint.core.orchestration.ticket_supply import TicketObservation
from counterpoint.core.shared.ids import ExternalRef

log = logging.getLogger("counterpoint.listener")
router = APIRouter(include_in_schema=False)


@router.post("/suppliers/{provider_id}/{token}", status_code=204)
async def supplier_callback_at_base(provider_id: str, token: str, request: Request, c: Services) -> Response:
    """A partner that posts to the very URL we registered (its webhooks add no path of their own)."""
    return await supplier_callback(provider_id, token, "", request, c)


@router.post("/suppliers/{provider_id}/{token}/{path:path}", status_code=204)
async def supplier_callback(provider_id: str, token: str, path: str, request: Request, c: Services) -> Response:
    expected = c.callback_token(provider_id)
    if expected is None or not hmac.compare_digest(expected, token):
        return Response(status_code=404)
    adapter = c.suppliers.adapter(provider_id)
    body = await read_body(request, c.settings.max_body_bytes)
    try:
        note = adapter.parse_callback("/" + path, {k.lower(): v for k, v in request.headers.items()}, body)
    except CallbackRejected as exc:
        log.warning("callback from %s rejected: %s", provider_id, exc.reason)
        return Response(status_code=400)
    if note.ref.kind == "incident":
        return await _supplier_incident(adapter, note, c)
    if isinstance(note.observation, TicketObservation) or note.ref.kind == "troubleTicket":
        return await _ticket_callback(c, provider_id, note.ref, note.observation, note.event_id)
    if note.ref.kind.lower() == "workorder":
        await work_order_needs_visit(c.uow, c.clock, note.ref)
        return Response(status_code=204)
    obs = note.observation
    if obs is None:
        if note.ref.kind != "productOrder":
            return Response(status_code=204)  # quotes and POQs are read when the orchestrator needs them
        try:
            obs = await adapter.get_order(note.ref)
        except SupplierError as exc:  # the poller will read it later; the supplier need not retry
            log.info("callback from %s: cannot read %s now: %s", provider_id, note.ref.value, exc.reason)
            return Response(status_code=204)
        obs = dataclasses.replace(obs, source=Source.CALLBACK, evidence=note.event_id)
    await record_observation(c.uow, c.clock, c.profile, obs)
    return Response(status_code=204)


async def _ticket_callback(c: Services, provider_id: str, ref: ExternalRef, carried: object, event_id: str
                           ) -> Response:
    """A supplier's ticket changed: the event's own state (partners that send it), else the ticket as we read it."""
    if isinstance(carried, TicketObservation):
        obs = carried
    else:
        try:
            obs = await c.suppliers.adapter(provider_id).get_ticket(ref)
        except SupplierError as exc:  # the poller reads it later
            log.info("callback from %s: cannot read ticket %s now: %s", provider_id, ref.value, exc.reason)
            return Response(status_code=204)
        obs = dataclasses.replace(obs, source=Source.CALLBACK, evidence=event_id)
    await record_ticket_observation(c.uow, c.clock, c.profile, obs)
    return Response(status_code=204)


async def _supplier_incident(adapter: SupplierAdapter, note: CallbackNote, c: Services) -> Response:
    """A supplier's maintenance or impairment notice: read it (or take it from the event when the partner sends
    it whole), then raise, update or close our own incidents for the customers it touches."""
    notice = note.notice
    if notice is None:
        try:
            notice = await adapter.get_incident(note.ref)
        except SupplierError as exc:  # the incident poll catches up later; the supplier need not retry
            log.info("callback from %s: cannot read incident %s now: %s", note.provider, note.ref.value, exc.reason)
            return Response(status_code=204)
    notice = dataclasses.replace(notice, evidence=note.event_id)
    await relay_notice(c.uow, c.clock, c.profile, notice)
    return Response(status_code=204)
