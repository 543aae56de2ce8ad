"""Bundle the MEF product payload schemas into src/counterpoint/productschemas/bundle/.

    python scripts/bundle_product_schemas.py [--mef ../shared/mef] [--check]

Each YAML schema under <interface>/productSchema becomes one resource keyed by a stable URI made from its
relative path; every `$ref` is rewritten to an absolute reference to that URI, so nothing needs the
files at run time. Prose keywords (description, title, $comment, examples) are dropped: the bundle keeps
names, types, enums and constraints only. `definitions: null` is read as an empty mapping. index.json
maps each schema's `$id` (the URN a payload names as `@type`) to its resource.
"""

from __future__ import annotations

import argparse
import json
import posixpath
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "src" / "counterpoint" / "productschemas" / "bundle"
BASE = "https://schemas.counterpoint.invalid/mef/"
_PROSE = {"description", "title", "$comment", "examples", "example"}
_NAME_MAPS = {"properties", "definitions", "patternProperties", "dependencies"}


def _rewrite(node: Any, rel: str, *, names: bool = False) -> Any:
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if names:  # keys are property/definition names, values are schemas
                out[key] = _rewrite(value, rel)
                continue
            if key in _PROSE or key == "$id" or key == "$schema":
                continue
            if key == "$ref" and isinstance(value, str):
                target, _, fragment = value.partition("#")
                path = posixpath.normpath(posixpath.join(posixpath.dirname(rel), target)) if target else rel
                out[key] = f"{BASE}{path}#{fragment}"
                continue
            if key in _NAME_MAPS:
                out[key] = _rewrite(value or {}, rel, names=True)
                continue
            out[key] = _rewrite(value, rel)
        return out
    if isinstance(node, list):
        return [_rewrite(v, rel) for v in node]
    return node


def bundle(mef: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    schemas: dict[str, Any] = {}
    index: dict[str, Any] = {}
    for interface in ("sonata", "cantata"):
        root = mef / interface / "productSchema"
        for path in sorted(root.rglob("*.yaml")):
            rel = path.relative_to(root).as_posix()
            raw = yaml.safe_load(path.read_text()) or {}
            uri = BASE + rel
            if uri in schemas:
                if _rewrite(raw, rel) != schemas[uri]:
                    raise SystemExit(f"{interface}/{rel} differs from the Sonata copy; bundle both")
                continue
            schemas[uri] = _rewrite(raw, rel)
            urn = raw.get("$id")
            if isinstance(urn, str) and urn.startswith("urn:mef:"):
                index[urn] = {"resource": uri, "file": rel}
    return schemas, index


def write(out: Path, schemas: dict[str, Any], index: dict[str, Any]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "schemas.json").write_text(json.dumps(schemas, sort_keys=True, indent=1) + "\n")
    (out / "index.json").write_text(json.dumps(index, sort_keys=True, indent=1) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mef", type=Path, default=REPO.parent / "shared" / "mef")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    schemas, index = bundle(args.mef)
    if not args.check:
        write(OUT, schemas, index)
        print(f"bundled {len(schemas)} schema files, {len(index)} product specifications")
        return
    with tempfile.TemporaryDirectory() as tmp:
        write(Path(tmp), schemas, index)
        for name in ("schemas.json", "index.json"):
            if (Path(tmp) / name).read_text() != (OUT / name).read_text():
                sys.exit(f"product schema bundle is stale ({name}): rerun scripts/bundle_product_schemas.py")
    print("product schema bundle up to date")


if __name__ == "__main__":
    main()
