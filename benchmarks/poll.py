"""One live poll of the experiment page with nothing new, at 100,000 and 1,000,000 trials.

The page polled three requests: the experiment, its tree of searches, and the trials changed
since its cursor. Now (static/js/experiment.js `refresh()`) it reads the columns since its
cursor first, as binary columns, and reads the experiment and its tree only when the cursor
moved: every change they show takes the experiment's change number too. With nothing new, a
poll is that one request, and its cost is what a poll costs while a user only looks; it should
not grow with the trials (issue 18: under 5 ms at a million). Each size gets a SQLite database
filled with finished trials (benchmarks/fill.py), kept in `--workdir` and reused by a later run;
a real `hyperzoom serve` process answers. The cursor is the experiment's change number, which
the page holds after its first read. Each request of the three-request poll is timed on its
own, one after another, `--repeats` times after a warm-up (the columns as JSON); the table gives
the median of each and of their sum, of the three requests at once (`Promise.all`) until the
last answer, and of the page's poll now: the binary columns since the cursor, alone (the
server's kept columns, read whole at the first poll of the warm-up). Last, a poll that brings
something, to show it costs what changed: another client sets a trial's note (the database
keeps them: the only change a run leaves), and the page's poll brings that trial and reads the
experiment and its tree at once.

    .venv/bin/python benchmarks/poll.py [--sizes 100000,1000000] [--workdir /tmp/hz-poll]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
import numpy as np  # noqa: E402
from sqlalchemy import select  # noqa: E402

from app.store.migrate import upgrade  # noqa: E402
from app.store.models import Experiment  # noqa: E402
from benchmarks.fill import Ours  # noqa: E402
from benchmarks.report import ROOT, free_port, machine, median, table, wait_for_http  # noqa: E402

WARM_UP = 5
NAMES = ("experiment", "tree", "columns since cursor")
HEADERS = [
    *(f"{name} (ms)" for name in NAMES),
    "one after another (ms)",
    "at once (ms)",
    "the page's poll now: binary columns alone (ms)",
    "a poll bringing one changed trial (ms)",
]
BINARY = {"Accept": "application/vnd.hyperzoom.columns"}  # as static/js/api.js getColumns


def database(workdir: Path, size: int) -> Ours:
    """The database of `size` finished trials in `workdir`, filled when new, migrated to head."""
    path = workdir / f"poll-{size}.db"
    ours = Ours.open_or_create(str(path), budget=size)
    ours.fill(size, np.random.default_rng(size))
    upgrade(ours.url)  # a database filled by an older version gets this one's schema
    return ours


def cursor(ours: Ours) -> int:
    """The change number the page holds once it has read every trial."""
    with ours.engine.connect() as conn:
        return conn.scalar(select(Experiment.seq).where(Experiment.id == ours.experiment_id))


def poll_urls(base: str, ours: Ours) -> list[str]:
    """The three requests of one poll, as experiment.js makes them."""
    api = f"{base}/api/experiments/{ours.experiment_id}"
    return [api, f"{api}/tree", f"{api}/trials/columns?since={cursor(ours)}"]


def time_poll(client: httpx.Client, urls: list[str]) -> list[float]:
    """Milliseconds of each request of one poll, made one after another."""
    times = []
    for url in urls:
        started = time.perf_counter()
        response = client.get(url)
        response.raise_for_status()
        times.append((time.perf_counter() - started) * 1000)
    return times


def time_at_once(client: httpx.Client, urls: list[str], pool: ThreadPoolExecutor) -> float:
    """Milliseconds of one poll made as the page makes it (`Promise.all`): all three at once."""
    started = time.perf_counter()
    for response in pool.map(client.get, urls):
        response.raise_for_status()
    return (time.perf_counter() - started) * 1000


def binary_cursor(content: bytes) -> tuple[int, int]:
    """(trials, cursor) of a binary columns answer (app/api/columns_binary.py): its header."""
    assert content[:4] == b"HZC1", content[:4]
    size = int.from_bytes(content[4:8], "little")
    header = json.loads(content[8 : 8 + size])
    return header["n"], header["cursor"]


def time_page_poll(client: httpx.Client, url: str, since: int) -> float:
    """Milliseconds of the page's poll with nothing new: the binary columns since the cursor,
    whose cursor did not move (so the page reads nothing else)."""
    started = time.perf_counter()
    response = client.get(url, headers=BINARY)
    response.raise_for_status()
    took = (time.perf_counter() - started) * 1000
    assert binary_cursor(response.content) == (0, since), "the cursor moved: not a quiet poll"
    return took


def time_changed_poll(
    client: httpx.Client, urls: list[str], since: int, pool: ThreadPoolExecutor
) -> tuple[float, int]:
    """Milliseconds of the page's poll right after another client set a trial's note (a trial
    changed in place, as a tell does): the binary columns bring that one trial and a moved
    cursor, then the experiment and its tree at once; and the new cursor. The notes (on the
    trial changed longest ago, so another each time) are the only change a run leaves."""
    trial = client.get(f"{urls[0]}/trials", params={"limit": 1}).json()[0]["id"]
    noted = client.put(f"{urls[0].split('/api/')[0]}/api/trials/{trial}/note", json={"note": "x"})
    noted.raise_for_status()
    started = time.perf_counter()
    response = client.get(urls[2].rsplit("=", 1)[0] + f"={since}", headers=BINARY)
    response.raise_for_status()
    n, moved = binary_cursor(response.content)
    for read in pool.map(client.get, urls[:2]):
        read.raise_for_status()
    took = (time.perf_counter() - started) * 1000
    assert n == 1 and moved > since, (n, moved, since)
    return took, moved


def measure(ours: Ours, repeats: int) -> list[float]:
    """Median ms of each request, of their sum, of the three at once, and of the page's
    one-request poll, against a fresh server."""
    port = free_port()
    command = [sys.executable, "-m", "app", "serve", "--db", ours.url, "--port", str(port)]
    command += ["--log-level", "warning"]
    child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{base}/api/experiments")
        urls = poll_urls(base, ours)
        with httpx.Client(timeout=60) as client:
            since = cursor(ours)
            empty = client.get(urls[2]).json()
            assert not empty["id"], "the poll found new trials: nothing should change here"
            assert empty["cursor"] == since, "the cursor moved: nothing should change here"
            polls = [time_poll(client, urls) for _ in range(WARM_UP + repeats)][WARM_UP:]
            with ThreadPoolExecutor(len(urls)) as pool:
                together = [time_at_once(client, urls, pool) for _ in range(WARM_UP + repeats)]
            page = [time_page_poll(client, urls[2], since) for _ in range(WARM_UP + repeats)]
            changed = []
            with ThreadPoolExecutor(2) as pool:
                for _ in range(WARM_UP + repeats):
                    took, since = time_changed_poll(client, urls, since, pool)
                    changed.append(took)
    finally:
        child.terminate()
        child.wait(30)
    columns = [median(times) for times in zip(*polls, strict=True)]
    alone, one = median(page[WARM_UP:]), median(changed[WARM_UP:])
    return [*columns, median([sum(p) for p in polls]), median(together[WARM_UP:]), alone, one]


def commit() -> str:
    """The commit of the code the server ran (and whether its tree had changes)."""
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True)
    return head + (" (with uncommitted changes)" if dirty.stdout.strip() else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/hz-poll"))
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(f"One poll with nothing new; {machine()}; code at {ROOT}, commit {commit()}\n")
    rows: list[list[Any]] = []
    for size in (int(s) for s in args.sizes.split(",")):
        ours = database(args.workdir, size)
        row = [f"{size:,}", *(f"{ms:.1f}" for ms in measure(ours, args.repeats))]
        print(row, file=sys.stderr, flush=True)
        rows.append(row)
        ours.engine.dispose()
    print(table(["trials", *HEADERS], rows))


if __name__ == "__main__":
    main()
