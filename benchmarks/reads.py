"""Reading every trial of a big study over HTTP: ours against optuna-dashboard, on SQLite.

The two databases are bulk-filled with the same finished trials (benchmarks/fill.py) to each
size in turn. Ours: `hyperzoom serve` in a subprocess, `GET /api/experiments/1/trials/columns`
(the page's plot data) without and with gzip. Theirs: `optuna-dashboard` with its own server in
a subprocess, `GET /api/studies/1` (what its page loads). Each server is started afresh per
size; the first request is "cold" (optuna-dashboard then fills its in-memory cache), the best
of the next two is "warm". The server's peak resident memory over all its requests is sampled
every 20 ms. The databases stay in `--workdir` and are topped up, never refilled, so a second
run there re-measures the largest size without filling again. optuna-dashboard stops at the
first size whose cold read took longer than `--optuna-budget` / 10 seconds (the next one would
take ten times as long).

    .venv/bin/python benchmarks/reads.py [--sizes 10000,100000,1000000]

Ours is read twice, from two servers: as JSON (what API users get) and as the page's binary
columns (`Accept: application/vnd.hyperzoom.columns`), each with its own peak RSS. With
`--binary-only` only the binary columns, from one server per size: the cold read (the first
after the server started, which builds the server's kept columns, app/store/column_cache.py),
the best of three warm reads, gzip, a poll with nothing new (`since` the cursor), the server's
RSS after the cold read and its peak over all of them. The cold read is taken with the
start-up build of the kept columns off (HYPERZOOM_WARM_COLUMNS=false); a second server, as it
starts by default, gives the seconds until it logged that build, the first read after it (the
first page after a restart, app/store/column_warmup.py) and its peak RSS.

    .venv/bin/python benchmarks/reads.py --sizes 100000 --binary-only --workdir DIR
"""

from __future__ import annotations

import argparse
import json
import os
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
import numpy as np  # noqa: E402

from benchmarks.fill import Ours, TheirOptuna, open_pair  # noqa: E402
from benchmarks.report import ROOT, PeakRss, fmt, free_port, machine, ratio, table  # noqa: E402


@contextmanager
def server(
    command: list[str], ready: str, env: dict[str, str] | None = None, log: Path | None = None
) -> Iterator[tuple[str, PeakRss]]:
    """Start a server subprocess on a free port (its output to `log`, if given); yield its
    base URL and a memory sampler."""
    port = free_port()
    out = log.open("wb") if log else subprocess.DEVNULL
    child = subprocess.Popen(
        [*command, "--port", str(port)],
        cwd=ROOT,
        stdout=out,
        stderr=out,
        env={**os.environ, **(env or {})},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(base + ready, timeout=5).raise_for_status()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or child.poll() is not None:
                    raise
                time.sleep(0.2)
        yield base, PeakRss(child.pid)
    finally:
        child.terminate()
        child.wait(30)
        if log:
            out.close()  # type: ignore[union-attr]


BINARY = "application/vnd.hyperzoom.columns"  # the page's binary columns (columns_binary.py)


def get(url: str, gzip: bool, timeout: float, accept: str = "*/*") -> tuple[float, int]:
    """Seconds to read the whole answer, and the bytes that crossed the wire."""
    headers = {"Accept-Encoding": "gzip" if gzip else "identity", "Accept": accept}
    started = time.perf_counter()
    response = httpx.get(url, headers=headers, timeout=timeout)
    response.raise_for_status()
    return time.perf_counter() - started, response.num_bytes_downloaded


def measure(url: str, gzip_too: bool, timeout: float, accept: str = "*/*") -> dict[str, Any]:
    """Cold read, best warm read, and with gzip (when asked) the best of two."""
    cold, size = get(url, False, timeout, accept)
    warm = min(get(url, False, timeout, accept)[0] for _ in range(2))
    result = {"cold": cold, "warm": warm, "bytes": size}
    if gzip_too:
        reads = [get(url, True, timeout, accept) for _ in range(2)]
        result["gzip"] = min(t for t, _ in reads)
        result["gzip_bytes"] = reads[0][1]
    return result


def read_ours(db: Ours, timeout: float, accept: str = "*/*") -> tuple[dict[str, Any], float]:
    """Our columnar read (JSON, or binary columns with `accept` BINARY), each from a server of
    its own, so that its peak RSS is that answer's alone."""
    command = [sys.executable, "-m", "app", "serve", "--db", db.url]
    with server(command, "/api/experiments") as (base, peak), peak.watching():
        url = f"{base}/api/experiments/{db.experiment_id}/trials/columns"
        result = measure(url, True, timeout, accept)
    return result, peak.peak_total


# What a starting server logs once it has built the kept columns (app/store/column_warmup.py).
WARMED = b"kept the columns of experiments"


def read_after_warm_up(db: Ours, timeout: float, log: Path) -> dict[str, Any]:
    """A server as it starts by default: seconds until it logged its warm-up, then the first
    read (what the first page after a restart waits for) and the server's RSS then."""
    command = [sys.executable, "-m", "app", "serve", "--db", db.url]
    started = time.perf_counter()
    env = {"HYPERZOOM_WARM_COLUMNS": "true"}
    with server(command, "/api/experiments", env, log) as (base, peak), peak.watching():
        while WARMED not in log.read_bytes():
            if time.perf_counter() - started > timeout:
                raise TimeoutError(f"no warm-up logged in {log}")
            time.sleep(0.05)
        warmed = time.perf_counter() - started
        url = f"{base}/api/experiments/{db.experiment_id}/trials/columns"
        first, _ = get(url, False, timeout, BINARY)
    return {"warm_up": warmed, "first": first, "rss": peak.peak_total}


def read_binary(db: Ours, timeout: float) -> dict[str, Any]:
    """The page's binary columns from a server of its own without the warm-up (the first read
    builds the kept columns): cold, warm, gzip, a poll."""
    command = [sys.executable, "-m", "app", "serve", "--db", db.url]
    env = {"HYPERZOOM_WARM_COLUMNS": "false"}
    with server(command, "/api/experiments", env) as (base, peak), peak.watching():
        url = f"{base}/api/experiments/{db.experiment_id}/trials/columns"
        cold, size = get(url, False, timeout, BINARY)
        after_cold = peak.peak_total
        warm = sorted(get(url, False, timeout, BINARY)[0] for _ in range(3))
        zipped = [get(url, True, timeout, BINARY) for _ in range(2)]
        since = cursor_of(httpx.get(url, headers={"Accept": BINARY}, timeout=timeout).content)
        poll = min(get(f"{url}?since={since}", False, timeout, BINARY)[0] for _ in range(5))
    return {
        "cold": cold,
        "warm": warm[0],
        "warm_median": warm[1],
        "gzip": min(t for t, _ in zipped),
        "bytes": size,
        "gzip_bytes": zipped[0][1],
        "poll": poll,
        "rss_cold": after_cold,
        "rss_peak": peak.peak_total,
    }


def cursor_of(answer: bytes) -> int:
    """The cursor in a binary answer's header (app/api/columns_binary.py)."""
    (length,) = struct.unpack("<I", answer[4:8])
    return int(json.loads(answer[8 : 8 + length])["cursor"])


def binary_only(ours: Ours, sizes: list[int], timeout: float) -> None:
    rng = np.random.default_rng(0)
    rows = []
    for size in sizes:
        ours.fill(size, rng)
        got = read_binary(ours, timeout)
        after = read_after_warm_up(ours, timeout, Path(ours.url.split("///", 1)[1] + ".log"))
        rows.append(
            [
                f"{size:,}",
                f"{got['cold']:.3f}",
                f"{after['warm_up']:.2f} / {after['first']:.3f} / {after['rss']:.0f}",
                f"{got['warm']:.3f} / {got['warm_median']:.3f}",
                f"{got['gzip']:.3f}",
                f"{got['poll'] * 1000:.1f}",
                f"{mb(got['bytes'])} / {mb(got['gzip_bytes'])}",
                f"{got['rss_cold']:.0f} / {got['rss_peak']:.0f}",
            ]
        )
        print(rows[-1], file=sys.stderr, flush=True)
    headers = ["trials", "binary cold s", "started server: warm-up s / first read s / RSS MB"]
    headers += ["warm s best / median of 3", "gzip s", "poll ms"]
    headers += ["MB plain / gzip", "server RSS MB after cold / peak"]
    print(table(headers, rows))


def read_optuna(db: TheirOptuna, timeout: float) -> tuple[dict[str, Any], float]:
    """optuna-dashboard's read; {"timeout": s} when a request got no answer within `timeout`
    (at a million trials it does not answer within 5 minutes, and grows past 12 GB)."""
    command = [str(Path(sys.executable).parent / "optuna-dashboard"), db.url, "--quiet"]
    with server(command, "/api/meta") as (base, peak), peak.watching():
        try:
            result = measure(f"{base}/api/studies/{db.study_id}", False, timeout)
        except httpx.TimeoutException:
            result = {"timeout": timeout}
    return result, peak.peak_total


def _optuna_times(other: dict[str, Any]) -> str:
    if "timeout" in other:
        return f"no answer in {other['timeout']:.0f} s"
    return f"{other['cold']:.2f} / {other['warm']:.2f}" if other else "-"


def mb(n: int) -> str:
    return f"{n / 2**20:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--optuna-budget", type=float, default=300.0)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--no-optuna", action="store_true", help="Measure ours only.")
    parser.add_argument("--binary-only", action="store_true", help="Our binary columns only.")
    args = parser.parse_args()
    print(f"Reading every trial over HTTP; {machine()}\n")
    with_optuna = not (args.no_optuna or args.binary_only)
    ours, theirs = open_pair(args.workdir, "hz-reads-", with_optuna)
    if args.binary_only:
        binary_only(ours, [int(s) for s in args.sizes.split(",")], args.optuna_budget)
        return
    rng_ours, rng_theirs = np.random.default_rng(0), np.random.default_rng(0)
    rows, binary = [], []
    for size in (int(s) for s in args.sizes.split(",")):
        ours.fill(size, rng_ours)
        mine, my_rss = read_ours(ours, args.optuna_budget)
        packed, packed_rss = read_ours(ours, args.optuna_budget, BINARY)
        binary.append(
            [
                f"{size:,}",
                f"{mine['cold']:.2f} / {mine['warm']:.2f} / {mine['gzip']:.2f}",
                f"{packed['cold']:.2f} / {packed['warm']:.2f} / {packed['gzip']:.2f}",
                f"{mb(mine['bytes'])} / {mb(mine['gzip_bytes'])}",
                f"{mb(packed['bytes'])} / {mb(packed['gzip_bytes'])}",
                f"{my_rss:.0f} / {packed_rss:.0f}",
            ]
        )
        print(binary[-1], file=sys.stderr, flush=True)
        other: dict[str, Any] = {}
        other_rss = None
        if theirs is not None:
            theirs.fill(size, rng_theirs)
            other, other_rss = read_optuna(theirs, args.optuna_budget)
            if "timeout" in other or other["cold"] > args.optuna_budget / 10:
                theirs = None
        rows.append(
            [
                f"{size:,}",
                f"{mine['cold']:.2f} / {mine['warm']:.2f}",
                f"{mine['gzip']:.2f}",
                f"{mb(mine['bytes'])} / {mb(mine['gzip_bytes'])}",
                f"{my_rss:.0f}",
                _optuna_times(other),
                mb(other["bytes"]) if "bytes" in other else "-",
                fmt(other_rss, 4),
                ratio(mine["warm"], other.get("warm")),
            ]
        )
        print(rows[-1], file=sys.stderr, flush=True)
    headers = [
        "trials",
        "ours s cold / warm",
        "ours s gzip",
        "ours MB plain / gzip",
        "ours server peak RSS MB",
        "optuna-dashboard s cold / warm",
        "optuna-dashboard MB",
        "optuna-dashboard peak RSS MB",
        "warm: theirs / ours",
    ]
    print(table(headers, rows))
    print("\nThe page's binary columns (Accept: " + BINARY + ") against JSON:\n")
    headers = ["trials", "JSON s cold / warm / gzip", "binary s cold / warm / gzip"]
    headers += [
        "JSON MB plain / gzip",
        "binary MB plain / gzip",
        "server peak RSS MB JSON / binary",
    ]
    print(table(headers, binary))


if __name__ == "__main__":
    main()
