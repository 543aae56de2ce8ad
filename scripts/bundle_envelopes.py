"""Bundle the structure of the MEF OpenAPI envelopes the tests read into tests/contracts/envelopes.json.

    python scripts/bundle_envelopes.py [--mef ../shared/mef] [--check]

The tests check every response and notification against MEF's own envelopes and generate requests from
them. So that a clone without ../shared/mef still runs those checks, this keeps each envelope's structure
(paths, operations, parameters, status codes, media types, schemas with their types, enums, constraints
and discriminators) and drops the prose: description, summary, title (outside info), examples and
external docs. A response keeps an empty `description`, which OpenAPI requires. The tests read the bundle
when ../shared/mef is absent; `--check` (run by .ci/run) verifies it matches the SDK.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

try:  # imported by the tests as scripts.bundle_envelopes, or run as a script from scripts/
    from scripts.generate_contracts import APIS
except ModuleNotFoundError:
    from generate_contracts import APIS  # type: ignore[no-redef]

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "tests" / "contracts" / "envelopes.json"

# function -> envelope file under <channel>/ (tests/helpers.py reads it too): the generator's table, with the
# functions named as the API serves them (geographic_address -> geographicAddress)
ENVELOPES = {re.sub(r"_(.)", lambda m: m.group(1).upper(), module): f"productApi/{path}"
             for module, path in APIS.items()}
CHANNELS = ("sonata", "cantata")

_PROSE = {"description", "summary", "title", "example", "examples", "externalDocs", "$comment"}
# keys whose value maps names (of properties, paths, status codes, media types ...) to objects
_NAME_MAPS = {"properties", "patternProperties", "definitions", "schemas", "paths", "responses", "content",
              "headers", "securitySchemes", "requestBodies", "callbacks", "links", "variables", "parameters"}


def strip(node: Any, *, names: bool = False, response: bool = False) -> Any:
    if isinstance(node, dict):
        if names:  # keys are names chosen by MEF, values are objects
            return {key: strip(value, response=response) for key, value in node.items()}
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in _PROSE:
                continue
            if key == "mapping" and isinstance(value, dict):  # discriminator: value -> $ref
                out[key] = dict(value)
            elif key in _NAME_MAPS and isinstance(value, dict):
                out[key] = strip(value, names=True, response=key == "responses")
            elif key == "components" and isinstance(value, dict):
                out[key] = {k: strip(v, names=True, response=k == "responses") for k, v in value.items()
                            if k not in _PROSE}
            else:
                out[key] = strip(value)
        if response and "$ref" not in out:
            out["description"] = ""
        return out
    if isinstance(node, list):
        return [strip(v) for v in node]
    return node


def envelope_structure(raw: dict[str, Any]) -> dict[str, Any]:
    info = raw.get("info") or {}
    out = strip({k: v for k, v in raw.items() if k != "info"})
    out["info"] = {"title": info.get("title", ""), "version": info.get("version", "")}
    return out


def bundle(mef: Path) -> dict[str, Any]:
    return {channel: {function: envelope_structure(yaml.safe_load((mef / channel / rel).read_text()))
                      for function, rel in ENVELOPES.items()}
            for channel in CHANNELS}


def render(doc: dict[str, Any]) -> str:
    return json.dumps(doc, sort_keys=True, indent=1) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mef", type=Path, default=REPO.parent / "shared" / "mef")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    text = render(bundle(args.mef))
    if not args.check:
        OUT.write_text(text)
        print(f"bundled {sum(len(v) for v in bundle(args.mef).values())} envelopes into {OUT.relative_to(REPO)}")
        return
    if not OUT.is_file() or OUT.read_text() != text:
        sys.exit("envelope bundle is stale: rerun scripts/bundle_envelopes.py")
    print("envelope bundle up to date")


if __name__ == "__main__":
    main()
