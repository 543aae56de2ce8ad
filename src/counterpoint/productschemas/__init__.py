"""Validators for the MEF product payload schemas (the `productConfiguration` of an item).

The schemas ship inside the package (bundle/, made by scripts/bundle_product_schemas.py). Two validators
per product specification URN are compiled on first use and cached for the process: a Rust one
(jsonschema-rs) that decides valid/invalid in microseconds on the hot path, and, only for payloads it
refuses, the Python `jsonschema` one that explains each problem with a JSON pointer and a MEF 422 code.
"""

from __future__ import annotations

import functools
import json
import threading
from collections import defaultdict
from dataclasses import dataclass
from importlib import resources
from typing import Any

import jsonschema_rs
from jsonschema import Draft7Validator, FormatChecker
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

__all__ = ["ProductSchemaRegistry", "Violation", "default_registry"]


@dataclass(frozen=True, slots=True, order=True)
class Violation:
    path: str  # JSON pointer, from the root of the document being validated
    code: str  # MEF 422 code: missingProperty | invalidValue | invalidFormat | unexpectedProperty
    reason: str


def _pointer(parts: Any) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _cut(text: str) -> str:
    return text if len(text) <= 255 else text[:252] + "..."


def _closest_branch(error: ValidationError) -> list[ValidationError]:
    """Of a failed oneOf/anyOf, the errors of the branch that came closest (fewest errors, then deepest)."""
    branches: dict[int, list[ValidationError]] = defaultdict(list)
    for sub in error.context or []:
        branches[sub.relative_schema_path[0]].append(sub)
    if not branches:
        return []
    chosen = min(branches.values(), key=lambda errs: (len(errs), -max(len(e.absolute_path) for e in errs)))
    if all(list(e.absolute_path) == list(error.absolute_path) and e.validator in ("type", "enum", "const")
           for e in chosen):
        best = best_match(error.context)
        return [best] if best is not None else chosen
    return chosen


def _violations(error: ValidationError, base: str) -> list[Violation]:
    if error.validator in ("oneOf", "anyOf") and error.context:
        branch = _closest_branch(error)
        if branch:
            return [v for sub in branch for v in _violations(sub, base)]
    where = base + _pointer(error.absolute_path)
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else "?"
        return [Violation(f"{where}/{missing}", "missingProperty", _cut(f"'{missing}' is required"))]
    if error.validator == "additionalProperties":
        extras = [k for k in error.instance if k not in (error.schema.get("properties") or {})] \
            if isinstance(error.instance, dict) else []
        return [Violation(f"{where}/{k}", "unexpectedProperty", _cut(f"'{k}' is not expected here"))
                for k in extras if k != "@type"]
    if error.validator == "format":
        return [Violation(where, "invalidFormat", _cut(error.message))]
    return [Violation(where, "invalidValue", _cut(error.message))]


class ProductSchemaRegistry:
    def __init__(self, schemas: dict[str, Any], index: dict[str, Any]) -> None:
        self._index = index
        self._registry: Registry = Registry().with_resources(
            (uri, Resource(contents, specification=DRAFT7)) for uri, contents in schemas.items())
        self._rs_registry = jsonschema_rs.Registry(list(schemas.items()))
        self._validators: dict[str, Draft7Validator] = {}
        self._fast: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._formats = FormatChecker()

    @classmethod
    def from_package(cls) -> ProductSchemaRegistry:
        folder = resources.files(__package__) / "bundle"
        return cls(json.loads((folder / "schemas.json").read_text()),
                   json.loads((folder / "index.json").read_text()))

    def known(self, urn: str) -> bool:
        return urn in self._index

    def specs(self) -> list[str]:
        return sorted(self._index)

    def _validator(self, urn: str) -> Draft7Validator:
        validator = self._validators.get(urn)
        if validator is None:
            with self._lock:
                validator = self._validators.get(urn)
                if validator is None:
                    schema = {"$ref": self._index[urn]["resource"]}
                    validator = Draft7Validator(schema, registry=self._registry, format_checker=self._formats)
                    self._validators[urn] = validator
        return validator

    def _fast_validator(self, urn: str) -> Any:
        validator = self._fast.get(urn)
        if validator is None:
            with self._lock:
                validator = self._fast.get(urn)
                if validator is None:
                    validator = jsonschema_rs.Draft7Validator({"$ref": self._index[urn]["resource"]},
                                                              registry=self._rs_registry, validate_formats=True)
                    self._fast[urn] = validator
        return validator

    def validate(self, urn: str, payload: dict[str, Any], *, base_path: str = "") -> list[Violation]:
        if self._fast_validator(urn).is_valid(payload):
            return []
        found: set[Violation] = set()
        for error in self._validator(urn).iter_errors(payload):
            found.update(_violations(error, base_path))
        return sorted(found)

    def validate_configuration(self, config: dict[str, Any] | None, *, base_path: str) -> list[Violation]:
        """Check one productConfiguration: its `@type` must name a known schema, and it must satisfy it."""
        if config is None:
            return []
        if not isinstance(config, dict):
            return [Violation(base_path, "invalidValue", "productConfiguration must be an object")]
        urn = config.get("@type")
        if not isinstance(urn, str) or not self.known(urn):
            return [Violation(f"{base_path}/@type", "invalidValue",
                              _cut(f"unknown product specification {urn!r}"))]
        return self.validate(urn, config, base_path=base_path)


@functools.lru_cache(maxsize=1)
def default_registry() -> ProductSchemaRegistry:
    return ProductSchemaRegistry.from_package()
