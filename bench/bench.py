"""Benchmark: communes per second and memory, per engine, on a synthetic 100-indicator pack.

Run:  python bench/bench.py [--communes 10000] [--quick]
Each engine is measured in its own process (one run each): durable-rules, the reference
evaluator, and a bare plain-Python comparison loop (the floor). Also measured: peak memory,
memory before/after the communes, and the wall time of one cold `ntmcert evaluate` of the seed.
A script that measures and prints; not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INDICATORS = 100
SHARE_FACTS = ["commune_records_online", "households_with_smartphone", "officials_digital_trained",
               "residents_digital_trained", "business_households_online_payment", "households_online_payment",
               "smart_cooperative_automation", "camera_covered_sites", "internet_subscriptions",
               "households_4g5g_covered"]
OPS = [">=", ">", "<=", "<"]


def synthetic_pack(folder: Path) -> str:
    """A 100-indicator pack over shares (10 criteria × 10 indicators), thresholds spread 5–95%."""
    rng = random.Random(100)
    lines = ["format: ntmcert/pack/v1", "id: bench/synthetic-100", "version: 1.0.0",
             "title: {vi: Gói đo hiệu năng, en: Benchmark pack}", "tier: smart", "scope: {valid_from: 2020-01-01}",
             "legal_basis:", "  - {document: synthetic benchmark, provenance: inferred}", "criteria:"]
    n = 0
    for c in range(10):
        lines += [f"  - id: bench.c{c}", f"    title: {{vi: Tiêu chí {c}, en: Criterion {c}}}", "    indicators:"]
        for _ in range(10):
            fact = SHARE_FACTS[n % len(SHARE_FACTS)]
            lines.append(f"      - {{id: bench.i{n:03d}, kind: compare, title: {{vi: Chỉ tiêu {n}, en: Indicator {n}}}, "
                         f"fact: {fact}, op: '{rng.choice(OPS)}', threshold: {{percent: {rng.randint(5, 95)}}}, "
                         f"source: {{document: synthetic, provenance: inferred}}}}")
            n += 1
    path = folder / "bench" / "synthetic-100" / "pack.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return "bench/synthetic-100"


def communes(count: int) -> list[dict]:
    rng = random.Random(7)
    out = []
    for i in range(count):
        facts = {}
        for fact in SHARE_FACTS:
            of = rng.randint(50, 5000)
            facts[fact] = {"count": rng.randint(0, of), "of": of}
        out.append({"format": "ntmcert/factset/v1", "as_of": "2024-06-30",
                    "commune": {"name": f"Xã {i}", "province": "Trà Vinh", "region": "dbscl"}, "facts": facts})
    return out


WORKER = textwrap.dedent("""
    import json, resource, sys, time
    from fractions import Fraction

    def rss_mb():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * 4096 / 2**20

    mode, folder, pack_id, count, bench_dir = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
    from pathlib import Path
    from ntmcert.packs.library import PackLibrary
    from ntmcert.inputs.factset import load_factset
    from ntmcert.evaluation.evaluate import evaluate_pack
    from ntmcert.evaluation.engines import get_engine
    sys.path.insert(0, bench_dir)
    from bench import communes
    library = PackLibrary(root=Path(folder))
    pack = library.get(pack_id)
    factsets = [load_factset(d) for d in communes(count)]   # parsing is not what is timed
    if mode == "floor":
        # the floor: the same comparisons, as bare integer arithmetic in a Python loop
        from ntmcert.packs.registry import comparisons as iter_comparisons
        rules = [(c.fact, c.op, Fraction(c.threshold.percent) / 100) for cr in pack.criteria
                 for ind in cr.indicators for c in iter_comparisons(ind.spec)]
        ops = {">=": lambda a, b: a >= b, ">": lambda a, b: a > b, "<=": lambda a, b: a <= b, "<": lambda a, b: a < b}
        raw = [{k: (int(v.count), int(v.of)) for k, v in fs.facts.items()} for fs in factsets]
        def run(fs):
            return [ops[op](c * t.denominator, t.numerator * o) for fact, op, t in rules for c, o in (fs[fact],)]
        factsets = raw
    else:
        engine = get_engine(mode)
        def run(fs):
            return evaluate_pack(fs, pack, engine, catalogue=library.catalogue)
    for fs in factsets[:200]:
        run(fs)  # warm-up: compile the ruleset, fill caches
    before = rss_mb()
    t0 = time.perf_counter()
    for fs in factsets:
        run(fs)
    elapsed = time.perf_counter() - t0
    after = rss_mb()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"mode": mode, "communes": count, "seconds": elapsed, "per_second": count / elapsed,
                      "rss_before_mb": before, "rss_after_mb": after, "peak_mb": peak}))
""")


def measure(mode: str, folder: Path, pack_id: str, count: int) -> dict:
    proc = subprocess.run([sys.executable, "-c", WORKER, mode, str(folder), pack_id, str(count),
                           str(Path(__file__).resolve().parent)],
                          capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    if proc.returncode != 0:
        raise SystemExit(f"{mode} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def cold_start(runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "ntmcert", "evaluate", str(ROOT / "seeds" / "thanh-phu-2024.yaml"),
                        "--pack", "tra-vinh/smart-commune"], capture_output=True, cwd=ROOT,
                       env={**os.environ, "PYTHONWARNINGS": "ignore"})
        times.append(time.perf_counter() - t0)
    return sorted(times)[len(times) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="1,000 communes, for a fast look")
    args = parser.parse_args()
    count = 1_000 if args.quick else args.communes
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        pack_id = synthetic_pack(folder)
        results = [measure(mode, folder, pack_id, count) for mode in ("floor", "durable", "reference")]
    cold = cold_start()
    floor = results[0]["per_second"]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{platform.platform()}")
    print(f"pack: synthetic, {INDICATORS} indicators; {count:,} communes per engine, one process each\n")
    print(f"{'engine':<12} {'communes/s':>11} {'× floor':>8} {'RSS before':>11} {'RSS after':>10} {'peak':>8}")
    for r in results:
        print(f"{r['mode']:<12} {r['per_second']:>11,.0f} {floor / r['per_second']:>7.1f}× "
              f"{r['rss_before_mb']:>9.1f}MB {r['rss_after_mb']:>8.1f}MB {r['peak_mb']:>6.0f}MB")
    print(f"\ncold `ntmcert evaluate` of the Thạnh Phú seed (median of 5): {cold:.3f} s")


if __name__ == "__main__":
    main()
