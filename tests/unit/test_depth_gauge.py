"""The body depth limit gives one verdict however the body is cut into chunks, and brackets in strings do
not count."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from counterpoint.api.limits import DepthGauge, check_depth
from counterpoint.core.shared.errors import BadRequest

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\ab\n', max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(alphabet='[{"\\x', max_size=3), inner,
                                                                max_size=3),
    max_leaves=30)


def depth_of(value: object) -> int:
    if isinstance(value, list):
        return 1 + max((depth_of(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((depth_of(v) for v in value.values()), default=0)
    return 0


def refused(chunks: list[bytes], limit: int) -> bool:
    gauge = DepthGauge(limit)
    try:
        for chunk in chunks:
            gauge.feed(chunk)
    except BadRequest:
        return True
    return False


@settings(max_examples=150, deadline=None, derandomize=True)
@given(value=json_values, limit=st.integers(min_value=1, max_value=6), cuts=st.lists(st.integers(0, 400)))
def test_the_verdict_is_the_real_depth_however_the_body_is_chunked(value: object, limit: int,
                                                                   cuts: list[int]) -> None:
    body = json.dumps(value).encode()
    bounds = sorted({0, len(body), *(c for c in cuts if c <= len(body))})
    chunks = [body[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]
    assert refused(chunks, limit) == (depth_of(value) > limit)


@pytest.mark.parametrize("body", [
    b'{"a": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}',
    b'{"a": "\\\\", "b": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}',
    b'{"a": "\\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}',
])
def test_brackets_inside_strings_do_not_count(body: bytes) -> None:
    check_depth(body, 3)
    for cut in range(len(body) + 1):  # a string (and an escape) cut anywhere is carried into the next chunk
        assert not refused([body[:cut], body[cut:]], 3)


def test_one_level_past_the_limit_is_refused() -> None:
    check_depth(b"[" * 64 + b"]" * 64, 64)
    with pytest.raises(BadRequest, match="deeper than 64"):
        check_depth(b"[" * 65 + b"]" * 65, 64)
