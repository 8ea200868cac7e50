"""Importing an exported experiment, streamed (issue 18: < 300 MB peak at 1M trials).

For each size, a database is bulk-filled with finished trials (benchmarks/fill.py) and
exported with the real exporter to a file; then `hyperzoom import FILE --db` (straight into a
new SQLite database) and `hyperzoom import FILE --server` (uploaded to `hyperzoom serve`) are
timed. Peak RSS is each process's own high-water mark (VmHWM, exact, not sampled): the CLI's
is printed by the process itself on exit, the server's is read before and after its import.
For comparison, at sizes up to `--whole-up-to`, the old way: the whole document parsed with
json.load, then imported (what every import did before), in a subprocess too.

    .venv/bin/python benchmarks/import_stream.py [--sizes 100000,1000000] [--no-server]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
import numpy as np  # noqa: E402

from app.store.db import make_sessionmaker, session_scope  # noqa: E402
from app.store.exporting import export_text  # noqa: E402
from app.store.migrate import upgrade  # noqa: E402
from benchmarks.fill import Ours  # noqa: E402
from benchmarks.report import ROOT, free_port, fresh, machine, table, wait_for_http  # noqa: E402

_PEAK = """
import sys
from pathlib import Path
try:
    {body}
finally:
    status = Path("/proc/self/status").read_text().splitlines()
    peak = next(int(x.split()[1]) for x in status if x.startswith("VmHWM:"))
    print("peak-kb", peak, file=sys.stderr)
"""
_CLI = "from app.cli.main import cli; cli(sys.argv[1:], prog_name='hyperzoom')"
_WHOLE = (
    "import json; from app.store.db import *; from app.store.importing import import_experiment"
    "\n    doc = json.load(open(sys.argv[1], 'rb'))"
    "\n    engine = make_engine(sys.argv[2])"
    "\n    with session_scope(make_sessionmaker(engine)) as s: import_experiment(s, doc)"
)


def run_measured(body: str, *args: str) -> tuple[float, float]:
    """Run `body` in a new Python with `args`; its wall time (s) and peak RSS (MB)."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _PEAK.format(body=body), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    peak = next(int(x.split()[1]) for x in done.stderr.splitlines() if x.startswith("peak-kb"))
    return seconds, peak / 1024


def hwm_mb(pid: int) -> float:
    """A live process's peak RSS so far (MB)."""
    status = Path(f"/proc/{pid}/status").read_text().splitlines()
    return next(int(x.split()[1]) for x in status if x.startswith("VmHWM:")) / 1024


def exported(workdir: Path, n: int) -> Path:
    """An export of `n` finished trials (made once per workdir and size)."""
    target = workdir / f"export-{n}.json"
    if target.exists():
        return target
    ours = Ours.create(str(fresh(workdir / f"source-{n}.db")), n)
    ours.fill(n, np.random.default_rng(0))
    started = time.perf_counter()
    partial = target.with_suffix(".part")
    with session_scope(make_sessionmaker(ours.engine)) as session, partial.open("w") as sink:
        for piece in export_text(session, ours.experiment_id):
            sink.write(piece)
    partial.rename(target)
    print(f"  exported {n:,} trials in {time.perf_counter() - started:.1f} s", flush=True)
    ours.engine.dispose()
    return target


def new_db(workdir: Path, name: str) -> str:
    url = f"sqlite:///{fresh(workdir / name)}"
    upgrade(url)
    return url


def over_server(workdir: Path, document: Path, n: int) -> tuple[float, float, float]:
    """Upload `document` to a fresh server; the client's time and peak, the server's peak."""
    url_db = new_db(workdir, f"server-{n}.db")
    port = free_port()
    log = (workdir / "server.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--db", url_db, "--port", str(port)],
        cwd=ROOT,
        stdout=log,
        stderr=log,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{url}/openapi.json")
        httpx.get(f"{url}/api/experiments")  # warm
        seconds, client_peak = run_measured(_CLI, "import", str(document), "--server", url)
        return seconds, client_peak, hwm_mb(server.pid)
    finally:
        server.terminate()
        server.wait()
        log.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/hz-import-bench"))
    parser.add_argument("--whole-up-to", type=int, default=100_000)
    parser.add_argument("--no-server", action="store_true")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    sizes = [int(s) for s in args.sizes.split(",")]
    print(machine(), flush=True)
    rows = []
    for n in sizes:
        document = exported(args.workdir, n)
        size_mb = document.stat().st_size / 2**20
        target = new_db(args.workdir, f"target-{n}.db")
        seconds, peak = run_measured(_CLI, "import", str(document), "--db", target)
        rows.append(["--db", f"{n:,}", f"{size_mb:.0f}", f"{seconds:.1f}", f"{n / seconds:,.0f}",
                     f"{peak:.0f}", ""])  # fmt: skip
        print(rows[-1], flush=True)
        if not args.no_server:
            seconds, peak, server_peak = over_server(args.workdir, document, n)
            rows.append(["--server", f"{n:,}", f"{size_mb:.0f}", f"{seconds:.1f}",
                         f"{n / seconds:,.0f}", f"{peak:.0f}", f"{server_peak:.0f}"])  # fmt: skip
            print(rows[-1], flush=True)
        if n <= args.whole_up_to:
            target = new_db(args.workdir, f"whole-{n}.db")
            seconds, peak = run_measured(_WHOLE, str(document), target)
            rows.append(["whole document (before)", f"{n:,}", f"{size_mb:.0f}",
                         f"{seconds:.1f}", f"{n / seconds:,.0f}", f"{peak:.0f}", ""])  # fmt: skip
            print(rows[-1], flush=True)
    headers = ["import", "trials", "document MB", "seconds", "trials/s", "peak RSS MB",
               "server peak RSS MB"]  # fmt: skip
    print(table(headers, rows))


if __name__ == "__main__":
    main()
