"""How much longer `trialkit run example_study` takes than its analysis alone: the time the report
(figures, PDF, HTML, RTF tables, writing) adds, as a user sees it.

Two cold commands, interleaved so that drift of a shared machine hits both alike:

- the run: ``trialkit run example_study --out TMP`` (the command line, render processes and all);
- the analysis: a fresh ``python`` that imports trialkit's pipeline and does what the run does before its
  report (configuration, loading, validation, derivations, every analysis into the ARD), and leaves
  without the interpreter's teardown, as the command does;
- and, for comparison, the run in one process (``TRIALKIT_RENDER_PROCESS=0``: no render process).

Each round runs the analysis and then the run, so each run has its own baseline taken moments before; the
median of those differences is the rendering time beyond the analysis (target: under 2 s). The
difference of the two medians is printed too, and the run's own stages, from a library run with the
render process started first, as the command line does.

Usage: python benchmarks/bench_render.py [--repeats 5]   (after `pip install .`, or with PYTHONPATH=.)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STUDY = ROOT / "example_study"

ANALYSIS = r"""
import sys
from trialkit.pipeline import check_study
from trialkit.derivations import derive
from trialkit.results import build_ard
config, checked = check_study(sys.argv[1])
checked.raise_for_errors()
build_ard(derive(checked, config), checked.subjects, config)
import os
os._exit(0)  # as the trialkit command, leave without the interpreter's teardown
"""

STAGES = r"""
import json, sys, time
t0 = time.perf_counter()
from trialkit.report.processes import start_executor
executor = start_executor()
from trialkit.pipeline import run_study
marks = [("import", time.perf_counter())]
run_study(sys.argv[1], sys.argv[2], progress=lambda stage: marks.append((stage, time.perf_counter())),
          executor=executor)
marks.append(("end", time.perf_counter()))
stages = {a: b - t for (a, t), (_, b) in zip(marks, marks[1:])}
stages["import"] = marks[0][1] - t0
print(json.dumps(stages))
"""


#: a fixed pure-Python loop: how quick the (shared, drifting) machine is in each round
SPEED = "s = 0\nfor i in range(5_000_000): s += i"


def _speed() -> float:
    """Seconds for the loop, run on both cores at once: the slower of the two (a run uses both)."""
    start = time.perf_counter()
    loops = [subprocess.Popen([sys.executable, "-c", SPEED]) for _ in range(2)]
    ends = []
    for loop in loops:
        loop.wait()
        ends.append(time.perf_counter())
    return max(ends) - start


def _timed(command: list[str], **env: str) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env={**os.environ, **env})
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    trialkit = [sys.executable, "-m", "trialkit"]  # the trialkit this Python imports (installed, or PYTHONPATH)
    run_times, analysis_times, single_times, stages, speeds = [], [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(args.repeats):
            speeds.append(_speed())
            analysis_times.append(_timed([sys.executable, "-c", ANALYSIS, str(STUDY)]))
            run_times.append(_timed([*trialkit, "run", str(STUDY), "--out", f"{tmp}/run{k}"]))
            single_times.append(_timed([*trialkit, "run", str(STUDY), "--out", f"{tmp}/single{k}"],
                                       TRIALKIT_RENDER_PROCESS="0"))
            out = subprocess.run([sys.executable, "-c", STAGES, str(STUDY), f"{tmp}/stages{k}"], check=True,
                                 capture_output=True, text=True)
            stages.append(json.loads(out.stdout))
    run, analysis = statistics.median(run_times), statistics.median(analysis_times)
    beyond = sorted(r - a for r, a in zip(run_times, analysis_times))  # each run beside the analysis just before it
    quartiles = statistics.quantiles(beyond, n=4) if len(beyond) > 1 else beyond * 3
    print(f"median of {args.repeats} cold runs, seconds")
    print(f"  trialkit run example_study      {run:6.2f}  (min {min(run_times):.2f})")
    print(f"  analysis alone (same process)   {analysis:6.2f}  (min {min(analysis_times):.2f})")
    print(f"  rendering beyond the analysis   {statistics.median(beyond):6.2f}  (median of the rounds' differences; "
          f"quartiles {quartiles[0]:.2f}, {quartiles[2]:.2f}; difference of the medians {run - analysis:.2f}; "
          "target under 2 s)")
    single = statistics.median(single_times)
    print(f"  the run in one process          {single:6.2f}  (TRIALKIT_RENDER_PROCESS=0; beyond the analysis "
          f"{single - analysis:.2f})")
    print("each round, by the machine's speed (a fixed Python loop on both cores at once, s): the analysis, "
          "the run, the difference")
    for speed, a, r in sorted(zip(speeds, analysis_times, run_times)):
        print(f"  {speed:5.2f}  {a:5.2f}  {r:5.2f}  {r - a:5.2f}")
    print("stages of a library run (render process started first), median seconds")
    for stage in stages[0]:
        print(f"  {stage:32s} {statistics.median(s[stage] for s in stages):6.2f}")


if __name__ == "__main__":
    main()
