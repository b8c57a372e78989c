"""Tables set as lines of monospaced text, as SAS listings and sponsors' RTF shells set them: each row one
line (or a few, when its label wraps), columns aligned by character, labels to the left and numbers to
the right, a spanning header centred over its columns between dashes.

:func:`grid` gives the cells as text and the column widths in characters (the RTF writer sets its cells
with them); :func:`monospace` gives the PDF's lines. The PDF prints each block of rows as one cell of an
HTML table, so WeasyPrint repeats the header on each page and keeps a block on one page, and lays the table
out much faster than a cell per value (README, Performance).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from trialkit.report.formatting import fmt_cell, fmt_header
from trialkit.report.spec import Table

#: advance width of DejaVu Sans Mono (and Courier New), in em
MONO_EM = 0.602
#: text width of the report's pages in pt: A4 portrait (210 mm - 2 x 14 mm), the narrower of A4 and Letter
TEXT_WIDTH_PT = 515.0
#: the same on landscape pages: Letter (279.4 mm - 2 x 14 mm), the narrower of A4 and Letter
LANDSCAPE_WIDTH_PT = 712.0
#: the PDF's table type size in pt, at most; a table too wide for it is set smaller, down to PORTRAIT_MIN_PT
#: on a portrait page, then on landscape pages, at least MIN_TABLE_PT
TABLE_PT, PORTRAIT_MIN_PT, MIN_TABLE_PT = 7.5, 6.0, 5.0
#: the widest the label column gets before its text wraps, in characters
MAX_LABEL_CHARS = 36
#: a column header up to this many characters stays on one line
HEADER_LINE_CHARS = 18
GAP = 2


@dataclass(frozen=True)
class Grid:
    """A table's text: ``widths`` of the columns in characters (the stub first), ``header`` lines (a
    spanning header line first, when there is one), and per block its label and rows of (cells, emphasis)."""

    widths: tuple[int, ...]
    gap: int
    header: tuple[str, ...]
    spans: tuple[tuple[str, int, int], ...]  #: (label, first column, last column), columns counted from the stub
    titles: tuple[str, ...]  #: each column's header text, the stub first
    blocks: tuple[tuple[str, tuple[tuple[tuple[str, ...], bool], ...]], ...]

    @property
    def chars(self) -> int:
        return sum(self.widths) + self.gap * (len(self.widths) - 1)


def _wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width, break_long_words=True, break_on_hyphens=False) or [""]


def _spans(table: Table) -> list[tuple[str, int, int]]:
    spans: list[tuple[str, int, int]] = []
    for k, column in enumerate(table.columns, start=1):
        if column.span and spans and spans[-1][0] == column.span and spans[-1][2] == k - 1:
            spans[-1] = (column.span, spans[-1][1], k)
        elif column.span:
            spans.append((column.span, k, k))
    return spans


def grid(table: Table, *, line_chars: int | None = None) -> Grid:
    """The table's cells as text and its columns' widths. ``line_chars``: the characters a line holds; spare
    width goes between the columns (up to 4 more spaces each), as SAS spreads a listing over its line size."""
    titles = [table.stub, *(fmt_header(c) for c in table.columns)]
    body = [(block.label, tuple((tuple(fmt_cell(c) for c in r.cells), r.emphasis) for r in block.rows))
            for block in table.blocks]
    values = [cells for _, rows in body for cells, _ in rows]
    label_width = min(MAX_LABEL_CHARS, max([len(table.stub), *(len(v[0]) for v in values)], default=1))
    widths = [max(label_width, max((len(w) for w in table.stub.split()), default=1))]
    for k, name in enumerate(titles[1:], start=1):
        # a header word longer than a header line is broken (a 90-character level label must not make a
        # column 90 characters wide)
        widths.append(max([len(v[k]) for v in values] + [min(len(w), HEADER_LINE_CHARS) for w in name.split()]
                          + [min(len(name), HEADER_LINE_CHARS)]))
    spans = _spans(table)
    for label, first, last in spans:  # a spanning header wider than its columns widens them, up to a point
        short = min(len(label), MAX_LABEL_CHARS) + 2 - (sum(widths[first:last + 1]) + GAP * (last - first))
        for k in range(max(short, 0)):
            widths[first + k % (last - first + 1)] += 1
    gap = GAP
    spare = (line_chars or 0) - sum(widths) - gap * (len(widths) - 1)
    if spare > 0 and len(widths) > 1:
        gap += min(4, spare // (len(widths) - 1))
    return Grid(tuple(widths), gap, tuple(_header(titles, widths, spans, gap)), tuple(spans), tuple(titles),
                tuple(body))


def _header(titles: list[str], widths: list[int], spans, gap: int) -> list[str]:
    head = [_wrap(name, w) for name, w in zip(titles, widths)]
    depth = max(map(len, head))
    head = [[""] * (depth - len(h)) + h for h in head]  # headers sit on the rule below them
    lines = [(" " * gap).join(h[i].ljust(w) if k == 0 else h[i].rjust(w)
                              for k, (h, w) in enumerate(zip(head, widths))).rstrip() for i in range(depth)]
    if spans:
        starts = [sum(widths[:k]) + gap * k for k in range(len(widths))]
        line = [" "] * (starts[-1] + widths[-1])
        for label, first, last in spans:
            width = starts[last] + widths[last] - starts[first]
            if len(label) + 2 > width:  # cut where even the widened columns cannot hold it
                label = label[: max(width - 3, 1)] + "\u2026"
            text = f" {label} ".center(width, "-")
            line[starts[first]:starts[first] + width] = text
        lines.insert(0, "".join(line).rstrip())
    return lines


@dataclass(frozen=True)
class MonoLine:
    text: str
    emphasis: bool


@dataclass(frozen=True)
class MonoBlock:
    label: str
    lines: tuple[MonoLine, ...]


@dataclass(frozen=True)
class MonoTable:
    font_pt: float
    width_pt: float
    landscape: bool
    header: str
    blocks: tuple[MonoBlock, ...]


def monospace(table: Table) -> MonoTable:
    """The table as the PDF prints it. A table too wide for a portrait page at :data:`PORTRAIT_MIN_PT` goes on
    landscape pages.

    >>> from trialkit.report.spec import Block, Column, Count, Number, Row, Text
    >>> t = Table("Table 1", "x", "x", "Group", (Column("n"), Column("Mean")), (Block("", (
    ...     Row((Text("Overall"), Count(30), Number(3.7931, 2))),)),))
    >>> m = monospace(t)
    >>> print(m.header); print(m.blocks[0].lines[0].text)
    Group         n      Mean
    Overall      30      3.79
    """
    g = grid(table, line_chars=int(TEXT_WIDTH_PT / (MONO_EM * TABLE_PT)))
    landscape = TEXT_WIDTH_PT / (MONO_EM * g.chars) < PORTRAIT_MIN_PT
    width = LANDSCAPE_WIDTH_PT if landscape else TEXT_WIDTH_PT
    font_pt = round(max(MIN_TABLE_PT, min(TABLE_PT, width / (MONO_EM * g.chars))), 2)
    return MonoTable(font_pt=font_pt, width_pt=round(g.chars * MONO_EM * font_pt + 6, 1), landscape=landscape,
                     header="\n".join(g.header),
                     blocks=tuple(MonoBlock(label, tuple(MonoLine(_line(cells, g), emphasis) for cells, emphasis in rows))
                                  for label, rows in g.blocks))


def _line(cells: tuple[str, ...], g: Grid) -> str:
    label = _wrap(cells[0], g.widths[0])
    first = (" " * g.gap).join([label[0].ljust(g.widths[0]), *(c.rjust(w) for c, w in zip(cells[1:], g.widths[1:]))])
    return "\n".join([first.rstrip(), *("  " + rest for rest in label[1:])])
