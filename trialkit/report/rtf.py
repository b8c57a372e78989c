"""Each report table as an RTF file (``tables/t_14_2_1.rtf``, ...), set as sponsors' table shells are:
Courier New 9 pt (a table too wide for a portrait page on a landscape one; smaller only for a table too wide for
that), a rule above and below the column headers and one at the end
of the table, no boxed cells, the title centred, bold only where the footnote says so.

The table is paginated here, from the lines a page holds at the exact line spacing the file sets: a block
of rows stays on one page, and each page repeats the title, with "(continued)", and the column headers.
The cells' text is that of the PDF (the same :mod:`trialkit.report.monospace` grid). Every text goes
through :func:`rtf_text`, the one place where text is escaped.
"""

from __future__ import annotations

from trialkit.report.formatting import fmt_test, not_estimable_note
from trialkit.report.monospace import MONO_EM, Grid, _wrap, grid
from trialkit.report.spec import Report, Table

#: page width and height in twips (1/1440 inch), portrait
PAPER = {"A4": (11906, 16838), "Letter": (12240, 15840)}
MARGIN = 1440
#: type sizes tried, in half points, largest first (9 pt; a table too wide for a landscape page is set smaller)
SIZES = (18, 17, 16, 15, 14, 13, 12)
#: lines kept free on each page, for what a word processor may set differently
SAFETY_LINES = 2


def rtf_text(text: str) -> str:
    r"""Text as RTF: backslash and braces escaped, characters beyond ASCII as ``\uN?``.

    >>> rtf_text("a{b}\\c é")
    'a\\{b\\}\\\\c \\u233?'
    """
    out = []
    for ch in text:
        if ch in "\\{}":
            out.append("\\" + ch)
        elif ord(ch) < 32:
            out.append(" ")
        elif ord(ch) < 128:
            out.append(ch)
        else:
            code = ord(ch)
            for unit in ([code] if code < 0x10000 else [0xD800 + ((code - 0x10000) >> 10), 0xDC00 + (code & 0x3FF)]):
                out.append(f"\\u{unit - 65536 if unit > 32767 else unit}?")
    return "".join(out)


def _layout(table: Table, page_size: str) -> tuple[Grid, int, bool, int, int]:
    """The grid, type size (half points), landscape, text width and height in twips."""
    width, height = PAPER[page_size]
    for size in SIZES:  # 9 pt on a landscape page before a smaller type on a portrait one
        for landscape in (False, True):
            w, h = (height, width) if landscape else (width, height)
            chars = int((w - 2 * MARGIN) / (MONO_EM * size * 10))
            g = grid(table, line_chars=chars)
            if g.chars <= chars:
                return g, size, landscape, w - 2 * MARGIN, h - 2 * MARGIN
    w, h = height, width
    return grid(table), SIZES[-1], True, w - 2 * MARGIN, h - 2 * MARGIN


def table_to_rtf(table: Table, *, page_size: str = "A4") -> str:
    """One report table as RTF text."""
    g, size, landscape, text_width, text_height = _layout(table, page_size)
    char = MONO_EM * size * 10  # twips per character
    line = round(size * 10 * 1.2)  # exact line spacing, in twips
    chars_per_line = int(text_width / char)
    capacity = text_height // line - SAFETY_LINES
    par = f"\\pard\\plain\\f0\\fs{size}\\sl-{line}\\slmult0"

    def paragraphs(text: str, align: str = "ql") -> list[str]:
        return [f"{par}\\{align} {rtf_text(part)}\\par" for part in _wrap(text, chars_per_line)]

    edges, x = [], 0
    for k, w in enumerate(g.widths):
        x += round((w + (g.gap if k < len(g.widths) - 1 else 0)) * char)
        edges.append(x)

    def row(cells: list[str], *, top=False, bottom=False, bold=False, italic=False, header=False,
            merge: list[str] | None = None, align: list[str] | None = None) -> str:
        borders = ("\\clbrdrt\\brdrs\\brdrw10" if top else "") + ("\\clbrdrb\\brdrs\\brdrw10" if bottom else "")
        out = ["\\trowd\\trgaph0\\trleft0\\trpaddl0\\trpaddr0\\trpaddfl3\\trpaddfr3" + ("\\trhdr" if header else "")
               + "\\trkeep"]
        out += [f"{(merge or [''] * len(cells))[k]}{borders}\\clvertalb\\cellx{edge}" for k, edge in enumerate(edges)]
        style = ("\\b" if bold else "") + ("\\i" if italic else "")
        for k, text in enumerate(cells):
            a = (align or ["ql"] + ["qr"] * (len(cells) - 1))[k]
            pad = "" if k == 0 else " " * g.gap if a == "qr" else ""
            out.append(f"{par}\\intbl\\{a}{style} {rtf_text(pad + text) if text else ''}\\cell")
        out.append("\\row")
        return "\n".join(out)

    def header() -> list[str]:
        titles = [_wrap(t, w) for t, w in zip(g.titles, g.widths)]
        depth = max(map(len, titles))
        lines = [[""] * (depth - len(t)) + t for t in titles]
        rows = []
        if g.spans:
            cells, merge = [""] * len(g.widths), [""] * len(g.widths)
            for label, first, last in g.spans:
                cells[first] = label
                merge[first] = "\\clmgf" if last > first else ""
                for k in range(first + 1, last + 1):
                    merge[k] = "\\clmrg"
            rows.append(row(cells, top=True, header=True, merge=merge, align=["qc"] * len(cells)))
        for i in range(depth):
            rows.append(row([t[i] for t in lines], top=not g.spans and i == 0, bottom=i == depth - 1, header=True))
        return rows

    def title(continued: bool) -> list[str]:
        text = f"{table.number} {table.title}" + (" (continued)" if continued else "")
        return [*paragraphs(text, "qc"), *paragraphs(f"Population: {table.population}", "qc"), f"{par} \\par"]

    head_lines = len(g.header) + len(_wrap(f"{table.number} {table.title} (continued)", chars_per_line)) \
        + len(_wrap(f"Population: {table.population}", chars_per_line)) + 1
    pages: list[list[tuple[list[str], dict]]] = [[]]
    used = head_lines
    for label, rows in g.blocks:
        items = ([([label] + [""] * (len(g.widths) - 1), {"italic": True})] if label else []) + [
            (list(cells), {"bold": emphasis}) for cells, emphasis in rows]
        heights = [len(_wrap(cells[0], g.widths[0])) for cells, _ in items]
        if used + sum(heights) > capacity and pages[-1] and sum(heights) <= capacity - head_lines:
            pages.append([])
            used = head_lines
        for item, h in zip(items, heights):
            if used + h > capacity and pages[-1]:
                pages.append([])
                used = head_lines
            pages[-1].append(item)
            used += h
    body: list[str] = []
    for k, page in enumerate(pages):
        if k:
            body.append(f"{par}\\page")
        body += title(continued=k > 0) + header()
        for i, (cells, style) in enumerate(page):
            body.append(row(cells, bottom=i == len(page) - 1, **style))
    body += [f"{par} \\par"] + [p for test in table.tests for p in paragraphs(fmt_test(test))]
    for note in (*table.footnotes, *not_estimable_note(table)):
        body += paragraphs(note)
    width, height = PAPER[page_size]
    if landscape:
        width, height = height, width
    setup = (f"\\paperw{width}\\paperh{height}\\margl{MARGIN}\\margr{MARGIN}\\margt{MARGIN}\\margb{MARGIN}"
             + ("\\landscape\\sectd\\lndscpsxn" if landscape else "\\sectd")
             + f"\\pgwsxn{width}\\pghsxn{height}")
    return "\n".join(["{\\rtf1\\ansi\\ansicpg1252\\deff0\\uc1", "{\\fonttbl{\\f0\\fmodern\\fcharset0 Courier New;}}",
                      setup, *body, "}"]) + "\n"


def tables_to_rtf(report: Report) -> dict[str, bytes]:
    """Each numbered table of the report as RTF, keyed by its file name."""
    return {t.file_name: table_to_rtf(t, page_size=report.study.page_size).encode("ascii") for t in report.tables}
