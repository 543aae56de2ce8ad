"""Listener registrations (`/hub`) and which events reach which listener.

registerListener documents only 400 for a bad body, so every refusal here is a BadRequest (invalidBody).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

from counterpoint.core.shared.errors import BadRequest

# Event types each notifying API can emit (from the *Notification envelopes).
EVENT_TYPES: dict[str, frozenset[str]] = {
    "poq": frozenset({"poqCreateEvent", "poqStateChangeEvent", "poqItemStateChangeEvent"}),
    "quote": frozenset({"quoteStateChangeEvent", "quoteItemStateChangeEvent"}),
    "productOrder": frozenset({
        "productOrderStateChangeEvent", "productOrderItemStateChangeEvent",
        "productOrderItemExpectedCompletionDateSet", "productSpecificProductOrderItemMilestoneEvent",
        "cancelProductOrderStateChangeEvent", "chargeCreateEvent", "chargeStateChangeEvent",
        "chargeTimeoutEvent", "modifyProductOrderItemRequestedDeliveryDateStateChangeEvent",
    }),
    "troubleTicket": frozenset({
        "troubleTicketAttributeValueChangeEvent", "troubleTicketStatusChangeEvent", "troubleTicketResolvedEvent",
        "troubleTicketInformationRequiredEvent", "incidentCreateEvent", "incidentAttributeValueChangeEvent",
        "incidentStatusChangeEvent",
    }),
    "appointment": frozenset({"appointmentAttributeValueChangeEvent", "appointmentStatusChangeEvent"}),
    "workOrder": frozenset({"workOrderCreateEvent", "workOrderStateChangeEvent", "workOrderAppointmentRequiredEvent"}),
}

_QUERY = re.compile(r"^\s*eventType\s*=\s*(?P<types>[A-Za-z.]+(\s*,\s*[A-Za-z.]+)*)\s*$")


def parse_query(api: str, query: str | None) -> frozenset[str] | None:
    """The event types a listener asked for; None means all of them (an empty query filters nothing). Both
    forms the guides give are read: `eventType=a,b` and `eventType=a&eventType=b` (TMF630)."""
    if query is None or not query.strip():
        return None
    wanted: set[str] = set()
    for part in query.split("&"):
        match = _QUERY.match(part)
        if match is None:
            raise BadRequest("query must look like 'eventType=a,b' or 'eventType=a&eventType=b'")
        wanted |= {t.strip() for t in match.group("types").split(",")}
    unknown = sorted(wanted - EVENT_TYPES[api])
    if unknown:
        raise BadRequest(f"unknown event type(s) for this API: {', '.join(unknown)}")
    return frozenset(wanted)


MAX_CALLBACK_LENGTH = 2048
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*\.?$")
_PRINTABLE = re.compile(r"^[\x21-\x7e]+$")  # visible ASCII: no space, no control character, no non-ASCII


@dataclass(frozen=True, slots=True)
class Callback:
    """A listener's base URL, parsed once: where to connect, and the path the MEF listener path extends."""

    scheme: str  # "http" or "https"
    host: str  # a DNS name or an IP literal (without brackets)
    port: int | None
    path: str  # without a trailing slash
    query: str

    @property
    def is_ip_literal(self) -> bool:
        try:
            ipaddress.ip_address(self.host)
        except ValueError:
            return False
        return True

    def with_path(self, suffix: str) -> str:
        """The URL of `suffix` under this base: the suffix always ends the path, before any query."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        netloc = host if self.port is None else f"{host}:{self.port}"
        return urlunsplit((self.scheme, netloc, self.path + suffix, self.query, ""))


def parse_callback(callback: object) -> Callback:
    """The listener policy that needs no network: an absolute http(s) URL with a host, a valid port, no
    user info, no fragment, visible ASCII only and at most MAX_CALLBACK_LENGTH characters."""
    if not isinstance(callback, str) or not callback:
        raise BadRequest("callback must be an absolute http(s) URL")
    if len(callback) > MAX_CALLBACK_LENGTH:
        raise BadRequest(f"callback is longer than {MAX_CALLBACK_LENGTH} characters")
    if not _PRINTABLE.match(callback):
        raise BadRequest("callback must be visible ASCII (no spaces, control or non-ASCII characters; "
                         "percent-encode them)")
    try:
        parts = urlsplit(callback)
        port = parts.port
    except ValueError as exc:
        raise BadRequest(f"callback is not a valid URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise BadRequest("callback must be an absolute http(s) URL")
    host = parts.hostname or ""
    if not host:
        raise BadRequest("callback must name a host")
    if "@" in parts.netloc:
        raise BadRequest("callback must not carry user information")
    if parts.fragment or "#" in callback:
        raise BadRequest("callback must not carry a fragment")
    if port == 0 or parts.netloc.endswith(":"):
        raise BadRequest("callback has an invalid port")
    literal = parts.netloc.split("@")[-1].startswith("[")
    if not literal and not _HOSTNAME.match(host):
        try:
            ipaddress.ip_address(host)
        except ValueError:
            raise BadRequest(f"callback host {host[:100]!r} is not a valid host name") from None
    return Callback(scheme=scheme, host=host, port=port, path=parts.path.rstrip("/"), query=parts.query)


def validate_callback(callback: str) -> None:
    parse_callback(callback)


@dataclass(slots=True, kw_only=True)
class HubListener:
    id: str
    api: str
    channel: str
    buyer_id: str
    callback: str
    query: str | None
    created_at: datetime

    def wants(self, event_type: str) -> bool:
        wanted = parse_query(self.api, self.query)
        return wanted is None or event_type in wanted
