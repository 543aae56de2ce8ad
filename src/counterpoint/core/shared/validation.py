"""Product configuration checks under the Seller's policy (strict rejects, lenient records warnings)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from counterpoint.core.shared.errors import Invalid, Problem


class Violation(Protocol):
    path: str
    code: str
    reason: str


class ProductSchemas(Protocol):
    """Port: the MEF product payload schemas (implemented by counterpoint.productschemas)."""

    def known(self, urn: str) -> bool: ...
    def validate_configuration(self, config: dict[str, Any] | None, *, base_path: str) -> list[Violation]: ...


@dataclass(frozen=True, slots=True)
class Warning:
    """A violation the Seller accepted under the lenient policy; kept on the resource."""

    path: str
    code: str
    reason: str

    def as_text(self) -> str:
        return f"{self.code} at {self.path}: {self.reason}"


def check_configurations(schemas: ProductSchemas, *, strict: bool,
                         configs: Iterable[tuple[str, dict[str, Any] | None]]) -> list[Warning]:
    """Validate each (json pointer, productConfiguration). Strict: raise one Invalid naming every path.

    Lenient: return the violations as warnings; nothing is refused for its product payload.
    """
    found: list[Violation] = []
    for base_path, config in configs:
        if config is None:
            continue
        found.extend(schemas.validate_configuration(config, base_path=base_path))
    if strict and found:
        raise Invalid(f"{len(found)} product configuration problem(s)",
                      problems=[Problem(v.code, v.reason, v.path) for v in found])
    return [Warning(v.path, v.code, v.reason) for v in found]


def item_configurations(items: list[dict[str, Any]], items_key: str) -> list[tuple[str, dict[str, Any] | None]]:
    """(json pointer, productConfiguration) of every item of a POQ, quote or order request."""
    return [(f"/{items_key}/{i}/product/productConfiguration", (item.get("product") or {}).get("productConfiguration"))
            for i, item in enumerate(items)]


def gather_configuration_problems(schemas: ProductSchemas, *, strict: bool, items: list[dict[str, Any]],
                                  items_key: str, problems: list[Problem]) -> list[dict[str, str]]:
    """For requests that report every problem at once: adds strict violations to `problems` and returns the
    lenient warnings as stored on the resource."""
    try:
        found = check_configurations(schemas, strict=strict, configs=item_configurations(items, items_key))
    except Invalid as exc:
        problems.extend(exc.problems)
        return []
    return [{"path": w.path, "code": w.code, "reason": w.reason} for w in found]
