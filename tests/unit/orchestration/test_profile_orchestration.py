"""Providers and orchestration in a profile: loaded into core objects, and bad references refused clearly."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from counterpoint.demo.cluster import CHAIN
from counterpoint.profiles.loader import ProfileError, load_profile


def test_chain_profiles_load_with_their_partners_urls() -> None:
    a = load_profile(CHAIN / "a_archipelago.yaml", {"B_URL": "http://127.0.0.1:9002"})
    assert a.orchestration is not None
    b = a.orchestration.provider("lion-city-metro")
    assert (b.adapter, b.base_url, b.api_key) == ("mef-sonata", "http://127.0.0.1:9002", "demo-key-archipelago")
    assert b.capabilities[0].countries == ("SG",) and b.retry.attempts == 3
    offering = a.orchestration.offering("evpl-jkt-sgp")
    assert [s.name for s in offering.segments] == ["jakarta-access", "jkt-sgp-backbone", "singapore-access"]
    assert [s.place_index for s in offering.segments] == [0, None, 1]
    assert a.orchestration.provider("archipelago-net").options["network"]["service_interface_points"]


def _broken(tmp_path: Path, change) -> Path:  # type: ignore[no-untyped-def]
    raw = yaml.safe_load((CHAIN / "a_archipelago.yaml").read_text())
    change(raw)
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


@pytest.mark.parametrize(("change", "message"), [
    (lambda r: r["orchestration"]["offerings"][0].update(offering="nope"), "unknown offering nope"),
    (lambda r: r["orchestration"]["offerings"][0]["segments"][0].update(spec="urn:x"), "no provider offers urn:x"),
    (lambda r: r["providers"].append(dict(r["providers"][1])), "listed twice"),
    (lambda r: r["providers"][1].update(adapter="carrier-pigeon"), "adapter"),
])
def test_bad_orchestration_is_refused_with_the_reason(tmp_path: Path, change, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ProfileError, match=message):
        load_profile(_broken(tmp_path, change))
