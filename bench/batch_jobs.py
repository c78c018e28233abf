"""`ntmcert batch` rows per second on one process and on two (`--jobs 1` and `--jobs 2`), and the
ratio. A script that measures and prints; not a test.

    python bench/batch_jobs.py [--rows 3000] [--repeat 3] [--format csv|xlsx|jsonl] [--input csv|xlsx]

The input is a CSV (or a workbook) of the three example communes of the spreadsheet tests
(certified, not certified, a bad row) repeated, each with its own code. Each run is a fresh
`run_batch` in this process after a warm-up (the pack compiled, the modules imported), timed from
the call to the output in place; runs alternate between the job counts and the best of each
count is kept (the machine may be shared: the load average is printed before and after).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.sheets.helpers: the example communes

MAX_ROWS = 50_000


def make_input(folder: Path, rows: int, kind: str) -> Path:
    from tests.sheets.helpers import COMMUNES, fill_template, make_template, write_csv

    communes = [{**COMMUNES[i % 3], "commune.name": f"Xã {i}", "commune.code": f"{100000 + i}"} for i in range(rows)]
    if kind == "csv":
        return write_csv(folder / "communes.csv", communes)
    return fill_template(make_template(folder), communes, folder / "communes-filled.xlsx")


def cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def timed(source: Path, out: Path, jobs: int) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds of this process, CPU seconds of its worker processes)."""
    from ntmcert.sheets.batch import run_batch

    mine, theirs = cpu(resource.RUSAGE_SELF), cpu(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    run_batch(source, "tra-vinh/smart-commune", out, progress=False, jobs=jobs)
    return (time.perf_counter() - start, cpu(resource.RUSAGE_SELF) - mine,
            cpu(resource.RUSAGE_CHILDREN) - theirs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--format", choices=["csv", "xlsx", "jsonl"], default="csv")
    parser.add_argument("--input", choices=["csv", "xlsx"], default="csv")
    args = parser.parse_args()
    if not 1 <= args.rows <= MAX_ROWS or not 1 <= args.repeat <= 10:
        parser.error(f"--rows 1..{MAX_ROWS:,}, --repeat 1..10")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory(prefix="ntmcert-bench-") as tmp:
        folder = Path(tmp)
        source = make_input(folder, args.rows, args.input)
        warm = folder / "warm"
        warm.mkdir()
        timed(make_input(warm, 30, "csv"), warm / f"warm.{args.format}", 1)  # imports, the pack compiled
        best: dict[int, tuple[float, float, float]] = {}
        outputs: dict[int, bytes] = {}
        for _ in range(args.repeat):
            for jobs in (1, 2):
                out = folder / f"out-{jobs}.{args.format}"
                run = timed(source, out, jobs)
                best[jobs] = min(best.get(jobs, run), run)
                outputs[jobs] = out.read_bytes()
        rate = {jobs: args.rows / run[0] for jobs, run in best.items()}
        for jobs in (1, 2):
            wall, mine, theirs = best[jobs]
            print(f"--jobs {jobs}: {rate[jobs]:,.0f} rows/s ({wall:.2f} s for {args.rows:,} rows, best of "
                  f"{args.repeat}; {args.input} in, {args.format} out); CPU s: this process {mine:.2f}, "
                  f"workers {theirs:.2f}")
        print(f"ratio --jobs 2 / --jobs 1: {rate[2] / rate[1]:.2f}× wall")
        # what two idle cores would give: the busiest of this process and an even share of all the work
        wall1 = best[1][1] + best[1][2]
        bound2 = max(best[2][1], (best[2][1] + best[2][2]) / 2)
        print(f"CPU-bound on two idle cores: {wall1 / bound2:.2f}× (CPU {wall1:.2f} s on one process, "
              f"{best[2][1] + best[2][2]:.2f} s on two)")
        if args.format != "xlsx":  # a workbook's zip holds timestamps: cell values are compared by the tests
            print("outputs identical:", outputs[1] == outputs[2])
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
