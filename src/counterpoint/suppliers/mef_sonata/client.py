"""A thin async client of a supplier's MEF Sonata Seller APIs (POQ, quote, product order, inventory, hub).

It speaks JSON dicts, sends every call through `SupplierHttp` (retries, timeouts, the unknown-outcome rule)
and turns MEF error bodies into our supplier errors. What the documents mean is mapping.py's business.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import httpx

from counterpoint.core.orchestration.registry import ProviderConfig
from counterpoint.core.orchestration.supply import (
    OutcomeUnknown,
    SupplierNotFound,
    SupplierRejected,
    SupplierUnavailable,
)
from counterpoint.core.shared.apis import sonata_api
from counterpoint.suppliers.transport import SupplierHttp

MEDIA_TYPE = "application/json;charset=utf-8"

# function -> (API name in the Sonata base path, major version we speak unless the profile says otherwise)
APIS: dict[str, tuple[str, str]] = {f: sonata_api(f) for f in ("poq", "quote", "productOrder", "productInventory",
                                                                "troubleTicket", "appointment", "workOrder")}


def base_path(config: ProviderConfig, function: str) -> str:
    """`/mefApi/sonata/<api>/<version>` of a function, the version taken from the profile when it gives one."""
    name, version = APIS[function]
    return f"/mefApi/sonata/{name}/{config.api_versions.get(function, version)}"


class SonataClient:
    """One method per Sonata operation we use; answers are the supplier's JSON documents."""

    def __init__(self, http: SupplierHttp) -> None:
        self.http = http
        self.config: ProviderConfig = http.config

    # ---- POQ (MEF 87) ----------------------------------------------------------------------------------
    async def create_poq(self, body: dict[str, Any], *, correlation_id: str | None = None,
                         idempotency_key: str | None = None) -> dict[str, Any]:
        return await self._write("poq", "/productOfferingQualification", body, correlation_id, idempotency_key)

    async def get_poq(self, poq_id: str, *, correlation_id: str | None = None) -> dict[str, Any]:
        return await self._read("poq", f"/productOfferingQualification/{_segment(poq_id)}", correlation_id)

    # ---- quote (MEF 115) -------------------------------------------------------------------------------
    async def create_quote(self, body: dict[str, Any], *, correlation_id: str | None = None,
                           idempotency_key: str | None = None) -> dict[str, Any]:
        return await self._write("quote", "/quote", body, correlation_id, idempotency_key)

    async def get_quote(self, quote_id: str, *, correlation_id: str | None = None) -> dict[str, Any]:
        return await self._read("quote", f"/quote/{_segment(quote_id)}", correlation_id)

    # ---- product order (MEF 123) -----------------------------------------------------------------------
    async def create_order(self, body: dict[str, Any], *, correlation_id: str | None = None,
                           idempotency_key: str | None = None) -> dict[str, Any]:
        return await self._write("productOrder", "/productOrder", body, correlation_id, idempotency_key)

    async def get_order(self, order_id: str, *, correlation_id: str | None = None) -> dict[str, Any]:
        return await self._read("productOrder", f"/productOrder/{_segment(order_id)}", correlation_id)

    async def list_orders(self, params: dict[str, Any], *, correlation_id: str | None = None) -> list[Any]:
        """One page of listProductOrder (the supplier's summary documents)."""
        found = await self._read("productOrder", "/productOrder", correlation_id, params=params)
        if not isinstance(found, list):
            raise SupplierUnavailable(self.config.id, "listProductOrder answered something other than a list")
        return found

    async def cancel_order(self, body: dict[str, Any], *, correlation_id: str | None = None,
                           idempotency_key: str | None = None) -> dict[str, Any]:
        return await self._write("productOrder", "/cancelProductOrder", body, correlation_id, idempotency_key)

    async def get_cancellation(self, cancel_id: str, *, correlation_id: str | None = None) -> dict[str, Any]:
        return await self._read("productOrder", f"/cancelProductOrder/{_segment(cancel_id)}", correlation_id)

    # ---- inventory (MEF 116) ---------------------------------------------------------------------------
    async def get_product(self, product_id: str, *, correlation_id: str | None = None) -> dict[str, Any]:
        return await self._read("productInventory", f"/product/{_segment(product_id)}", correlation_id)

    async def list_products(self, params: dict[str, Any], *, correlation_id: str | None = None) -> list[Any]:
        found = await self._read("productInventory", "/product", correlation_id, params=params)
        if not isinstance(found, list):
            raise SupplierUnavailable(self.config.id, "listProduct answered something other than a list")
        return found

    # ---- incidents (MEF 124) ---------------------------------------------------------------------------
    async def get_incident(self, incident_id: str, *, correlation_id: str | None = None) -> dict[str, Any]:
        return await self._read("troubleTicket", f"/incident/{_segment(incident_id)}", correlation_id)

    async def list_incidents(self, params: dict[str, Any], *, correlation_id: str | None = None) -> list[Any]:
        found = await self._read("troubleTicket", "/incident", correlation_id, params=params)
        if not isinstance(found, list):
            raise SupplierUnavailable(self.config.id, "listIncident answered something other than a list")
        return found

    # ---- trouble tickets (MEF 124) ---------------------------------------------------------------------
    async def create_ticket(self, body: dict[str, Any], *, correlation_id: str | None = None,
                            idempotency_key: str | None = None) -> dict[str, Any]:
        return await self._write("troubleTicket", "/troubleTicket", body, correlation_id, idempotency_key)

    async def get_ticket(self, ticket_id: str, *, correlation_id: str | None = None) -> dict[str, Any]:
        return await self._read("troubleTicket", f"/troubleTicket/{_segment(ticket_id)}", correlation_id)

    async def list_tickets(self, params: dict[str, Any], *, correlation_id: str | None = None) -> list[Any]:
        found = await self._read("troubleTicket", "/troubleTicket", correlation_id, params=params)
        if not isinstance(found, list):
            raise SupplierUnavailable(self.config.id, "listTroubleTicket answered something other than a list")
        return found

    async def patch_ticket(self, ticket_id: str, body: dict[str, Any], *, correlation_id: str | None = None
                           ) -> dict[str, Any]:
        return await self._write("troubleTicket", f"/troubleTicket/{_segment(ticket_id)}", body, correlation_id,
                                 None, method="PATCH")

    async def ticket_action(self, ticket_id: str, action: str, body: dict[str, Any] | None = None, *,
                            correlation_id: str | None = None) -> None:
        """cancelTroubleTicket, closeTroubleTicket or reopenTroubleTicket (204, no body)."""
        content = json.dumps(body, separators=(",", ":")).encode() if body is not None else None
        headers = {"Content-Type": MEDIA_TYPE} if body is not None else None
        response = await self.http.request("POST", base_path(self.config, "troubleTicket")
                                           + f"/troubleTicket/{_segment(ticket_id)}/{action}", content=content,
                                           params=self._params(), headers=headers, correlation_id=correlation_id)
        _check(self.config.id, response)

    # ---- work orders and appointments (MEF 137) --------------------------------------------------------
    async def get_work_order(self, work_order_id: str, *, correlation_id: str | None = None) -> dict[str, Any]:
        return await self._read("workOrder", f"/workorder/{_segment(work_order_id)}", correlation_id)

    async def search_time_slots(self, body: dict[str, Any], *, correlation_id: str | None = None) -> dict[str, Any]:
        return await self._write("appointment", "/searchTimeSlot", body, correlation_id, None)

    async def create_appointment(self, body: dict[str, Any], *, correlation_id: str | None = None,
                                 idempotency_key: str | None = None) -> dict[str, Any]:
        return await self._write("appointment", "/appointment", body, correlation_id, idempotency_key)

    async def list_appointments(self, params: dict[str, Any], *, correlation_id: str | None = None) -> list[Any]:
        found = await self._read("appointment", "/appointment", correlation_id, params=params)
        if not isinstance(found, list):
            raise SupplierUnavailable(self.config.id, "listAppointment answered something other than a list")
        return found

    async def get_appointment(self, appointment_id: str, *, correlation_id: str | None = None) -> dict[str, Any]:
        return await self._read("appointment", f"/appointment/{_segment(appointment_id)}", correlation_id)

    # ---- notifications (hub) ---------------------------------------------------------------------------
    async def register_listener(self, function: str, callback: str, query: str | None = None,
                                *, correlation_id: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"callback": callback}
        if query is not None:
            body["query"] = query
        return await self._write(function, "/hub", body, correlation_id, None)

    async def unregister_listener(self, function: str, listener_id: str, *,
                                  correlation_id: str | None = None) -> None:
        response = await self.http.request("DELETE", base_path(self.config, function) + f"/hub/{_segment(listener_id)}",
                                           params=self._params(), correlation_id=correlation_id)
        _check(self.config.id, response)

    # ---- plumbing --------------------------------------------------------------------------------------
    def _params(self, extra: dict[str, Any] | None = None) -> dict[str, Any] | None:
        """buyerId/sellerId only when the profile names them (MEF 79: only for parties acting for several)."""
        params = dict(extra or {})
        if self.config.buyer_id:
            params["buyerId"] = self.config.buyer_id
        if self.config.seller_id:
            params["sellerId"] = self.config.seller_id
        return params or None

    async def _write(self, function: str, path: str, body: dict[str, Any], correlation_id: str | None,
                     idempotency_key: str | None, *, method: str = "POST") -> dict[str, Any]:
        content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        response = await self.http.request(method, base_path(self.config, function) + path, content=content,
                                           params=self._params(), headers={"Content-Type": MEDIA_TYPE},
                                           correlation_id=correlation_id, idempotency_key=idempotency_key)
        _check(self.config.id, response)
        document = _json(response)
        if not isinstance(document, dict):  # it answered yes but we cannot tell to what: it may have acted
            raise OutcomeUnknown(self.config.id, f"{method} {path}: HTTP {response.status_code} with an unreadable "
                                 "body", status=response.status_code)
        return document

    async def _read(self, function: str, path: str, correlation_id: str | None,
                    params: dict[str, Any] | None = None) -> Any:
        response = await self.http.request("GET", base_path(self.config, function) + path,
                                           params=self._params(params), correlation_id=correlation_id)
        _check(self.config.id, response)
        document = _json(response)
        if document is None:
            raise SupplierUnavailable(self.config.id, f"GET {path}: HTTP {response.status_code} with an unreadable "
                                      "body", status=response.status_code)
        return document


def _segment(value: str) -> str:
    """An id as one path segment (a supplier's id is data, never a path)."""
    return quote(value, safe="")


def _json(response: httpx.Response) -> Any:
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return None


def _check(provider: str, response: httpx.Response) -> None:
    """Raise the supplier error an answer that is not a 2xx stands for (MEF 400/401/403/404/409/422 bodies)."""
    status = response.status_code
    if 200 <= status < 300:
        return
    body = _json(response)
    if status == 422 and isinstance(body, list):
        problems = [{k: p[k] for k in ("code", "reason", "propertyPath") if isinstance(p.get(k), str)}
                    for p in body if isinstance(p, dict)]
        reasons = "; ".join(p.get("reason") or p.get("code", "") for p in problems) or "unprocessable request"
        code = problems[0].get("code") if problems else None
        raise SupplierRejected(provider, reasons[:500], status=status, code=code, problems=problems)
    code = body.get("code") if isinstance(body, dict) and isinstance(body.get("code"), str) else None
    reason = body.get("reason") if isinstance(body, dict) and isinstance(body.get("reason"), str) else None
    reason = reason or code or f"HTTP {status}"
    problems = [{"code": code, "reason": reason}] if code else []
    if status == 404:
        raise SupplierNotFound(provider, reason, status=status, code=code or "notFound", problems=problems)
    raise SupplierRejected(provider, reason, status=status, code=code, problems=problems)
