"""The CDISC pilot studies and a simulated 3-arm trial of 3,000 subjects, end to end, beside the same models in R.

1. Cold ``trialkit run`` (a fresh process each time, report included) of each study of tests/studies/cdiscpilot01/
   and of the randomized example's plan (example_rct/study.yaml) on a simulated trial of --subjects subjects
   (example_rct/make_data.py's generator, seeded, scaled up): wall time, median and minimum of --repeats runs,
   interleaved so that drift in the machine's speed falls on all alike.
2. The models alone, in one process: trialkit's functions beside R's, timed inside R (system.time over the same
   repeats, R's start-up not counted): the ANCOVA at Week 24 (lm + emmeans + the dose-response lm), the MMRM
   (unstructured, REML: nlme::gls with corSymm + varIdent, + emmeans) and the CMH tests at Week 24 (coin), on the
   pilot's ADAS-Cog(11) and CIBIC+ records and on the simulated trial's CGI-S and CGI-I.

Usage: python benchmarks/bench_cdisc.py [--repeats 5] [--subjects 3000]   (needs ../shared/data; PYTHONPATH=.)
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_models import timed  # noqa: E402
from tests.cdiscpilot import ARMS, STUDIES, VISITS, adas_locf, adas_observed, cibic  # noqa: E402
from trialkit.stats import ancova, cmh, mmrm_by_arm  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
PILOT = ("adas", "cibic", "demographics")
SIM_ARMS = ["Placebo", "Drug 200 mg", "Drug 400 mg"]
SIM_VISITS = ["Week 2", "Week 4", "Week 6"]


def make_data_module():
    spec = importlib.util.spec_from_file_location("make_data", ROOT / "example_rct" / "make_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def simulated_trial(folder: Path, n: int) -> Path:
    """The randomized example's study.yaml on n simulated subjects (same generator and seed)."""
    gen = make_data_module()
    records, subjects = gen.simulate(np.random.default_rng(gen.SEED), n)
    (folder / "data").mkdir(parents=True)
    gen.write(records, folder / "data" / "cgi_visits.csv")
    gen.write(subjects, folder / "data" / "subjects.csv")
    shutil.copy(ROOT / "example_rct" / "study.yaml", folder / "study.yaml")
    return folder


def cold_runs(studies: dict[str, Path], out: Path, repeats: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in studies}
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for k in range(repeats):
        for name, study in studies.items():
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "trialkit", "run", str(study), "--out", str(out / f"{name}_{k}"), "-q"],
                           check=True, capture_output=True, env=env)
            times[name].append(time.perf_counter() - start)
    return times


def simulated_frames(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The simulated trial as the models take it: CGI-S change with its baseline (efficacy set), CGI-I ratings."""
    rec = pd.read_csv(folder / "data" / "cgi_visits.csv")
    sub = pd.read_csv(folder / "data" / "subjects.csv", dtype={"SITE": str, "TIER": str})
    sub = sub[sub.EFFFL == "Y"]
    cgis = rec[rec.PARAM == "CGI-S"].merge(sub[["SUBJID", "ARM", "DOSE", "TIER", "SITE"]], on="SUBJID")
    base = cgis[cgis.VISIT == "Baseline"].set_index("SUBJID").AVAL.rename("BASE")
    cgis = cgis[cgis.VISIT != "Baseline"].join(base, on="SUBJID").dropna(subset=["BASE"])
    cgis["CHG"] = cgis.AVAL - cgis.BASE
    cgii = rec[rec.PARAM == "CGI-I"].merge(sub[["SUBJID", "ARM", "TIER"]], on="SUBJID")
    return cgis, cgii


R_SCRIPT = r"""
suppressMessages({library(nlme); library(emmeans); library(coin)})
args <- commandArgs(TRUE); reps <- as.integer(args[7])
tm <- function(expr) { e <- parent.frame(); median(replicate(reps, system.time(eval(expr, e))[["elapsed"]])) }
# columns renamed by the Python side: y (response), arm, dose, fac (site group / tier), BASE, visit, subj, AVAL
run <- function(d, obs, cat) {
  d$arm <- factor(d$arm); d$fac <- factor(d$fac)
  obs$arm <- factor(obs$arm); obs$fac <- factor(obs$fac); obs$visit <- factor(obs$visit)
  cat$arm <- factor(cat$arm); cat$fac <- factor(cat$fac); cat$r <- ordered(cat$AVAL)
  sc <- list(r = sort(unique(cat$AVAL)))
  anc <- quote({fit <- lm(y ~ arm + fac + BASE, data = d)
                summary(contrast(emmeans(fit, ~ arm, weights = "proportional"), "pairwise"), infer = TRUE)
                summary(lm(y ~ dose + fac + BASE, data = d))})
  mm <- quote({g <- gls(y ~ arm * visit + BASE * visit + fac, data = obs, method = "REML",
                        correlation = corSymm(form = ~ as.integer(visit) | subj), weights = varIdent(form = ~ 1 | visit))
               summary(contrast(emmeans(g, ~ arm | visit, data = obs, mode = "df.error"), "pairwise"), infer = TRUE)})
  ch <- quote({cmh_test(factor(AVAL) ~ arm | fac, data = cat); cmh_test(r ~ arm | fac, data = cat, scores = sc)
               lbl_test(r ~ ordered(arm) | fac, data = cat, scores = sc)})
  c(tm(anc), tm(mm), tm(ch))
}
rd <- function(k) read.csv(args[k], colClasses = c(fac = "character"))
cat(run(rd(1), rd(2), rd(3)), run(rd(4), rd(5), rd(6)), "\n")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--subjects", type=int, default=3000)
    args = parser.parse_args()
    if not SHARED.is_dir():
        sys.exit(f"the CDISC pilot data are not at {SHARED}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        sim = simulated_trial(tmp / "sim", args.subjects)
        studies = {f"cdiscpilot01/{name}": STUDIES / name for name in PILOT}
        studies[f"simulated 3-arm trial, {args.subjects:,} subjects"] = sim
        runs = cold_runs(studies, tmp / "out", args.repeats)

        a24, aobs, c24 = adas_locf(SHARED, 24), adas_observed(SHARED), cibic(SHARED)
        c24 = c24[c24.AVISITN == 24]
        cgis, cgii = simulated_frames(sim)
        s6, cgii6 = cgis[cgis.VISIT == "Week 6"], cgii[cgii.VISIT == "Week 6"]
        ours = [
            timed(lambda: ancova(a24, "CHG", "TRTP", control="Placebo", arms=ARMS, factors=["SITEGR1"],
                                 covariates=["BASE"], dose="TRTPN"), args.repeats),
            timed(lambda: mmrm_by_arm(aobs, "CHG", "TRTP", visit="AVISIT", subject="USUBJID", control="Placebo",
                                      arms=ARMS, visits=VISITS, baseline="BASE", factors=["SITEGR1"],
                                      df="satterthwaite"), args.repeats),
            timed(lambda: cmh(c24, "TRTP", "AVAL", "SITEGR1", row_order=ARMS), args.repeats),
            timed(lambda: ancova(s6, "CHG", "ARM", control="Placebo", arms=SIM_ARMS, factors=["TIER"],
                                 covariates=["BASE"], dose="DOSE"), args.repeats),
            timed(lambda: mmrm_by_arm(cgis, "CHG", "ARM", visit="VISIT", subject="SUBJID", control="Placebo",
                                      arms=SIM_ARMS, visits=SIM_VISITS, baseline="BASE", factors=["TIER"],
                                      df="satterthwaite"), args.repeats),
            timed(lambda: cmh(cgii6, "ARM", "AVAL", "TIER", row_order=SIM_ARMS), args.repeats),
        ]
        r_times = [None] * 6
        if shutil.which("Rscript"):
            pilot = {"CHG": "y", "TRTP": "arm", "TRTPN": "dose", "SITEGR1": "fac", "AVISIT": "visit", "USUBJID": "subj"}
            simulated = {"CHG": "y", "ARM": "arm", "DOSE": "dose", "TIER": "fac", "VISIT": "visit", "SUBJID": "subj"}
            paths = []
            for name, frame, names in (("a24", a24, pilot), ("aobs", aobs, pilot), ("c24", c24, pilot),
                                       ("s6", s6, simulated), ("s", cgis, simulated), ("cgii6", cgii6, simulated)):
                paths.append(tmp / f"{name}.csv")
                frame.rename(columns=names).to_csv(paths[-1], index=False)
            (tmp / "bench.R").write_text(R_SCRIPT)
            out = subprocess.run(["Rscript", str(tmp / "bench.R"), *map(str, paths), str(args.repeats)],
                                 capture_output=True, text=True)
            if out.returncode == 0:
                r_times = [float(x) for x in out.stdout.split()]
            else:
                print("R failed:", out.stderr[-800:])

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, load average "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}; Python {platform.python_version()}")
    print(f"cold `trialkit run` (report included), {args.repeats} runs each: median s (min s)")
    for name, t in runs.items():
        print(f"  {name:45s} {statistics.median(t):6.2f} ({min(t):.2f})")
    print(f"the models alone, median of {args.repeats}: trialkit s, R s (inside R), R / trialkit")
    labels = ["pilot ANCOVA Week 24 (+ dose response)", "pilot MMRM unstructured, 539 obs", "pilot CMH Week 24 (3 statistics)",
              f"simulated ANCOVA Week 6, {len(s6):,} subjects", f"simulated MMRM unstructured, {len(cgis):,} obs",
              f"simulated CMH Week 6, {len(cgii6):,} subjects"]
    for label, t, r in zip(labels, ours, r_times):
        versus = f"{r:8.3f} {r / t:6.1f}x" if r else ""
        print(f"  {label:45s} {t:8.3f} {versus}")


if __name__ == "__main__":
    main()
