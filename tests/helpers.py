"""Test helpers: buyer credentials, the MEF OpenAPI response check, a recording listener."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from scripts.bundle_envelopes import ENVELOPES as _ENVELOPES  # function -> envelope file under <channel>/

BUYER_A = {"Authorization": "Bearer demo-key-buyer-a"}
BUYER_B = {"Authorization": "Bearer demo-key-buyer-b"}
JSON = "application/json;charset=utf-8"

REPO = Path(__file__).resolve().parents[1]

ENVELOPE_BUNDLE = REPO / "tests" / "contracts" / "envelopes.json"


def mef_dir() -> Path | None:
    env = os.environ.get("COUNTERPOINT_MEF_DIR")
    path = Path(env) if env else REPO.parent / "shared" / "mef"
    return path if path.is_dir() else None


def require_mef() -> Path:
    """The MEF SDK folder, for checks that need more than the envelope bundle (MEF's example payloads, the
    generators): a clear skip where it is absent, a failure in CI."""
    path = mef_dir()
    if path is None:
        msg = "../shared/mef not found (set COUNTERPOINT_MEF_DIR): needs the MEF SDK itself, not the bundle"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    return path


@functools.cache
def _bundle() -> dict[str, Any]:
    import json

    return json.loads(ENVELOPE_BUNDLE.read_text())


@functools.cache
def envelope(function: str, channel: str = "sonata") -> dict[str, Any]:
    """A MEF envelope: read from ../shared/mef when it is there, else its structure from the committed bundle
    (scripts/bundle_envelopes.py; .ci/run checks the bundle against the SDK)."""
    root = mef_dir()
    if root is None:
        return _bundle()[channel][function]  # type: ignore[no-any-return]
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load((root / channel / _ENVELOPES[function]).read_text(), Loader=loader)  # type: ignore[no-any-return]


def with_discriminators(spec: dict[str, Any]) -> dict[str, Any]:
    """The envelope with its base-schema discriminators spelled out in plain JSON Schema.

    MEF puts `discriminator` on base schemas (RelatedPlaceRefOrValue, GeographicAddress...) that subtypes
    extend with allOf; JSON Schema validators ignore the keyword, so a place saying FieldedAddress with only
    an id would pass as the base. Every use of such a base, other than a subtype's allOf, becomes a oneOf
    with one branch per mapping entry: that subtype, with the discriminating property fixed to its name."""
    schemas = spec.get("components", {}).get("schemas", {})
    bases = {f"#/components/schemas/{name}": s["discriminator"] for name, s in schemas.items()
             if isinstance(s.get("discriminator"), dict) and s["discriminator"].get("mapping")}

    def branches(ref: str) -> dict[str, Any]:
        tag = bases[ref]["propertyName"]
        return {"oneOf": [{"allOf": [{"$ref": target},
                                     {"properties": {tag: {"enum": [name]}}, "required": [tag]}]}
                          for name, target in bases[ref]["mapping"].items()]}

    def walk(node: Any, inherits: bool = False) -> Any:
        if isinstance(node, dict):
            if node.get("$ref") in bases and not inherits:
                return branches(node["$ref"])
            return {k: [walk(v, True) for v in value] if k == "allOf" and isinstance(value, list) else walk(value)
                    for k, value in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(spec)  # type: ignore[no-any-return]


@functools.cache
def _checked_envelope(function: str, channel: str) -> dict[str, Any]:
    return with_discriminators(envelope(function, channel))


@functools.cache
def _validator_for(function: str, channel: str, ref: str):  # type: ignore[no-untyped-def]
    from jsonschema import FormatChecker
    from openapi_schema_validator import OAS30Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    spec = _checked_envelope(function, channel)
    uri = f"urn:mef:{channel}:{function}"
    registry = Registry().with_resource(uri, Resource(spec, specification=DRAFT4))
    return OAS30Validator({"$ref": f"{uri}{ref}"}, registry=registry, format_checker=FormatChecker())


def _response_schema_ref(function: str, channel: str, path: str, method: str, status: int) -> dict[str, Any]:
    spec = envelope(function, channel)
    op = spec["paths"][path][method.lower()]
    resp = op["responses"][str(status)]
    content = resp.get("content", {})
    assert content, f"{method} {path} {status} has no body in the spec"
    (media, body), = content.items()
    assert media == JSON
    return body["schema"]


def assert_mef_response(response: httpx.Response, function: str, path: str, method: str,
                        channel: str = "sonata") -> Any:
    """Check a response against the MEF envelope: status documented, media type, body schema."""
    spec = envelope(function, channel)
    op = spec["paths"][path][method.lower()]
    assert str(response.status_code) in op["responses"], (
        f"{method} {path} answered {response.status_code}, not documented: {response.text[:300]}")
    if response.status_code == 204:
        assert response.content == b""
        return None
    assert response.headers["content-type"] == JSON
    schema = _response_schema_ref(function, channel, path, method, response.status_code)
    body = response.json()
    validate_against(function, channel, schema, body)
    return body


def validate_against(function: str, channel: str, schema: dict[str, Any], body: Any) -> None:
    if "$ref" in schema:
        validator = _validator_for(function, channel, "#" + schema["$ref"].split("#", 1)[1])
        errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    else:  # an inline array of refs
        assert schema.get("type") == "array", schema
        assert isinstance(body, list)
        item_ref = schema["items"]["$ref"]
        validator = _validator_for(function, channel, "#" + item_ref.split("#", 1)[1])
        errors = [e for item in body for e in validator.iter_errors(item)]
    assert not errors, "body breaks the MEF schema:\n" + "\n".join(
        f"  /{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}" for e in errors[:10])


def assert_mef_event(body: dict[str, Any], function: str, event_type: str, channel: str = "sonata") -> None:
    """Check a notification body against the listener operation of the notification envelope."""
    spec = envelope(function, channel)
    op = spec["paths"][f"/listener/{event_type}"]["post"]
    (schema,) = [c["schema"] for c in op["requestBody"]["content"].values()]
    validate_against(function, channel, schema, body)


@dataclass
class Delivered:
    url: str
    body: dict[str, Any]
    headers: dict[str, str]


@dataclass
class ListenerRecorder:
    """A Buyer's listener: records every notification; can be told to fail the next N calls."""

    received: list[Delivered] = field(default_factory=list)
    fail_next: int = 0
    status_on_failure: int = 503

    def transport(self) -> httpx.MockTransport:
        def handler(request: httpx.Request) -> httpx.Response:
            import json

            if self.fail_next > 0:
                self.fail_next -= 1
                return httpx.Response(self.status_on_failure)
            self.received.append(Delivered(str(request.url), json.loads(request.content),
                                           dict(request.headers)))
            return httpx.Response(204)

        return httpx.MockTransport(handler)

    def of_type(self, event_type: str) -> list[Delivered]:
        return [d for d in self.received if d.body["eventType"] == event_type]
