"""MMRM and LMM fit times: trialkit beside R (nlme::gls with corSymm + varIdent, lme4::lmer) on the same data.

Usage: python benchmarks/bench_models.py [--repeats 5]
R is run when Rscript with nlme and lme4 is on the PATH; its times are measured inside R (system.time over
the same number of repeats), so R's start-up is not counted against it.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from trialkit.stats import lmm, mmrm

ROOT = Path(__file__).resolve().parents[1]
FEV = ROOT.parent / "shared" / "data" / "mmrm_fev" / "fev_data.csv"


def simulated(n: int = 2000, t: int = 6, seed: int = 7) -> pd.DataFrame:
    """n subjects x t visits, two arms, unstructured-ish covariance, about 10% of visits missing."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(t, t))
    sigma = a @ a.T / t + np.eye(t)
    y = rng.multivariate_normal(np.zeros(t), sigma, size=n)
    arm = rng.integers(0, 2, n)
    frame = pd.DataFrame({
        "subject": np.repeat([f"S{i:05d}" for i in range(n)], t),
        "visit": np.tile([f"V{j + 1}" for j in range(t)], n),
        "arm": np.repeat(np.where(arm == 1, "TRT", "PBO"), t),
        "time": np.tile(np.arange(t, dtype=float), n),
    })
    frame["y"] = y.ravel() + 0.5 * frame["time"] + 1.0 * (frame["arm"] == "TRT") * frame["time"] / t
    frame.loc[rng.random(len(frame)) < 0.1, "y"] = np.nan
    return frame


def timed(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


R_SCRIPT = r"""
suppressMessages({library(nlme); library(lme4)})
args <- commandArgs(TRUE); reps <- as.integer(args[3])
tm <- function(expr) { t <- replicate(reps, system.time(eval(expr))[["elapsed"]]); median(t) }
fev <- read.csv(args[1]); fev <- fev[!is.na(fev$FEV1), ]
fev$AVISIT <- factor(fev$AVISIT); fev$ARMCD <- relevel(factor(fev$ARMCD), "PBO")
sim <- read.csv(args[2]); sim <- sim[!is.na(sim$y), ]; sim$visit <- factor(sim$visit)
g1 <- quote(gls(FEV1 ~ RACE + SEX + ARMCD * AVISIT, data = fev, correlation = corSymm(form = ~ as.integer(AVISIT) | USUBJID),
               weights = varIdent(form = ~ 1 | AVISIT), method = "REML"))
g2 <- quote(gls(y ~ arm * visit, data = sim, correlation = corSymm(form = ~ as.integer(visit) | subject),
               weights = varIdent(form = ~ 1 | visit), method = "REML"))
l1 <- quote(lmer(FEV1 ~ ARMCD * AVISIT + (1 | USUBJID), data = fev))
l2 <- quote(lmer(y ~ arm * visit + (1 | subject), data = sim))
cat(tm(g1), tm(g2), tm(l1), tm(l2), "\n")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    fev = pd.read_csv(FEV)
    for column, levels in {"ARMCD": ["PBO", "TRT"], "AVISIT": ["VIS1", "VIS2", "VIS3", "VIS4"],
                           "RACE": ["Asian", "Black or African American", "White"], "SEX": ["Male", "Female"]}.items():
        fev[column] = pd.Categorical(fev[column], categories=levels)
    sim = simulated()
    ours = {
        "MMRM us, fev_data (537 obs)": timed(lambda: mmrm(fev, "FEV1 ~ RACE + SEX + ARMCD * AVISIT", subject="USUBJID", visit="AVISIT"), args.repeats),
        "MMRM us, 2,000 x 6 simulated": timed(lambda: mmrm(sim, "y ~ arm * visit", subject="subject", visit="visit"), args.repeats),
        "LMM random intercept, fev_data": timed(lambda: lmm(fev, "FEV1 ~ ARMCD * AVISIT", subject="USUBJID"), args.repeats),
        "LMM random intercept, 2,000 x 6": timed(lambda: lmm(sim, "y ~ arm * visit", subject="subject"), args.repeats),
    }
    r_times = [None] * 4
    if shutil.which("Rscript"):
        with tempfile.TemporaryDirectory() as tmp:
            sim_csv = Path(tmp) / "sim.csv"
            sim.to_csv(sim_csv, index=False)
            script = Path(tmp) / "bench.R"
            script.write_text(R_SCRIPT)
            out = subprocess.run(["Rscript", str(script), str(FEV), str(sim_csv), str(args.repeats)],
                                 capture_output=True, text=True)
            if out.returncode == 0:
                r_times = [float(x) for x in out.stdout.split()]
            else:
                print("R failed:", out.stderr[-500:])
    r_names = ["nlme::gls", "nlme::gls", "lme4::lmer", "lme4::lmer"]
    print(f"machine: {platform.machine()}, {__import__('os').cpu_count()} cores; Python {platform.python_version()}")
    print(f"median of {args.repeats} fits, seconds")
    for (name, ours_t), r_t, r_name in zip(ours.items(), r_times, r_names):
        versus = f"  {r_name} {r_t:.3f} s  ({r_t / ours_t:.1f}x)" if r_t else ""
        print(f"  {name:34s} trialkit {ours_t:.3f} s{versus}")


if __name__ == "__main__":
    main()
