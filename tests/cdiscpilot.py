"""The CDISC pilot records the treatment-comparison tests use, selected as tests/reference/cdiscpilot_NOTES.md
says (read from ../shared/data, never copied)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

ARMS = ["Placebo", "Xanomeline Low Dose", "Xanomeline High Dose"]
VISITS = ["Week 8", "Week 16", "Week 24"]


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
