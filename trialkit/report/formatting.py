"""Numbers as the report prints them: the Jinja filters, and the one place where numbers become text
(the monospaced PDF tables, the RTF tables and the figures' text columns use the same functions)."""

from __future__ import annotations

import math

import re

from trialkit.report.spec import (BayesFactor, Cell, ChiSquareTest, Column, Count, CountPercent, EstimateSE, Interval,
                                  MeanSD, Number, PValue, Range, Table, Text)

NOT_ESTIMABLE = "NE"


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def fmt_num(x, decimals: int = 1) -> str:
    """A number with a fixed number of decimals; NaN -> 'NE' (not estimable).

    >>> fmt_num(3.7931, 2), fmt_num(float("nan")), fmt_num(-0.001, 2)
    ('3.79', 'NE', '0.00')
    """
    if _missing(x):
        return NOT_ESTIMABLE
    text = f"{x:.{decimals}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text  # no "-0.00"


def fmt_p(p) -> str:
    """p-values: '<0.001' below 0.001, else 3 decimals.

    >>> fmt_p(0.0004), fmt_p(0.0123)
    ('<0.001', '0.012')
    """
    if _missing(p):
        return NOT_ESTIMABLE
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def fmt_ci(lower, upper, decimals: int = 2) -> str:
    """'(lo, hi)'.

    >>> fmt_ci(-1.234, -0.5, 2)
    '(-1.23, -0.50)'
    """
    return f"({fmt_num(lower, decimals)}, {fmt_num(upper, decimals)})"


#: a Bayes factor at least this large is printed as ">1e300": pingouin's integral overflows (inf) beyond about 1e308
BF_CEILING = 1e300


def fmt_bf(x) -> str:
    """A Bayes factor with three significant digits, in exponent form from 1,000 and below 0.001; above
    :data:`BF_CEILING` (where pingouin gives inf) '>1e300'.

    >>> fmt_bf(3.4567), fmt_bf(172.3), fmt_bf(158698.86), fmt_bf(0.2), fmt_bf(float("inf")), fmt_bf(float("nan"))
    ('3.46', '172', '1.59e+05', '0.200', '>1e300', 'NE')
    """
    if _missing(x):
        return NOT_ESTIMABLE
    if x >= BF_CEILING:
        return ">1e300"
    if x >= 1e3 or x < 1e-3:
        return f"{x:.2e}"
    return f"{x:.{max(2 - math.floor(math.log10(x)), 0)}f}"


def fmt_count(n) -> str:
    return NOT_ESTIMABLE if _missing(n) else f"{n:.0f}"


def fmt_cell(cell: Cell) -> str:
    """A table cell as text.

    >>> fmt_cell(MeanSD(4.8333, 0.8714, 1)), fmt_cell(CountPercent(11, 11 / 30))
    ('4.8 (0.87)', '11 (36.7%)')
    """
    match cell:
        case Text(text):
            return text
        case Count(n):
            return fmt_count(n)
        case Number(value, decimals):
            return fmt_num(value, decimals)
        case PValue(p):
            return fmt_p(p)
        case Interval(lower, upper, decimals):
            return fmt_ci(lower, upper, decimals)
        case MeanSD(mean, sd, decimals):
            return f"{fmt_num(mean, decimals)} ({fmt_num(sd, decimals + 1)})"
        case EstimateSE(estimate, se, decimals):
            return f"{fmt_num(estimate, decimals)} ({fmt_num(se, decimals)})"
        case Range(low, high, decimals):
            return f"{fmt_num(low, decimals)}, {fmt_num(high, decimals)}"
        case CountPercent(n, proportion):
            return fmt_count(n) if _missing(proportion) else f"{n:.0f} ({fmt_num(100 * proportion, 1)}%)"
        case BayesFactor(value):
            return fmt_bf(value)
    raise TypeError(f"not a table cell: {cell!r}")


def fmt_header(column: Column) -> str:
    """A column's header: its label, with its group's N.

    >>> fmt_header(Column("Overall", 30))
    'Overall (N=30)'
    """
    return column.label if column.n is None else f"{column.label} (N={fmt_count(column.n)})"


def fmt_test(test) -> str:
    """A test's line below its table: an interaction F test, or a chi-square test.

    >>> fmt_test(ChiSquareTest("Stuart-Maxwell", 19.1359, 5, 0.0018))
    'Stuart-Maxwell: chi-square(5) = 19.14, p = 0.002'
    >>> fmt_test(ChiSquareTest("Bowker", 24.5, 6, 0.0004))
    'Bowker: chi-square(6) = 24.50, p < 0.001'
    """
    p = fmt_p(test.p_value)
    p = f"p < {p[1:]}" if p.startswith("<") else f"p = {p}"
    if isinstance(test, ChiSquareTest):
        return f"{test.label}: chi-square({fmt_num(test.df, 0)}) = {fmt_num(test.statistic, 2)}, {p}"
    return f"{test.label}: F({fmt_num(test.num_df, 0)}, {fmt_num(test.den_df, 1)}) = {fmt_num(test.statistic, 2)}, {p}"


def not_estimable_note(table: Table) -> tuple[str, ...]:
    """The footnote that explains NE, for a table that shows NE in a number cell or a test line; else none."""
    shown = [fmt_cell(cell) for block in table.blocks for row in block.rows for cell in row.cells
             if not isinstance(cell, Text)] + [fmt_test(test) for test in table.tests]
    return ("NE: not estimable.",) if any(re.search(rf"\b{NOT_ESTIMABLE}\b", text) for text in shown) else ()


#: the Jinja filters
FILTERS = {"fmt_num": fmt_num, "fmt_p": fmt_p, "fmt_ci": fmt_ci, "fmt_cell": fmt_cell, "fmt_header": fmt_header,
           "fmt_test": fmt_test, "fmt_bf": fmt_bf,
           "not_estimable_note": not_estimable_note}
