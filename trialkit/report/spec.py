"""The report as typed, immutable values: what the HTML template, the PDF's monospaced tables and the RTF
writer all print. Built from the ARD by :func:`trialkit.report.build.build_report`; numbers stay unformatted
here (the writers format them with :mod:`trialkit.report.formatting`).

This module imports nothing heavy: the render process unpickles these values without pandas.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# -- table cells: what kind of number a cell holds decides how it is printed ---------------------------


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Count:
    """A count: ``30``."""

    n: float


@dataclass(frozen=True)
class Number:
    """A number with a fixed number of decimals: ``-0.98``."""

    value: float
    decimals: int


@dataclass(frozen=True)
class PValue:
    """``0.012``, ``<0.001``."""

    p: float


@dataclass(frozen=True)
class Interval:
    """A confidence interval, ``(-1.23, -0.73)``, with the decimals of its estimate."""

    lower: float
    upper: float
    decimals: int


@dataclass(frozen=True)
class MeanSD:
    """``4.8 (0.87)``: the SD with one decimal more than the mean."""

    mean: float
    sd: float
    decimals: int


@dataclass(frozen=True)
class EstimateSE:
    """``-0.60 (0.13)``: an estimate and its standard error to the same number of decimals (as its CI)."""

    estimate: float
    se: float
    decimals: int


@dataclass(frozen=True)
class Range:
    """``4.0, 5.0``: quartiles, or the minimum and maximum."""

    low: float
    high: float
    decimals: int


@dataclass(frozen=True)
class CountPercent:
    """``11 (36.7%)``."""

    n: float
    proportion: float


@dataclass(frozen=True)
class BayesFactor:
    """A Bayes factor to three significant digits, ``12.3``, ``1.59e+05``; ``>1e300`` where it overflowed."""

    value: float


Cell = Text | Count | Number | PValue | Interval | MeanSD | EstimateSE | Range | CountPercent | BayesFactor

# -- tables ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A column of values: its label, the N of its group (shown as ``(N=30)``), and the spanning header it
    sits under (adjacent columns with the same ``span`` share one, e.g. the label of a subgroup)."""

    label: str
    n: float | None = None
    span: str = ""


@dataclass(frozen=True)
class Row:
    """The first cell labels the row; ``emphasis`` (bold) only where the table's footnote says what it means."""

    cells: tuple[Cell, ...]
    emphasis: bool = False


@dataclass(frozen=True)
class Block:
    """Rows kept together on a page, under a label (a visit, a characteristic); ``label`` may be empty."""

    label: str
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class InteractionTest:
    """An F test printed below a table: ``Visit x Pooled site interaction: F(8, 26.9) = 1.55, p = 0.187``."""

    label: str
    statistic: float
    num_df: float
    den_df: float
    p_value: float


@dataclass(frozen=True)
class ChiSquareTest:
    """A chi-square test printed below a table: ``All subjects, Stuart-Maxwell: chi-square(5) = 19.14, p = 0.002``."""

    label: str
    statistic: float
    df: float
    p_value: float


@dataclass(frozen=True)
class Table:
    number: str  #: "Table 14.2.1"
    title: str
    population: str
    stub: str  #: header of the first column, e.g. "Statistic"
    columns: tuple[Column, ...]
    blocks: tuple[Block, ...]
    footnotes: tuple[str, ...] = ()
    tests: tuple[InteractionTest | ChiSquareTest, ...] = ()

    @property
    def anchor(self) -> str:
        """'t-14-2-1'."""
        return _anchor(self.number)

    @property
    def file_name(self) -> str:
        """The table's RTF file: 'tables/t_14_2_1.rtf'."""
        return "tables/t_" + self.number.split()[-1].replace(".", "_") + ".rtf"


def _anchor(number: str) -> str:
    kind, numeral = number.split()
    return f"{kind[0].lower()}-{numeral.replace('.', '-')}"


# -- figures: what each shows, as data; trialkit.report.figures draws them -----------------------------


@dataclass(frozen=True)
class Series:
    label: str
    overall: bool
    mean: tuple[float | None, ...]
    lower: tuple[float | None, ...]
    upper: tuple[float | None, ...]


@dataclass(frozen=True)
class MeanPlot:
    """Mean with its CI at each visit, a series per group."""

    visits: tuple[str, ...]
    series: tuple[Series, ...]
    ylabel: str
    xlabel: str


@dataclass(frozen=True)
class Trajectory:
    level: int  #: index into the plot's levels
    x: tuple[int, ...]  #: visit positions
    y: tuple[float, ...]


@dataclass(frozen=True)
class TrajectoryPlot:
    """Each subject's values over visits. ``jitter``: the largest vertical shift of a subject's line, in
    units of the scale (integer scores would otherwise draw one line over another); 0 for none."""

    visits: tuple[str, ...]
    subjects: tuple[Trajectory, ...]
    levels: tuple[str, ...]
    ylabel: str
    xlabel: str
    jitter: float = 0.0


@dataclass(frozen=True)
class WaterfallPlot:
    """Each subject's change, largest first; ``level_of_bar`` empty when the bars are not coloured by level,
    ``subjects`` empty when there are too many to label."""

    values: tuple[float, ...]
    subjects: tuple[str, ...]
    level_of_bar: tuple[int, ...]
    levels: tuple[str, ...]
    ylabel: str
    xlabel: str


@dataclass(frozen=True)
class ForestRow:
    label: str
    overall: bool
    n: float | None
    estimate: float | None
    lower: float | None
    upper: float | None


@dataclass(frozen=True)
class ForestPlot:
    """An estimate with its CI per group, with N, estimate and CI as text columns beside the plot."""

    rows: tuple[ForestRow, ...]
    decimals: int
    conf: str  #: "95%"
    xlabel: str


@dataclass(frozen=True)
class BarPanel:
    """One group's stacked bars: per visit, the subjects observed (``n``) and the share of each category
    (``shares[visit][category]``, in the plot's category order; they add up to 1, or are all 0 when n is 0)."""

    title: str
    n: tuple[float, ...]
    shares: tuple[tuple[float, ...], ...]


@dataclass(frozen=True)
class StackedBarPlot:
    """The distribution of an ordinal rating's categories at each visit, a panel per group. ``categories``: the
    measure's categories in order (the colours run along them); ``shown``: those seen at some visit (the
    legend)."""

    visits: tuple[str, ...]
    categories: tuple[str, ...]
    shown: tuple[bool, ...]
    panels: tuple[BarPanel, ...]
    ylabel: str
    xlabel: str
    legend_title: str


Plot = MeanPlot | TrajectoryPlot | WaterfallPlot | ForestPlot | StackedBarPlot


@dataclass(frozen=True)
class Figure:
    number: str  #: "Figure 14.2.1"
    title: str
    footnote: str
    plot: Plot | None  #: None: not drawn, as the footnote says

    @property
    def anchor(self) -> str:
        return _anchor(self.number)


# -- the document ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeasureSection:
    name: str
    label: str
    tables: tuple[Table, ...]
    figures: tuple[Figure, ...]


@dataclass(frozen=True)
class ListingGroup:
    """The findings of one check: how many there are, and the first of them, as text cells."""

    check: str
    count: int
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Listing:
    number: str
    title: str
    columns: tuple[str, ...]
    groups: tuple[ListingGroup, ...]
    n_errors: int
    n_warnings: int
    #: at most this many findings of each check are listed (all are in data_issues.csv)
    per_check: int

    @property
    def anchor(self) -> str:
        return _anchor(self.number)


@dataclass(frozen=True)
class StudyHeader:
    id: str
    title: str
    data_cutoff: str
    sponsor: str
    confidentiality: str
    logo: str  #: file URI of the logo, or ""
    page_size: Literal["A4", "Letter"]


@dataclass(frozen=True)
class Provenance:
    run_id: str
    inputs: tuple[tuple[str, str, str], ...]  #: path, bytes, SHA-256
    config_sha256: str
    config: str  #: the configuration as loaded, as JSON text
    software: tuple[tuple[str, str], ...]
    platform: str


@dataclass(frozen=True)
class ContentsEntry:
    number: str
    title: str
    anchor: str


@dataclass(frozen=True)
class Report:
    study: StudyHeader
    run_id: str
    report_date: str
    summary: tuple[str, ...]
    contents: tuple[ContentsEntry, ...]
    subject_tables: tuple[Table, ...]
    measures: tuple[MeasureSection, ...]
    listing: Listing
    methods: tuple[str, ...]
    provenance: Provenance

    @property
    def tables(self) -> tuple[Table, ...]:
        """Every numbered table, in report order."""
        return (*self.subject_tables, *(t for m in self.measures for t in m.tables))

    @property
    def figures(self) -> tuple[Figure, ...]:
        """Every figure, in report order."""
        return tuple(f for m in self.measures for f in m.figures)
