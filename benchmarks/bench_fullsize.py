"""A study at full size, end to end: wall time and peak memory of `trialkit run`, and where the time goes.

The study is simulated like bench_run's (n subjects x 6 visits x 2 measures, the example study's
configuration and analyses, three genotype tiers). The run is one cold process, as a user starts it; its
peak resident memory is the largest of the process and its render process (getrusage of the children).
Target (issue 12.4): 100,000 subjects within 60 s and 2 GiB on a 2-core machine.

Usage: python benchmarks/bench_fullsize.py [--subjects 100000] [--keep DIR]   (after `pip install .`, or
with PYTHONPATH=.)
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_run import simulated_study  # noqa: E402 - the benchmarks are scripts, not a package
from pypdf import PdfReader  # noqa: E402 - the test extra


def run(study: Path, out: Path) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MiB (largest child), and the stage lines trialkit printed."""
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "trialkit", "run", str(study), "--out", str(out)],
                          capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"trialkit run failed ({proc.returncode}):\n{proc.stderr}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return wall, peak, proc.stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subjects", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, default=None, help="write the study and its outputs here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        start = time.perf_counter()
        study = simulated_study(root / "study", args.subjects)
        made = time.perf_counter() - start
        wall, peak, stages = run(study, root / "out")
        out = root / "out"
        sizes = {p.name: p.stat().st_size for p in out.iterdir() if p.is_file()}
        pages = len(PdfReader(out / "report.pdf").pages)
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"study: {args.subjects:,} subjects x 6 visits x 2 measures (made in {made:.1f} s)")
    print(f"trialkit run: {wall:.1f} s wall, peak RSS {peak:,.0f} MiB, report {pages} pages")
    print("stages:\n" + stages.strip())
    print("outputs (bytes): " + ", ".join(f"{k} {v:,}" for k, v in sorted(sizes.items())))


if __name__ == "__main__":
    main()
