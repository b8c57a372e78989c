"""Make the SIMULATED example study (seeded; rerunning it rewrites identical files).

The data are simulated. They are modelled on the design of the published open-label
fasoracetam trial in 30 adolescents (12-17 years) with ADHD and mGluR network
variants (Elia et al., Nature Communications 2018): baseline, a single-blind
placebo week (Week 1), then symptom-driven dose advancement (50, 100, 200, up
to 400 mg twice daily) over Weeks 2-5, with clinician CGI-S and CGI-I ratings
at every visit. No subject-level trial data were used; the simulation is tuned
so that, rounded to 2 decimals, it reproduces the published summary means:

    CGI-I  Baseline 3.79 (n = 29)   Week 5 2.33 (n = 30)
    CGI-S  Baseline 4.83 (n = 30)   Week 5 3.86 (n = 29)

Missingness: one subject has no Baseline CGI-I, one has no Week 5 CGI-S, and
one missed the Week 3 visit (both measures).

Usage: python example_study/make_data.py
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

SEED = 20180115
N = 30
VISITS = ["Baseline", "Week 1", "Week 2", "Week 3", "Week 4", "Week 5"]
#: fraction of each subject's full improvement reached at each visit (Week 1 = placebo)
PROGRESS = [0.0, 0.12, 0.35, 0.6, 0.82, 1.0]
DOSES = [50, 100, 200, 400]
#: exact totals that give the published means at 2 decimals: (measure, visit) -> (sum, n)
TARGETS = {("CGI-I", "Baseline"): (110, 29), ("CGI-I", "Week 5"): (70, 30),
           ("CGI-S", "Baseline"): (145, 30), ("CGI-S", "Week 5"): (112, 29)}
MISSING = {("CGI-I", "Baseline"): {"117"}, ("CGI-S", "Week 5"): {"124"}}
MISSED_VISIT = ("109", "Week 3")
SOURCE = "SIMULATED - not trial data"


def _hit_total(values: np.ndarray, mask: np.ndarray, total: int, rng: np.random.Generator) -> None:
    """Nudge values (1-7) by single points, in seeded random order, until the masked sum is ``total``."""
    while (current := int(values[mask].sum())) != total:
        step = 1 if current < total else -1
        movable = np.flatnonzero(mask & (values + step >= 1) & (values + step <= 7))
        values[rng.choice(movable)] += step


def simulate(rng: np.random.Generator) -> tuple[list[dict], list[dict]]:
    ids = [str(101 + i) for i in range(N)]
    tiers = rng.permutation([1] * 11 + [2] * 9 + [3] * 10)
    subjects = []
    for sid, tier in zip(ids, tiers):
        flags = {g: 0 for g in ("GRM1", "GRM5", "GRM7", "GRM8")}
        if tier == 1:  # tier 1: a variant in an mGluR gene itself
            flags[rng.choice(list(flags), p=[0.15, 0.3, 0.25, 0.3])] = 1
            if rng.random() < 0.15:
                flags[rng.choice(list(flags))] = 1
        subjects.append({"SUBJID": sid, "AGE": int(rng.integers(12, 18)), "SEX": rng.choice(["M", "M", "F"]),
                         "TIER": int(tier), **flags, "SOURCE": SOURCE})

    severity = rng.normal(5.05, 0.75, N)
    gain = np.clip(rng.normal(1.0, 0.45, N), 0.1, 2.2)  # individual share of the average improvement
    scores = {}
    for j, visit in enumerate(VISITS):
        p = PROGRESS[j]
        cgis = severity - 0.9 * gain * p + rng.normal(0, 0.35, N)
        cgii = 3.8 - 1.45 * gain * p + rng.normal(0, 0.4, N)
        scores[("CGI-S", visit)] = np.clip(np.rint(cgis), 1, 7).astype(int)
        scores[("CGI-I", visit)] = np.clip(np.rint(cgii), 1, 7).astype(int)
    for key, (total, n) in TARGETS.items():
        mask = np.array([sid not in MISSING.get(key, set()) for sid in ids])
        assert mask.sum() == n
        _hit_total(scores[key], mask, total, rng)

    records = []
    dose_level = {sid: -1 for sid in ids}
    for j, visit in enumerate(VISITS):
        for i, sid in enumerate(ids):
            if (sid, visit) == MISSED_VISIT:
                continue
            if visit == "Baseline":
                dose = ""
            elif visit == "Week 1":
                dose = 0  # single-blind placebo week
            else:  # advance while the last CGI-I shows less than much improvement
                prev = scores[("CGI-I", VISITS[j - 1])][i]
                if dose_level[sid] < 0 or (prev > 2 and dose_level[sid] < len(DOSES) - 1):
                    dose_level[sid] += 1
                dose = DOSES[dose_level[sid]]
            for measure in ("CGI-S", "CGI-I"):
                if sid in MISSING.get((measure, visit), set()):
                    continue
                records.append({"SUBJID": sid, "VISIT": visit, "PARAM": measure,
                                "AVAL": int(scores[(measure, visit)][i]), "DOSE": dose, "SOURCE": SOURCE})
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
