"""Generate the Pydantic v2 models in src/counterpoint/contracts/ from the MEF OpenAPI envelopes.

    python scripts/generate_contracts.py [--mef ../shared/mef] [--check]

Before generation each envelope is reduced to what a model needs: prose (description, summary, title,
examples) is removed so no MEF text is copied; `format: date-time` becomes a string with an RFC 3339
pattern and `format: uri` a plain string, so documents round-trip byte for byte (Pydantic would otherwise
re-render timestamps and URLs). Models allow extra fields: product configurations ride on them.
datamodel-code-generator names classes without underscores (ProductOrder_Create -> ProductOrderCreate);
each module ends with aliases carrying the MEF spelling, so both names work.
`--check` regenerates into a temporary folder and fails if the committed files differ.
"""

from __future__ import annotations

import argparse
import filecmp
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "src" / "counterpoint" / "contracts"

# module name (without version) -> envelope path under <interface>/productApi/
APIS = {
    "geographic_address": "serviceability/address/geographicAddressManagement.api.yaml",
    "geographic_site": "serviceability/site/geographicSiteManagement.api.yaml",
    "poq": "serviceability/offeringQualification/productOfferingQualificationManagement.api.yaml",
    "poq_notification": "serviceability/offeringQualification/productOfferingQualificationNotification.api.yaml",
    "quote": "quote/quoteManagement.api.yaml",
    "quote_notification": "quote/quoteNotification.api.yaml",
    "product_order": "order/productOrderManagement.api.yaml",
    "product_order_notification": "order/productOrderNotification.api.yaml",
    "product_inventory": "inventory/productInventoryManagement.api.yaml",
    "trouble_ticket": "troubleTicket/troubleTicketManagement.api.yaml",
    "trouble_ticket_notification": "troubleTicket/troubleTicketNotification.api.yaml",
    "appointment": "workforce/appointment/appointmentManagement.api.yaml",
    "appointment_notification": "workforce/appointment/appointmentNotification.api.yaml",
    "work_order": "workforce/workorder/workorderManagement.api.yaml",
    "work_order_notification": "workforce/workorder/workorderNotification.api.yaml",
}
RFC3339 = (r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|z|[+-]\d{2}:\d{2})$")
_PROSE = {"description", "summary", "title", "example", "examples", "externalDocs", "x-codegen-request-body-name"}


def _reduce(node: Any) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key in _PROSE and not (key == "title" and isinstance(value, dict)):
                continue
            out[key] = _reduce(value)
        if out.get("format") == "date-time" and out.get("type") == "string":
            del out["format"]
            out["pattern"] = RFC3339
        elif out.get("format") in ("uri", "url") and out.get("type") == "string":
            del out["format"]
        return out
    if isinstance(node, list):
        return [_reduce(v) for v in node]
    return node


def _discriminated(spec: dict[str, Any]) -> dict[str, Any]:
    """Every use of a base schema that carries a discriminator mapping becomes a oneOf of its subtypes with
    that discriminator, so an object is parsed as the subtype its `@type` names.

    MEF puts the discriminator on the base schema (RelatedPlaceRefOrValue, GeographicAddress...) and its
    subtypes extend it with allOf. The generator honours that on a property that is the base itself, but
    an array of the base becomes a plain union: the first subtype that fits wins, so a place saying
    FieldedAddress without city, country or streetName would pass as a reference. The subtypes' own allOf
    links to the base stay as they are (they are the inheritance)."""
    schemas = spec.get("components", {}).get("schemas", {})
    bases = {f"#/components/schemas/{name}": schema["discriminator"] for name, schema in schemas.items()
             if isinstance(schema.get("discriminator"), dict) and schema["discriminator"].get("mapping")}

    def walk(node: Any, inherits: bool = False) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if ref in bases and not inherits:
                disc = bases[ref]
                return {"oneOf": [{"$ref": target} for target in disc["mapping"].values()],
                        "discriminator": {"propertyName": disc["propertyName"], "mapping": dict(disc["mapping"])}}
            return {key: [walk(v, True) for v in value] if key == "allOf" and isinstance(value, list)
                    else walk(value) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(spec)


def _version(envelope: dict[str, Any]) -> str:
    url = envelope["servers"][0]["url"]
    m = re.search(r"/v(\d+)/?$", url.strip())
    if not m:
        raise SystemExit(f"no major version in server url {url!r}")
    return m[1]


def _aliases(envelope: dict[str, Any], code: str) -> str:
    names = set(re.findall(r"^class (\w+)\(", code, flags=re.M))
    lines = []
    for schema in sorted(envelope.get("components", {}).get("schemas", {})):
        if "_" in schema and schema not in names:
            normalised = schema.replace("_", "")
            if normalised in names:
                lines.append(f"{schema} = {normalised}")
    return ("\n\n# MEF spellings\n" + "\n".join(lines) + "\n") if lines else ""


def generate(mef: Path, out: Path) -> None:
    for interface in ("sonata", "cantata"):
        target = out / interface
        target.mkdir(parents=True, exist_ok=True)
        (target / "__init__.py").write_text(f'"""Generated MEF {interface.title()} contracts. Do not edit."""\n')
        for name, rel in APIS.items():
            source = mef / interface / "productApi" / rel
            envelope = yaml.safe_load(source.read_text())
            module = target / f"{name}_v{_version(envelope)}.py"
            with tempfile.TemporaryDirectory() as tmp:
                reduced = Path(tmp) / "spec.yaml"
                reduced.write_text(yaml.safe_dump(_discriminated(_reduce(envelope)), sort_keys=True))
                subprocess.run([
                    sys.executable, "-m", "datamodel_code_generator", "--input", str(reduced),
                    "--input-file-type", "openapi", "--output", str(module),
                    "--output-model-type", "pydantic_v2.BaseModel", "--target-python-version", "3.11",
                    "--allow-extra-fields", "--disable-timestamp", "--use-standard-collections",
                    "--use-union-operator", "--use-double-quotes", "--collapse-root-models",
                    "--formatters", "black", "isort",
                    "--custom-file-header",
                    f"# Generated by scripts/generate_contracts.py from {interface}/productApi/{rel}\n"
                    "# Do not edit by hand: rerun the script.",
                ], check=True, capture_output=True)
            code = module.read_text()
            module.write_text(code + _aliases(envelope, code))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mef", type=Path, default=REPO.parent / "shared" / "mef")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    if not args.check:
        generate(args.mef, OUT)
        return
    with tempfile.TemporaryDirectory() as tmp:
        generate(args.mef, Path(tmp))
        diffs = []
        for interface in ("sonata", "cantata"):
            cmp = filecmp.dircmp(Path(tmp) / interface, OUT / interface, ignore=["__pycache__"])
            diffs += cmp.diff_files + cmp.left_only + cmp.right_only
            _, mismatch, errors = filecmp.cmpfiles(Path(tmp) / interface, OUT / interface,
                                                   [p.name for p in (Path(tmp) / interface).glob("*.py")],
                                                   shallow=False)
            diffs += mismatch + errors
        if diffs:
            raise SystemExit(f"contracts are stale, rerun scripts/generate_contracts.py: {sorted(set(diffs))}")
        print("contracts up to date")


if __name__ == "__main__":
    main()
