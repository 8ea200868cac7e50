"""The static ES modules a page's entry module imports, found by reading their import lines.

The page names them all in `<link rel="modulepreload">`, so the browser fetches the whole graph at
once instead of discovering it one level of imports at a time.
"""

from __future__ import annotations

import posixpath
import re
from functools import lru_cache

from app.paths import resource

# `import ... from "./x.js"`, `export ... from "../x.js"` and `import "./x.js"`: relative only.
_IMPORT = re.compile(r"""(?:\bfrom|^\s*import)\s*["'](\.{1,2}/[^"']+)["']""", re.MULTILINE)


@lru_cache(maxsize=8)
def module_graph(entry: str) -> tuple[str, ...]:
    """Paths under static/ of `entry` and every module it imports, directly or not."""
    static = resource("static")
    seen: list[str] = []
    todo = [entry]
    while todo:
        path = todo.pop(0)
        if path in seen or not (static / path).is_file():
            continue
        seen.append(path)
        text = (static / path).read_text(encoding="utf-8")
        folder = posixpath.dirname(path)
        todo += [posixpath.normpath(posixpath.join(folder, m)) for m in _IMPORT.findall(text)]
    return tuple(seen)
