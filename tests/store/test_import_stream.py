"""The streamed import reads exactly what the exporter writes, a trial per line, whatever the
chunks; documents of any other shape (older, hand-written, compact) still import whole; and a
document cut short or broken between trials is refused by its path."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.store.db import session_scope
from app.store.document import DocumentError
from app.store.exporting import export_experiment, export_text
from app.store.importing import import_experiment, import_stream
from app.store.models import Experiment, Trial
from tests.support.exchange import populate, without_ids


def _pieces(text: bytes, size: int) -> Iterator[bytes]:
    for start in range(0, len(text), size):
        yield text[start : start + size]


def _exported(factory: sessionmaker[Session]) -> tuple[bytes, dict[str, Any]]:
    """populate()'s experiment as the exporter's text, and as a parsed document."""
    with session_scope(factory) as session:
        experiment_id = populate(session)
        text = "".join(export_text(session, experiment_id)).encode()
    return text, json.loads(text)


def _streamed(factory: sessionmaker[Session], text: bytes, size: int = 7, batch: int = 2) -> Any:
    """Import `text` in `size`-byte chunks, `batch` trials at a time; the new export."""
    with session_scope(factory) as session:
        new_id = import_stream(session, _pieces(text, size), batch=batch).id
    with session_scope(factory) as session:
        return export_experiment(session, new_id)


def _nothing_written(factory: sessionmaker[Session], before: int) -> None:
    with session_scope(factory) as session:
        assert session.scalar(select(func.count()).select_from(Experiment)) == before


def test_the_exporters_text_streams_in_as_the_parsed_document_does(
    factory: sessionmaker[Session],
) -> None:
    text, document = _exported(factory)
    lines = text.split(b"\n")
    trials = lines.index(b'  "trials": [')
    assert all(line.startswith(b"{") for line in lines[trials + 1 : trials + 7])  # a trial each
    with session_scope(factory) as session:
        whole = export_experiment(session, import_experiment(session, document).id)
    for size in (1, 7, 4096, len(text)):
        assert without_ids(_streamed(factory, text, size)) == without_ids(whole)


@pytest.mark.parametrize(
    "dumps",
    [
        lambda d: json.dumps(d, indent=2),  # trials over many lines, as older tools wrote
        lambda d: json.dumps(d),  # one line
        lambda d: json.dumps({**d, "trials": d["trials"]}, indent=4),
        lambda d: json.dumps({"trials": d["trials"], **d}, indent=2),  # trials first
    ],
)
def test_other_shapes_import_whole(factory: sessionmaker[Session], dumps: Any) -> None:
    text, document = _exported(factory)
    with session_scope(factory) as session:
        whole = export_experiment(session, import_experiment(session, document).id)
    other = dumps(document).encode()
    assert without_ids(_streamed(factory, other, 64)) == without_ids(whole)


def test_no_trials_at_all(factory: sessionmaker[Session]) -> None:
    text, _ = _exported(factory)
    lines = text.split(b"\n")
    head = lines[: lines.index(b'  "trials": [') + 1]
    empty = b"\n".join([*head, b"  ]", b"}", b""])
    with session_scope(factory) as session:
        before = session.scalar(select(func.count()).select_from(Trial))
    assert _streamed(factory, empty)["trials"] == []
    with session_scope(factory) as session:
        assert session.scalar(select(func.count()).select_from(Trial)) == before


@pytest.mark.parametrize(
    ("cut", "message"),
    [
        (lambda t: t[: t.rindex(b"\n  ]")], "the document ends before its trials do"),
        (lambda t: t[: t.rindex(b"\n  ]")] + b",\n", "the document ends before its trials do"),
        (lambda t: b"},\n  ]".join(t.rsplit(b"}\n  ]", 1)), "trials[6]: a comma after the last"),
        (lambda t: t.replace(b"},\n{", b"}\n{", 1), "trials[1]: follows a trial without a comma"),
        (lambda t: t.replace(b"\n  ]\n}", b"\n  ]\n}\n[]"), "does not end with ] and }"),
        (lambda t: t.replace(b'},\n{"search_id"', b'},\n{"search_id\\', 1), "trials[1]: is not"),
        (lambda t: t.replace(b'"worker": "w1"', b'"worker": "\\ud800"', 1), "not unicode"),
        (lambda t: t.replace(b'"value": 0.25', b'"value": NaN', 1), "NaN is not allowed"),
        (lambda t: t.replace(b'"worker": "w1"', b'"worker": "\xed\xa0\x80"', 1), "not unicode"),
        (lambda t: t.replace(b'"solver"', b'"s\\udc80lver"'), "experiment.space: holds text"),
    ],
)
def test_a_broken_document_is_refused_by_its_path_and_writes_nothing(
    factory: sessionmaker[Session], cut: Any, message: str
) -> None:
    text, _ = _exported(factory)
    broken = cut(text)
    assert broken != text
    with pytest.raises(DocumentError) as caught, session_scope(factory) as session:
        import_stream(session, _pieces(broken, 1000), batch=2)
    assert message in caught.value.text()
    _nothing_written(factory, 1)


def test_a_bad_trial_is_named_by_its_index(factory: sessionmaker[Session]) -> None:
    text, _ = _exported(factory)
    lines = text.split(b"\n")
    last = max(i for i, line in enumerate(lines) if line.startswith(b"{"))
    lines[last] = lines[last].replace(b'"solver": "', b'"solver": "nope-', 1)
    with pytest.raises(DocumentError) as caught, session_scope(factory) as session:
        import_stream(session, iter([b"\n".join(lines)]), batch=2)
    assert caught.value.text().startswith("trials[5].params.solver: ")
    _nothing_written(factory, 1)


def test_not_json_at_all(factory: sessionmaker[Session]) -> None:
    for text in (b"", b"not json", b"\xff\xfe"):
        with pytest.raises(DocumentError, match="is not a JSON document"):
            with session_scope(factory) as session:
                import_stream(session, iter([text]))
    with pytest.raises(DocumentError, match="must be a JSON object"):
        with session_scope(factory) as session:
            import_stream(session, iter([b"[1, 2]"]))


def test_what_is_held_at_once_has_a_bound(factory: sessionmaker[Session]) -> None:
    """A server passes its body limit as `max_held`: an export of any size streams in, but a
    document in another shape (read whole), a head or a line past it is refused."""
    text, document = _exported(factory)
    lines = text.split(b"\n")
    head = len(b"\n".join(lines[: lines.index(b'  "trials": [') + 1]))
    longest = max(len(line) for line in lines)
    bound = max(head, longest) + 100
    assert bound < len(text)  # the whole export is past it, and imports
    with session_scope(factory) as session:
        import_stream(session, _pieces(text, 64), max_held=bound)
    for other, message in [
        (json.dumps(document, indent=2).encode(), f"holds more than {bound} bytes"),
        (json.dumps(document).encode(), f"has a line longer than {bound} bytes"),
        (text.replace(b'"worker": "w1"', b'"worker": "' + b"w" * bound + b'"'), "a line longer"),
    ]:
        with pytest.raises(DocumentError, match=message), session_scope(factory) as session:
            import_stream(session, _pieces(other, 64), max_held=bound)
    _nothing_written(factory, 2)
