"""Reading an import document as it arrives, a trial at a time, so an import's memory does not
grow with its trials (a whole 1M-trial document took about 6 GB as Python objects).

No streaming JSON parser is needed: `exporting` controls the line breaks. It writes the head
(format, version, experiment, searches) indented by two, ending in the top-level line
`  "trials": [`, then one trial per line (`,` between them), then `  ]` and `}`. Indented
JSON puts only top-level keys two spaces in, and JSON text holds no raw line break, so that
line cannot occur inside the head. The head is parsed whole (with `"trials": []` closing it);
each trial line is parsed on its own. A document of any other shape (hand-written, compact,
from another tool) is read whole, as every import was before: it still imports, in memory.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from app.store.document import DocumentError

TRIALS_LINE = b'  "trials": ['
_HEAD_END = b'\n  "trials": []\n}'
# What any surrogate starts with: an escape, or its bytes (which json.loads decodes too).
_MAYBE_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]|\xed[\xa0-\xbf]")


def read_streamed(
    chunks: Iterable[bytes], max_held: int | None = None
) -> tuple[Any, Iterator[Any] | None]:
    """The document's head (a dict, its trials left out) and an iterator over its trials,
    parsed as they are read; or, for a document not in the exporter's shape, the whole
    document and None. Raises DocumentError for text that is not a JSON document.

    `max_held` bounds what is ever held at once (a server's memory): the head, one line, or
    a whole document not in the exporter's shape (which before could not pass the body
    limit either)."""
    lines = _lines(chunks, max_held)
    head: list[bytes] = []
    held = 0
    for line in lines:
        if line.rstrip() == TRIALS_LINE:
            break
        head.append(line)
        held += len(line) + 1
        if max_held is not None and held > max_held:
            raise _too_much(max_held)
    else:
        return _whole(b"\n".join(head)), None
    try:
        document = _loads(b"\n".join(head) + _HEAD_END)
    except ValueError:
        document = None
    if not isinstance(document, dict):  # the line was there but the head is not the exporter's
        return _whole(_rest([*head, line], lines, max_held)), None
    _check_unicode(document, (), b"\n".join(head))
    first = _next_line(lines)
    try:
        item = _loads(first.removesuffix(b",")) if first not in (b"]", b"") else None
    except ValueError:  # trials spread over many lines: an older or hand-indented document
        return _whole(_rest([*head, line, first], lines, max_held)), None
    return document, _trials(first, item, lines)


def _too_much(max_held: int) -> DocumentError:
    return DocumentError(
        (),
        f"holds more than {max_held} bytes that are not an export's trial lines (only those "
        "are read one at a time: write the document with `hyperzoom export`)",
    )


def _rest(parts: list[bytes], lines: Iterator[bytes], max_held: int | None) -> bytes:
    """`parts` and every line left, joined again, within `max_held` bytes."""
    held = sum(len(p) + 1 for p in parts)
    for line in lines:
        parts.append(line)
        held += len(line) + 1
        if max_held is not None and held > max_held:
            raise _too_much(max_held)
    return b"\n".join(parts)


def _trials(first: bytes, item: Any, lines: Iterator[bytes]) -> Iterator[Any]:
    """Each trial line's value; checks the commas between them and the document's end, so a
    file cut short (an interrupted export or upload) is refused, not imported in part."""
    index, line = 0, first
    while line != b"]":
        if not line:
            raise DocumentError(("trials",), "the document ends before its trials do")
        _check_unicode(item, ("trials", index), line)
        yield item
        more = line.endswith(b",")
        index += 1
        line = _next_line(lines)
        if line == b"]":
            if more:
                raise DocumentError(("trials", index), "a comma after the last trial")
            break
        if not line:
            raise DocumentError(("trials",), "the document ends before its trials do")
        if not more:
            raise DocumentError(("trials", index), "follows a trial without a comma")
        try:
            item = _loads(line.removesuffix(b","))
        except ValueError as exc:
            raise DocumentError(("trials", index), f"is not JSON on one line: {exc}") from None
    rest = b"".join(line.strip() for line in lines)
    if rest != b"}":
        raise DocumentError((), "the document does not end with ] and } after its trials")


def _next_line(lines: Iterator[bytes]) -> bytes:
    """The next line that is not blank, stripped; empty at the end."""
    for line in lines:
        if stripped := line.strip():
            return stripped
    return b""


def _lines(chunks: Iterable[bytes], max_held: int | None = None) -> Iterator[bytes]:
    """The text's lines (without their `\\n`), whatever the chunks' sizes; none longer than
    `max_held` bytes."""
    rest = b""
    for chunk in chunks:
        if not chunk:
            continue
        *lines, rest = (rest + chunk).split(b"\n")
        yield from lines
        if max_held is not None and len(rest) > max_held:
            raise DocumentError((), f"has a line longer than {max_held} bytes")
    if rest:
        yield rest


def _whole(text: bytes) -> Any:
    try:
        document = _loads(text)
    except ValueError as exc:
        raise DocumentError((), f"is not a JSON document: {exc}") from None
    _check_unicode(document, (), text)
    return document


def _loads(text: bytes) -> Any:
    """JSON from UTF-8 `text`; NaN and infinities refused."""
    return json.loads(text, parse_constant=_refuse_constant)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed (the document needs finite numbers)")


def _check_unicode(value: Any, loc: tuple[str | int, ...], text: bytes) -> None:
    """Refuse text that is not unicode (a lone surrogate escape: no database stores it) where
    it is; `value`'s strings are walked only when its JSON `text` may hold one (rarely)."""
    if _MAYBE_SURROGATE.search(text):
        _walk_unicode(value, loc)


def _walk_unicode(value: Any, loc: tuple[str | int, ...]) -> None:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise DocumentError(loc, "holds text that is not unicode (a lone surrogate)") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _walk_unicode(key, loc)
            _walk_unicode(item, (*loc, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _walk_unicode(item, (*loc, i))
