"""Each report table as an RTF file (``tables/t_14_2_1.rtf``, ...), as regulatory submissions expect.

Built from the same context dicts as the PDF and formatted by the same functions as the Jinja filters,
so the RTF and the PDF show the same text.
"""

from __future__ import annotations

from trialkit.report.render import fmt_cell, fmt_num, fmt_p


def _file_name(number: str) -> str:
    """'Table 14.2.1' -> 'tables/t_14_2_1.rtf'."""
    return "tables/t_" + number.split()[-1].replace(".", "_") + ".rtf"


def table_to_rtf(table: dict) -> str:
    """One report table (a context dict) as RTF text: title lines, column headers, body, footnote."""
    import polars as pl
    import rtflite

    columns = list(table["columns"])
    names = [f"c{k}" for k in range(len(columns))]  # display names can repeat or be empty: index them
    rows: list[list[str]] = []
    for block in table["blocks"]:
        if block["label"]:
            rows.append([block["label"]] + [""] * (len(columns) - 1))
        for row in block["rows"]:
            rows.append([fmt_cell(cell) for cell in row["cells"]])
    frame = pl.DataFrame({name: [r[k] for r in rows] for k, name in enumerate(names)}, schema={n: pl.String for n in names})
    footnotes = [table["footnote"]] + [
        f"{t['label']}: F({fmt_num(t['num_df'], 0)}, {fmt_num(t['den_df'], 1)}) = {fmt_num(t['statistic'], 2)}, "
        f"p = {fmt_p(t['p_value'])}"
        for t in table["interactions"]
    ]
    widths = [2.0] + [1.0] * (len(columns) - 1)
    document = rtflite.RTFDocument(
        df=frame,
        rtf_title=rtflite.RTFTitle(text=[f"{table['number']} {table['title']}", f"Population: {table['population']}"]),
        rtf_column_header=[rtflite.RTFColumnHeader(text=columns, col_rel_width=widths)],
        rtf_body=rtflite.RTFBody(col_rel_width=widths, text_justification=[["l"] + ["r"] * (len(columns) - 1)]),
        rtf_footnote=rtflite.RTFFootnote(text=footnotes),
    )
    return document.rtf_encode()


def report_tables(context: dict) -> list[dict]:
    """Every numbered table of the report context, in report order."""
    return [*context["subject_tables"], *(t for m in context["measures"] for t in m["tables"])]


def tables_to_rtf(tables: list[dict]) -> dict[str, bytes]:
    """Each table (see :func:`report_tables`) as RTF, keyed by its file name."""
    return {_file_name(t["number"]): table_to_rtf(t).encode("utf-8") for t in tables}
