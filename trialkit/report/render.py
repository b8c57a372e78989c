"""Context dicts -> HTML (Jinja2) -> PDF (WeasyPrint).

Formatting of numbers happens here, in Jinja filters, and nowhere else.
"""

from __future__ import annotations

import math
from pathlib import Path

import jinja2

from trialkit.errors import TrialkitError

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


def environment(study_templates: Path | None = None) -> jinja2.Environment:
    """The Jinja environment: a study's own ``templates/`` folder overrides the packaged files."""
    loaders = []
    if study_templates is not None and study_templates.is_dir():
        loaders.append(jinja2.FileSystemLoader(str(study_templates)))
    loaders.append(jinja2.FileSystemLoader(str(packaged_templates())))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "j2"), default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(fmt_num=fmt_num, fmt_p=fmt_p, fmt_ci=fmt_ci, fmt_cell=fmt_cell)
    return env


def render_html(context: dict, *, study_templates: Path | None = None) -> str:
    return environment(study_templates).get_template("report.html.j2").render(**context)


def _mime(path: Path) -> str:
    return {".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg",
            ".jpeg": "image/jpeg"}.get(path.suffix.lower(), "application/octet-stream")


def ConfinedFetcher(*folders: Path | None):  # noqa: N802 - reads as the class it builds
    """A WeasyPrint URL fetcher that serves only files inside ``folders`` (the packaged templates and the
    study's own ``templates/``) or equal to one of them (the study's logo): no http(s), no data: URL,
    no file elsewhere, whatever a value names.
    Each refused URL is recorded in the fetcher's ``refused`` list."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse  # heavy: only when a PDF is made

    allowed = [f.resolve() for f in folders if f is not None and f.exists()]  # folders, or single files

    class _Confined(URLFetcher):
        def __init__(self) -> None:
            super().__init__(allowed_protocols={"file"})
            self.refused: list[str] = []

        def fetch(self, url, headers=None):
            from urllib.parse import unquote, urlparse

            parsed = urlparse(url)
            if parsed.scheme == "file":
                path = Path(unquote(parsed.path)).resolve()
                if path.is_file() and any(path == item or path.is_relative_to(item) for item in allowed):
                    return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": _mime(path)})
            self.refused.append(url)
            raise ValueError(f"trialkit reports fetch nothing outside their template folders (refused {url!r})")

    return _Confined()


def render_pdf(html: str, *, fetcher=None) -> bytes:
    """PDF bytes from the report's HTML. Resources come only through ``fetcher`` (by default one that
    serves nothing); the document has no base URL, so a relative link resolves to nothing."""
    import weasyprint  # heavy: imported only when a PDF is made

    return weasyprint.HTML(string=html, url_fetcher=fetcher or ConfinedFetcher(), base_url=None).write_pdf()
