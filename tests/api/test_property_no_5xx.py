"""Property-based run over every implemented MEF operation: generated requests never get a 5xx.

The cases come from the MEF envelopes (../shared/mef, or their committed structure; not from our own
OpenAPI), so the run also checks that every answer is a status the envelope documents for that operation
(or 404 for unknown ids and paths, which every envelope allows for resource paths, and 401/403 which all
operations document).
"""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from starlette.testclient import TestClient

from counterpoint.api.app import MOUNTS, create_app
from counterpoint.bootstrap import build
from counterpoint.core.shared.apis import base_path
from counterpoint.core.shared.clock import ManualClock
from counterpoint.profiles.loader import load_profile
from counterpoint.settings import DEMO_PROFILE, Settings
from tests.helpers import BUYER_A, envelope

EXAMPLES = int(os.environ.get("COUNTERPOINT_PROPERTY_EXAMPLES", "30"))


def _operations() -> list[tuple[str, str, str]]:
    out = []
    for function in MOUNTS:
        for path, ops in envelope(function, "sonata")["paths"].items():
            for method in ops:
                if method in {"get", "post", "patch", "delete", "put"}:
                    out.append((function, method.upper(), path))
    return out


@pytest.mark.mef
@pytest.mark.parametrize(("function", "method", "path"), _operations())
def test_generated_requests_never_get_a_5xx(function: str, method: str, path: str, database_url: str,
                                            tmp_path: Path) -> None:
    import schemathesis

    spec = envelope(function, "sonata")
    schema = schemathesis.openapi.from_dict(spec)
    operation = next(op.ok() for op in schema.get_all_operations()
                     if op.ok().method.upper() == method and op.ok().path == path)
    documented = {int(s) for s in spec["paths"][path][method.lower()]["responses"] if s.isdigit()}
    documented |= {401, 403, 404}
    container = build(Settings(database_url=database_url, run_workers=False, public_base_url="http://seller.test"),
                      clock=ManualClock(), profile=load_profile(DEMO_PROFILE),
                      http_factory=lambda: httpx.AsyncClient(transport=httpx.MockTransport(
                          lambda request: httpx.Response(204))))
    prefix = base_path(function, "sonata")
    failures: list[str] = []

    with TestClient(create_app(container), raise_server_exceptions=False) as client:
        @settings(max_examples=EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def check(case) -> None:  # type: ignore[no-untyped-def]
            kwargs: dict = {"params": case.query or None,
                            "headers": {**BUYER_A, **(case.headers or {})}}
            if not isinstance(case.body, type(schemathesis.core.NOT_SET)):
                kwargs["json"] = case.body
                kwargs["headers"]["Content-Type"] = "application/json;charset=utf-8"
            response = client.request(method, prefix + case.formatted_path, **kwargs)
            if response.status_code >= 500 or response.status_code not in documented:
                failures.append(f"{response.status_code} for {method} {case.formatted_path} "
                                f"query={case.query!r} body={str(case.body)[:300]}: {response.text[:300]}")
            assert response.status_code < 500, failures[-1]

        check()
    assert not failures, "\n".join(failures[:5])
