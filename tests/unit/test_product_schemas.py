"""The MEF product payload validators against the MEF 106 examples and synthetic payloads."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from counterpoint.productschemas import ProductSchemaRegistry, default_registry
from tests.helpers import REPO, mef_dir, require_mef

AEL = "urn:mef:lso:spec:sonata:access-eline-ovc:v5.0.0:all"
UNI = "urn:mef:lso:spec:sonata:carrier-ethernet-operator-uni:v5.0.0:all"
MEF106 = "sonata/documentation/productSchema/carrierEthernet/operatorEthernet/MEF 106 resources"


def _examples() -> list[str]:
    root = mef_dir()
    if root is None:
        return ["(absent)"]
    return sorted(p.name for p in (root / MEF106).glob("UseCase*Request.json"))


def _configs(doc: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    for key in ("productOrderItem", "quoteItem", "productOfferingQualificationItem"):
        if key in doc:
            out = []
            for i, item in enumerate(doc[key]):
                if (item.get("product") or {}).get("productConfiguration"):
                    out.append((f"/{key}/{i}/product/productConfiguration", item["product"]["productConfiguration"]))
            return out
    return []


def _independent_errors(config: dict[str, Any]) -> list[str]:
    """Validate straight from the original YAML files, resolving their relative file references."""
    from jsonschema import Draft7Validator, FormatChecker
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT7

    root = require_mef() / "sonata" / "productSchema"

    def fix(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: ({} if v is None and k in ("definitions", "properties") else fix(v)) for k, v in node.items()}
        return [fix(v) for v in node] if isinstance(node, list) else node

    def retrieve(uri: str) -> Resource:
        doc = fix(yaml.safe_load(Path(uri.removeprefix("file://")).read_text()) or {})
        doc.pop("$id", None)
        return Resource(doc, specification=DRAFT7)

    files = {yaml.safe_load(p.read_text()).get("$id"): p for p in root.rglob("*.yaml")}
    validator = Draft7Validator({"$ref": files[config["@type"]].resolve().as_uri()},
                                registry=Registry(retrieve=retrieve), format_checker=FormatChecker())
    return ["/" + "/".join(map(str, e.absolute_path)) for e in validator.iter_errors(config)]


@pytest.mark.mef
@pytest.mark.parametrize("name", _examples())
def test_mef106_example_gets_the_verdict_of_the_schemas(name: str) -> None:
    root = require_mef()
    doc = json.loads((root / MEF106 / name).read_text())
    registry = default_registry()
    for base, config in _configs(doc):
        ours = registry.validate_configuration(config, base_path=base)
        theirs = _independent_errors(config)
        assert bool(ours) == bool(theirs), (name, base, ours, theirs)
        # every problem the plain validator sees is located by one of ours (ours may point deeper)
        for path in theirs:
            assert any(v.path.startswith(base + path) for v in ours), (path, ours)


@pytest.mark.mef
def test_eight_of_ten_mef106_requests_break_the_schemas_with_l2cp_as_object() -> None:
    root = require_mef()
    registry = default_registry()
    broken, l2cp = [], []
    names = _examples()
    for name in names:
        doc = json.loads((root / MEF106 / name).read_text())
        found = [v for base, cfg in _configs(doc) for v in registry.validate_configuration(cfg, base_path=base)]
        if found:
            broken.append(name)
        if any(v.path.endswith("/l2cp_P") for v in found):
            l2cp.append(name)
    assert len(names) == 10
    assert len(broken) == 8
    assert set(l2cp) == set(broken)
    assert {"UseCase1Request.json", "UseCase10Request.json"}.isdisjoint(broken)


def _ael(**overrides: Any) -> dict[str, Any]:
    """A minimal Access E-Line OVC payload that satisfies the schema (built from the schema's needs)."""
    root = require_mef()
    doc = json.loads((root / MEF106 / "UseCase5Request.json").read_text())
    config = doc["productOrderItem"][0]["product"]["productConfiguration"]
    for ep in ("uniEp", "enniEp"):
        config[ep]["ingressClassOfServiceMap"]["l2cp_P"] = [config[ep]["ingressClassOfServiceMap"]["l2cp_P"]]
    config["enniEp"].pop("ingressBandwidthProfilePerClassOfServiceName", None)
    config.update(overrides)
    return config


@pytest.mark.mef
def test_a_repaired_example_is_valid_and_each_kind_of_problem_has_its_code() -> None:
    registry = default_registry()
    good = _ael()
    assert registry.validate_configuration(good, base_path="/x") == []
    bad = _ael(maximumFrameSize="big")
    del bad["uniEp"]
    bad["enniEp"]["ingressClassOfServiceMap"]["mapType"] = "NOT-A-MAP"
    found = {(v.path, v.code) for v in registry.validate_configuration(bad, base_path="/x")}
    assert ("/x/uniEp", "missingProperty") in found
    assert ("/x/maximumFrameSize", "invalidValue") in found
    assert any(p.startswith("/x/enniEp/ingressClassOfServiceMap") for p, _ in found)


def test_unknown_specification_is_reported_on_type() -> None:
    registry = default_registry()
    found = registry.validate_configuration({"@type": "urn:example:nothing"}, base_path="/item/0")
    assert [(v.path, v.code) for v in found] == [("/item/0/@type", "invalidValue")]
    assert registry.validate_configuration(None, base_path="/") == []
    assert registry.known(AEL) and registry.known(UNI)


def test_bundle_is_self_contained() -> None:
    registry = ProductSchemaRegistry.from_package()
    assert len(registry.specs()) >= 20
    schemas = json.loads((REPO / "src/counterpoint/productschemas/bundle/schemas.json").read_text())
    refs: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            refs.extend(v for k, v in node.items() if k == "$ref" and isinstance(v, str))
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(schemas)
    assert refs
    assert all(r.split("#")[0] in schemas for r in refs), [r for r in refs if r.split("#")[0] not in schemas][:3]


@pytest.mark.mef
@pytest.mark.parametrize("script", ["scripts/bundle_product_schemas.py", "scripts/bundle_envelopes.py",
                                    "scripts/generate_contracts.py"])
def test_generated_files_are_up_to_date(script: str) -> None:
    mef = require_mef()
    result = subprocess.run([sys.executable, script, "--mef", str(mef), "--check"], cwd=REPO,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
