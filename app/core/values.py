"""What may be stored: limits on JSON values (metrics, spaces, options) and on text (error
messages), the same on every way in (tell over HTTP, a database worker, import, objective
registration), so every stored row can be read and sent back.

- `MAX_DEPTH`: arrays and objects nested in one stored value, the value itself counting as
  one. pydantic stops serializing at about 250 levels and parsing at about 200, so a deeper
  value made every read of its trial a 500; 32 leaves room for any honest metric.
- `MAX_JSON_BYTES`: a trial's metrics (or a registered objective's space) as UTF-8 JSON. It
  keeps one trial well inside a request body (10 MB), so any export of it can be imported.
- `MAX_ERROR_CHARS`: a trial's error text, as a remote worker's tell has always allowed.
- `MAX_NOTE_CHARS`: a note on an experiment, a search or a trial: a paragraph or a page, not
  a file (a page shows it whole).
- Text is unicode: no lone surrogate (`os.fsdecode` makes them from undecodable file names;
  no database driver or JSON encoder takes them) and, in a text column, no NUL (PostgreSQL
  refuses it).

Checks raise `ValueProblem` naming where the problem is; a worker instead makes its result
storable (`escape_text`, `shorten`), and reads of rows stored before these limits use
`clean_json`. Pure Python, no imports from the rest of the app.
"""

from __future__ import annotations

import json
import math
import re
import sys
from typing import Any

from app.core.problems import Loc, Problem

MAX_DEPTH = 32
MAX_JSON_BYTES = 1_000_000
MAX_ERROR_CHARS = 100_000
MAX_NOTE_CHARS = 10_000
TOO_DEEP = f"(not shown: nested more than {MAX_DEPTH} levels deep)"

_SCALARS = (bool, int, float, type(None))
# The largest integer a float holds (larger ones overflow `float()`, which metrics go through).
FLOAT_MAX_INT = int(sys.float_info.max)


class ValueProblem(Problem):
    """A value cannot be stored; `loc` is its path inside what was checked."""


def text_problem(text: str, *, column: bool = True) -> str | None:
    """Why `text` cannot be stored (None when it can): a lone surrogate, or NUL in a column."""
    if text.isascii():
        return "holds a NUL character" if column and "\x00" in text else None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "holds text that is not unicode (a lone surrogate such as \\udcff)"
    return "holds a NUL character" if column and "\x00" in text else None


def check_text(text: Any, loc: Loc = (), *, max_chars: int = MAX_ERROR_CHARS) -> None:
    """Raise ValueProblem unless `text` is a string a text column stores and reads back."""
    if not isinstance(text, str):
        raise ValueProblem(loc, "must be a string")
    if len(text) > max_chars:
        raise ValueProblem(loc, f"is {len(text):,} characters, more than {max_chars:,}")
    problem = text_problem(text)
    if problem is not None:
        raise ValueProblem(loc, problem)


def note_text(text: Any, loc: Loc = ("note",)) -> str | None:
    """A note as stored: None for none, or for blank text (a cleared text box clears the note);
    else checked as `check_text` checks, within MAX_NOTE_CHARS."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    check_text(text, loc, max_chars=MAX_NOTE_CHARS)
    return text


def check_json(
    value: Any, loc: Loc = (), *, max_bytes: int = MAX_JSON_BYTES, max_depth: int = MAX_DEPTH
) -> None:
    """Raise ValueProblem unless `value` is plain JSON (objects with string keys, arrays,
    strings, finite numbers, booleans, null) nested at most `max_depth` deep and at most
    `max_bytes` long. Iterative, and it stops early: a value 100,000 levels deep or of a
    gigabyte costs no more than one just past the limits."""
    if type(value) is dict and _small_flat(value, max_bytes):
        return
    stack: list[tuple[Any, int, Loc]] = [(value, 1, loc)]
    size = 0
    while stack:
        item, depth, where = stack.pop()
        size += _check_item(item, depth, where, max_depth)
        if size > max_bytes:
            raise ValueProblem(loc, f"is more than {max_bytes:,} bytes of JSON")
        if isinstance(item, dict):
            stack.extend((v, depth + 1, (*where, k)) for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((v, depth + 1, (*where, i)) for i, v in enumerate(item))
    exact = len(json.dumps(value, ensure_ascii=False).encode("utf-8"))
    if exact > max_bytes:
        raise ValueProblem(loc, f"is {exact:,} bytes of JSON, more than {max_bytes:,}")


def _check_item(item: Any, depth: int, loc: Loc, max_depth: int) -> int:
    """Check one node; returns a lower bound of the bytes it adds to the JSON text."""
    if isinstance(item, str):
        _check_json_text(item, loc)
        return len(item) + 2
    if isinstance(item, float) and not math.isfinite(item):
        raise ValueProblem(loc, "NaN and infinite numbers are not allowed")
    if isinstance(item, int) and abs(item) > FLOAT_MAX_INT:
        raise ValueProblem(loc, "is an integer too large for a float")
    if isinstance(item, _SCALARS):
        return 1
    if not isinstance(item, dict | list):
        raise ValueProblem(loc, f"a {type(item).__name__} is not a JSON value")
    if depth > max_depth:
        raise ValueProblem(loc, f"is nested more than {max_depth} levels deep")
    for key in item if isinstance(item, dict) else ():
        if not isinstance(key, str):
            raise ValueProblem(loc, f"object keys must be strings, not {type(key).__name__}")
        _check_json_text(key, (*loc, key))
    # brackets and one comma per item, and quotes and a colon per key
    return 2 + len(item) + (sum(len(key) + 3 for key in item) if isinstance(item, dict) else 0)


def _check_json_text(text: str, loc: Loc) -> None:
    """Inside JSON a NUL is an escape any database keeps; only a lone surrogate is refused."""
    problem = text_problem(text, column=False)
    if problem is not None:
        raise ValueProblem(loc, problem)


def escape_text(text: str) -> str:
    """`text` storable: NUL as `\\x00`, a lone surrogate from an undecodable byte (what
    `os.fsdecode` and `surrogateescape` make, U+DC80 to U+DCFF) as that byte, `\\xff`, and any
    other lone surrogate as U+FFFD. (Not as `\\udcff`: the request body check cannot tell that
    text from the JSON escape of a lone surrogate, so an export holding it would not import.)"""
    if text.isascii() and "\x00" not in text:
        return text
    return _SURROGATE.sub(_escape_surrogate, text).replace("\x00", "\\x00")


_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape_surrogate(match: re.Match[str]) -> str:
    """The undecodable byte a surrogate stands for, so the reader still sees which it was."""
    code = ord(match.group())
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else "\ufffd"


def shorten(text: str, max_chars: int = MAX_ERROR_CHARS) -> str:
    """`text` cut to `max_chars` in the middle: a traceback's first lines say where it started
    and its last lines what went wrong."""
    if len(text) <= max_chars:
        return text
    head = max_chars // 5
    tail = max_chars - head - len(_cut_marker(len(text)))  # the widest the marker can be
    return text[:head] + _cut_marker(len(text) - head - tail) + text[len(text) - tail :]


def _cut_marker(cut: int) -> str:
    """Says that text was cut and how much, so nobody mistakes a shortened reason for all."""
    return f"\n[... {cut:,} characters cut ...]\n"


def storable_text(text: str, max_chars: int = MAX_ERROR_CHARS) -> str:
    """Text made storable rather than refused: escaped, then shortened."""
    return shorten(escape_text(text), max_chars)


def clean_json(value: Any, max_depth: int = MAX_DEPTH) -> Any:
    """A stored JSON value made safe to send: text escaped, anything nested deeper than
    `max_depth` replaced by a note. For rows stored before the limits; the value itself (no
    copy) when it is already fine, which for flat metrics costs one pass over them."""
    if type(value) is dict and _plain_flat(value):
        return value
    if isinstance(value, str):
        return value if text_problem(value, column=False) is None else escape_text(value)
    if not isinstance(value, dict | list):
        return value
    if max_depth < 1:
        return TOO_DEEP
    if isinstance(value, list):
        items = [clean_json(v, max_depth - 1) for v in value]
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    cleaned = {clean_json(k): clean_json(v, max_depth - 1) for k, v in value.items()}
    same = len(cleaned) == len(value) and all(
        k in value and value[k] is v for k, v in cleaned.items()
    )
    return value if same else cleaned


_FLAT = frozenset({int, float, bool, type(None)})
_FLAT_TEXT = _FLAT | {str}


def _plain_flat(value: dict[Any, Any]) -> bool:
    """Whether `value` holds only numbers and ASCII text under ASCII keys: the common case,
    told mostly at C speed (a Python walk doubled the cost of an export)."""
    try:
        if not "".join(value).isascii():
            return False
    except TypeError:  # a key that is not a string
        return False
    kinds = set(map(type, value.values()))
    if kinds <= _FLAT:
        return True
    if not kinds <= _FLAT_TEXT:
        return False
    return "".join([v for v in value.values() if type(v) is str]).isascii()


def _small_flat(value: dict[Any, Any], max_bytes: int) -> bool:
    """Whether `value` is certainly within the limits without a walk: flat numbers and ASCII
    text (`_plain_flat`), finite, no integer past a float's range, and too short for its JSON
    to pass `max_bytes` (at most 6 bytes a character, 330 a value). The common metrics and
    parameters; a walk and an exact size made checking them the larger part of an import."""
    if not _plain_flat(value):
        return False
    values = value.values()
    floats = [v for v in values if type(v) is float]
    ints = [v for v in values if type(v) is int]
    try:
        if floats and not math.isfinite(math.fsum(floats)):
            return False
    except (OverflowError, ValueError):  # inf - inf, or a sum past a float: walk it
        return False
    if ints and max(map(abs, ints)) > FLOAT_MAX_INT:
        return False
    text = sum(map(len, value)) + sum(len(v) for v in values if type(v) is str)
    return 6 * text + 330 * len(value) + 2 <= max_bytes


def metric_number(value: Any) -> float:
    """A stored metric as a float: NaN unless it is a number a float holds (strings, booleans
    and integers past a float's range, which data stored before that limit may hold, are not:
    a sampler or the front reads such a trial as missing the metric instead of failing)."""
    if (type(value) is float or type(value) is int) and abs(value) <= FLOAT_MAX_INT:
        return float(value)
    return math.nan
