"""Static files that browsers check before reusing.

The page's ES modules import each other by plain relative URLs (no build step, so no version in
them). Without a Cache-Control header a browser reuses a file it thinks fresh by heuristics for
up to a tenth of its age, so after an upgrade a page could run new modules with old ones. With
`no-cache` it asks every time, and an unchanged file costs a 304 (ETag, Last-Modified).
"""

from __future__ import annotations

import os

from fastapi.staticfiles import StaticFiles
from starlette.responses import Response
from starlette.types import Scope


class RevalidatedStaticFiles(StaticFiles):
    """StaticFiles whose answers, 200 or 304, say `Cache-Control: no-cache`."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = "no-cache"
        return response
