"""How long `trialkit run example_study` spends rendering (context, figures, HTML, PDF, RTF) beyond the
analysis, in a cold process: stage times from the run's own progress callback.

Usage: python benchmarks/bench_render.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
from trialkit.pipeline import run_study
marks = [("import", time.perf_counter())]
run_study(sys.argv[1], sys.argv[2], progress=lambda stage: marks.append((stage, time.perf_counter())))
marks.append(("end", time.perf_counter()))
stages = {a: b - t for (a, t), (_, b) in zip(marks, marks[1:])}
stages["import"] = marks[0][1] - t0
print(json.dumps(stages))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(args.repeats):
            out = subprocess.run([sys.executable, "-c", CHILD, str(ROOT / "example_study"), f"{tmp}/o{k}"],
                                 check=True, capture_output=True, text=True)
            runs.append(json.loads(out.stdout))
    median = {stage: statistics.median(r[stage] for r in runs) for stage in runs[0]}
    analysis = sum(median[s] for s in ("reading configuration", "loading data", "validating",
                                       "deriving baseline and change", "analysing"))
    print(f"median of {args.repeats} cold runs, seconds")
    for stage, seconds in median.items():
        print(f"  {stage:32s} {seconds:6.2f}")
    print(f"analysis {analysis:.2f} s; rendering (report, figures, PDF, RTF) {median['rendering report']:.2f} s "
          f"(target under 2 s); writing {median['writing outputs']:.2f} s")


if __name__ == "__main__":
    main()
