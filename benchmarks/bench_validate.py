"""Loading and validating a large study: time and peak memory, with many findings.

A simulated long-layout study of N subjects x 6 visits x 2 measures (CSV), in which a share of the cells
is empty (each a missing-visit finding), a share of the records is left out by ``data.filter`` (counted in
one finding per value) and a share lies at an unscheduled visit (counted likewise). Prints the seconds
spent reading the files, validating, and the number of findings.

Usage: python benchmarks/bench_validate.py [--subjects 100000] [--missing 0.05] [--repeats 3]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from trialkit.config import load_config
from trialkit.loaders import load_study
from trialkit.validation import validate

VISITS = ["Baseline", "Week 1", "Week 2", "Week 3", "Week 4", "Week 5"]


def make_study(folder: Path, n: int, missing: float, seed: int = 11) -> Path:
    rng = np.random.default_rng(seed)
    subjects = np.array([f"S{i:06d}" for i in range(n)])
    cells = n * len(VISITS) * 2
    frame = pd.DataFrame({
        "SUBJID": np.repeat(subjects, len(VISITS) * 2),
        "VISIT": np.tile(np.repeat(VISITS, 2), n),
        "PARAM": np.tile(["CGI-S", "CGI-I"], n * len(VISITS)),
        "AVAL": rng.integers(1, 8, cells).astype(str),
        "ANL01FL": "Y",
    })
    frame.loc[rng.random(cells) < missing, "AVAL"] = ""
    extra = frame.sample(frac=missing, random_state=seed).assign(ANL01FL="")  # repeated records the filter leaves out
    unscheduled = frame.sample(frac=missing / 2, random_state=seed + 1).assign(VISIT="Unscheduled")
    pd.concat([frame, extra, unscheduled]).to_csv(folder / "records.csv", index=False)
    pd.DataFrame({"SUBJID": subjects, "TIER": rng.integers(1, 4, n), "GRM1": rng.integers(0, 2, n)}).to_csv(
        folder / "subjects.csv", index=False)
    config = {
        "study": {"id": "BENCH"},
        "data": {"records": "records.csv", "subjects": "subjects.csv",
                 "columns": {"subject": "SUBJID", "visit": "VISIT", "measure": "PARAM", "value": "AVAL"},
                 "filter": {"ANL01FL": ["Y"]}},
        "visits": {"order": VISITS, "baseline": "Baseline", "endpoint": "Week 5"},
        "measures": {"CGI-S": {"min": 1, "max": 7}, "CGI-I": {"min": 1, "max": 7, "responder_max": 2}},
        "subjects": {"genotype_flags": ["GRM1"], "subgroups": ["TIER"]},
    }
    (folder / "study.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=100_000)
    parser.add_argument("--missing", type=float, default=0.05)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        study = make_study(Path(tmp), args.subjects, args.missing)
        loads, checks = [], []
        for _ in range(args.repeats):
            start = time.perf_counter()
            config = load_config(study)
            data = load_study(config)
            loaded = time.perf_counter()
            checked = validate(data, config)
            checks.append(time.perf_counter() - loaded)
            loads.append(loaded - start)
        counts = checked.issues_frame().check.value_counts().to_dict()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{args.subjects:,} subjects, {len(data.records):,} records: load {statistics.median(loads):.2f} s, "
          f"validate {statistics.median(checks):.2f} s (median of {args.repeats}); peak RSS {peak:,.0f} MiB")
    print(f"{len(checked.issues):,} findings: " + ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items())))


if __name__ == "__main__":
    main()
