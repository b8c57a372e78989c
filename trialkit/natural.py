"""The natural order of labels (visits, arms, subgroup levels): "Week 2" before "Week 10"; numbers read from text."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

_DIGITS = re.compile(r"([0-9]+)")


def natural_key(text: str) -> list:
    """Sort key that puts "2" before "10", "Week 8" before "Week 16" and "Site 2" before "Site 10".

    A run of digits sorts by its value, compared as text (its length without leading zeros, then its digits):
    a level of 5,000 digits sorts as any other, where ``int()`` refused it (Python converts no text of more
    than 4,300 digits). Only the digits 0-9 count as a number: "²" or "٣" are text.

    >>> sorted(["Week 10", "Week 2", "Week 02", "²"], key=natural_key)
    ['Week 2', 'Week 02', 'Week 10', '²']
    """
    parts = _DIGITS.split(text)  # text at the even positions, a run of digits at the odd ones
    return [(len(part.lstrip("0")), part.lstrip("0"), len(part)) if k % 2 else part for k, part in enumerate(parts)]


def numbers(text: pd.Series) -> pd.Series:
    """Text cells as float numbers: NaN where a cell is empty, not a number, or not a finite one.

    ``pd.to_numeric`` reads "inf", "-Infinity" and "nan" as numbers; a covariate of "inf" would enter a model
    and a dose of "nan" would pass as a number. Here they are values that are not numbers, as "abc" is.

    >>> numbers(pd.Series(["1.5", "", "inf", "nan", "abc", "-2"])).tolist()
    [1.5, nan, nan, nan, nan, -2.0]
    """
    values = pd.to_numeric(text.where(text != "", None), errors="coerce").astype(float)
    return values.where(np.isfinite(values))
