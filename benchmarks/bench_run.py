"""Cold wall time of `trialkit run` beside the time Python takes to import the dependency stack, and of the
example run with and without the analyses that import statsmodels and pingouin.

Each figure is the median of REPEATS fresh processes (the OS file cache is warm, the interpreter cold).
The import processes leave without the interpreter's teardown (``os._exit``), as the ``trialkit``
command does, so that the comparison is of the work alone.
Usage: python benchmarks/bench_run.py [--repeats 5] [--subjects 3000]   (after `pip install .`, or with PYTHONPATH=.)
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "example_study"
#: what `trialkit run` imports from outside the standard library
TRIALKIT_STACK = ("import numpy, pandas, scipy.stats, scipy.optimize, jinja2, weasyprint, matplotlib.figure, "
                  "pydantic, yaml, click, openpyxl, pyreadstat")
#: the project's chosen analysis stack (statsmodels, pingouin: used from the mixed-model issue on)
CHOSEN_STACK = "import pandas, statsmodels.api, pingouin, jinja2, weasyprint"
#: the example study with fewer analyses (as shipped it runs them all, and imports statsmodels and pingouin), and
#: what each set imports of the two (tests/test_import_cost.py)
EXAMPLE_VARIANTS = {
    "the six earlier analyses (statsmodels, pingouin: paired tests, Holm)": ["descriptive", "paired_t", "wilcoxon",
                                                                            "responder", "lmm", "mmrm"],
    "descriptive, responder, lmm, mmrm (statsmodels: Holm)": ["descriptive", "responder", "lmm", "mmrm"],
    "descriptive, responder (neither)": ["descriptive", "responder"],
}
#: appended to each import command: leave without the interpreter's teardown, as the trialkit command does
NO_TEARDOWN = "; import os; os._exit(0)"


def wall(commands: dict[str, list[str]], repeats: int) -> dict[str, list[float]]:
    """Cold wall times, the commands interleaved in each round so that drift in the machine's speed
    (large on shared machines) falls on all of them alike."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeats):
        for name, cmd in commands.items():
            start = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True)
            times[name].append(time.perf_counter() - start)
    return times


def simulated_study(folder: Path, n: int, seed: int = 1) -> Path:
    """A long-layout study of n subjects x 6 visits x 2 measures, same config as the example."""
    rng = np.random.default_rng(seed)
    visits = ["Baseline", "Week 1", "Week 2", "Week 3", "Week 4", "Week 5"]
    ids = [f"S{i:05d}" for i in range(n)]
    sev = rng.normal(4.8, 0.8, n)
    rows = []
    for j, visit in enumerate(visits):
        for measure, start in (("CGI-S", sev), ("CGI-I", np.full(n, 3.8))):
            vals = np.clip(np.rint(start - 0.3 * j + rng.normal(0, 0.5, n)), 1, 7).astype(int)
            rows.append(pd.DataFrame({"SUBJID": ids, "VISIT": visit, "PARAM": measure, "AVAL": vals, "DOSE": ""}))
    (folder / "data").mkdir(parents=True)
    pd.concat(rows).to_csv(folder / "data" / "cgi_visits.csv", index=False)
    flags = rng.integers(0, 2, (n, 4))
    pd.DataFrame({"SUBJID": ids, "TIER": rng.integers(1, 4, n), "AGE": rng.integers(12, 18, n),
                  "SEX": rng.choice(["F", "M"], n), **{g: flags[:, k] for k, g in
                  enumerate(["GRM1", "GRM5", "GRM7", "GRM8"])}}).to_csv(folder / "data" / "subjects.csv", index=False)
    config = yaml.safe_load((EXAMPLE / "study.yaml").read_text())
    config["study"]["id"] = f"BENCH-{n}"
    (folder / "study.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return folder


def example_variant(folder: Path, analyses: list[str]) -> Path:
    """The example study with other analyses."""
    import shutil

    shutil.copytree(EXAMPLE, folder)
    config = yaml.safe_load((folder / "study.yaml").read_text())
    config["analyses"] = analyses
    (folder / "study.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--subjects", type=int, default=3000)
    args = parser.parse_args()
    trialkit = [sys.executable, "-m", "trialkit"]  # the trialkit this Python imports (installed, or PYTHONPATH)
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        big = simulated_study(tmp / "big", args.subjects)
        variants = {f"trialkit run example_study, {name}": [*trialkit, "run", str(example_variant(tmp / f"v{k}", analyses)), "--out",
                                         str(tmp / f"ov{k}")]
                    for k, (name, analyses) in enumerate(EXAMPLE_VARIANTS.items())}
        figures = wall({
            "import trialkit's dependency stack": [py, "-c", TRIALKIT_STACK + NO_TEARDOWN],
            "import pandas+statsmodels+pingouin+jinja2+weasyprint": [py, "-c", CHOSEN_STACK + NO_TEARDOWN],
            "import statsmodels (ordinal model, shift tests, Holm)": [py, "-c", "import statsmodels.miscmodels."
                                                                     "ordinal_model, statsmodels.stats.contingency_"
                                                                     "tables, statsmodels.stats.multitest"
                                                                     + NO_TEARDOWN],
            "import pingouin (it imports statsmodels)": [py, "-c", "import pingouin" + NO_TEARDOWN],
            "trialkit run example_study (30 subjects; all nine analyses)": [*trialkit, "run", str(EXAMPLE), "--out",
                                                                           str(tmp / "o1")],
            **variants,
            f"trialkit run simulated study ({args.subjects} subjects)": [*trialkit, "run", str(big), "--out",
                                                                      str(tmp / "o2")],
        }, args.repeats)
    print(f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, {__import__('os').cpu_count()} cores; "
          f"Python {platform.python_version()}; {platform.platform()}")
    print(f"median of {args.repeats} cold runs (min in brackets)")
    for name, times in figures.items():
        print(f"  {name:80s} {statistics.median(times):6.2f} s  ({min(times):.2f})")
    base = statistics.median(figures["import trialkit's dependency stack"])
    example = statistics.median(figures["trialkit run example_study (30 subjects; all nine analyses)"])
    print(f"example run / stack import = {example / base:.2f} (target <= 1.5)")


if __name__ == "__main__":
    main()
