"""Make the SIMULATED randomized example study (seeded; rerunning it rewrites identical files).

The data are simulated; no trial data were used. The design is a typical parallel-group,
double-blind, placebo-controlled trial of a CGI-rated treatment: 150 subjects in 6 sites,
randomized 1:1:1 to placebo, 200 mg/day or 400 mg/day in permuted blocks of 6 within each
genotype tier (the stratification factor), rated with CGI-S at Baseline and CGI-S and CGI-I at
Weeks 2, 4 and 6 (the endpoint). CGI-I rates the change since baseline, so it has no Baseline
rating. About one subject in eight drops out before Week 6, more often on placebo; a few
miss a single visit. Every randomized subject is in the intent-to-treat set (ITTFL); the
efficacy set (EFFFL) needs a Baseline and at least one later CGI-S.

The simulated effects (CGI-S change at Week 6 about -0.6 on placebo, -1.0 on 200 mg and -1.3 on
400 mg, larger in tier 1) are chosen to give a clear dose response, not taken from any trial.

Usage: python example_rct/make_data.py
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

SEED = 20240611
N = 150
SITES = ["101", "102", "103", "104", "105", "106"]
ARMS = [("Placebo", 0), ("Drug 200 mg", 200), ("Drug 400 mg", 400)]
VISITS = ["Baseline", "Week 2", "Week 4", "Week 6"]
#: share of the full effect reached at each visit
PROGRESS = [0.0, 0.45, 0.8, 1.0]
#: mean CGI-S change at Week 6 by arm, and the extra change in genotype tier 1
CHANGE = {"Placebo": -0.6, "Drug 200 mg": -1.0, "Drug 400 mg": -1.3}
TIER1_EXTRA = {"Placebo": 0.0, "Drug 200 mg": -0.3, "Drug 400 mg": -0.5}
#: probability of dropping out after each post-baseline visit, by arm
DROPOUT = {"Placebo": 0.07, "Drug 200 mg": 0.04, "Drug 400 mg": 0.045}
SOURCE = "SIMULATED - not trial data"


def randomize(tiers: np.ndarray, rng: np.random.Generator) -> list[str]:
    """Permuted blocks of 6 (two of each arm) within each tier, in order of enrolment."""
    arms: list[str] = [""] * len(tiers)
    for tier in (1, 2, 3):
        members = np.flatnonzero(tiers == tier)
        sequence: list[str] = []
        while len(sequence) < len(members):
            sequence += list(rng.permutation([name for name, _ in ARMS] * 2))
        for i, arm in zip(members, sequence):
            arms[i] = arm
    return arms


def simulate(rng: np.random.Generator, n: int = N) -> tuple[list[dict], list[dict]]:
    """Records and subjects of ``n`` subjects (the example: :data:`N`; benchmarks/bench_cdisc.py scales it up)."""
    ids = [f"{SITES[i % len(SITES)]}-{1001 + i}" for i in range(n)]
    tiers = rng.choice([1, 2, 3], size=n, p=[0.4, 0.3, 0.3])
    arms = randomize(tiers, rng)
    dose = dict(ARMS)
    severity = np.clip(rng.normal(4.9, 0.7, n), 3.2, 6.8)
    response = rng.normal(1.0, 0.5, n)  # each subject's share of the arm's mean effect
    site_effect = dict(zip(SITES, rng.normal(0, 0.15, len(SITES))))

    records, subjects = [], []
    for i, sid in enumerate(ids):
        arm, site = arms[i], sid.split("-")[0]
        last = len(VISITS) - 1
        for j in range(1, len(VISITS) - 1):  # dropout after Week 2 or Week 4 (never before Week 2)
            if rng.random() < DROPOUT[arm]:
                last = j
                break
        if i == 17:  # one randomized subject never returns after Baseline: in ITT, not in the efficacy set
            last = 0
        missed = rng.choice(np.arange(1, len(VISITS) - 1)) if rng.random() < 0.04 and last == len(VISITS) - 1 else None
        effect = CHANGE[arm] + (TIER1_EXTRA[arm] if tiers[i] == 1 else 0.0) + site_effect[site]
        for j, visit in enumerate(VISITS[: last + 1]):
            if j == missed:
                continue
            p = PROGRESS[j]
            cgis = severity[i] + effect * response[i] * p + rng.normal(0, 0.4)
            records.append({"SUBJID": sid, "VISIT": visit, "PARAM": "CGI-S",
                            "AVAL": int(np.clip(np.rint(cgis), 1, 7)), "SOURCE": SOURCE})
            if j > 0:  # CGI-I: 4 = no change; better as the severity falls
                cgii = 4 + 1.6 * effect * response[i] * p + rng.normal(0, 0.55)
                records.append({"SUBJID": sid, "VISIT": visit, "PARAM": "CGI-I",
                                "AVAL": int(np.clip(np.rint(cgii), 1, 7)), "SOURCE": SOURCE})
        flags = {g: 0 for g in ("GRM1", "GRM5", "GRM7", "GRM8")}
        if tiers[i] == 1:  # tier 1: a variant in an mGluR gene itself
            flags[rng.choice(list(flags), p=[0.15, 0.3, 0.25, 0.3])] = 1
        subjects.append({"SUBJID": sid, "SITE": site, "ARM": arm, "DOSE": dose[arm], "TIER": int(tiers[i]), **flags,
                         "AGE": int(rng.integers(12, 18)), "SEX": str(rng.choice(["M", "M", "F"])),
                         "ITTFL": "Y", "EFFFL": "Y" if last >= 1 else "N", "SOURCE": SOURCE})
    order = {v: k for k, v in enumerate(VISITS)}
    records.sort(key=lambda r: (order[r["VISIT"]], r["SUBJID"], r["PARAM"] != "CGI-S"))
    return records, subjects


def write(rows: list[dict], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    out = Path(__file__).parent / "data"
    out.mkdir(exist_ok=True)
    records, subjects = simulate(np.random.default_rng(SEED))
    write(records, out / "cgi_visits.csv")
    write(subjects, out / "subjects.csv")


if __name__ == "__main__":
    main()
