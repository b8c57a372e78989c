"""Context dicts -> HTML (Jinja2) -> PDF (WeasyPrint).

Formatting of numbers happens here, in Jinja filters, and nowhere else.
"""

from __future__ import annotations

import contextlib
import functools
import math
import textwrap
from pathlib import Path

import jinja2

from trialkit.errors import TrialkitError
from trialkit.report import pdf_fonts

PACKAGE_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
SOURCE_TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def packaged_templates() -> Path:
    """The templates folder: inside the installed wheel, or the repository's top-level ``templates/``."""
    for candidate in (PACKAGE_TEMPLATES, SOURCE_TEMPLATES):
        if (candidate / "report.html.j2").is_file():
            return candidate
    raise TrialkitError("trialkit's report templates are missing from the installation; reinstall trialkit")


NOT_ESTIMABLE = "NE"


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def fmt_num(x, decimals: int = 1) -> str:
    """A number with a fixed number of decimals; NaN -> 'NE' (not estimable).

    >>> fmt_num(3.7931, 2), fmt_num(float("nan"))
    ('3.79', 'NE')
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


def fmt_ci(pair, decimals: int = 2) -> str:
    """'(lo, hi)'."""
    lo, hi = pair
    return f"({fmt_num(lo, decimals)}, {fmt_num(hi, decimals)})"


def fmt_cell(cell: dict) -> str:
    kind, value, d = cell["kind"], cell["value"], cell.get("decimals", 0)
    if kind == "text":
        return value
    if kind == "int":
        return NOT_ESTIMABLE if _missing(value) else f"{value:.0f}"
    if kind == "num":
        return fmt_num(value, d)
    if kind == "p":
        return fmt_p(value)
    if kind == "ci":
        return fmt_ci(value, d)
    if kind == "pair":
        return f"{fmt_num(value[0], d)} ({fmt_num(value[1], d + 1)})"
    if kind == "range":
        return f"{fmt_num(value[0], d)}, {fmt_num(value[1], d)}"
    if kind == "count_pct":
        n, share = value
        return f"{n:.0f} ({fmt_num(100 * share, 1)}%)" if not _missing(share) else f"{n:.0f}"
    if kind == "pct":
        return fmt_num(100 * value, 1) if not _missing(value) else NOT_ESTIMABLE
    raise ValueError(f"unknown cell kind {kind!r}")


#: advance width of DejaVu Sans Mono, in em
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


def monospace(table: dict) -> dict:
    """A report table set as lines of monospaced text, as SAS listings and most sponsors' RTF shells set
    tables: each row one line (or a few, when its label wraps), columns aligned by character, labels to the
    left and numbers to the right. The PDF prints each block of rows (a visit, a characteristic) as one
    cell of an HTML table, so WeasyPrint still repeats the header on each page and keeps a block on one
    page, at a tenth of the layout time of a cell per value.

    A table too wide for a portrait page at :data:`PORTRAIT_MIN_PT` goes on landscape pages.

    Returns ``{"font_pt", "width_pt", "landscape", "header", "blocks": [{"label", "rows": [{"text",
    "emphasis"}]}]}``.

    >>> t = {"columns": ["Group", "n", "Mean"], "blocks": [{"label": "", "rows": [
    ...     {"cells": [{"kind": "text", "value": "Overall"}, {"kind": "int", "value": 30},
    ...                {"kind": "num", "value": 3.7931, "decimals": 2}], "emphasis": False}]}]}
    >>> m = monospace(t)
    >>> print(m["header"]); print(m["blocks"][0]["rows"][0]["text"])
    Group         n      Mean
    Overall      30      3.79
    """
    columns = list(table["columns"])
    body = [[block["label"], [([fmt_cell(c) for c in r["cells"]], r.get("emphasis", False)) for r in block["rows"]]]
            for block in table["blocks"]]
    values = [cells for _, rows in body for cells, _ in rows]
    label_width = min(MAX_LABEL_CHARS, max([len(columns[0]), *(len(v[0]) for v in values)], default=1))
    widths = [max(label_width, max((len(w) for w in columns[0].split()), default=1))]
    for k, name in enumerate(columns[1:], start=1):
        widths.append(max([len(v[k]) for v in values] + [len(w) for w in name.split()] + [min(len(name), 18)]))
    gap = "  "

    def wrap(text: str, width: int) -> list[str]:
        return textwrap.wrap(text, width, break_long_words=True, break_on_hyphens=False) or [""]

    def header() -> str:
        head = [wrap(name, w) for name, w in zip(columns, widths)]
        depth = max(map(len, head))
        head = [[""] * (depth - len(h)) + h for h in head]  # headers sit on the rule below them
        return "\n".join(gap.join(h[i].ljust(w) if k == 0 else h[i].rjust(w)
                                  for k, (h, w) in enumerate(zip(head, widths))).rstrip() for i in range(depth))

    def line(cells: list[str]) -> str:
        label = wrap(cells[0], widths[0])
        first = gap.join([label[0].ljust(widths[0]), *(c.rjust(w) for c, w in zip(cells[1:], widths[1:]))])
        return "\n".join([first.rstrip(), *("  " + rest for rest in label[1:])])

    # spare width of the text block goes between the columns (up to 4 more spaces each), as SAS spreads
    # a listing over its line size
    spare = int(TEXT_WIDTH_PT / (MONO_EM * TABLE_PT)) - sum(widths) - len(gap) * (len(widths) - 1)
    if spare > 0 and len(widths) > 1:
        gap += " " * min(4, spare // (len(widths) - 1))
    chars = sum(widths) + len(gap) * (len(widths) - 1)
    landscape = TEXT_WIDTH_PT / (MONO_EM * chars) < PORTRAIT_MIN_PT
    width = LANDSCAPE_WIDTH_PT if landscape else TEXT_WIDTH_PT
    font_pt = round(max(MIN_TABLE_PT, min(TABLE_PT, width / (MONO_EM * chars))), 2)
    return {
        "font_pt": font_pt,
        "landscape": landscape,
        "width_pt": round(chars * MONO_EM * font_pt + 6, 1),
        "header": header(),
        "blocks": [{"label": label, "rows": [{"text": line(cells), "emphasis": emphasis} for cells, emphasis in rows]}
                   for label, rows in body],
    }


def environment(study_templates: Path | None = None) -> jinja2.Environment:
    """The Jinja environment: a study's own ``templates/`` folder overrides the packaged files.

    One environment per folder and process, so that each template is compiled once (the PDF render
    process compiles the report's while the analysis runs); Jinja reloads a template whose file changed.
    """
    return _environment(study_templates if study_templates is not None and study_templates.is_dir() else None)


@functools.lru_cache(maxsize=16)
def _environment(study_templates: Path | None) -> jinja2.Environment:
    loaders = [jinja2.FileSystemLoader(str(folder)) for folder in (study_templates, packaged_templates()) if folder]
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "j2"), default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(fmt_num=fmt_num, fmt_p=fmt_p, fmt_ci=fmt_ci, fmt_cell=fmt_cell, monospace=monospace)
    return env


#: how the PDF's HTML names figure k; the PDF's URL fetcher serves these from the drawn figures
FIGURE_URL = "trialkit-figure:{}"


def render_html(context: dict, *, study_templates: Path | None = None, medium: str = "html",
                svgs: list[str] | None = None) -> str:
    """The report's HTML. ``medium="html"``: the HTML report, with ``svgs`` (figure k's SVG text, in the order
    of the figures in ``context``) inline and the tables as HTML tables. ``medium="pdf"``: the source of the
    PDF, with each figure an image that the PDF's fetcher serves (:data:`FIGURE_URL`) and the tables as
    monospaced lines (:func:`monospace`)."""
    from markupsafe import Markup

    k = 0
    measures = []
    for measure in context["measures"]:
        shown = []
        for figure in measure["figures"]:
            if figure["spec"] is None:
                markup = Markup("")
            elif medium == "html":
                markup = Markup((svgs or [])[k])
            else:
                markup = Markup(f'<img class="figure" src="{FIGURE_URL.format(k)}" alt="">')
            shown.append({**figure, "svg": markup})
            k += 1
        measures.append({**measure, "figures": shown})
    return environment(study_templates).get_template("report.html.j2").render(
        **{**context, "measures": measures}, medium=medium)


def _mime(path: Path) -> str:
    return {".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg",
            ".jpeg": "image/jpeg"}.get(path.suffix.lower(), "application/octet-stream")


def ConfinedFetcher(*folders: Path | None, figures=None):  # noqa: N802 - reads as the class it builds
    """A WeasyPrint URL fetcher that serves only files inside ``folders`` (the packaged templates and the
    study's own ``templates/``) or equal to one of them (the study's logo), and the report's own figures:
    no http(s), no data: URL, no file elsewhere, whatever a value names.

    ``figures``: the SVG text of figure k at :data:`FIGURE_URL` k, as a list, or a function of k returning
    it, called when the figure is fetched (the PDF process receives each figure as it is drawn, while it
    parses the report). Each URL served is recorded in the fetcher's ``served`` list, each refused one in
    ``refused``.
    """
    from weasyprint.urls import URLFetcher, URLFetcherResponse  # heavy: only when a PDF is made

    allowed = [f.resolve() for f in folders if f is not None and f.exists()]  # folders, or single files
    prefix = FIGURE_URL.format("")
    drawn = figures if callable(figures) else (lambda k, listed=list(figures or []): listed[k] if k < len(listed) else "")

    class _Confined(URLFetcher):
        def __init__(self) -> None:
            super().__init__(allowed_protocols={"file"})
            self.served: list[str] = []
            self.refused: list[str] = []
            self.early_layout = False  # see render_pdf

        def fetch(self, url, headers=None):
            from urllib.parse import unquote, urlparse

            if url.startswith(prefix) and url[len(prefix):].isdigit():
                svg = drawn(int(url[len(prefix):]))
                if svg:
                    self.served.append(url)
                    return URLFetcherResponse(url, svg.encode("utf-8"), {"Content-Type": "image/svg+xml"})
            parsed = urlparse(url)
            if parsed.scheme == "file":
                path = Path(unquote(parsed.path)).resolve()
                if path.is_file() and any(path == item or path.is_relative_to(item) for item in allowed):
                    self.served.append(url)
                    return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": _mime(path)})
            self.refused.append(url)
            raise ValueError(f"trialkit reports fetch nothing outside their template folders (refused {url!r})")

    return _Confined()


@pdf_fonts.deterministic  # the same font bytes whatever optional libraries are installed
def render_pdf(html: str, *, fetcher=None, figure_sizes=()) -> bytes:
    """PDF bytes from the report's HTML. Resources come only through ``fetcher`` (by default one that
    serves nothing); the document has no base URL, so a relative link resolves to nothing.

    ``figure_sizes``: the width and height in inches of figure k (:data:`FIGURE_URL` k; None where the
    report has no such figure). The document is laid out with these sizes while the figures are still being
    drawn, and each figure is fetched when its page is written (:func:`_figure_images`). Should that fail,
    the PDF is made again with the figures fetched before the layout, as WeasyPrint does by itself; a
    figure that cannot be shown either way raises (a report never goes out with a blank figure).
    """
    import weasyprint  # heavy: imported only when a PDF is made
    from weasyprint.text.fonts import FontConfiguration

    fetcher = fetcher or ConfinedFetcher()
    document = weasyprint.HTML(string=html, url_fetcher=fetcher, base_url=None)
    urls = [FIGURE_URL.format(k) for k, size in enumerate(figure_sizes) if size is not None]
    if urls:
        fonts = FontConfiguration()
        with _image_failures() as failed:
            try:
                pdf = document.write_pdf(font_config=fonts, cache=_figure_images(figure_sizes, fetcher, fonts))
            except Exception as exc:  # noqa: BLE001 - tried again below; a real fault recurs there and is raised
                failed.append(repr(exc))
        if not failed:
            fetcher.early_layout = True
            return pdf
        import warnings

        warnings.warn(f"trialkit: the PDF is laid out again with its figures fetched first ({failed[0]})",
                      RuntimeWarning, stacklevel=2)
    before = len(fetcher.served)
    with _image_failures() as failed:
        pdf = document.write_pdf()
    if failed or not set(urls) <= set(fetcher.served[before:]):
        raise RuntimeError(f"WeasyPrint could not show the report's figures: {failed}")
    return pdf


@contextlib.contextmanager
def _image_failures():
    """Collect WeasyPrint's errors about the report's figures while rendering (WeasyPrint logs a failed image
    and leaves it out)."""
    import logging

    failed: list[str] = []

    class _Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= logging.ERROR and FIGURE_URL.format("") in record.getMessage():
                failed.append(record.getMessage())

    logger, handler = logging.getLogger("weasyprint"), _Collect()
    logger.addHandler(handler)
    try:
        yield failed
    finally:
        logger.removeHandler(handler)


def _points(inches: float) -> str:
    """A length in points as matplotlib writes it in an SVG's width, height and viewBox."""
    return f"{inches * 72:f}".rstrip("0").rstrip(".")


def _figure_images(sizes, fetcher, fonts) -> dict:
    """The report's figures as WeasyPrint images, by URL, to preload WeasyPrint's image cache with.

    Each has its figure's size from the start, so that WeasyPrint lays the document out while the figures
    are still being drawn (in the figure render process); the figure's SVG is fetched, through ``fetcher``,
    only when WeasyPrint writes the page that shows it, and made into the image WeasyPrint would have made
    of it, with the document's fonts (``fonts``). An SVG of another size than the layout's raises.
    """
    import xml.etree.ElementTree as ET

    from weasyprint.images import SVGImage

    class _Fonts:  # what an SVG image uses of WeasyPrint's layout context: its fonts (no <image>, no hyphens)
        def __init__(self) -> None:
            self.font_config, self.dictionaries = fonts, {}

    def svg_image(url: str, svg: bytes) -> SVGImage:
        return SVGImage(ET.fromstring(svg), url, fetcher, _Fonts())

    class _Figure:
        def __init__(self, url: str, size: tuple[float, float]) -> None:
            self._url = url
            width, height = map(_points, size)
            self._laid_out = svg_image(url, f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}pt" '
                                            f'height="{height}pt" viewBox="0 0 {width} {height}"/>'.encode())

        def get_intrinsic_size(self, *args, **kwargs):
            return self._laid_out.get_intrinsic_size(*args, **kwargs)

        def draw(self, *args, **kwargs):
            image = svg_image(self._url, fetcher.fetch(self._url).read())
            drawn, laid_out = image.get_intrinsic_size(1, 16), self.get_intrinsic_size(1, 16)
            if any(abs(a - b) > 0.01 for a, b in zip(drawn, laid_out, strict=True)):
                raise RuntimeError(f"figure {self._url} was drawn {drawn} but laid out {laid_out} (width, "
                                   "height, ratio): trialkit.report.figures.size is wrong for it")
            return image.draw(*args, **kwargs)

    urls = {FIGURE_URL.format(k): size for k, size in enumerate(sizes) if size is not None}
    return {url: _Figure(url, size) for url, size in urls.items()}


def draw_figures(specs: list[dict | None]) -> list[str]:
    """SVG text of each figure spec, in report order ("" for a figure not drawn)."""
    from trialkit.report.figures import draw

    return [draw(spec) if spec is not None else "" for spec in specs]


def make_pdf(job: dict, figures) -> dict:
    """The PDF of ``job`` showing ``figures`` (see :func:`ConfinedFetcher`).

    ``job``: ``{"context": the report context, "study_templates": the study's templates folder or None,
    "folders": paths the fetcher may serve, "figure_sizes": see render_pdf}``; the PDF's HTML is rendered
    from the context here (in the PDF render process, whose templates are compiled while the analysis
    runs). A job may give the HTML itself instead, as ``"html"``.

    Returns ``{"pdf": bytes, "served": URLs, "refused": URLs, "early_layout": whether the PDF was laid out
    before its figures were drawn}``."""
    html = job["html"] if "html" in job else render_html(
        job["context"], study_templates=job["study_templates"] and Path(job["study_templates"]), medium="pdf")
    fetcher = ConfinedFetcher(*map(Path, job["folders"]), figures=figures)
    pdf = render_pdf(html, fetcher=fetcher, figure_sizes=job.get("figure_sizes", ()))
    return {"pdf": pdf, "served": list(fetcher.served), "refused": list(fetcher.refused),
            "early_layout": fetcher.early_layout, "environment": pdf_fonts.environment()}
