"""The CDISC pilot records the treatment-comparison tests use, selected as tests/reference/cdiscpilot_NOTES.md
says (read from ../shared/data, never copied), and the pilot's study definitions in tests/studies/cdiscpilot01/
run end to end."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd

ARMS = ["Placebo", "Xanomeline Low Dose", "Xanomeline High Dose"]
VISITS = ["Week 8", "Week 16", "Week 24"]
#: the pilot's study definitions, one folder per study.yaml; each reads ../shared/data by a relative path
STUDIES = Path(__file__).resolve().parent / "studies" / "cdiscpilot01"


def adas(shared: Path) -> pd.DataFrame:
    """ADAS-Cog(11) analysis records of the efficacy population (ACTOT, ANL01FL = Y; LOCF and observed)."""
    a = pd.read_csv(shared / "cdiscpilot01" / "adadas_actot_tdf.csv", keep_default_na=False, na_values=[""])
    return a[(a.EFFFL == "Y") & (a.ITTFL == "Y") & (a.PARAMCD == "ACTOT") & (a.ANL01FL == "Y")]


def adas_locf(shared: Path, week: int) -> pd.DataFrame:
    """LOCF analysis at a week: every analysis record at the visit (observed, DTYPE blank, or LOCF)."""
    a = adas(shared)
    return a[a.AVISITN == week]


def adas_observed(shared: Path) -> pd.DataFrame:
    """Observed cases at Weeks 8, 16, 24 (DTYPE blank): the MMRM's records."""
    a = adas(shared)
    return a[a.DTYPE.isna() & (a.AVISITN > 0)]


def cibic(shared: Path) -> pd.DataFrame:
    """CIBIC+ analysis records of the efficacy population (ANL01FL = Y; LOCF included)."""
    c = pd.read_sas(shared / "cdiscpilot01" / "adcibc.xpt", encoding="latin1")
    for column in c.columns[c.dtypes == object]:
        c[column] = c[column].str.strip()
    return c[(c.EFFFL == "Y") & (c.ITTFL == "Y") & (c.ANL01FL == "Y")]


def run(name: str, out: Path) -> pd.DataFrame:
    """Run the study ``tests/studies/cdiscpilot01/<name>`` end to end (every output, report included) into
    ``out`` and return its ARD as written to ard.csv."""
    from trialkit.pipeline import run_study
    from trialkit.results import read_ard

    run_study(STUDIES / name, out)
    return read_ard(out / "ard.csv")


def printed(value: float, decimals: int) -> str:
    """``value`` as a SAS listing prints it with ``decimals`` decimals: rounded half away from zero (SAS ROUND and
    w.d formats), after cutting the binary noise of the tenth decimal, so that a mean of exactly 2.45 prints 2.5."""
    exact = Decimal(f"{value:.10f}")
    return f"{exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP):f}"
