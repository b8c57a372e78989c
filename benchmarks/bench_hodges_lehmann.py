"""Hodges-Lehmann estimate and CI (and the whole Wilcoxon analysis) at n = 1e3 .. 1e5 paired differences.

Each n runs in a fresh process: wall time (median of the repeats), the peak of Python's traced
allocations during one call (numpy's arrays included) and the process's peak resident set.
The brute force over all n(n+1)/2 Walsh averages (what trialkit did before) is timed beside it up to
``--brute-max`` (it needs 12 n^2 bytes: 20,000 differences took 6.6 GB).
Usage: python benchmarks/bench_hodges_lehmann.py [--sizes 1000 10000 100000] [--repeats 3] [--brute-max 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, resource, statistics, sys, time, tracemalloc
import numpy as np
from trialkit.stats import hodges_lehmann, wilcoxon
from trialkit.stats.paired import _signrank_lower_quantile

n, repeats, brute, kind = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "1", sys.argv[4]
rng = np.random.default_rng(n)
if kind == "cgi":   # 7 categories: heavy ties and zeros, the Walsh averages take a few dozen values
    base = rng.integers(1, 8, n).astype(float)
    end = np.clip(base - rng.integers(-1, 3, n), 1, 7)
elif kind == "decimals":   # one decimal (a prorated score): long runs of ties the floating-point sums round across
    base = np.round(rng.uniform(0, 30, n), 1)
    end = np.round(base + rng.normal(-1, 3, n), 1)
else:               # continuous: every Walsh average distinct, the most selection rounds
    base = rng.normal(20, 5, n)
    end = base + rng.normal(-1, 3, n)
d = end - base

def brute_force(d, alpha=0.05):
    d = np.sort(d)
    i, j = np.triu_indices(d.size)
    walsh = (d[i] + d[j]) / 2
    k = max(_signrank_lower_quantile(d.size, alpha / 2), 1)
    part = np.partition(walsh, [k - 1, walsh.size - k])
    return float(np.median(walsh)), float(part[k - 1]), float(part[walsh.size - k])

def measure(fn):
    times = []
    for _ in range(repeats):
        start = time.perf_counter(); fn(); times.append(time.perf_counter() - start)
    tracemalloc.start(); result = fn(); peak = tracemalloc.get_traced_memory()[1]; tracemalloc.stop()
    return statistics.median(times), peak, result

out = {"n": n}
out["hl_s"], out["hl_peak"], hl = measure(lambda: hodges_lehmann(d))
out["wilcoxon_s"], out["wilcoxon_peak"], _ = measure(lambda: wilcoxon(end, base))
if brute:
    out["brute_s"], out["brute_peak"], bf = measure(lambda: brute_force(d))
    out["identical"] = bf == hl
out["max_rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps(out))
"""


def mib(n_bytes: float) -> str:
    return f"{n_bytes / 2**20:,.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--brute-max", type=int, default=10_000)
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}, Python {platform.python_version()}")
    print("| data | n | HL estimate + CI (s) | HL peak traced (MiB) | wilcoxon() (s) | wilcoxon() peak (MiB) | process peak RSS (MiB) "
          "| brute force (s) | brute force peak (MiB) | identical |")
    print("|:---|---:|---:|---:|---:|---:|---:|---:|---:|:---:|")
    for kind in ("cgi", "decimals", "continuous"):
        for n in args.sizes:
            brute = n <= args.brute_max
            done = subprocess.run([sys.executable, "-c", CHILD, str(n), str(args.repeats), "1" if brute else "0", kind],
                                  capture_output=True, text=True, env=env, check=True)
            r = json.loads(done.stdout)
            brute_cells = (f"{r['brute_s']:.3f} | {mib(r['brute_peak'])} | {'yes' if r['identical'] else 'NO'}"
                           if brute else "- | - | -")
            print(f"| {kind} | {n:,} | {r['hl_s']:.3f} | {mib(r['hl_peak'])} | {r['wilcoxon_s']:.3f} "
                  f"| {mib(r['wilcoxon_peak'])} | {mib(r['max_rss'])} | {brute_cells} |")


if __name__ == "__main__":
    main()
