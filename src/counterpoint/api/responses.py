"""JSON responses labelled as the MEF envelopes declare them."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import JSONResponse

MEF_MEDIA_TYPE = "application/json;charset=utf-8"


class MefJSONResponse(JSONResponse):
    media_type = MEF_MEDIA_TYPE

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)
