"""The demo credentials shipped with counterpoint, which a production Seller must never accept.

Every key the packaged profiles (the demo Seller, the three-provider chain) give in plain text is public: it
is in this repository. Production mode refuses to start with a profile whose buyers use one of them.
"""

from __future__ import annotations

import functools
import hashlib
import re
from pathlib import Path

from counterpoint.core.seller.model import SellerProfile

_PACKAGED = Path(__file__).parent
_PLAIN_KEY = re.compile(r"apiKey:\s*['\"]?([^\s,'\"}]+)")


class DemoCredentials(ValueError):
    """A production profile names a key that ships with counterpoint."""


@functools.cache
def demo_key_digests() -> frozenset[str]:
    keys = {k for path in _PACKAGED.rglob("*.yaml") for k in _PLAIN_KEY.findall(path.read_text())}
    return frozenset(hashlib.sha256(k.encode()).hexdigest() for k in keys)


def refuse_demo_keys(profile: SellerProfile) -> None:
    public = demo_key_digests()
    named = sorted(b.id for b in profile.buyers if b.api_key_sha256 in public)
    if named:
        raise DemoCredentials(f"production mode refuses the demo API keys shipped with counterpoint (buyers "
                              f"{', '.join(named)}): give each buyer its own apiKeySha256 in the profile")
