"""The README's buyer journey, exactly as written: its bash block run by bash with curl against
`counterpoint serve`, and the example request bodies it posts checked against MEF's request schemas.

Each curl call of the block reports its method, status and URL on stderr and keeps its body, through a
`curl` shell function defined before the block runs (the block itself is not edited), so each step's
status and body are checked against the MEF envelope of the operation it called.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.support import serve_process
from tests.helpers import REPO, assert_mef_response, envelope, validate_against

EXAMPLES = REPO / "examples" / "sonata"
# example file -> (function, path, method) of the operation it is the request body of
BODIES = {
    "address-validation.json": ("geographicAddress", "/geographicAddressValidation", "post"),
    "poq.json": ("poq", "/productOfferingQualification", "post"),
    "quote.json": ("quote", "/quote", "post"),
    "order.json": ("productOrder", "/productOrder", "post"),
}
# (method, path under the Sonata base) of each step, in order, with its status and envelope operation
STEPS = [
    ("POST", r"/geographicAddressManagement/v7/geographicAddressValidation", 200,
     ("geographicAddress", "/geographicAddressValidation")),
    ("POST", r"/productOfferingQualification/v7/productOfferingQualification", 201,
     ("poq", "/productOfferingQualification")),
    ("POST", r"/quoteManagement/v8/quote", 201, ("quote", "/quote")),
    ("POST", r"/productOrderingManagement/v10/productOrder", 201, ("productOrder", "/productOrder")),
    ("GET", r"/productOrderingManagement/v10/productOrder/[^/?]+", 200, ("productOrder", "/productOrder/{id}")),
    ("GET", r"/productInventory/v7/product\?productOrderId=[^&]+", 200, ("productInventory", "/product")),
]
# Defined before the README's block: every curl call reports "STEP <method> <status> <url> <body file>".
PRELUDE = r"""
set -euo pipefail
curl() {
  local body; body=$(mktemp "$STEP_DIR/body.XXXXXX")
  command curl -w "%{stderr}STEP %{method} %{http_code} %{url_effective} $body\n" "$@" | tee "$body"
}
"""


def readme_journey() -> str:
    """The bash block of the README's "A buyer's journey" section."""
    text = (REPO / "README.md").read_text()
    section = text.split("## A buyer's journey", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, flags=re.S)
    assert len(blocks) == 1, "the journey section has one bash block"
    return blocks[0]


def _filled(name: str) -> Any:
    text = (EXAMPLES / name).read_text().replace("{{POQ}}", "poq-1").replace("{{QUOTE}}", "quote-1")
    return json.loads(text)


@pytest.mark.parametrize("name", sorted(BODIES))
def test_each_example_body_is_a_valid_mef_request(name: str) -> None:
    function, path, method = BODIES[name]
    op = envelope(function, "sonata")["paths"][path][method]
    (schema,) = [c["schema"] for c in op["requestBody"]["content"].values()]
    validate_against(function, "sonata", schema, _filled(name))


def test_the_journey_posts_every_example_file() -> None:
    block = readme_journey()
    used = set(re.findall(r"examples/sonata/([\w.-]+\.json)", block))
    assert used == set(BODIES) == {p.name for p in EXAMPLES.glob("*.json")}


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """`counterpoint serve` as the README starts it (default clock), on a free port; its Sonata base URL."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COUNTERPOINT_")}
    with serve_process(tmp_path, ["--database-url", f"sqlite+aiosqlite:///{tmp_path / 'seller.db'}"], env) as base:
        yield f"{base}/mefApi/sonata"


def test_the_readme_journey_runs_as_written(served: str, tmp_path: Path) -> None:
    bash, curl = shutil.which("bash"), shutil.which("curl")
    if not bash or not curl:
        pytest.skip(f"the README journey needs bash and curl: {'bash' if not bash else 'curl'} not found")
    steps = tmp_path / "steps"
    steps.mkdir()
    result = subprocess.run([bash, "-c", PRELUDE + readme_journey()], cwd=REPO, capture_output=True, text=True,
                            env={**os.environ, "S": served, "STEP_DIR": str(steps)}, timeout=120)
    ran = [line.split(" ", 4)[1:] for line in result.stderr.splitlines() if line.startswith("STEP ")]
    if result.returncode != 0:
        last = Path(ran[-1][3]).read_text()[:1000] if ran else ""
        done = "\n".join(" ".join(step[:3]) for step in ran)
        pytest.fail(f"the README journey stopped (bash exit {result.returncode}) after:\n{done}\n"
                    f"last answer: {last}\nstderr: {result.stderr[-1000:]}")
    assert len(ran) == len(STEPS), ran
    bodies = []
    for (method, status, url, body_file), (want_method, pattern, want_status, (function, path)) in zip(
            ran, STEPS, strict=True):
        assert method == want_method and re.fullmatch(re.escape(served) + pattern, url), (method, url)
        assert int(status) == want_status, (url, status, Path(body_file).read_text()[:500])
        response = httpx.Response(int(status), headers={"content-type": "application/json;charset=utf-8"},
                                  content=Path(body_file).read_bytes())
        bodies.append(assert_mef_response(response, function, path, method))
    validation, poq, quote, order, order_again, products = bodies
    assert validation["validationResult"] == "success"
    assert validation["bestMatchGeographicAddress"]["id"] == "addr-sg-raffles"
    assert poq["state"] == "done.ready"
    assert quote["state"] == "approved.orderable"
    assert quote["quoteItem"][0]["productOfferingQualificationItem"]["productOfferingQualificationId"] == poq["id"]
    assert order["state"] == "acknowledged"
    assert order["productOrderItem"][0]["quoteItem"] == {"id": "dia", "quoteId": quote["id"]}
    assert order_again["id"] == order["id"]
    assert isinstance(products, list)
