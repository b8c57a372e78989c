"""The PDF's URL fetcher: WeasyPrint fetches nothing but the report's own figures, the stylesheets and fonts of
the packaged and the study's templates, and the logo file."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from urllib.parse import unquote, urlparse

from weasyprint.urls import URLFetcher, URLFetcherResponse

from trialkit.report.templates import FIGURE_URL

#: what a template folder may serve to the PDF: stylesheets and fonts (a template itself, or any other file
#: that lies there, is not served)
STYLE_TYPES = {".css": "text/css", ".woff": "font/woff", ".woff2": "font/woff2", ".ttf": "font/ttf",
               ".otf": "font/otf"}
_IMAGE_TYPES = {".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
                ".gif": "image/gif", ".webp": "image/webp"}


class ConfinedFetcher(URLFetcher):
    """Serves the report's figures, the stylesheets and fonts (:data:`STYLE_TYPES`) inside ``folders`` (the
    packaged templates and the study's own ``templates/``), and exactly the ``files`` named (the study's logo,
    not its folder): no http(s), no data: URL, no other file, whatever a value or template names. A path is
    judged once every symbolic link in it is followed, so a link inside a folder that leads out is refused.

    ``figures``: the SVG text of figure k at :data:`FIGURE_URL` k, as a list, or a function of k that returns
    it. Each URL served is recorded in ``served``, each refused one in ``refused``.
    """

    def __init__(self, *folders: Path | None, files: Iterable[Path | None] = (),
                 figures: Sequence[str] | Callable[[int], str] = ()) -> None:
        super().__init__(allowed_protocols={"file"})
        self.folders = [f.resolve() for f in folders if f is not None and f.is_dir()]
        self.files = {f.resolve() for f in files if f is not None and f.is_file()}
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
        path = self._allowed(url)
        if path is not None:
            self.served.append(url)
            content_type = {**_IMAGE_TYPES, **STYLE_TYPES}.get(path.suffix.lower(), "application/octet-stream")
            return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})
        self.refused.append(url)
        raise ValueError(f"trialkit reports fetch nothing but their figures, stylesheets, fonts and logo "
                         f"(refused {url!r})")

    def _allowed(self, url: str) -> Path | None:
        parsed = urlparse(url)
        if parsed.scheme != "file" or parsed.netloc not in ("", "localhost"):
            return None
        try:
            path = Path(unquote(parsed.path)).resolve()
        except (OSError, RuntimeError, ValueError):  # a link loop, a NUL byte
            return None
        if not path.is_file():
            return None
        if path in self.files:
            return path
        if path.suffix.lower() in STYLE_TYPES and any(path.is_relative_to(folder) for folder in self.folders):
            return path
        return None
