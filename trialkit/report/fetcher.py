"""The PDF's URL fetcher: WeasyPrint fetches nothing but the packaged and the study's templates, the logo,
and the report's own figures."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import unquote, urlparse

from weasyprint.urls import URLFetcher, URLFetcherResponse

from trialkit.report.templates import FIGURE_URL

_MIME = {".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg",
         ".jpeg": "image/jpeg"}


class ConfinedFetcher(URLFetcher):
    """Serves only files inside ``folders`` (the packaged templates and the study's own ``templates/``) or
    equal to one of them (the study's logo), and the report's figures: no http(s), no data: URL, no file
    elsewhere, whatever a value names.

    ``figures``: the SVG text of figure k at :data:`FIGURE_URL` k, as a list, or a function of k that returns
    it. Each URL served is recorded in ``served``, each refused one in ``refused``.
    """

    def __init__(self, *folders: Path | None, figures: Sequence[str] | Callable[[int], str] = ()) -> None:
        super().__init__(allowed_protocols={"file"})
        self.allowed = [f.resolve() for f in folders if f is not None and f.exists()]  # folders, or single files
        self.figures = figures if callable(figures) else (lambda k, listed=list(figures): listed[k]
                                                          if k < len(listed) else "")
        self.served: list[str] = []
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        prefix = FIGURE_URL.format("")
        if url.startswith(prefix) and url[len(prefix):].isdigit():
            svg = self.figures(int(url[len(prefix):]))
            if svg:
                self.served.append(url)
                return URLFetcherResponse(url, svg.encode("utf-8"), {"Content-Type": "image/svg+xml"})
        parsed = urlparse(url)
        if parsed.scheme == "file":
            path = Path(unquote(parsed.path)).resolve()
            if path.is_file() and any(path == item or path.is_relative_to(item) for item in self.allowed):
                self.served.append(url)
                content_type = _MIME.get(path.suffix.lower(), "application/octet-stream")
                return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})
        self.refused.append(url)
        raise ValueError(f"trialkit reports fetch nothing outside their template folders (refused {url!r})")
