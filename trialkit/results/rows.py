"""One row of the results dataset (ARD), and the table of rows.

The columns are a contract that users and outside checks rely on: extend, never rename. A new column is
one more field of :class:`ArdRow`, with a default, appended at the end.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import NamedTuple

import pandas as pd

from trialkit.results.contrasts import Contrast


class ArdRow(NamedTuple):
    """One number of the report, with what it is about.

    Build the rows of one result from a key row: ``ArdRow("paired_t", measure, ...).with_stats(result.stats())``.
    """

    analysis: str
    measure: str = ""
    group_var: str = "overall"
    group: str = "all"
    visit: str = ""
    contrast: Contrast | None = None
    stat: str = ""
    value: float = math.nan
    #: the level of a categorical baseline characteristic, or of the first subgroup (individual rows)
    category: str = ""
    #: the model, covariance structure and df method of a model row, in words; empty elsewhere
    note: str = ""

    def with_stats(self, stats: Iterable[tuple[str, float]]) -> list[ArdRow]:
        """A row per ``(stat, value)``, each with this row's key."""
        return [self._replace(stat=stat, value=float(value)) for stat, value in stats]


#: the ARD's columns, in order
ARD_COLUMNS = list(ArdRow._fields)


def rows_frame(analysis: str, **columns) -> pd.DataFrame:
    """Many ARD rows at once, as a table with :data:`ARD_COLUMNS`: each column a value for every row or a
    column of values (a Series), the rest the defaults of :class:`ArdRow`; ``contrast`` a :class:`Contrast`
    or None. For rows that come one per record (each subject's values), where a row at a time is slow."""
    lengths = {len(v) for v in columns.values() if isinstance(v, pd.Series)}
    (n,) = lengths or {1}
    data = {}
    for name in ARD_COLUMNS:
        value = analysis if name == "analysis" else columns.get(name, ArdRow._field_defaults.get(name))
        if name == "contrast":
            value = value.label if value is not None else ""
        data[name] = value.to_numpy() if isinstance(value, pd.Series) else [value] * n
    frame = pd.DataFrame(data)
    frame["value"] = frame["value"].astype(float)
    return frame


def frame_of(rows: Iterable[ArdRow]) -> pd.DataFrame:
    """The rows as the ARD's DataFrame: :data:`ARD_COLUMNS`, the contrast as its label, ``value`` float."""
    ard = pd.DataFrame(list(rows), columns=ARD_COLUMNS)
    ard["contrast"] = [contrast.label if contrast is not None else "" for contrast in ard["contrast"]]
    ard["value"] = ard["value"].astype(float)
    return ard
