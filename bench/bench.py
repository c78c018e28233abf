"""Benchmark: communes per second, latency and memory per engine, side by side with zen-engine.

Run:  python bench/bench.py [--communes 5000] [--quick] [--big]
On one synthetic 100-indicator pack and the same generated communes, each engine is measured in
its own process: the bare plain-Python comparison loop (the floor), durable-rules, the reference
evaluator and, when `zen-engine` is installed (`pip install -e '.[bench]'`), a zen decision table
(hit policy `collect`, one row per indicator). Every engine's per-indicator statuses are checked
against ntmcert's; disagreements are counted and shown. An ntmcert row times the verdict with every
status decided (its result objects built on read); a "results built" row also builds them. Also
measured: one evaluation's latency through the Python API, `evaluate_many` on 1 and 2 processes,
the CLI's cold start and `ntmcert batch` rows per second. A script that measures and prints; not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "thanh-phu-2024.yaml"
SEED_PACK = "tra-vinh/smart-commune"
INDICATORS = 100
SHARE_FACTS = ["commune_records_online", "households_with_smartphone", "officials_digital_trained",
               "residents_digital_trained", "business_households_online_payment", "households_online_payment",
               "smart_cooperative_automation", "camera_covered_sites", "internet_subscriptions",
               "households_4g5g_covered"]
OPS = [">=", ">", "<=", "<"]
ENGINES = ("floor", "durable", "durable+built", "reference", "reference+built", "zen")


def indicators() -> list[tuple[str, str, int]]:
    """(fact, operator, percent) of the synthetic pack's 100 indicators, thresholds spread 5–95%."""
    rng = random.Random(100)
    return [(SHARE_FACTS[n % len(SHARE_FACTS)], rng.choice(OPS), rng.randint(5, 95)) for n in range(INDICATORS)]


def synthetic_pack(folder: Path) -> str:
    """A 100-indicator pack over shares (10 criteria × 10 indicators)."""
    lines = ["format: ntmcert/pack/v1", "id: bench/synthetic-100", "version: 1.0.0",
             "title: {vi: Gói đo hiệu năng, en: Benchmark pack}", "tier: smart", "scope: {valid_from: 2020-01-01}",
             "legal_basis:", "  - {document: synthetic benchmark, provenance: inferred}", "criteria:"]
    table = indicators()
    for c in range(10):
        lines += [f"  - id: bench.c{c}", f"    title: {{vi: Tiêu chí {c}, en: Criterion {c}}}", "    indicators:"]
        for n in range(c * 10, c * 10 + 10):
            fact, op, percent = table[n]
            lines.append(f"      - {{id: bench.i{n:03d}, kind: compare, "
                         f"title: {{vi: Chỉ tiêu {n}, en: Indicator {n}}}, "
                         f"fact: {fact}, op: '{op}', threshold: {{percent: {percent}}}, "
                         f"source: {{document: synthetic, provenance: inferred}}}}")
    path = folder / "bench" / "synthetic-100" / "pack.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return "bench/synthetic-100"


def communes(count: int) -> list[dict]:
    """Random shares; every 20th commune has each fact exactly on one of its indicators' thresholds
    (count/of = p/100 with `of` a multiple of 100 up to 5,000), where float arithmetic slips."""
    rng = random.Random(7)
    on_threshold = {fact: [p for f, _, p in indicators() if f == fact] for fact in SHARE_FACTS}
    out = []
    for i in range(count):
        facts = {}
        for fact in SHARE_FACTS:
            if i % 20 == 19:
                of = 100 * rng.randint(1, 50)
                facts[fact] = {"count": rng.choice(on_threshold[fact]) * of // 100, "of": of}
            else:
                of = rng.randint(50, 5000)
                facts[fact] = {"count": rng.randint(0, of), "of": of}
        out.append({"format": "ntmcert/factset/v1", "as_of": "2024-06-30",
                    "commune": {"name": f"Xã {i}", "province": "Trà Vinh", "region": "dbscl"}, "facts": facts})
    return out


def _comparisons(pack) -> list[tuple[str, str, int]]:
    """(fact, operator, percent) of every indicator of the synthetic pack, in pack order."""
    from ntmcert.packs.registry import comparisons as iter_comparisons

    return [(c.fact, c.op, c.threshold.percent) for cr in pack.criteria for ind in cr.indicators
            for c in iter_comparisons(ind.spec)]


def zen_decision(pack, percent_inputs: bool) -> dict:
    """A zen decision table equivalent to the pack: hit policy `collect`, one row per indicator,
    a row matching when its indicator passes. With `percent_inputs` each fact arrives as a
    ready-made percentage (a float computed by the caller); otherwise as {count, of} and zen
    computes count / of * 100 itself (in its decimal arithmetic)."""
    inputs = [{"id": f"f{k}", "name": fact,
               "field": fact if percent_inputs else f"{fact}.count / {fact}.of * 100"}
              for k, fact in enumerate(SHARE_FACTS)]
    rules = []
    for n, (fact, op, percent) in enumerate(_comparisons(pack)):
        row = {"_id": f"r{n}", "out": f"{n}"}
        for k, name in enumerate(SHARE_FACTS):
            row[f"f{k}"] = f"{op} {percent}" if name == fact else ""
        rules.append(row)
    table = {"hitPolicy": "collect", "inputs": inputs, "outputs": [{"id": "out", "name": "n", "field": "n"}],
             "rules": rules}
    where = {"x": 0, "y": 0}
    return {"nodes": [{"id": "in", "type": "inputNode", "name": "facts", "position": where},
                      {"id": "table", "type": "decisionTableNode", "name": "indicators", "position": where,
                       "content": table},
                      {"id": "out", "type": "outputNode", "name": "passing", "position": where}],
            "edges": [{"id": "e1", "type": "edge", "sourceId": "in", "targetId": "table"},
                      {"id": "e2", "type": "edge", "sourceId": "table", "targetId": "out"}]}


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _percentiles(times: list[float]) -> dict:
    ordered = sorted(times)
    return {"p50_us": ordered[len(ordered) // 2] * 1e6, "p99_us": ordered[min(len(ordered) - 1,
                                                                              int(len(ordered) * 0.99))] * 1e6}


def worker_engine(mode: str, folder: str, pack_id: str, count: int, masks_out: str) -> dict:
    """Time one engine on `count` communes; write each commune's passing-indicator bitmask."""
    import resource
    from fractions import Fraction

    from ntmcert.evaluation.engines import get_engine
    from ntmcert.evaluation.evaluate import evaluate_pack
    from ntmcert.inputs.factset import load_factset
    from ntmcert.packs.library import PackLibrary

    library = PackLibrary(root=Path(folder))
    pack = library.get(pack_id)
    documents = communes(count)
    name = mode
    float_masks: list[int] | None = None
    if mode == "floor":  # the same comparisons as bare integer arithmetic in a Python loop
        ops = {">=": lambda a, b: a >= b, ">": lambda a, b: a > b, "<=": lambda a, b: a <= b, "<": lambda a, b: a < b}
        rules = [(fact, ops[op], Fraction(p) / 100) for fact, op, p in _comparisons(pack)]
        items: list = [{k: (v["count"], v["of"]) for k, v in d["facts"].items()} for d in documents]

        def run(fs):
            return [cmp(c * t.denominator, t.numerator * o) for fact, cmp, t in rules for c, o in (fs[fact],)]

        def mask(out) -> int:
            return sum(1 << n for n, ok in enumerate(out) if ok)
    elif mode == "zen":
        try:
            import zen
        except ImportError as exc:
            return {"mode": mode, "skipped": f"zen-engine is not installed ({exc})"}
        from importlib.metadata import version

        name = f"zen-engine {version('zen-engine')}"
        decision = zen.ZenEngine().create_decision(json.dumps(zen_decision(pack, percent_inputs=False)))
        items = [d["facts"] for d in documents]

        def run(fs):
            return decision.evaluate(fs)

        def mask(out) -> int:
            return sum(1 << int(row["n"]) for row in out["result"])

        # the same table fed Python-float percentages, for the disagreement count only (not timed)
        as_floats = zen.ZenEngine().create_decision(json.dumps(zen_decision(pack, percent_inputs=True)))
        float_masks = [mask(as_floats.evaluate({k: v["count"] / v["of"] * 100 for k, v in fs.items()}))
                       for fs in items]
    else:
        engine_name, _, built = mode.partition("+")
        engine = get_engine(engine_name)
        name = f"{engine.name} {engine.version}" + (", results built" if built else "")
        items = [load_factset(d, catalogue=library.catalogue) for d in documents]  # parsing is not timed

        if built:  # the typed result objects too (what reading verdict.criteria costs), still no text
            def run(fs):
                verdict = evaluate_pack(fs, pack, engine, catalogue=library.catalogue)
                tuple(verdict.criteria)
                return verdict

            def mask(out) -> int:
                return int("".join(["1" if i.status == "pass" else "0"
                                    for c in reversed(out.criteria) for i in reversed(c.indicators)]), 2)
        else:  # the verdict: its outcome, every criterion's and indicator's status; results built on read
            def run(fs):
                return evaluate_pack(fs, pack, engine, catalogue=library.catalogue)

            def mask(out) -> int:
                return int("".join(["1" if s == "pass" else "0"
                                    for s in reversed(out.indicator_statuses.values())]), 2)
    for fs in items[:200]:
        run(fs)  # warm-up: compile the ruleset, fill caches
    before = _rss_mb()
    times, masks = [], []
    clock = time.perf_counter
    for fs in items:
        t0 = clock()
        out = run(fs)
        times.append(clock() - t0)
        masks.append(mask(out))  # the check is not timed
    after = _rss_mb()
    Path(masks_out).write_text(json.dumps({"exact": [format(m, "x") for m in masks],
                                           "float": [format(m, "x") for m in float_masks or []]}))
    seconds = sum(times)
    return {"mode": mode, "name": name, "communes": count, "seconds": seconds, "per_second": count / seconds,
            "rss_before_mb": before, "rss_after_mb": after,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, **_percentiles(times)}


def worker_latency(runs: int) -> dict:
    """One evaluation of the seed through the Python API, repeated: p50/p99 per call."""
    from ntmcert import evaluate, load_factset

    factset = load_factset(SEED)
    out = {}
    for engine in ("durable", "reference"):
        for label, facts, n in ((f"{engine}, FactSet in", factset, runs), (f"{engine}, YAML path in", SEED, runs // 4)):
            for _ in range(20):
                evaluate(facts, SEED_PACK, engine=engine)
            times = []
            for _ in range(n):
                t0 = time.perf_counter()
                evaluate(facts, SEED_PACK, engine=engine)
                times.append(time.perf_counter() - t0)
            out[label] = {"runs": n, **_percentiles(times)}
    return out


def worker_many(folder: str, pack_id: str, count: int) -> dict:
    """evaluate_many on the synthetic communes (documents in: each is read, then evaluated), on 1
    then 2 processes, yielding Verdict objects, then their JSON rendered in the workers; the
    outputs of 1 and 2 processes must be the same bytes."""
    from ntmcert import Verdict, evaluate_many
    from ntmcert.packs.library import PackLibrary

    library = PackLibrary(root=Path(folder))
    documents = communes(count)
    out: dict = {}
    import resource

    def cpu(who: int) -> float:
        usage = resource.getrusage(who)
        return usage.ru_utime + usage.ru_stime

    for label, transform, n in (("verdicts", None, count), ("JSON", Verdict.to_json, max(count // 50, 50))):
        texts = {}
        for jobs in (1, 2):
            own, children = cpu(resource.RUSAGE_SELF), cpu(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            results = list(evaluate_many(documents[:n], pack_id, jobs=jobs, library=library, transform=transform))
            seconds = time.perf_counter() - t0
            own, children = cpu(resource.RUSAGE_SELF) - own, cpu(resource.RUSAGE_CHILDREN) - children
            texts[jobs] = results if transform else [v.to_json() for v in results]
            out[f"{label} jobs={jobs}"] = {"communes": n, "seconds": seconds, "per_second": n / seconds,
                                           "cpu_caller": own, "cpu_workers": children}
        out[f"{label} identical"] = texts[1] == texts[2]
    return out


def _spawn(*args: str) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--worker", *args], capture_output=True, text=True,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})
    if proc.returncode != 0:
        raise SystemExit(f"worker {args[0]} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _cli() -> list[str]:
    script = Path(sys.executable).with_name("ntmcert")
    return [str(script)] if script.exists() else [sys.executable, "-m", "ntmcert"]


def cold_start(runs: int = 5) -> float:
    """Wall time of `ntmcert evaluate <seed>` (every applicable pack), median of `runs`."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([*_cli(), "evaluate", str(SEED)], capture_output=True, cwd=ROOT,
                       env={**os.environ, "PYTHONWARNINGS": "ignore"})
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def batch_rate(rows: int, tmp: Path) -> dict:
    """`ntmcert batch` over a folder of `rows` JSON fact sets (the seed, renamed), to JSONL."""
    import yaml

    seed = yaml.safe_load(SEED.read_text(encoding="utf-8"))
    seed["as_of"] = str(seed["as_of"])
    folder = tmp / "batch-in"
    folder.mkdir()
    for i in range(rows):
        seed["commune"]["name"] = f"Xã {i:05d}"
        (folder / f"{i:05d}.json").write_text(json.dumps(seed, ensure_ascii=False, default=str), encoding="utf-8")
    out = tmp / "batch-out.jsonl"
    t0 = time.perf_counter()
    proc = subprocess.run([*_cli(), "batch", str(folder), "--pack", SEED_PACK, "--out", str(out)],
                          capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    seconds = time.perf_counter() - t0
    written = sum(1 for _ in out.open(encoding="utf-8")) if out.exists() else 0
    if written != rows:
        raise SystemExit(f"ntmcert batch wrote {written} of {rows} rows (exit {proc.returncode}):\n{proc.stderr}")
    shutil.rmtree(folder)
    return {"rows": rows, "seconds": seconds, "per_second": rows / seconds}


def disagreements(masks: dict[str, list[int]], reference: list[int]) -> tuple[int, list[tuple[int, int]]]:
    """How many indicator statuses differ from `reference`, and the first few (commune, indicator)."""
    total, first = 0, []
    for n, (mine, ref) in enumerate(zip(masks, reference, strict=True)):
        diff = mine ^ ref
        total += diff.bit_count()
        while diff and len(first) < 3:
            low = diff & -diff
            first.append((n, low.bit_length() - 1))
            diff ^= low
    return total, first


def _edge_text(document: dict, comparison: tuple[str, str, int], passes_exactly: bool) -> str:
    fact, op, percent = comparison
    value = document["facts"][fact]
    share = value["count"] / value["of"] * 100
    return (f"{fact} {value['count']}/{value['of']} → {share!r} {op} {percent}: "
            f"exact says {'pass' if passes_exactly else 'fail'}")


def report(results: dict, masks: dict, folder: Path, pack_id: str, count: int) -> None:
    from ntmcert.packs.library import PackLibrary

    zen = results["zen"]
    zen_rate = None if zen.get("skipped") else zen["per_second"]
    floor = results["floor"]["per_second"]
    print(f"{'engine':<28} {'communes/s':>10} {'µs p50':>7} {'µs p99':>7} {'× zen':>6} {'÷ floor':>8} "
          f"{'RSS before→after':>17} {'peak':>6}")
    for mode in ENGINES:
        r = results[mode]
        if r.get("skipped"):
            print(f"{mode:<28} skipped: {r['skipped']}; `pip install -e '.[bench]'` to compare")
            continue
        vs_zen = f"{r['per_second'] / zen_rate:>5.2f}×" if zen_rate else f"{'—':>6}"
        print(f"{r['name']:<28} {r['per_second']:>10,.0f} {r['p50_us']:>7,.0f} {r['p99_us']:>7,.0f} {vs_zen} "
              f"{floor / r['per_second']:>7.1f}× {r['rss_before_mb']:>7.1f}→{r['rss_after_mb']:.1f}MB "
              f"{r['peak_mb']:>4.0f}MB")
    print("(× zen: communes/s over zen's; ÷ floor: how many times slower than the bare loop; ntmcert rows give\n"
          " the verdict with every status decided, its explanations made when read; \"results built\" also\n"
          " builds the typed result objects of every criterion and indicator)")
    reference = masks["reference"]["exact"]
    comparisons = _comparisons(PackLibrary(root=folder).get(pack_id))
    documents = communes(count)
    print(f"\nstatuses checked against the reference evaluator: {count * INDICATORS:,} per engine")
    checks = [(m, masks[m]["exact"]) for m in ENGINES if m in masks and m != "reference"]
    if "zen" in masks and masks["zen"]["float"]:
        checks.append(("zen fed float percentages", masks["zen"]["float"]))
    for label, got in checks:
        total, first = disagreements(got, reference)
        line = f"  {label}: {total:,} disagreements"
        if first:
            n, k = first[0]
            example = _edge_text(documents[n], comparisons[k], bool(reference[n] >> k & 1))
            line += f" (e.g. commune {n}, bench.i{k:03d}: {example})"
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=int, default=5_000, help="communes per engine (default 5,000)")
    parser.add_argument("--quick", action="store_true", help="1,000 communes and fewer repeats, for a fast look")
    parser.add_argument("--big", action="store_true", help="50,000 communes, 5,000 batch rows: a few minutes")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, *rest = args.worker
        if kind == "engine":
            print(json.dumps(worker_engine(rest[0], rest[1], rest[2], int(rest[3]), rest[4])))
        elif kind == "latency":
            print(json.dumps(worker_latency(int(rest[0]))))
        elif kind == "many":
            print(json.dumps(worker_many(rest[0], rest[1], int(rest[2]))))
        return
    count = 1_000 if args.quick else 50_000 if args.big else args.communes
    rows = 100 if args.quick else 2_000 if args.big else 300
    latency_runs = 400 if args.quick else 2_000
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{platform.platform()}")
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (other work on the machine "
          f"skews wall times)")
    print(f"pack: synthetic, {INDICATORS} indicators; {count:,} communes per engine, one process each\n")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        pack_id = synthetic_pack(folder)
        results, masks = {}, {}
        for mode in ENGINES:
            masks_file = folder / f"{mode}.masks.json"
            results[mode] = _spawn("engine", mode, str(folder), pack_id, str(count), str(masks_file))
            if masks_file.exists():
                raw = json.loads(masks_file.read_text())
                masks[mode] = {k: [int(m, 16) for m in v] for k, v in raw.items()}
        report(results, masks, folder, pack_id, count)
        many = _spawn("many", str(folder), pack_id, str(count))
        print("\nevaluate_many (durable-rules; fact set documents in, so each is also read and checked):")
        for label in ("verdicts", "JSON"):
            one, two = many[f"{label} jobs=1"], many[f"{label} jobs=2"]
            what = "Verdict objects out" if label == "verdicts" else "verdict JSON rendered in the workers"
            print(f"  {what:<38} {one['communes']:>6,} communes: jobs=1 {one['per_second']:>6,.0f}/s, "
                  f"jobs=2 {two['per_second']:>6,.0f}/s = {two['per_second'] / one['per_second']:.2f}× "
                  f"({'same bytes' if many[f'{label} identical'] else 'DIFFERENT OUTPUT'})")
            print(f"  {'':<38} CPU s: jobs=1 {one['cpu_caller']:.2f}; jobs=2 caller {two['cpu_caller']:.2f} + "
                  f"workers {two['cpu_workers']:.2f}")
        latency = _spawn("latency", str(latency_runs))
        print(f"\none evaluation of the Thạnh Phú seed against {SEED_PACK} through ntmcert.evaluate:")
        for label, r in latency.items():
            print(f"  {label:<26} p50 {r['p50_us']:>7,.0f} µs   p99 {r['p99_us']:>7,.0f} µs   ({r['runs']:,} calls)")
        batch = batch_rate(rows, folder)
    cold = cold_start(3 if args.quick else 5)
    print(f"\n`ntmcert batch` of {batch['rows']:,} seed fact sets (a folder, JSONL out), whole command: "
          f"{batch['per_second']:,.0f} rows/s ({batch['seconds']:.2f} s)")
    print(f"cold `ntmcert evaluate seeds/thanh-phu-2024.yaml` (every applicable pack), median of "
          f"{3 if args.quick else 5}: {cold:.3f} s")
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
