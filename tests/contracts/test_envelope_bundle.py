"""The committed envelope bundle: structure only, and what the tests read when ../shared/mef is absent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests import helpers

PROSE = {"description", "summary", "example", "examples", "externalDocs"}


def _prose(node: Any, names: bool = False, path: str = "") -> list[str]:
    """Prose keywords with text in them (a property *named* description is a schema, not prose)."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if not names and key in PROSE and value not in ("", None):
                found.append(f"{path}/{key}")
            child_names = key in {"properties", "schemas", "paths", "responses", "content", "parameters"} \
                and isinstance(value, dict) and not names
            found += _prose(value, child_names, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _prose(value, False, f"{path}/{i}")
    return found


def test_the_bundle_keeps_structure_and_no_prose() -> None:
    bundle = helpers._bundle()
    assert set(bundle) == {"sonata", "cantata"}
    for channel, envelopes in bundle.items():
        assert set(envelopes) == set(helpers._ENVELOPES), channel
        for function, spec in envelopes.items():
            assert spec["paths"] and spec["components"]["schemas"], (channel, function)
            assert _prose(spec) == [], (channel, function, _prose(spec)[:3])
    order = bundle["sonata"]["productOrder"]
    place = order["components"]["schemas"]["RelatedPlaceRefOrValue"]
    assert place["discriminator"]["mapping"]["FieldedAddress"] == "#/components/schemas/FieldedAddress"
    assert "description" in order["components"]["schemas"]["MEFItemTerm"]["properties"]  # a property, kept


def test_without_the_sdk_the_checks_read_the_bundle(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("COUNTERPOINT_MEF_DIR", str(tmp_path / "absent"))
    monkeypatch.delenv("CI", raising=False)
    helpers.envelope.cache_clear()
    helpers._validator_for.cache_clear()
    try:
        spec = helpers.envelope("productOrder", "cantata")
        assert spec is helpers._bundle()["cantata"]["productOrder"]
        schema = {"$ref": "#/components/schemas/ProductOrder"}
        with pytest.raises(AssertionError, match="body breaks the MEF schema"):
            helpers.validate_against("productOrder", "cantata", schema, {"id": 1})
    finally:
        helpers.envelope.cache_clear()
        helpers._validator_for.cache_clear()
